/**
 * The classic BPF socket filter that guards a socket bound to a non-loopback
 * address (0.0.0.0, ::, or a UDP socket the kernel would bind there): it
 * admits only packets whose source is loopback or a peer the policy allows,
 * so a server the tree opens on every interface stays unreachable from the
 * rest of the network while its address and dual-stack behaviour stay native.
 *
 * On an inet socket the filter sees the transport header at offset 0 and
 * reaches the IP header through SKF_NET_OFF. The supervisor attaches it with
 * SO_ATTACH_FILTER and locks it with SO_LOCK_FILTER; children of a listening
 * socket inherit both.
 *
 * @module
 */

import { type NetEntry, unmapIPv4 } from "./address.ts";
import { encodeInstructions, type Insn } from "../bpf/insn.ts";
import {
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_H,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_MAXINSNS,
  BPF_RET,
  BPF_W,
  SKF_NET_OFF,
} from "../bpf/opcodes.ts";

/** The classic BPF opcodes the guard uses, whole. */
export const BPF = {
  LD_W_ABS: BPF_LD | BPF_W | BPF_ABS,
  LD_H_ABS: BPF_LD | BPF_H | BPF_ABS,
  LD_B_ABS: BPF_LD | BPF_B | BPF_ABS,
  ALU_AND_K: BPF_ALU | BPF_AND | BPF_K,
  JMP_JA: BPF_JMP | BPF_JA,
  JMP_JEQ_K: BPF_JMP | BPF_JEQ | BPF_K,
  JMP_JGT_K: BPF_JMP | BPF_JGT | BPF_K,
  JMP_JGE_K: BPF_JMP | BPF_JGE | BPF_K,
  RET_K: BPF_RET | BPF_K,
} as const;

/** The return value that keeps the whole packet. */
export const ACCEPT = 0xffffffff;

const IPV4_SOURCE = 12;
const IPV6_SOURCE = 8;

type Label = { at?: number };

/**
 * A tiny assembler: conditional jumps only ever skip one instruction, and
 * every far jump is a `ja` (32-bit offset), so no program outgrows the 8-bit
 * conditional offsets.
 */
class Builder {
  /** Mutable until {@linkcode Builder.finish} fills in the jump offsets. */
  readonly #insns: { code: number; jt: number; jf: number; k: number }[] = [];
  readonly #fixups: { index: number; label: Label }[] = [];

  label(): Label {
    return {};
  }

  place(label: Label): void {
    label.at = this.#insns.length;
  }

  emit(code: number, k = 0, jt = 0, jf = 0): void {
    this.#insns.push({ code, jt, jf, k: k >>> 0 });
  }

  /** Jumps to `label`. */
  goto(label: Label): void {
    this.#fixups.push({ index: this.#insns.length, label });
    this.emit(BPF.JMP_JA);
  }

  /** If `A <op> k` goes to `label`, else falls through. */
  when(op: number, k: number, label: Label): void {
    this.emit(op, k, 0, 1);
    this.goto(label);
  }

  /** If not `A <op> k` goes to `label`, else falls through. */
  unless(op: number, k: number, label: Label): void {
    this.emit(op, k, 1, 0);
    this.goto(label);
  }

  finish(): Insn[] {
    for (const { index, label } of this.#fixups) {
      if (label.at === undefined) throw new Error("socket filter: jump to an unplaced label");
      this.#insns[index].k = label.at - index - 1;
    }
    return this.#insns;
  }
}

