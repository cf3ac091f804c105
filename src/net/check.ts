/**
 * The network checks made at seccomp stops: read the destination from the
 * tracee, match it against the policy, decide.
 *
 * @module
 */

import { readMemory } from "../../ffi/libc.ts";
import type { Registers } from "../arch/x86_64.ts";
import { actBind, actConnect, actSendmsg, actSendto, connectedStream } from "./act.ts";
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

  /** Copies a sockaddr out of the tracee: the bytes that are checked are the bytes that are used. */
  #copy(tid: number, ptr: bigint, len: number): Uint8Array | undefined {
    const n = Math.min(Math.max(len, 0), MAX_SOCKADDR);
    const buf = new Uint8Array(n);
    const got = n === 0 ? 0 : readMemory(tid, ptr, buf);
    return got === n ? buf : undefined;
  }

  #deny(call: NetCheck, tid: number, pid: number, addr: SocketAddress): Decision {
    this.onDeny?.(tid, pid, { call, address: formatAddress(addr) });
    return { action: "deny", errno: this.#policy.errno, rule: "net" };
  }

  /**
   * Decides one stopped network call. An allowed call that carries a
   * destination is performed here on a duplicate of the tracee's socket (see
   * `act.ts`), so a sibling rewriting the address after the check changes
   * nothing.
   */
  decide(check: NetCheck, tid: number, pid: number, regs: Registers): Decision | undefined {
    switch (check) {
      case "connect":
      case "bind": {
        const raw = this.#copy(tid, regs.arg(1), regs.argInt(2));
        if (!raw) return EFAULT_DECISION;
        let bytes = raw;
        const addr = decodeSockaddr(raw);
        const fd = regs.argInt(0);
        if (check === "bind") {
          if (isWildcard(addr)) {
            if (this.#policy.wildcardBind === "deny") return this.#deny("bind", tid, pid, addr);
            // Test servers keep working and are never exposed.
            if (this.#policy.wildcardBind === "rewrite") bytes = loopbackLike(raw);
          } else if (!isLoopback(addr) && !this.allows(addr)) {
            return this.#deny("bind", tid, pid, addr);
          }
          return actBind(pid, fd, bytes, bytes === raw ? "net" : "net.bind");
        }
        if (!this.allows(addr)) return this.#deny("connect", tid, pid, addr);
        return actConnect(pid, fd, bytes, "net");
      }
      case "sendto": {
        const raw = this.#copy(tid, regs.arg(4), regs.argInt(5));
        if (!raw) return EFAULT_DECISION;
        const addr = decodeSockaddr(raw);
        if (!this.allows(addr)) return this.#deny("sendto", tid, pid, addr);
        return actSendto(
          tid,
          pid,
          regs.argInt(0),
          regs.arg(1),
          Number(regs.arg(2)),
          regs.argInt(3),
          raw,
          "net",
        );
      }
      case "sendmsg":
      case "sendmmsg": {
        const vector = check === "sendmmsg";
        const count = vector ? Math.min(regs.argInt(2) >>> 0, UIO_MAXIOV) : 1;
        return this.#sendmsg(
          check,
          tid,
          pid,
          regs.argInt(0),
          regs.arg(1),
          count,
          regs.argInt(vector ? 3 : 2),
          vector,
        );
      }
      case "socket": {
        // Only AF_PACKET and SOCK_RAW sockets reach here; netlink needs SOCK_RAW for getifaddrs.
        const family = regs.argInt(0);
        const type = regs.argInt(1) & SOCK_TYPE_MASK;
        if (family === AF.NETLINK) return undefined;
        if (family === AF.PACKET || type === SOCK_RAW) {
          if (this.#policy.allow.some((e) => e.kind === "any") && this.#policy.deny.length === 0) {
            return undefined;
          }
          this.onDeny?.(tid, pid, {
            call: "socket",
            address: family === AF.PACKET ? "AF_PACKET" : "SOCK_RAW",
          });
          return { action: "deny", errno: this.#policy.errno, rule: "net" };
        }
        return undefined;
      }
    }
  }

  #sendmsg(
    check: NetCheck,
    tid: number,
    pid: number,
    fd: number,
    ptr: bigint,
    count: number,
    flags: number,
    vector: boolean,
  ): Decision | undefined {
    if (count === 0) return undefined;
    const stride = vector ? MMSGHDR_SIZE : MSGHDR_SIZE;
    const hdrs = new Uint8Array(count * stride);
    if (readMemory(tid, ptr, hdrs) !== hdrs.length) return EFAULT_DECISION;
    const view = new DataView(hdrs.buffer);
    const addrs: (Uint8Array | null)[] = [];
    for (let i = 0; i < count; i++) {
      const name = view.getBigUint64(i * stride, true);
      if (name === 0n) {
        addrs.push(null);
        continue;
      }
      const raw = this.#copy(tid, name, view.getUint32(i * stride + 8, true));
      if (!raw) return EFAULT_DECISION;
      const addr = decodeSockaddr(raw);
      if (!this.allows(addr)) return this.#deny(check, tid, pid, addr);
      addrs.push(raw);
    }
    // A connected stream socket ignores or refuses a destination: nothing to race, let it run.
    if (addrs.every((a) => a === null) && connectedStream(pid, fd)) return undefined;
    return actSendmsg(tid, pid, fd, ptr, addrs, flags, vector, "net");
  }
}

const EFAULT_DECISION: Decision = { action: "deny", errno: 14, rule: "net" };
