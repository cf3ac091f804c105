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
 * This module makes the calls that give a socket its address or peer
 * (connect, bind, listen); `act_send.ts` the sends, `guard.ts` the guard,
 * `borrowed.ts` the duplicate descriptor.
 *
 * @module
 */

import {
  awaitConnection,
  bindSocket,
  connectSocket,
  INSPECTOR_ADDRESS,
  listenSocket,
  setIntOption,
} from "../../ffi/socket.ts";
import { getFileFlags, setFileFlags } from "../../ffi/io.ts";
import { O } from "../../kernel/fcntl.ts";
import { AF, MSG, SO, SOL } from "../../kernel/socket.ts";
import { asTracee } from "./acting_caps.ts";
import { Borrowed, kindOf, performed as result, waitDecision } from "./borrowed.ts";
import { borrowGuarded, ensureGuard, type Guard, localOf } from "./guard.ts";
import { wildcardLike } from "./sockaddr.ts";
import type { Decision } from "../decision.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";

const { EAGAIN, EINPROGRESS } = ERRNO_NUMBERS;
const SYS_SENDTO = HOST_ARCH.numbers.sendto;

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
  // Disconnecting (AF_UNSPEC) puts a UDP socket back on 0.0.0.0, whatever it was bound to.
  const unspec = addr.length >= 2 && (addr[0] | (addr[1] << 8)) === AF.UNSPEC;
  const held = borrowGuarded(pid, fd, rule, guard, unspec);
  if (!(held instanceof Borrowed)) return held;
  using sock = held;
  const flags = getFileFlags(sock.fd);
  if (flags < 0) return result(flags, rule);
  const blocking = (flags & O.NONBLOCK) === 0;
  if (blocking) {
    // Connecting with the socket still blocking would stall the supervisor: refuse instead.
    const set = setFileFlags(sock.fd, flags | O.NONBLOCK);
    if (set !== 0) return result(set, rule);
  }
  const rc = asTracee(pid, () => connectSocket(sock.fd, addr));
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
    // A unix listener with a full backlog: a blocking caller expects to wait for it, and the
    // listener may be in the tree. The tracee waits (nothing it can poll says when), then
    // connects again (src/supervisor/wait.ts).
    return waitDecision(sock.fd, -1, rule);
  }
  return result(rc, rule);
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
