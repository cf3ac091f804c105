/**
 * Network calls performed by the supervisor on the tracee's behalf.
 *
 * Checking a `sockaddr` in tracee memory and then letting the kernel read it
 * again leaves a window: a sibling thread (or another process sharing the
 * memory) can rewrite the address after the check. So an allowed call is not
 * resumed: the supervisor takes a duplicate of the tracee's socket with
 * `pidfd_getfd`, performs the call itself with the address bytes it checked
 * (its own copy), and the tracee's syscall is skipped with that result.
 *
 * A blocking TCP connect keeps its blocking semantics without blocking the
 * supervisor: it is started here non-blocking, and the tracee's call is turned
 * into `sendto(fd, NULL, 0, MSG_NOSIGNAL, NULL, 0)`, which waits for that
 * connection to be established or to fail exactly as a blocking connect
 * would (same SO_SNDTIMEO, same signals, same error), sends nothing, and
 * carries no address. Letting the tracee's own connect wait instead is not
 * safe: the kernel ignores its address only while the socket is marked
 * "connecting", and a sibling's `shutdown()` on a socket still in SYN_SENT
 * clears that mark, so the resumed connect would start over towards whatever
 * address is in memory by then (c/net_race.c, tcp-shutdown mode).
 * Two visible differences remain: a connect that runs out of SO_SNDTIMEO
 * fails with EAGAIN rather than EINPROGRESS (socket(7) allows both for a
 * timeout), and a second connect on the established socket returns 0
 * rather than EISCONN, as it does after a non-blocking connect.
 *
 * Binds are made as asked (0.0.0.0 and :: stay wildcards, so getsockname and
 * dual-stack behave natively); an inet socket that can be reached from beyond
 * loopback — bound to a non-loopback address, auto-bound by `listen`, or a
 * datagram socket the kernel would auto-bind at its first send — first gets
 * the guard filter of `socket_filter.ts`, locked, so only loopback and
 * allowed peers reach it. A socket that cannot be guarded is refused.
 *
 * Every failure here (a descriptor that cannot be borrowed, memory that
 * cannot be read, an option that cannot be set) refuses the call.
 *
 * @module
 */

import { addressOf } from "../../ffi/libc.ts";
import {
  bindSocket,
  connectSocket,
  isConnectedStream,
  sendMsg,
  sendTo,
  socketName,
} from "../../ffi/socket.ts";
import { close, getFileFlags, setFileFlags } from "../../ffi/io.ts";
import { O } from "../../kernel/fcntl.ts";
import { pidfdGetfd, pidfdOpen } from "../../ffi/process.ts";
import { readMemory, writeMemory } from "../../ffi/memory.ts";
import {
  attachedFilter,
  attachFilter,
  awaitConnection,
  getIntOption,
  INSPECTOR_ADDRESS,
  interfaceIndex,
  listenSocket,
  setIntOption,
} from "../../ffi/socket.ts";
import {
  AF,
  CMSG_HEADER_SIZE,
  IN6_PKTINFO_IFINDEX,
  IN6_PKTINFO_SIZE,
  IN_PKTINFO_SIZE,
  IP,
  IPPROTO,
  IPV6,
  MMSGHDR_SIZE,
  MSG,
  MSGHDR_SIZE,
  SCM,
  SO,
  SOCK,
  SOL,
  UDP_SEGMENT,
  UIO_MAXIOV,
} from "../../kernel/socket.ts";
import { ActingAs } from "./acting_caps.ts";
import { wildcardLike } from "./sockaddr.ts";
import type { Decision } from "../decision.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";

const { EAGAIN, EFAULT, EINPROGRESS, EINVAL, EMSGSIZE, EPERM } = ERRNO_NUMBERS;
const SYS_SENDTO = HOST_ARCH.numbers.sendto;
const SYS_WRITEV = HOST_ARCH.numbers.writev;
const MAX_PAYLOAD = 4 << 20;
const MAX_CONTROL = 64 << 10;

