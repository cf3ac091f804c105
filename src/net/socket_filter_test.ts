import assert from "node:assert/strict";
import fc from "fast-check";
import { ACCEPT, BPF, guardFilter, guardInstructions } from "./socket_filter.ts";
import { SKF_NET_OFF } from "../../kernel/bpf.ts";
import { encodeInstructions, type Insn } from "../bpf/insn.ts";
import { entryMatches, isLoopback, type NetEntry, parseNetEntry } from "./address.ts";
import { formatIP } from "./address.ts";

/** A packet as an inet socket filter sees it: the IP header, and the transport header at 0. */
interface Packet {
  net: Uint8Array;
  transport: Uint8Array;
}

/** Runs a classic socket filter the way the kernel does for the opcodes the guard uses. */
function run(prog: readonly Insn[], p: Packet): number {
  let a = 0;
  const load = (k: number, size: number): number | undefined => {
    const signed = k | 0;
    const [buf, at] = signed < 0 && signed >= SKF_NET_OFF
      ? [p.net, signed - SKF_NET_OFF]
      : [p.transport, signed];
    if (at < 0 || at + size > buf.length) return undefined;
    let v = 0;
    for (let i = 0; i < size; i++) v = (v * 256) + buf[at + i];
    return v >>> 0;
  };
  for (let pc = 0, steps = 0; pc < prog.length && steps < 100_000; pc++, steps++) {
    const { code, jt, jf, k } = prog[pc];
    switch (code) {
      case BPF.LD_W_ABS:
      case BPF.LD_H_ABS:
      case BPF.LD_B_ABS: {
        const v = load(k, code === BPF.LD_W_ABS ? 4 : code === BPF.LD_H_ABS ? 2 : 1);
        if (v === undefined) return 0; // the kernel drops a packet a load runs past
        a = v;
        break;
      }
      case BPF.ALU_AND_K:
        a = (a & k) >>> 0;
        break;
      case BPF.JMP_JA:
        pc += k;
        break;
      case BPF.JMP_JEQ_K:
        pc += a === k ? jt : jf;
        break;
      case BPF.JMP_JGT_K:
        pc += a > k ? jt : jf;
        break;
      case BPF.JMP_JGE_K:
        pc += a >= k ? jt : jf;
        break;
      case BPF.RET_K:
        return k;
      default:
        throw new Error(`unexpected opcode ${code}`);
    }
  }
  throw new Error("ran off the end of the filter");
}

function ipBytes(ip: string): Uint8Array {
  if (ip.includes(":")) {
    const e = parseNetEntry(`[${ip}]`, () => []);
    return (e[0] as { net: Uint8Array }).net;
  }
  return Uint8Array.from(ip.split(".").map(Number));
}

/** An IPv4 or IPv6 packet from `src`:`sport` with a TCP or UDP header. */
function packet(src: Uint8Array, sport: number, proto: "tcp" | "udp" = "tcp"): Packet {
  let net: Uint8Array;
  if (src.length === 4) {
    net = new Uint8Array(20);
    net[0] = 0x45;
    net[9] = proto === "tcp" ? 6 : 17;
    net.set(src, 12);
    net.set([127, 0, 0, 1], 16);
  } else {
    net = new Uint8Array(40);
    net[0] = 0x60;
    net[6] = proto === "tcp" ? 6 : 17;
    net.set(src, 8);
    net[39] = 1;
  }
  const transport = new Uint8Array(proto === "tcp" ? 20 : 8);
  transport[0] = sport >> 8;
  transport[1] = sport & 0xff;
  transport[3] = 80;
  return { net, transport };
}

const resolve = (h: string) => (h === "db.test" ? ["10.9.8.7"] : []);
const entries = (...s: string[]): NetEntry[] => s.flatMap((x) => parseNetEntry(x, resolve));

function admits(
  allow: NetEntry[],
  deny: NetEntry[],
  src: string,
  sport: number,
  proto?: "tcp" | "udp",
) {
  return run(guardInstructions({ allow, deny }), packet(ipBytes(src), sport, proto)) !== 0;
}

Deno.test("socket filter: loopback sources pass, every other source is dropped", () => {
  for (const proto of ["tcp", "udp"] as const) {
    assert.equal(admits([], [], "127.0.0.1", 5000, proto), true);
    assert.equal(admits([], [], "127.9.8.7", 5000, proto), true);
    assert.equal(admits([], [], "::1", 5000, proto), true);
    assert.equal(admits([], [], "::ffff:127.0.0.1", 5000, proto), true);
    assert.equal(admits([], [], "10.0.0.2", 5000, proto), false);
    assert.equal(admits([], [], "128.0.0.1", 5000, proto), false);
    assert.equal(admits([], [], "::2", 5000, proto), false);
    assert.equal(admits([], [], "fe80::1", 5000, proto), false);
    assert.equal(admits([], [], "::ffff:10.0.0.2", 5000, proto), false);
  }
});

