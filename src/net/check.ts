/**
 * The network checks made at seccomp stops: read the destination from the
 * tracee, match it against the policy, decide.
 *
 * @module
 */

import { readMemory } from "../../ffi/libc.ts";
import type { Registers } from "../arch/x86_64.ts";
import {
  actBind,
  actConnect,
  actListenGuard,
  actSendmsg,
  actSendto,
  connectedStream,
} from "./act.ts";
import type { Decision } from "../decision.ts";
import {
  entryMatches,
  formatAddress,
  isLoopback,
  isWildcard,
  type NetEntry,
  type SocketAddress,
  wildcardDestination,
} from "./address.ts";
import { AF, decodeSockaddr, encodeUnix, loopbackLike, unspecAsInet } from "./sockaddr.ts";
import { resolveUnixPath } from "./unix_path.ts";

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
export type NetCheck = "connect" | "sendto" | "sendmsg" | "sendmmsg" | "bind" | "listen" | "socket";

/** A denied destination, for the one-line report. */
export interface NetDenial {
  call: NetCheck;
  /** What was denied: `10.1.2.3:443`, `unix:/run/x.sock`, `AF_VSOCK`, `a raw socket`. */
  address: string;
  /** A host name of the policy that stands for this address. */
  host?: string;
  /** What the user can do about it, e.g. `allow with --allow-net=10.1.2.3:443`. */
  hint?: string;
}

/**
 * The one-line report of a denial, e.g.
 * `jail: denied connect to 10.1.2.3:443 (pid 1234 curl); allow with --allow-net=10.1.2.3:443`.
 */
export function denialLine(d: NetDenial, pid: number, comm: string): string {
  const who = `${d.host ? `${d.host}, ` : ""}pid ${pid} ${comm}`;
  const what = d.call === "socket" ? d.address : `${d.call} to ${d.address}`;
  return `jail: denied ${what} (${who})${d.hint ? `; ${d.hint}` : ""}`;
}

const MAX_SOCKADDR = 128;
const MSGHDR_SIZE = 56;
const MMSGHDR_SIZE = 64;
const UIO_MAXIOV = 1024;
const SOCK_TYPE_MASK = 0xf;
const SOCK_RAW = 3;

/**
 * Families that name something on this machine's kernel, never a network
 * peer: netlink (routing tables, getaddrinfo's interface list) and AF_ALG
 * (the kernel's crypto API). Every other family but unix, IPv4 and IPv6 —
 * AF_VSOCK (the hypervisor host), AF_TIPC, AF_RXRPC, AF_BLUETOOTH, AF_CAN… —
 * can reach another machine, and is allowed only by `*`.
 */
const LOCAL_FAMILIES: ReadonlySet<number> = new Set([AF.NETLINK, AF.ALG]);

/** The outcome of matching one destination. */
interface Verdict {
  allowed: boolean;
  /** The deny entry that matched. */
  deny?: NetEntry;
  /** What to tell the user, when the usual advice does not apply. */
  hint?: string;
}

const ALLOWED: Verdict = { allowed: true };
const UNSPEC: SocketAddress = { family: "unspec" };

/** A destination after looking at it the way the kernel will. */
interface Target {
  /** Set when the call cannot be made as asked: it fails with this errno. */
  error?: number;
  /** What the policy checks and the report names. */
  addr: SocketAddress;
  /** Other forms of the same destination that a deny entry may name (a unix path as written). */
  also: SocketAddress[];
  /** The bytes to act with. */
  bytes: Uint8Array;
}

/** Decides network calls against a {@linkcode NetPolicy}. */
export class NetChecker {
  readonly #policy: NetPolicy;
  /** Called once per denied destination and process. */
  onDeny?: (tid: number, pid: number, denial: NetDenial) => void;

  /** @param policy The network policy. */
  constructor(policy: NetPolicy) {
    this.#policy = policy;
  }

