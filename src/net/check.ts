/**
 * The network checks made at seccomp stops: read the destination from the
 * tracee, match it against the policy, decide. An allowed call that carries
 * a destination is performed by the supervisor (`act.ts`, `act_send.ts`).
 *
 * @module
 */

import { readMemory } from "../../ffi/memory.ts";
import type { SyscallRegisters } from "../arch/registers.ts";
import { actBind, actConnect, actListen } from "./act.ts";
import { actSendmsg, actSendto, connectedStream, namelessSend } from "./act_send.ts";
import { controlPolicy } from "./cmsg.ts";
import { callGuard, type Guard, type GuardFilter } from "./guard.ts";
import { guardFilter } from "./socket_filter.ts";
import { openPolicy, optionDenial, socketDenial } from "./socket_rules.ts";
import { isDnsServer } from "./dns.ts";
import { FakedLookups, sendmsgQueries, sendtoQuery } from "./dns_lookups.ts";
import type { Decision } from "../decision.ts";
import { isLoopback, isWildcard, type SocketAddress } from "./address.ts";
import { destinationDenial, type NetDenial, type Refusal } from "./denial.ts";
import type { NetCheck, NetPolicy } from "./policy.ts";
import { copySockaddr, readTarget, type Target } from "./target.ts";
import { type Verdict, verdict } from "./verdict.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { AF, MMSGHDR_SIZE, MSGHDR_SIZE, SOCK, UIO_MAXIOV } from "../../kernel/socket.ts";

const UNSPEC: SocketAddress = { family: "unspec" };
const EFAULT_DECISION: Decision = { action: "deny", errno: ERRNO_NUMBERS.EFAULT, rule: "net" };
const E_PERM = ERRNO_NUMBERS.EPERM;

/** Decides network calls against a {@linkcode NetPolicy}. */
export class NetChecker {
  readonly #policy: NetPolicy;
  /** Resolvers' sockets whose denied connect was reported as done. */
  readonly #lookups = new FakedLookups();
  /** Guarding of non-loopback and implicitly bound sockets; false under net.bind "allow". */
  readonly #guarding: boolean;
  /**
   * The guard's socket filter (undefined: too long for one; such sockets are refused), built at
   * the first call that needs it: most runs make none, and it costs about 0.2 ms to build.
   */
  #guardFilter?: { filter: GuardFilter };
  /** Called once per denied destination and process. */
  onDeny?: (tid: number, pid: number, denial: NetDenial) => void;

  /** @param policy The network policy. */
  constructor(policy: NetPolicy) {
    this.#policy = policy;
    this.#guarding = policy.wildcardBind !== "allow";
  }

  /** Where the refusals of one call go: its errno, and {@linkcode NetChecker.onDeny}. */
  #refusal(call: NetCheck, tid: number, pid: number): Refusal {
    return { call, errno: this.#policy.errno, report: (d) => this.onDeny?.(tid, pid, d) };
  }

  /** The guard for one call; a call refused because its socket cannot carry it is reported. */
  #guard(call: NetCheck, tid: number, pid: number): Guard {
    this.#guardFilter ??= { filter: guardFilter(this.#policy) };
    return callGuard(this.#guardFilter.filter, this.#refusal(call, tid, pid));
  }