/**
 * Makes `call` (a socket call on the tracee's behalf) with this thread's
 * capabilities narrowed to the tracee's, so the kernel's capability checks
 * (netlink, SCM_CREDENTIALS, ports below 1024) judge the tree, not jail.
 */
function asTracee(pid: number, call: () => number): number {
  using acting = new ActingAs(pid);
  return acting.error || call();
}

/** The call was made here (or could not be): the tracee's is skipped and sees `rc`. */
function result(rc: number, rule: string): Decision {
  return { action: "perform", value: rc, rule };
}

/** A duplicate of a tracee's descriptor, held for one call. */
class Borrowed {
  readonly fd: number;
  readonly #pidfd: number;
  readonly error: number;

  constructor(pid: number, fd: number) {
    this.#pidfd = pidfdOpen(pid);
    if (this.#pidfd < 0) {
      this.fd = -1;
      this.error = this.#pidfd;
      return;
    }
    this.fd = pidfdGetfd(this.#pidfd, fd);
    this.error = this.fd < 0 ? this.fd : 0;
  }

  [Symbol.dispose](): void {
    if (this.fd >= 0) close(this.fd);
    if (this.#pidfd >= 0) close(this.#pidfd);
  }
}

/**
 * Turns the stopped connect into `sendto(fd, NULL, 0, MSG_NOSIGNAL, NULL, 0)`:
 * it blocks until the connection started here is established (returns 0) or
 * fails (returns its error), and names no destination.
 */
export function waitForConnection(rule: string): Decision {
  return {
    action: "replace",
    nr: SYS_SENDTO,
    args: { 1: 0n, 2: 0n, 3: MSG.NOSIGNAL, 4: 0n, 5: 0n },
    rule,
  };
}

/** How long the supervisor waits for a non-IP connection before refusing it (ETIMEDOUT). */
const CONNECT_WAIT_MS = 10_000;

/**
 * Connects the tracee's socket `fd` to `addr` (bytes already checked).
 *
 * @returns A decision: skip with the result, or (blocking TCP) wait without an address
 *   for the connection started here (see {@linkcode waitForConnection}).
 */
export function actConnect(
  pid: number,
  fd: number,
  addr: Uint8Array,
  rule: string,
  guard?: Guard,
): Decision {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, rule);
  if (guard) {
    // Disconnecting (AF_UNSPEC) puts a UDP socket back on 0.0.0.0, whatever it was bound to.
    const unspec = addr.length >= 2 && (addr[0] | (addr[1] << 8)) === AF.UNSPEC;
    const rc = guardDatagram(sock.fd, guard.filter, unspec);
    if (rc !== 0) return guard.refuse();
  }
  const flags = getFileFlags(sock.fd);
  if (flags < 0) return result(flags, rule);
  const blocking = (flags & O.NONBLOCK) === 0;
  if (blocking) {
    // Connecting with the socket still blocking would stall the supervisor: refuse instead.
    const set = setFileFlags(sock.fd, flags | O.NONBLOCK);
    if (set !== 0) return result(set, rule);
  }
  let rc = asTracee(pid, () => connectSocket(sock.fd, addr));
  if (blocking) setFileFlags(sock.fd, flags);
  if (rc === -EINPROGRESS && blocking) {
    const family = addr[0] | (addr[1] << 8);
    if (family === AF.INET || family === AF.INET6) return waitForConnection(rule);
    // Other families (vsock…): letting the tracee's own connect wait would let a sibling swap
    // an IP socket in under the descriptor number and point the address elsewhere. Wait here
    // (the supervisor stalls for as long as the family's connect timeout, a rare case).
    return result(awaitConnection(sock.fd, CONNECT_WAIT_MS), rule);
  }
  if (rc === -EAGAIN && blocking) {
    // A unix listener with a full backlog: a blocking caller expects to wait for it.
    rc = asTracee(pid, () => connectSocket(sock.fd, addr));
  }
  return result(rc, rule);
}

/** What the guard needs: the packed socket filter, or none when it cannot be built. */
export type GuardFilter = Uint8Array | undefined;

/** Guarding of the sockets of one call: those reachable from beyond loopback. */
export interface Guard {
  /** The packed guard filter (undefined: too long to attach; such sockets are refused). */
  filter: GuardFilter;
  /** Reports the call refused because its socket cannot carry the guard, and denies it. */
  refuse(): Decision;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** True when `fd` carries exactly `filter`, locked. */
function guarded(fd: number, filter: Uint8Array): boolean {
  if (getIntOption(fd, SOL.SOCKET, SO.LOCK_FILTER) !== 1) return false;
  const attached = attachedFilter(fd);
  return typeof attached !== "number" && sameBytes(attached, filter);
}

/**
 * Puts the guard filter on the socket and locks it (SO_LOCK_FILTER), so
 * nothing in the tree can detach or replace it. A socket that already
 * carries a locked filter is accepted only if that filter is exactly ours.
 * The result is checked after the lock, so a sibling that swaps in its own
 * filter between the two setsockopts is caught.
 *
 * @returns 0, or `-errno` (EPERM: someone else's filter is locked there).
 */
export function ensureGuard(fd: number, filter: GuardFilter): number {
  if (!filter) return -EPERM;
  if (guarded(fd, filter)) return 0;
  const rc = attachFilter(fd, filter);
  if (rc !== 0 && rc !== -EPERM) return rc;
  if (rc === 0) {
    const locked = setIntOption(fd, SOL.SOCKET, SO.LOCK_FILTER, 1);
    if (locked !== 0) return locked;
  }
  return guarded(fd, filter) ? 0 : -EPERM;
}

/** The socket's family (SO_DOMAIN) and type (SO_TYPE), or `-errno`. */
function kindOf(fd: number): { domain: number; type: number } | number {
  const domain = getIntOption(fd, SOL.SOCKET, SO.DOMAIN);
  if (domain < 0) return domain;
  const type = getIntOption(fd, SOL.SOCKET, SO.TYPE);
  if (type < 0) return type;
  return { domain, type };
}

/** Local address of an inet socket: its port and whether its address is loopback. */
function localOf(fd: number): { port: number; loopback: boolean } | number {
  const name = socketName(fd);
  if (typeof name === "number") return name;
  const family = name.length >= 2 ? name[0] | (name[1] << 8) : -1;
  if (family === AF.INET && name.length >= 8) {
    return { port: (name[2] << 8) | name[3], loopback: name[4] === 127 };
  }
  if (family === AF.INET6 && name.length >= 24) {
    const ip = name.subarray(8, 24);
    const mapped = ip.subarray(0, 12).every((b, i) => b === (i >= 10 ? 0xff : 0));
    const loopback = mapped ? ip[12] === 127 : ip.every((b, i) => b === (i === 15 ? 1 : 0));
    return { port: (name[2] << 8) | name[3], loopback };
  }
  return -EINVAL;
}

/**
 * Before the supervisor sends or connects on a datagram socket: an unbound
 * inet datagram socket would be bound by the kernel to the wildcard address
 * (and a connected one falls back to it when disconnected), reachable from
 * anywhere. Bind it to its family's wildcard, port 0, ourselves, with the
 * guard filter locked on it first; a datagram socket bound to any
 * non-loopback address must carry the guard too.
 *
 * @returns 0 or `-errno` (the call must then be refused).
 */
function guardDatagram(fd: number, filter: GuardFilter, always = false): number {
  const kind = kindOf(fd);
  if (typeof kind === "number") return kind;
  if ((kind.domain !== AF.INET && kind.domain !== AF.INET6) || kind.type !== SOCK.DGRAM) return 0;
  const local = localOf(fd);
  if (typeof local === "number") return local;
  if (local.loopback && !always) return 0;
  const rc = ensureGuard(fd, filter);
  if (rc !== 0 || local.port !== 0) return rc;
  return bindSocket(fd, wildcardLike(kind.domain));
}

/**
 * `listen`, performed here on the tracee's socket. A never-bound inet socket
 * would be bound by the kernel to the wildcard address: bind it to that
 * wildcard ourselves (port 0; IPV6_V6ONLY stays as the socket has it) with
 * the guard filter locked on first, or refuse under net.bind "deny". A socket
 * bound to a non-loopback address must carry the guard. The listen itself is
 * made here too: letting the tracee's call run would let a sibling swap
 * another socket in under the same descriptor number after the check.
 *
 * @param denyWildcard The refusal of an implicit wildcard bind (net.bind "deny"), if refused.
 */
export function actListen(
  pid: number,
  fd: number,
  backlog: number,
  guard: Guard,
  denyWildcard?: Decision,
): Decision {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, "net");
  const kind = kindOf(sock.fd);
  if (typeof kind === "number") return result(kind, "net");
  if (kind.domain === AF.INET || kind.domain === AF.INET6) {
    const local = localOf(sock.fd);
    if (typeof local === "number") return result(local, "net");
    if (local.port === 0) {
      if (denyWildcard) return denyWildcard;
      if (ensureGuard(sock.fd, guard.filter) !== 0) return guard.refuse();
      const rc = bindSocket(sock.fd, wildcardLike(kind.domain));
      if (rc !== 0) return result(rc, "net");
    } else if (!local.loopback && ensureGuard(sock.fd, guard.filter) !== 0) {
      return guard.refuse();
    }
  }
  return result(listenSocket(sock.fd, backlog), "net");
}

/**
 * A sendmsg without a destination on a connected TCP, MPTCP or unix stream
 * socket, turned into a call that carries no destination at all: one buffer
 * becomes `sendto(fd, base, len, flags, NULL, 0)`, several (with no flags)
 * `writev(fd, iov, n)`; MSG_FASTOPEN is dropped. Letting the sendmsg itself
 * run would let a sibling swap another socket (a UDP one, say) in under the
 * same descriptor number and point msg_name at a denied address before the
 * kernel reads it; the new call's registers name no address, whatever the
 * descriptor turns out to be. Undefined when the message carries control
 * messages or flags with several buffers: then it is performed here.
 *
 * @param msghdr The `struct msghdr` as read at the check.
 */
export function namelessSend(
  tid: number,
  msghdr: Uint8Array,
  flags: number,
  rule: string,
): Decision | undefined {
  const v = new DataView(msghdr.buffer, msghdr.byteOffset, MSGHDR_SIZE);
  if (v.getBigUint64(40, true) !== 0n) return undefined;
  const iovPtr = v.getBigUint64(16, true);
  const iovLen = v.getBigUint64(24, true);
  const kept = (flags & ~MSG.FASTOPEN) >>> 0;
  if (iovLen === 1n) {
    const iov = new Uint8Array(16);
    if (readMemory(tid, iovPtr, iov) !== 16) return result(-EFAULT, rule);
    const iv = new DataView(iov.buffer);
    const args = {
      1: iv.getBigUint64(0, true),
      2: iv.getBigUint64(8, true),
      3: kept,
      4: 0n,
      5: 0n,
    };
    return { action: "replace", nr: SYS_SENDTO, args, rule };
  }
  if (kept !== 0) return undefined;
  return { action: "replace", nr: SYS_WRITEV, args: { 1: iovPtr, 2: iovLen }, rule };
}

/** The SO_TYPE of the tracee's socket `fd`, or `-errno`. */
export function socketType(pid: number, fd: number): number {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return sock.error;
  return getIntOption(sock.fd, SOL.SOCKET, SO.TYPE);
}

/**
 * True when the tracee's `fd` is a connected TCP, MPTCP or unix stream
 * socket: the kernel ignores (TCP, MPTCP without MSG_FASTOPEN) or refuses
 * (unix) a destination given to sendmsg on it, even if a sibling disconnects
 * it first. Other stream protocols (SCTP) may act on a destination.
 */
export function connectedStream(pid: number, fd: number): boolean {
  using sock = new Borrowed(pid, fd);
  if (sock.error !== 0) return false;
  const kind = kindOf(sock.fd);
  if (typeof kind === "number" || kind.type !== SOCK.STREAM) return false;
  if (kind.domain !== AF.UNIX) {
    if (kind.domain !== AF.INET && kind.domain !== AF.INET6) return false;
    const protocol = getIntOption(sock.fd, SOL.SOCKET, SO.PROTOCOL);
    if (protocol !== IPPROTO.TCP && protocol !== IPPROTO.MPTCP) return false;
  }
  return isConnectedStream(sock.fd);
}

/**
 * Binds the tracee's socket `fd` to `addr` (checked), exactly as asked. An
 * inet socket bound to anything but loopback gets the guard filter, locked,
 * before the bind: only loopback and allowed peers can reach it.
 *
 * @param guard Given when the address is not loopback and the policy guards such binds.
 */
export function actBind(
  pid: number,
  fd: number,
  addr: Uint8Array,
  guard: Guard | undefined,
  rule: string,
): Decision {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, rule);
  if (guard) {
    const kind = kindOf(sock.fd);
    if (typeof kind === "number") return result(kind, rule);
    if (
      (kind.domain === AF.INET || kind.domain === AF.INET6) &&
      ensureGuard(sock.fd, guard.filter) !== 0
    ) {
      return guard.refuse();
    }
  }
  if (onInspectorPort(addr)) {
    // jail holds this port (without listening) so that Deno's SIGUSR1 inspector cannot open
    // (ffi/inspector_guard.ts); a program of the tree that wants it (`node --inspect`) shares
    // it with that hold through SO_REUSEPORT, which Deno's own inspector socket never sets.
    const rc = setIntOption(sock.fd, SOL.SOCKET, SO.REUSEPORT, 1);
    if (rc < 0) return result(rc, rule);
  }
  return result(asTracee(pid, () => bindSocket(sock.fd, addr)), rule);
}

