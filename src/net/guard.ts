/**
 * Installing the guard: the locked socket filter of `socket_filter.ts` on a
 * socket that can be reached from beyond loopback, so only loopback and
 * allowed peers reach it. A socket that cannot carry it is refused.
 *
 * @module
 */

import {
  attachedFilter,
  attachFilter,
  bindSocket,
  getIntOption,
  setIntOption,
  socketName,
} from "../../ffi/socket.ts";
import { AF, SO, SOCK, SOL } from "../../kernel/socket.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import type { Decision } from "../decision.ts";
import { Borrowed, kindOf, performed } from "./borrowed.ts";
import type { Refusal } from "./denial.ts";
import { wildcardLike } from "./sockaddr.ts";

const { EINVAL, EPERM } = ERRNO_NUMBERS;

/** What the guard needs: the packed socket filter, or none when it cannot be built. */
export type GuardFilter = Uint8Array | undefined;

/** Guarding of the sockets of one call: those reachable from beyond loopback. */
export interface Guard {
  /** The packed guard filter (undefined: too long to attach; such sockets are refused). */
  filter: GuardFilter;
  /** Reports the call refused because its socket cannot carry the guard, and denies it. */
  refuse(): Decision;
}

/**
 * The guard for one call. A call refused because its socket cannot be
 * guarded (a locked filter of the tree's own on it, or a policy too long
 * for one filter) is reported and denied as `refusal` says.
 */
export function callGuard(filter: GuardFilter, refusal: Refusal): Guard {
  const { call, errno } = refusal;
  return {
    filter,
    refuse: () => {
      refusal.report({
        call,
        address: `${call} on a socket that cannot carry the guard filter`,
        phrase: true,
        hint: "it has a locked socket filter of its own, or the policy is too long for one",
      });
      return { action: "deny", errno, rule: "net.bind" };
    },
  };
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

/**
 * Borrows the tracee's socket `fd` for a call that may send from it or
 * connect it, with the datagram guard ({@linkcode guardDatagram}) in place
 * first when `guard` is given.
 *
 * @param always Guard even a loopback-bound datagram socket (a disconnect puts it back on the wildcard).
 * @returns The held socket (dispose it), or the decision refusing the call.
 */
export function borrowGuarded(
  pid: number,
  fd: number,
  rule: string,
  guard: Guard | undefined,
  always = false,
): Borrowed | Decision {
  const sock = new Borrowed(pid, fd);
  let held = false;
  try {
    if (sock.error) return performed(sock.error, rule);
    if (guard && guardDatagram(sock.fd, guard.filter, always) !== 0) return guard.refuse();
    held = true;
    return sock;
  } finally {
    if (!held) sock[Symbol.dispose]();
  }
}

/** Local address of an inet socket: its port and whether its address is loopback. */
export function localOf(fd: number): { port: number; loopback: boolean } | number {
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
