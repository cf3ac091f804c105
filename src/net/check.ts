/**
 * The network checks made at seccomp stops: read the destination from the
 * tracee, match it against the policy, decide.
 *
 * @module
 */

import { readMemory } from "../../ffi/memory.ts";
import type { SyscallRegisters } from "../arch/registers.ts";
import {
  actBind,
  actConnect,
  actListen,
  actSendmsg,
  actSendto,
  connectedStream,
  type ControlPolicy,
  type Guard,
  type GuardFilter,
  namelessSend,
  socketType,
} from "./act.ts";
import { guardFilter } from "./socket_filter.ts";
import { refusedOption } from "./route_options.ts";

export { refusedOption, ROUTE_OPTIONS } from "./route_options.ts";
import { describeQueries, DNS_PORT, parseDnsQuery } from "./dns.ts";
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
import { decodeSockaddr, encodeUnix, unspecAsInet } from "./sockaddr.ts";
import { resolveUnixPath } from "./unix_path.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import {
  AF,
  MMSGHDR_SIZE,
  MSGHDR_SIZE,
  SOCK,
  SOCKADDR_STORAGE_SIZE,
  UIO_MAXIOV,
} from "../../kernel/socket.ts";

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
  /**
   * What to do with a bind to 0.0.0.0 or :: (and any other non-loopback
   * address, and the binds the kernel makes implicitly): "guard" (also
   * spelled "rewrite", its former name) binds as asked with a locked socket
   * filter that admits only loopback and allowed peers; "allow" binds
   * unguarded; "deny" refuses explicit wildcard binds.
   */
  wildcardBind: "guard" | "rewrite" | "allow" | "deny";
}

/** Which call a net rule checks. */
export type NetCheck =
  | "connect"
  | "sendto"
  | "sendmsg"
  | "sendmmsg"
  | "bind"
  | "listen"
  | "socket"
  | "setsockopt";

/** A denied destination, for the one-line report. */
export interface NetDenial {
  call: NetCheck;
  /**
   * What was denied: `10.1.2.3:443`, `unix:/run/x.sock`, `AF_VSOCK`, `a raw socket`;
   * for "socket" and "setsockopt", and a refused control message, the whole phrase.
   */
  address: string;
  /** A host name of the policy that stands for this address. */
  host?: string;
  /** What the user can do about it, e.g. `allow with --allow-net=10.1.2.3:443`. */
  hint?: string;
  /** True when `address` is the whole phrase (`setsockopt SO_MARK`), not a destination. */
  phrase?: boolean;
  /**
   * For a denied DNS query: what it asked, e.g. `example.com (A, AAAA)`
   * (empty when the lookup was stopped before a query was seen).
   */
  dns?: string;
}

/**
 * The one-line report of a denial, e.g.
 * `jail: denied connect to 10.1.2.3:443 (pid 1234 curl); allow with --allow-net=10.1.2.3:443`.
 */
export function denialLine(d: NetDenial, pid: number, comm: string): string {
  const who = `${d.host ? `${d.host}, ` : ""}pid ${pid} ${comm}`;
  if (d.dns !== undefined) {
    return `jail: denied DNS lookup ${d.dns ? `of ${d.dns} ` : ""}via ${d.address} (${who})`;
  }
  const what = d.call === "socket" || d.phrase ? d.address : `${d.call} to ${d.address}`;
  return `jail: denied ${what} (${who})${d.hint ? `; ${d.hint}` : ""}`;
}