/** True for an IPv4 or IPv6 address on the port of Deno's inspector, which jail holds. */
function onInspectorPort(addr: Uint8Array): boolean {
  if (addr.length < 4) return false;
  const family = addr[0] | (addr[1] << 8);
  return (family === AF.INET || family === AF.INET6) &&
    ((addr[2] << 8) | addr[3]) === INSPECTOR_ADDRESS.port;
}

/** Sends with an explicit destination, with the tracee's flags; waits only if the socket is blocking. */
function sendBlockingAware(fd: number, flags: number, send: (flags: number) => number): number {
  const fileFlags = getFileFlags(fd);
  let rc = send(flags | MSG.DONTWAIT);
  if (
    rc === -EAGAIN && fileFlags >= 0 && (fileFlags & O.NONBLOCK) === 0 &&
    (flags & MSG.DONTWAIT) === 0
  ) {
    rc = send(flags);
  }
  return rc;
}

/** sendto with a destination, performed here. */
export function actSendto(
  tid: number,
  pid: number,
  fd: number,
  buf: bigint,
  len: number,
  flags: number,
  addr: Uint8Array,
  rule: string,
  guard?: Guard,
): Decision {
  if (len > MAX_PAYLOAD) return result(-EMSGSIZE, rule);
  const data = new Uint8Array(len);
  if (len > 0 && readMemory(tid, buf, data) !== len) return result(-EFAULT, rule);
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, rule);
  if (guard && guardDatagram(sock.fd, guard.filter) !== 0) return guard.refuse();
  return result(
    sendBlockingAware(sock.fd, flags, (f) => asTracee(pid, () => sendTo(sock.fd, data, f, addr))),
    rule,
  );
}