  #verdict(addr: SocketAddress, also: readonly SocketAddress[] = []): Verdict {
    if (addr.family === "unspec") return ALLOWED;
    if (addr.family === "other") {
      if (LOCAL_FAMILIES.has(addr.number)) return ALLOWED;
      // Too short to be read as IPv4/IPv6: the kernel refuses it (EINVAL) when the call is made.
      if (addr.number === AF.INET || addr.number === AF.INET6) return ALLOWED;
    }
    const p = this.#policy;
    // 0.0.0.0 and :: as a destination mean this machine: they are checked as loopback too.
    const local = wildcardDestination(addr);
    const forms = local ? [addr, local] : [addr];
    const deny = p.deny.find((e) =>
      forms.some((a) => entryMatches(e, a)) || also.some((a) => entryMatches(e, a))
    );
    if (deny) return { allowed: false, deny };
    if (p.allow.some((e) => forms.some((a) => entryMatches(e, a)))) return ALLOWED;
    if (addr.family === "unix") return { allowed: p.unix };
    if (addr.family === "other") return { allowed: false };
    return { allowed: p.loopback && forms.some(isLoopback) };
  }

  /** True when `addr` may be reached. */
  allows(addr: SocketAddress): boolean {
    return this.#verdict(addr).allowed;
  }

  /** Copies a sockaddr out of the tracee: the bytes that are checked are the bytes that are used. */
  #copy(tid: number, ptr: bigint, len: number): Uint8Array | undefined {
    const n = Math.min(Math.max(len, 0), MAX_SOCKADDR);
    const buf = new Uint8Array(n);
    const got = n === 0 ? 0 : readMemory(tid, ptr, buf);
    return got === n ? buf : undefined;
  }

  /**
   * The destination `raw` as the kernel will take it: a unix path resolved
   * where the tracee stands (and symlinks followed); an AF_UNSPEC address,
   * which an IPv4 datagram socket sends to as if it were AF_INET, checked as
   * that address.
   */
  #target(tid: number, raw: Uint8Array, forBind = false): Target {
    const addr = decodeSockaddr(raw);
    if (addr.family === "unspec") {
      const inet = unspecAsInet(raw);
      return { addr: inet ?? addr, also: [], bytes: raw };
    }
    if (addr.family !== "unix" || addr.abstract || addr.path === "") {
      return { addr, also: [], bytes: raw };
    }
    const t = resolveUnixPath(tid, addr.path, forBind);
    const real: SocketAddress = { family: "unix", abstract: false, path: t.real ?? t.written };
    const written: SocketAddress = { family: "unix", abstract: false, path: t.written };
    // Too long for sun_path as a real path: the written one, resolvable from here, or none.
    let bytes = encodeUnix(t.use) ?? encodeUnix(t.anywhere) ??
      (addr.path.startsWith("/") ? raw : undefined);
    if (!bytes) return { error: ENAMETOOLONG, addr: real, also: [written], bytes: raw };
    if (forBind && t.real !== undefined) {
      // Keep the caller's own bytes where they mean the same place: getsockname() then shows them.
      const same = addr.path.startsWith("/")
        ? t.real === addr.path
        : realCwd(tid) === realCwd(undefined);
      if (same) bytes = raw;
    }
    return { addr: real, also: [written], bytes };
  }

  #deny(call: NetCheck, tid: number, pid: number, addr: SocketAddress, v: Verdict): Decision {
    if (this.onDeny) {
      const address = formatAddress(addr);
      const host = this.#hostOf(addr);
      let hint: string | undefined;
      if (v.hint) hint = v.hint;
      else if (v.deny) hint = `it matches the deny entry ${v.deny.source}`;
      else if (addr.family === "other") {
        hint = this.#policy.deny.length === 0
          ? "only --allow-net with no list (every destination) allows this family"
          : undefined;
      } else {
        const port = addr.family === "inet" || addr.family === "inet6" ? `:${addr.port}` : "";
        hint = `allow with --allow-net=${host ? `${host}${port}` : address}`;
      }
      this.onDeny(tid, pid, { call, address, host, hint });
    }
    return { action: "deny", errno: this.#policy.errno, rule: "net" };
  }

  /** A host name from the policy's lists that resolved to this IP (any port). */
  #hostOf(addr: SocketAddress): string | undefined {
    if (addr.family !== "inet" && addr.family !== "inet6") return undefined;
    for (const e of [...this.#policy.deny, ...this.#policy.allow]) {
      if (e.kind === "ip" && e.host && entryMatches({ ...e, ports: undefined }, addr)) {
        return e.host;
      }
    }
    return undefined;
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
        const fd = regs.argInt(0);
        if (check === "connect") {
          // AF_UNSPEC dissolves an association whatever follows it: no destination to check.
          const t = raw.length >= 2 && (raw[0] | raw[1]) === AF.UNSPEC
            ? { addr: UNSPEC, also: [], bytes: raw }
            : this.#target(tid, raw);
          if (t.error) return { action: "deny", errno: t.error, rule: "net" };
          const v = this.#verdict(t.addr, t.also);
          if (!v.allowed) return this.#deny("connect", tid, pid, t.addr, v);
          return actConnect(pid, fd, t.bytes, "net", regs);
        }
        const t = this.#target(tid, raw, true);
        if (t.error) return { action: "deny", errno: t.error, rule: "net" };
        let bytes = t.bytes;
        if (isWildcard(t.addr)) {
          if (this.#policy.wildcardBind === "deny") {
            return this.#deny("bind", tid, pid, t.addr, {
              allowed: false,
              hint: 'net.bind is "deny": bind to 127.0.0.1 or ::1',
            });
          }
          // Test servers keep working and are never exposed.
          if (this.#policy.wildcardBind === "rewrite") bytes = loopbackLike(raw);
        } else if (!isLoopback(t.addr)) {
          const v = this.#verdict(t.addr, t.also);
          if (!v.allowed) return this.#deny("bind", tid, pid, t.addr, v);
        }
        return actBind(pid, fd, bytes, bytes === t.bytes ? "net" : "net.bind");
      }
      case "sendto": {
        const raw = this.#copy(tid, regs.arg(4), regs.argInt(5));
        if (!raw) return EFAULT_DECISION;
        const t = this.#target(tid, raw);
        if (t.error) return { action: "deny", errno: t.error, rule: "net" };
        const v = this.#verdict(t.addr, t.also);
        if (!v.allowed) return this.#deny("sendto", tid, pid, t.addr, v);
        return actSendto(
          tid,
          pid,
          regs.argInt(0),
          regs.arg(1),
          Number(regs.arg(2)),
          regs.argInt(3),
          t.bytes,
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
      case "listen":
        return actListenGuard(pid, regs.argInt(0), this.#policy.wildcardBind, this.#policy.errno);
      case "socket": {
        // Only AF_PACKET and SOCK_RAW sockets reach here; netlink needs SOCK_RAW for getifaddrs.
        const family = regs.argInt(0);
        const type = regs.argInt(1) & SOCK_TYPE_MASK;
        if (family === AF.NETLINK) return undefined;
        if (family === AF.PACKET || type === SOCK_RAW) {
          const p = this.#policy;
          const open = p.allow.some((e) => e.kind === "any");
          if (open && p.deny.length === 0) return undefined;
          this.onDeny?.(tid, pid, {
            call: "socket",
            address: family === AF.PACKET ? "a packet socket (AF_PACKET)" : "a raw socket",
            hint: p.deny.length === 0
              ? "raw sockets need --allow-net with no list (every destination)"
              : undefined,
          });
          return { action: "deny", errno: p.errno, rule: "net" };
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
      const t = this.#target(tid, raw);
      if (t.error) return { action: "deny", errno: t.error, rule: "net" };
      const v = this.#verdict(t.addr, t.also);
      if (!v.allowed) return this.#deny(check, tid, pid, t.addr, v);
      addrs.push(t.bytes);
    }
    // A connected stream socket ignores or refuses a destination: nothing to race, let it run.
    if (addrs.every((a) => a === null) && connectedStream(pid, fd)) return undefined;
    return actSendmsg(tid, pid, fd, ptr, addrs, flags, vector, "net");
  }
}

/** The real working directory of a thread, or of this process (undefined). */
function realCwd(tid: number | undefined): string | undefined {
  try {
    return tid === undefined ? Deno.realPathSync(".") : Deno.readLinkSync(`/proc/${tid}/cwd`);
  } catch {
    return undefined;
  }
}

const EFAULT_DECISION: Decision = { action: "deny", errno: 14, rule: "net" };
const ENAMETOOLONG = 36;