/** A 4-byte big-endian word of `bytes` at `at`. */
function word(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

/** The mask of the `prefix` bits that fall in word `w` (0-based) of an address. */
function wordMask(prefix: number, w: number): number {
  const bits = Math.max(0, Math.min(32, prefix - 32 * w));
  return bits === 0 ? 0 : bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** An entry as the filter compares it: network words per IP version, and source ports. */
interface Match {
  v4?: { net: Uint8Array; prefix: number };
  v6?: { net: Uint8Array; prefix: number };
  /** No address constraint (a port entry or `*`). */
  anyIp: boolean;
  ports?: [number, number];
}

function matchOf(e: NetEntry): Match | undefined {
  if (e.kind === "any") return { anyIp: true };
  if (e.kind === "port") return { anyIp: true, ports: e.ports };
  if (e.kind !== "ip") return undefined;
  if (e.net.length === 4) {
    const mapped = new Uint8Array(16);
    mapped.set([0xff, 0xff], 10);
    mapped.set(e.net, 12);
    return {
      anyIp: false,
      v4: { net: e.net, prefix: e.prefix },
      v6: { net: mapped, prefix: 96 + e.prefix },
      ports: e.ports,
    };
  }
  const v4 = unmapIPv4(e.net);
  return {
    anyIp: false,
    v4: v4 && e.prefix >= 96 ? { net: v4, prefix: e.prefix - 96 } : undefined,
    v6: { net: e.net, prefix: e.prefix },
    ports: e.ports,
  };
}

/** Emits: if the packet (of IP version `v`) matches `m`, go to `hit`. */
function emitMatch(b: Builder, m: Match, v: 4 | 6, hit: Label): void {
  const miss = b.label();
  if (!m.anyIp) {
    const addr = v === 4 ? m.v4 : m.v6;
    if (!addr) return;
    const base = v === 4 ? IPV4_SOURCE : IPV6_SOURCE;
    for (let w = 0; w < addr.net.length / 4; w++) {
      const mask = wordMask(addr.prefix, w);
      if (mask === 0) continue;
      b.emit(BPF.LD_W_ABS, SKF_NET_OFF + base + 4 * w);
      if (mask !== 0xffffffff) b.emit(BPF.ALU_AND_K, mask);
      b.unless(BPF.JMP_JEQ_K, (word(addr.net, 4 * w) & mask) >>> 0, miss);
    }
  }
  if (m.ports && !(m.ports[0] === 0 && m.ports[1] === 65535)) {
    // The source port: the first 16 bits of the TCP/UDP header, at offset 0.
    b.emit(BPF.LD_H_ABS, 0);
    if (m.ports[0] > 0) b.unless(BPF.JMP_JGE_K, m.ports[0], miss);
    b.when(BPF.JMP_JGT_K, m.ports[1], miss);
  }
  b.goto(hit);
  b.place(miss);
}

/** The allow and deny lists the filter is built from. */
export interface GuardPolicy {
  allow: readonly NetEntry[];
  deny: readonly NetEntry[];
}

/**
 * The filter's instructions: loopback sources pass; then a source matching
 * a deny entry is dropped; then one matching an allow entry passes; every
 * other packet (and anything neither IPv4 nor IPv6) is dropped.
 */
export function guardInstructions(policy: GuardPolicy): Insn[] {
  const b = new Builder();
  const accept = b.label();
  const drop = b.label();
  const v4 = b.label();
  const v6 = b.label();
  const deny = policy.deny.map(matchOf).filter((m) => m !== undefined);
  const allow = policy.allow.map(matchOf).filter((m) => m !== undefined);

  b.emit(BPF.LD_B_ABS, SKF_NET_OFF);
  b.emit(BPF.ALU_AND_K, 0xf0);
  b.when(BPF.JMP_JEQ_K, 0x40, v4);
  b.when(BPF.JMP_JEQ_K, 0x60, v6);
  b.goto(drop);

  b.place(v4);
  b.emit(BPF.LD_W_ABS, SKF_NET_OFF + IPV4_SOURCE);
  b.emit(BPF.ALU_AND_K, 0xff000000);
  b.when(BPF.JMP_JEQ_K, 0x7f000000, accept);
  for (const m of deny) emitMatch(b, m, 4, drop);
  for (const m of allow) emitMatch(b, m, 4, accept);
  b.goto(drop);

  b.place(v6);
  // ::1 and ::ffff:127.0.0.0/104 (the latter never on the wire, but cheap to admit).
  const notLoop = b.label();
  b.emit(BPF.LD_W_ABS, SKF_NET_OFF + IPV6_SOURCE);
  b.unless(BPF.JMP_JEQ_K, 0, notLoop);
  b.emit(BPF.LD_W_ABS, SKF_NET_OFF + IPV6_SOURCE + 4);
  b.unless(BPF.JMP_JEQ_K, 0, notLoop);
  b.emit(BPF.LD_W_ABS, SKF_NET_OFF + IPV6_SOURCE + 8);
  const mapped = b.label();
  b.when(BPF.JMP_JEQ_K, 0xffff, mapped);
  b.unless(BPF.JMP_JEQ_K, 0, notLoop);
  b.emit(BPF.LD_W_ABS, SKF_NET_OFF + IPV6_SOURCE + 12);
  b.when(BPF.JMP_JEQ_K, 1, accept);
  b.goto(notLoop);
  b.place(mapped);
  b.emit(BPF.LD_W_ABS, SKF_NET_OFF + IPV6_SOURCE + 12);
  b.emit(BPF.ALU_AND_K, 0xff000000);
  b.when(BPF.JMP_JEQ_K, 0x7f000000, accept);
  b.place(notLoop);
  for (const m of deny) emitMatch(b, m, 6, drop);
  for (const m of allow) emitMatch(b, m, 6, accept);
  b.goto(drop);

  b.place(accept);
  b.emit(BPF.RET_K, ACCEPT);
  b.place(drop);
  b.emit(BPF.RET_K, 0);
  return b.finish();
}

/**
 * The packed guard filter for a policy, or undefined when it is longer than
 * the kernel accepts (then no socket can be guarded, and non-loopback binds
 * are refused).
 */
export function guardFilter(policy: GuardPolicy): Uint8Array | undefined {
  const insns = guardInstructions(policy);
  return insns.length <= BPF_MAXINSNS ? encodeInstructions(insns) : undefined;
}