  /** The guard for a call that may send from or connect a datagram socket, if the policy guards. */
  #datagramGuard(call: NetCheck, tid: number, pid: number): Guard | undefined {
    return this.#guarding ? this.#guard(call, tid, pid) : undefined;
  }

  /** True when `addr` may be reached. */
  allows(addr: SocketAddress): boolean {
    return verdict(this.#policy, addr).allowed;
  }

  #deny(
    call: NetCheck,
    tid: number,
    pid: number,
    addr: SocketAddress,
    v: Verdict,
    dns?: () => string | undefined,
  ): Decision {
    this.onDeny?.(tid, pid, destinationDenial(this.#policy, call, addr, v, dns));
    return { action: "deny", errno: this.#policy.errno, rule: "net" };
  }

  /**
   * Decides one stopped network call. An allowed call that carries a
   * destination is performed here on a duplicate of the tracee's socket (see
   * `act.ts`), so a sibling rewriting the address after the check changes
   * nothing.
   */
  decide(check: NetCheck, tid: number, pid: number, regs: SyscallRegisters): Decision | undefined {
    switch (check) {
      case "connect":
      case "bind": {
        const raw = copySockaddr(tid, regs.arg(1), regs.argInt(2));
        if (!raw) return EFAULT_DECISION;
        const fd = regs.argInt(0);
        return check === "connect"
          ? this.#connect(tid, pid, fd, raw)
          : this.#bind(tid, pid, fd, raw);
      }
      case "sendto": {
        const d = this.#destination(tid, regs.arg(4), regs.argInt(5));
        if ("action" in d) return d;
        const { target: t, verdict: v } = d;
        if (!v.allowed) {
          return this.#deny(
            "sendto",
            tid,
            pid,
            t.addr,
            v,
            () => sendtoQuery(tid, regs.arg(1), Number(regs.arg(2))),
          );
        }
        return actSendto(
          tid,
          pid,
          regs.argInt(0),
          regs.arg(1),
          Number(regs.arg(2)),
          regs.argInt(3),
          t.bytes,
          "net",
          this.#datagramGuard("sendto", tid, pid),
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
      case "listen": {
        const p = this.#policy;
        const denyWildcard: Decision | undefined = p.wildcardBind === "deny"
          ? { action: "deny", errno: p.errno, rule: "net" }
          : undefined;
        return actListen(
          pid,
          regs.argInt(0),
          regs.argInt(1),
          this.#guard("listen", tid, pid),
          denyWildcard,
        );
      }
      case "setsockopt": {
        const denial = optionDenial(this.#policy, regs.argInt(1), regs.argInt(2));
        if (!denial) return undefined;
        this.onDeny?.(tid, pid, denial);
        return { action: "deny", errno: E_PERM, rule: "net" };
      }
      case "socket": {
        const type = regs.argInt(1) & SOCK.TYPE_MASK;
        const denial = socketDenial(this.#policy, regs.argInt(0), type);
        if (!denial) return undefined;
        this.onDeny?.(tid, pid, denial);
        return { action: "deny", errno: this.#policy.errno, rule: "net" };
      }
    }
  }

  /**
   * The destination at `ptr` (`len` bytes) read from the tracee and matched:
   * its target and verdict, or the decision that refuses the call (unreadable, or unplaceable).
   */
  #destination(
    tid: number,
    ptr: bigint,
    len: number,
  ): Decision | { target: Target; verdict: Verdict } {
    const raw = copySockaddr(tid, ptr, len);
    if (!raw) return EFAULT_DECISION;
    const t = readTarget(tid, raw, this.#policy.errno);
    if (t.error) return { action: "deny", errno: t.error, rule: "net" };
    return { target: t, verdict: verdict(this.#policy, t.addr, t.also) };
  }

  #connect(tid: number, pid: number, fd: number, raw: Uint8Array): Decision {
    // AF_UNSPEC dissolves an association whatever follows it: no destination to check.
    const t = raw.length >= 2 && (raw[0] | raw[1]) === AF.UNSPEC
      ? { addr: UNSPEC, also: [], bytes: raw }
      : readTarget(tid, raw, this.#policy.errno);
    if (t.error) return { action: "deny", errno: t.error, rule: "net" };
    const v = verdict(this.#policy, t.addr, t.also);
    if (!v.allowed) {
      // A resolver's UDP socket: "connected" without connecting, so that the query that
      // follows (sendmsg/sendmmsg, which stop here) is denied and reported by name.
      const faked = isDnsServer(t.addr) ? this.#lookups.fakeConnect(pid, fd, t.addr) : undefined;
      if (faked !== undefined) {
        // A lookup whose query went by send() (not stopped here) is only seen when the
        // resolver tries again: it is reported then, without a name.
        if (faked) this.#deny("connect", tid, pid, t.addr, v, () => "");
        return { action: "perform", value: 0, rule: "net" };
      }
      return this.#deny("connect", tid, pid, t.addr, v);
    }
    return actConnect(pid, fd, t.bytes, "net", this.#datagramGuard("connect", tid, pid));
  }

  #bind(tid: number, pid: number, fd: number, raw: Uint8Array): Decision {
    const t = readTarget(tid, raw, this.#policy.errno, true);
    if (t.error) return { action: "deny", errno: t.error, rule: "net" };
    const inet = t.addr.family === "inet" || t.addr.family === "inet6";
    if (isWildcard(t.addr)) {
      if (this.#policy.wildcardBind === "deny") {
        return this.#deny("bind", tid, pid, t.addr, {
          allowed: false,
          hint: 'net.bind is "deny": bind to 127.0.0.1 or ::1',
        });
      }
    } else if (!isLoopback(t.addr)) {
      const v = verdict(this.#policy, t.addr, t.also);
      if (!v.allowed) return this.#deny("bind", tid, pid, t.addr, v);
    }
    // Bound as asked (native getsockname, dual-stack): a socket reachable from beyond
    // loopback carries the guard filter, so only loopback and allowed peers reach it.
    const guard = this.#guarding && inet && !isLoopback(t.addr);
    return actBind(pid, fd, t.bytes, guard ? this.#guard("bind", tid, pid) : undefined, "net");
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
      const d = this.#destination(tid, name, view.getUint32(i * stride + 8, true));
      if ("action" in d) return d;
      const { target: t, verdict: v } = d;
      if (!v.allowed) {
        return this.#deny(
          check,
          tid,
          pid,
          t.addr,
          v,
          () => sendmsgQueries(tid, ptr, stride, count),
        );
      }
      addrs.push(t.bytes);
    }
    const resolver = addrs.every((a) => a === null) ? this.#lookups.resolverOf(pid, fd) : undefined;
    if (resolver) {
      return this.#deny(
        check,
        tid,
        pid,
        resolver,
        { allowed: false },
        () => sendmsgQueries(tid, ptr, stride, count) ?? "",
      );
    }
    if (!vector && addrs[0] === null && connectedStream(pid, fd)) {
      // Left to the kernel as a call with no address in it (registers cannot be raced).
      const nameless = namelessSend(tid, hdrs, flags, "net");
      if (nameless) return nameless;
    }
    return actSendmsg(
      tid,
      pid,
      fd,
      ptr,
      addrs,
      flags,
      vector,
      "net",
      controlPolicy(openPolicy(this.#policy), this.#refusal(check, tid, pid)),
      this.#datagramGuard(check, tid, pid),
    );
  }
}
