/**
 * The network checks made at seccomp stops: read the destination from the
 * tracee, match it against the policy, decide.
 *
 * @module
 */

import { readMemory, writeMemory } from "../../ffi/libc.ts";
import { RED_ZONE, type Registers } from "../arch/x86_64.ts";
import type { Decision } from "../decision.ts";
import {
  entryMatches,
  formatAddress,
  isLoopback,
  isWildcard,
  type NetEntry,
  type SocketAddress,
} from "./address.ts";
import { AF, decodeSockaddr, loopbackLike } from "./sockaddr.ts";

/** The network half of a policy, as plain data for the supervisor's thread. */
export interface NetPolicy {
  /** Entries allowed (besides loopback and unix when those are on). */
  allow: NetEntry[];
  /** Entries denied; deny wins over allow. */
  deny: NetEntry[];
  /** Allow 127.0.0.0/8, ::1 and mapped loopback unless denied. */
  loopback: boolean;
  /** Allow unix sockets unless denied. */
  unix: boolean;
  /** errno for a denied call (EACCES by default). */
  errno: number;
  /** What to do with a bind to 0.0.0.0 or ::. */
  wildcardBind: "rewrite" | "allow" | "deny";
}

/** Which call a net rule checks. */
export type NetCheck = "connect" | "sendto" | "sendmsg" | "sendmmsg" | "bind" | "socket";

/** A denied destination, for the one-line report. */
export interface NetDenial {
  call: NetCheck;
  address: string;
}

const MAX_SOCKADDR = 128;
const MSGHDR_SIZE = 56;
const MMSGHDR_SIZE = 64;
const UIO_MAXIOV = 1024;
const SOCK_TYPE_MASK = 0xf;
const SOCK_RAW = 3;

/** Decides network calls against a {@linkcode NetPolicy}. */
export class NetChecker {
  readonly #policy: NetPolicy;
  readonly #buf = new Uint8Array(MAX_SOCKADDR);
  /** Called once per denied destination and process. */
  onDeny?: (tid: number, pid: number, denial: NetDenial) => void;

  /** @param policy The network policy. */
  constructor(policy: NetPolicy) {
    this.#policy = policy;
  }

  /** True when `addr` may be reached. */
  allows(addr: SocketAddress): boolean {
    if (addr.family === "unspec" || addr.family === "other") return true;
    const p = this.#policy;
    if (p.deny.some((e) => entryMatches(e, addr))) return false;
    if (p.allow.some((e) => entryMatches(e, addr))) return true;
    if (addr.family === "unix") return p.unix;
    return p.loopback && isLoopback(addr);
  }

  #read(tid: number, ptr: bigint, len: number): SocketAddress | undefined {
    if (ptr === 0n) return undefined;
    const n = Math.min(Math.max(len, 0), MAX_SOCKADDR);
    const buf = this.#buf.subarray(0, n);
    const got = readMemory(tid, ptr, buf);
    // Unreadable: the kernel will fail the call with EFAULT itself; let it.
    if (got <= 0) return undefined;
    return decodeSockaddr(buf.subarray(0, got));
  }

  #deny(call: NetCheck, tid: number, pid: number, addr: SocketAddress): Decision {
    this.onDeny?.(tid, pid, { call, address: formatAddress(addr) });
    return { action: "deny", errno: this.#policy.errno, rule: "net" };
  }

  /** Decides one stopped network call. */
  decide(check: NetCheck, tid: number, pid: number, regs: Registers): Decision | undefined {
    switch (check) {
      case "connect":
      case "bind": {
        const addr = this.#read(tid, regs.arg(1), regs.argInt(2));
        if (!addr) return undefined;
        if (check === "bind" && isWildcard(addr)) return this.#wildcardBind(tid, pid, regs, addr);
        if (
          check === "bind" && (addr.family === "inet" || addr.family === "inet6") &&
          isLoopback(addr)
        ) {
          return undefined;
        }
        return this.allows(addr) ? undefined : this.#deny(check, tid, pid, addr);
      }
      case "sendto": {
        const addr = this.#read(tid, regs.arg(4), regs.argInt(5));
        return !addr || this.allows(addr) ? undefined : this.#deny(check, tid, pid, addr);
      }
      case "sendmsg":
        return this.#msghdrs(check, tid, pid, regs.arg(1), 1, MSGHDR_SIZE);
      case "sendmmsg": {
        const count = Math.min(regs.argInt(2) >>> 0, UIO_MAXIOV);
        return this.#msghdrs(check, tid, pid, regs.arg(1), count, MMSGHDR_SIZE);
      }
      case "socket": {
        // Only SOCK_RAW (and AF_PACKET) sockets reach here; netlink needs SOCK_RAW for getifaddrs.
        const family = regs.argInt(0);
        const type = regs.argInt(1) & SOCK_TYPE_MASK;
        if (family === AF.NETLINK) return undefined;
        if (family === AF.PACKET || type === SOCK_RAW) {
          if (this.#policy.allow.some((e) => e.kind === "any") && this.#policy.deny.length === 0) {
            return undefined;
          }
          this.onDeny?.(tid, pid, {
            call: "socket",
            address: family === AF.PACKET ? "AF_PACKET" : "raw socket",
          });
          return { action: "deny", errno: this.#policy.errno, rule: "net" };
        }
        return undefined;
      }
    }
  }

  #msghdrs(check: NetCheck, tid: number, pid: number, ptr: bigint, count: number, stride: number) {
    if (ptr === 0n || count === 0) return undefined;
    const hdrs = new Uint8Array(count * stride);
    const got = readMemory(tid, ptr, hdrs);
    if (got <= 0) return undefined;
    const view = new DataView(hdrs.buffer, 0, got);
    for (let i = 0; i + MSGHDR_SIZE <= got; i += stride) {
      const name = view.getBigUint64(i, true);
      const len = view.getUint32(i + 8, true);
      const addr = this.#read(tid, name, len);
      if (addr && !this.allows(addr)) return this.#deny(check, tid, pid, addr);
    }
    return undefined;
  }

  #wildcardBind(
    tid: number,
    pid: number,
    regs: Registers,
    addr: SocketAddress,
  ): Decision | undefined {
    switch (this.#policy.wildcardBind) {
      case "allow":
        return undefined;
      case "deny":
        return this.#deny("bind", tid, pid, addr);
      case "rewrite": {
        const original = this.#buf.slice(0, addr.family === "inet6" ? 28 : 16);
        const replacement = loopbackLike(original);
        // Below the red zone, 16-byte aligned: memory the tracee does not use at a syscall.
        const at = (regs.sp - BigInt(RED_ZONE) - 64n) & ~15n;
        if (writeMemory(tid, at, replacement) !== replacement.length) return undefined;
        return { action: "args", args: { 1: at, 2: replacement.length }, rule: "net.bind" };
      }
    }
  }
}