/** What to do with a control message that could choose a route. */
export interface ControlPolicy {
  /** Every destination is allowed: any control message may pass. */
  open: boolean;
  /** errno the refused call returns. */
  errno: number;
  /** Reports the refusal (one line). */
  onRefused: (what: string) => void;
}

/** One message of a sendmsg/sendmmsg, copied out of the tracee. */
interface CopiedMessage {
  msghdr: Uint8Array<ArrayBuffer>;
  /** Buffers the msghdr points into: kept alive for the call. */
  keep: Uint8Array[];
  /** Descriptors borrowed for SCM_RIGHTS: closed after the call. */
  borrowed: number[];
}

function u64(view: DataView, at: number): bigint {
  return view.getBigUint64(at, true);
}

/** Control messages that change neither a packet's destination nor its route. */
const HARMLESS_CONTROL: ReadonlySet<string> = new Set([
  `${SOL.SOCKET}/${SCM.RIGHTS}`,
  `${SOL.SOCKET}/${SCM.CREDENTIALS}`,
  `${SOL.SOCKET}/${SO.TIMESTAMPING_OLD}`,
  `${SOL.SOCKET}/${SO.TIMESTAMPING_NEW}`,
  `${SOL.IP}/${IP.TTL}`,
  `${SOL.IP}/${IP.TOS}`,
  `${SOL.IPV6}/${IPV6.HOPLIMIT}`,
  `${SOL.IPV6}/${IPV6.TCLASS}`,
  `${SOL.IPV6}/${IPV6.DONTFRAG}`,
  `${SOL.UDP}/${UDP_SEGMENT}`,
]);