const MAX_SOCKADDR = SOCKADDR_STORAGE_SIZE;

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
  /** UDP sockets whose connect to a DNS server was denied but reported as done, by `pid:inode`. */
  readonly #lookups = new RecentMap<SocketAddress>(1024);
  /** By `pid resolver`: true while the last faked connect to it has seen no query. */
  readonly #unnamed = new RecentMap<boolean>(1024);
  /** Guarding of non-loopback and implicitly bound sockets; false under net.bind "allow". */
  readonly #guarding: boolean;
  /** The guard's socket filter (undefined: too long for one; such sockets are refused). */
  readonly #guardFilter?: GuardFilter;
  /** Called once per denied destination and process. */
  onDeny?: (tid: number, pid: number, denial: NetDenial) => void;

  /** @param policy The network policy. */
  constructor(policy: NetPolicy) {
    this.#policy = policy;
    this.#guarding = policy.wildcardBind !== "allow";
    if (this.#guarding) this.#guardFilter = guardFilter(policy);
  }

  /** True when every destination is allowed: no interface or route can lead anywhere denied. */
  get #open(): boolean {
    return this.#policy.deny.length === 0 && this.#policy.allow.some((e) => e.kind === "any");
  }

  /**
   * The guard for one call. A call refused because its socket cannot be
   * guarded (a locked filter of the tree's own on it, or a policy too long
   * for one filter) is reported.
   */
  #guard(call: NetCheck, tid: number, pid: number): Guard {
    return {
      filter: this.#guardFilter,
      refuse: () => {
        this.onDeny?.(tid, pid, {
          call,
          address: `${call} on a socket that cannot carry the guard filter`,
          phrase: true,
          hint: "it has a locked socket filter of its own, or the policy is too long for one",
        });
        return { action: "deny", errno: this.#policy.errno, rule: "net.bind" };
      },
    };
  }

  /** The guard for a call that may send from or connect a datagram socket, if the policy guards. */
  #datagramGuard(call: NetCheck, tid: number, pid: number): Guard | undefined {
    return this.#guarding ? this.#guard(call, tid, pid) : undefined;
  }

  /** How refused control messages of a call are reported. */
  #control(call: NetCheck, tid: number, pid: number): ControlPolicy {
    return {
      open: this.#open,
      errno: this.#policy.errno,
      onRefused: (what) =>
        this.onDeny?.(tid, pid, {
          call,
          address: `${call} with ${what}`,
          phrase: true,
          hint: "it could choose the packet's interface or route",
        }),
    };
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
    if (t.unplaced) return { error: this.#policy.errno, addr, also: [], bytes: raw };
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

  #deny(
    call: NetCheck,
    tid: number,
    pid: number,
    addr: SocketAddress,
    v: Verdict,
    dns?: () => string | undefined,
  ): Decision {
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
      const query = dns && isDnsServer(addr) ? dns() : undefined;
      this.onDeny(tid, pid, { call, address, host, hint, dns: query });
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
  decide(check: NetCheck, tid: number, pid: number, regs: SyscallRegisters): Decision | undefined {
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
          if (!v.allowed) {
            // A resolver's UDP socket: "connected" without connecting, so that the query that
            // follows (sendmsg/sendmmsg, which stop here) is denied and reported by name.
            const socket = isDnsServer(t.addr) ? datagramSocket(pid, fd) : undefined;
            if (socket) {
              // A lookup whose query went by send() (not stopped here) is only seen when the
              // resolver tries again: it is reported then, without a name.
              const resolver = `${pid} ${formatAddress(t.addr)}`;
              if (this.#unnamed.get(resolver) === true) {
                this.#deny("connect", tid, pid, t.addr, v, () => "");
              }
              this.#unnamed.remember(resolver, true);
              this.#lookups.remember(`${pid}:${socket}`, t.addr);
              return { action: "perform", value: 0, rule: "net" };
            }
            return this.#deny("connect", tid, pid, t.addr, v);
          }
          return actConnect(pid, fd, t.bytes, "net", this.#datagramGuard("connect", tid, pid));
        }
        const t = this.#target(tid, raw, true);
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
          const v = this.#verdict(t.addr, t.also);
          if (!v.allowed) return this.#deny("bind", tid, pid, t.addr, v);
        }
        // Bound as asked (native getsockname, dual-stack): a socket reachable from beyond
        // loopback carries the guard filter, so only loopback and allowed peers reach it.
        const guard = this.#guarding && inet && !isLoopback(t.addr);
        return actBind(pid, fd, t.bytes, guard ? this.#guard("bind", tid, pid) : undefined, "net");
      }
      case "sendto": {
        const raw = this.#copy(tid, regs.arg(4), regs.argInt(5));
        if (!raw) return EFAULT_DECISION;
        const t = this.#target(tid, raw);
        if (t.error) return { action: "deny", errno: t.error, rule: "net" };
        const v = this.#verdict(t.addr, t.also);
        if (!v.allowed) {
          return this.#deny("sendto", tid, pid, t.addr, v, () => {
            const n = Math.min(Number(regs.arg(2)), MAX_DNS_QUERY);
            const payload = new Uint8Array(Math.max(n, 0));
            if (readMemory(tid, regs.arg(1), payload) !== payload.length) return undefined;
            return describeQueries([parseDnsQuery(payload) ?? []]);
          });
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
        // Level and name are registers: nothing a sibling can change after this look.
        const refused = refusedOption(regs.argInt(1), regs.argInt(2));
        // With every destination allowed (--learn observing an open network) no route escapes.
        if (refused === undefined || this.#open) return undefined;
        this.onDeny?.(tid, pid, {
          call: "setsockopt",
          address: `setsockopt ${refused}`,
          phrase: true,
          hint: "it could choose the packet's interface or route",
        });
        return { action: "deny", errno: E_PERM, rule: "net" };
      }
      case "socket": {
        // Only AF_PACKET and SOCK_RAW sockets reach here; netlink needs SOCK_RAW for getifaddrs.
        const family = regs.argInt(0);
        const type = regs.argInt(1) & SOCK.TYPE_MASK;
        if (family === AF.NETLINK) return undefined;
        if (family === AF.PACKET || type === SOCK.RAW) {
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

  /** The DNS questions in the first buffer of each message of a sendmsg/sendmmsg. */
  #queries(tid: number, ptr: bigint, stride: number, count: number): string | undefined {
    const found = [];
    for (let i = 0; i < count; i++) {
      const hdr = new Uint8Array(MSGHDR_SIZE);
      if (readMemory(tid, ptr + BigInt(i * stride), hdr) !== MSGHDR_SIZE) break;
      const hv = new DataView(hdr.buffer);
      if (hv.getBigUint64(24, true) === 0n) continue; // no iovec
      const iov = new Uint8Array(16);
      if (readMemory(tid, hv.getBigUint64(16, true), iov) !== 16) continue;
      const iv = new DataView(iov.buffer);
      const length = iv.getBigUint64(8, true);
      const n = length > BigInt(MAX_DNS_QUERY) ? MAX_DNS_QUERY : Number(length);
      const payload = new Uint8Array(n);
      if (readMemory(tid, iv.getBigUint64(0, true), payload) !== n) continue;
      const q = parseDnsQuery(payload);
      if (q) found.push(q);
    }
    return describeQueries(found);
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
      if (!v.allowed) {
        return this.#deny(check, tid, pid, t.addr, v, () => this.#queries(tid, ptr, stride, count));
      }
      addrs.push(t.bytes);
    }
    if (addrs.every((a) => a === null) && this.#lookups.size > 0) {
      const socket = datagramSocket(pid, fd);
      const resolver = socket ? this.#lookups.get(`${pid}:${socket}`) : undefined;
      if (resolver) {
        this.#unnamed.remember(`${pid} ${formatAddress(resolver)}`, false);
        return this.#deny(
          check,
          tid,
          pid,
          resolver,
          { allowed: false },
          () => this.#queries(tid, ptr, stride, count) ?? "",
        );
      }
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
      this.#control(check, tid, pid),
      this.#datagramGuard(check, tid, pid),
    );
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

/** Enough of a datagram for the question of any query (the classic UDP limit). */
const MAX_DNS_QUERY = 512;

/** True for an IPv4/IPv6 destination on the DNS port. */
function isDnsServer(addr: SocketAddress): boolean {
  return (addr.family === "inet" || addr.family === "inet6") && addr.port === DNS_PORT;
}

/** The inode of the tracee's `fd` when it is a socket (`socket:[N]`), else undefined. */
function datagramSocket(pid: number, fd: number): string | undefined {
  try {
    const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${fd}`));
    if (!m) return undefined;
    // Only datagram sockets: a TCP resolver connection is denied at connect as usual.
    return socketType(pid, fd) === SOCK.DGRAM ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/** A map that forgets its oldest entries beyond `limit`. */
class RecentMap<V> {
  readonly #map = new Map<string, V>();
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  get size(): number {
    return this.#map.size;
  }
  get(key: string): V | undefined {
    return this.#map.get(key);
  }
  remember(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#limit) this.#map.delete(this.#map.keys().next().value!);
  }
}

const EFAULT_DECISION: Decision = { action: "deny", errno: ERRNO_NUMBERS.EFAULT, rule: "net" };
const E_PERM = ERRNO_NUMBERS.EPERM;
const ENAMETOOLONG = ERRNO_NUMBERS.ENAMETOOLONG;
