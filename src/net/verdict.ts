/**
 * The address decision: whether one destination may be reached under a
 * {@linkcode NetPolicy} (deny wins over allow; loopback and unix by their
 * switches; other families only by `*`).
 *
 * @module
 */

import {
  entryMatches,
  isLoopback,
  type NetEntry,
  type SocketAddress,
  wildcardDestination,
} from "./address.ts";
import type { NetPolicy } from "./policy.ts";
import { AF } from "../../kernel/socket.ts";

/**
 * Families that name something on this machine's kernel, never a network
 * peer: netlink (routing tables, getaddrinfo's interface list) and AF_ALG
 * (the kernel's crypto API). Every other family but unix, IPv4 and IPv6 —
 * AF_VSOCK (the hypervisor host), AF_TIPC, AF_RXRPC, AF_BLUETOOTH, AF_CAN… —
 * can reach another machine, and is allowed only by `*`.
 */
const LOCAL_FAMILIES: ReadonlySet<number> = new Set([AF.NETLINK, AF.ALG]);

/** The outcome of matching one destination. */
export interface Verdict {
  /** True when the destination may be reached. */
  allowed: boolean;
  /** The deny entry that matched. */
  deny?: NetEntry;
  /** What to tell the user, when the usual advice does not apply. */
  hint?: string;
}

const ALLOWED: Verdict = { allowed: true };

/**
 * Matches one destination against `policy`.
 *
 * @param also Other forms of the same destination that a deny entry may name
 *   (a unix path as written).
 */
export function verdict(
  policy: NetPolicy,
  addr: SocketAddress,
  also: readonly SocketAddress[] = [],
): Verdict {
  if (addr.family === "unspec") return ALLOWED;
  if (addr.family === "other") {
    if (LOCAL_FAMILIES.has(addr.number)) return ALLOWED;
    // Too short to be read as IPv4/IPv6: the kernel refuses it (EINVAL) when the call is made.
    if (addr.number === AF.INET || addr.number === AF.INET6) return ALLOWED;
  }
  const p = policy;
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