let loopbackIndex: number | undefined;

/** The loopback interface's index (0 when it cannot be found: then only index 0 passes). */
function loopbackInterface(): number {
  loopbackIndex ??= interfaceIndex("lo");
  return loopbackIndex;
}

/**
 * Why the control message at `off` may not be sent, or undefined when it may:
 * anything that can choose an interface, a next hop, a source route or a
 * mark is refused; IP_PKTINFO/IPV6_PKTINFO pass only with interface index 0
 * or loopback's, so "loopback allowed" keeps the packet on lo.
 */
function refusedControl(
  cv: DataView,
  off: number,
  len: number,
  level: number,
  type: number,
): string | undefined {
  if (HARMLESS_CONTROL.has(`${level}/${type}`)) return undefined;
  const what = `a control message (level ${level}, type ${type})`;
  const ifindexAt = level === SOL.IP && type === IP.PKTINFO
    ? (len >= CMSG_HEADER_SIZE + IN_PKTINFO_SIZE ? off + CMSG_HEADER_SIZE : -1)
    : level === SOL.IPV6 && type === IPV6.PKTINFO
    ? (len >= CMSG_HEADER_SIZE + IN6_PKTINFO_SIZE
      ? off + CMSG_HEADER_SIZE + IN6_PKTINFO_IFINDEX
      : -1)
    : undefined;
  if (ifindexAt === undefined || ifindexAt < 0) return what;
  const index = cv.getInt32(ifindexAt, true);
  if (index === 0 || index === loopbackInterface()) return undefined;
  return `${what} choosing interface ${index}`;
}