Deno.test("socket filter: allowed peers pass, with their ports; deny wins", () => {
  const allow = entries("10.1.2.3:443", "192.168.0.0/16", "db.test:5432", "[2001:db8::/32]:53");
  const deny = entries("192.168.7.7");
  assert.equal(admits(allow, deny, "10.1.2.3", 443), true);
  assert.equal(admits(allow, deny, "10.1.2.3", 444), false);
  assert.equal(admits(allow, deny, "192.168.200.1", 1), true);
  assert.equal(admits(allow, deny, "192.168.7.7", 1), false);
  assert.equal(admits(allow, deny, "10.9.8.7", 5432), true);
  assert.equal(admits(allow, deny, "10.9.8.7", 5433), false);
  assert.equal(admits(allow, deny, "2001:db8:ffff::1", 53, "udp"), true);
  assert.equal(admits(allow, deny, "2001:db9::1", 53, "udp"), false);
  // A port entry allows any address with that source port; `*` allows all but denied ones.
  assert.equal(admits(entries("*:8080"), [], "10.0.0.9", 8080), true);
  assert.equal(admits(entries("*:8080"), [], "10.0.0.9", 8081), false);
  assert.equal(admits(entries("*"), entries("10.0.0.0/8"), "10.0.0.9", 1), false);
  assert.equal(admits(entries("*"), entries("10.0.0.0/8"), "11.0.0.9", 1), true);
});

Deno.test("socket filter: a packet that is neither IPv4 nor IPv6, or too short, is dropped", () => {
  const prog = guardInstructions({ allow: entries("*"), deny: [] });
  const p = packet(ipBytes("10.0.0.1"), 1);
  p.net[0] = 0x55;
  assert.equal(run(prog, p), 0);
  assert.equal(run(prog, { net: new Uint8Array(4).fill(0x45), transport: new Uint8Array(8) }), 0);
  const ok = packet(ipBytes("10.0.0.1"), 1);
  assert.equal(run(prog, ok), ACCEPT);
});

Deno.test("socket filter: agrees with the policy's own matching on random sources", () => {
  const allow = entries("10.0.0.0/9:1000-2000", "[2001:db8::/48]", "172.16.5.5", "*:53");
  const deny = entries("10.0.0.128/25", "[2001:db8::1]:1500");
  const prog = guardInstructions({ allow, deny });
  const v4 = fc.oneof(
    fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)),
  ).map((b) => Uint8Array.from(b));
  const v6 = fc.oneof(
    fc.uint8Array({ minLength: 10, maxLength: 10 }).map((t) =>
      Uint8Array.from([0x20, 0x01, 0x0d, 0xb8, 0, fc.sample(fc.nat(1), 1)[0], ...t])
    ),
    fc.uint8Array({ minLength: 16, maxLength: 16 }),
  );
  fc.assert(
    fc.property(
      fc.oneof(v4, v6),
      fc.oneof(fc.constantFrom(53, 1000, 1500, 2000, 2001), fc.nat(65535)),
      (ip, port) => {
        const addr = ip.length === 4
          ? { family: "inet" as const, ip: formatIP(ip), port, bytes: ip }
          : { family: "inet6" as const, ip: formatIP(ip), port, bytes: ip };
        const want = isLoopback(addr) ||
          (!deny.some((e) => entryMatches(e, addr)) && allow.some((e) => entryMatches(e, addr)));
        assert.equal(run(prog, packet(ip, port)) !== 0, want, `${addr.ip} port ${port}`);
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("socket filter: packs as struct sock_filter, within the kernel's length limit", () => {
  const insns = guardInstructions({ allow: entries("10.1.2.3:443"), deny: [] });
  const bytes = encodeInstructions(insns);
  assert.equal(bytes.length, insns.length * 8);
  const v = new DataView(bytes.buffer);
  assert.equal(v.getUint16(0, true), BPF.LD_B_ABS);
  assert.equal(v.getUint32(4, true), SKF_NET_OFF >>> 0);
  // Too many entries for one program: no filter (and the supervisor refuses such binds).
  const many = Array.from({ length: 600 }, (_, i) => `10.${i >> 8}.${i & 255}.1:${i + 1}`);
  assert.equal(guardFilter({ allow: entries(...many), deny: [] }), undefined);
});