/**
 * Copies one `struct msghdr` at `ptr` and everything it points to, with the
 * checked destination `addr` in place of the tracee's, and SCM_RIGHTS
 * descriptors translated into duplicates in this process.
 */
function copyMessage(
  tid: number,
  pidfd: number,
  ptr: bigint,
  addr: Uint8Array | null,
  anyControl = false,
): CopiedMessage | number | string {
  const raw = new Uint8Array(MSGHDR_SIZE);
  if (readMemory(tid, ptr, raw) !== MSGHDR_SIZE) return -EFAULT;
  const v = new DataView(raw.buffer);
  const iovPtr = u64(v, 16);
  const iovLen = Number(u64(v, 24));
  const ctlPtr = u64(v, 32);
  const ctlLen = Number(u64(v, 40));
  if (iovLen > UIO_MAXIOV) return -EINVAL; // As the kernel says for msg_iovlen > UIO_MAXIOV.
  const iovs = new Uint8Array(16 * iovLen);
  if (iovLen && readMemory(tid, iovPtr, iovs) !== iovs.length) return -EFAULT;
  const iv = new DataView(iovs.buffer);
  let total = 0;
  for (let i = 0; i < iovLen; i++) total += Number(u64(iv, 16 * i + 8));
  if (total > MAX_PAYLOAD) return -EMSGSIZE;
  const data = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < iovLen; i++) {
    const base = u64(iv, 16 * i);
    const n = Number(u64(iv, 16 * i + 8));
    if (n && readMemory(tid, base, data.subarray(at, at + n)) !== n) return -EFAULT;
    at += n;
  }
  const control = new Uint8Array(Math.min(ctlLen, MAX_CONTROL));
  if (control.length && readMemory(tid, ctlPtr, control) !== control.length) return -EFAULT;
  const borrowed: number[] = [];
  const fail = (rc: number | string) => {
    for (const fd of borrowed) close(fd);
    return rc;
  };
  // Walk the cmsghdrs: { u64 len; i32 level; i32 type; data }, each aligned to 8.
  const cv = new DataView(control.buffer);
  for (let off = 0; off + CMSG_HEADER_SIZE <= control.length;) {
    const len = Number(u64(cv, off));
    // The kernel refuses a malformed header (EINVAL) before sending: refuse it here, unsent.
    if (len < CMSG_HEADER_SIZE || off + len > control.length) return fail(-EINVAL);
    const level = cv.getInt32(off + 8, true);
    const type = cv.getInt32(off + 12, true);
    const refused = anyControl ? undefined : refusedControl(cv, off, len, level, type);
    if (refused) return fail(refused);
    if (level === SOL.SOCKET && type === SCM.RIGHTS) {
      for (let p = off + CMSG_HEADER_SIZE; p + 4 <= off + len; p += 4) {
        const dup = pidfdGetfd(pidfd, cv.getInt32(p, true));
        if (dup < 0) return fail(dup);
        borrowed.push(dup);
        cv.setInt32(p, dup, true);
      }
    }
    off += (len + 7) & ~7;
  }
  const iov = new BigUint64Array([addressOf(data), BigInt(data.length)]);
  const out = new Uint8Array(MSGHDR_SIZE);
  const ov = new DataView(out.buffer);
  ov.setBigUint64(0, addr ? addressOf(addr) : 0n, true);
  ov.setUint32(8, addr?.length ?? 0, true);
  ov.setBigUint64(16, addressOf(iov), true);
  ov.setBigUint64(24, 1n, true);
  ov.setBigUint64(32, control.length ? addressOf(control) : 0n, true);
  ov.setBigUint64(40, BigInt(control.length), true);
  return { msghdr: out, keep: [data, control, new Uint8Array(iov.buffer)], borrowed };
}

/**
 * sendmsg or sendmmsg with destinations, performed here.
 *
 * @param addrs The checked destination of each message (null: none, the connected peer).
 * @param vector True for sendmmsg: `ptr` is an array of `struct mmsghdr` and
 *   the sent length of each is written back, as the kernel would.
 */
export function actSendmsg(
  tid: number,
  pid: number,
  fd: number,
  ptr: bigint,
  addrs: readonly (Uint8Array | null)[],
  flags: number,
  vector: boolean,
  rule: string,
  control: ControlPolicy,
  guard?: Guard,
): Decision {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, rule);
  if (guard && guardDatagram(sock.fd, guard.filter) !== 0) return guard.refuse();
  const pidfd = pidfdOpen(pid);
  if (pidfd < 0) return result(pidfd, rule);
  try {
    let sent = 0;
    for (let i = 0; i < addrs.length; i++) {
      const at = ptr + BigInt(i * (vector ? MMSGHDR_SIZE : MSGHDR_SIZE));
      const msg = copyMessage(tid, pidfd, at, addrs[i], control.open);
      if (typeof msg === "string") {
        if (vector && sent > 0) return result(sent, rule);
        control.onRefused(msg);
        return { action: "deny", errno: control.errno, rule: "net.cmsg" };
      }
      if (typeof msg === "number") return result(vector && sent > 0 ? sent : msg, rule);
      let rc: number;
      try {
        rc = sendBlockingAware(
          sock.fd,
          flags,
          (f) => asTracee(pid, () => sendMsg(sock.fd, msg.msghdr, f)),
        );
      } finally {
        for (const b of msg.borrowed) close(b);
      }
      if (!vector) return result(rc, rule);
      if (rc < 0) return result(sent > 0 ? sent : rc, rule);
      writeMemory(tid, at + 56n, new Uint8Array(new Uint32Array([rc]).buffer));
      sent++;
    }
    return result(sent, rule);
  } finally {
    close(pidfd);
  }
}
