/**
 * The rules on sockets and socket options, apart from destinations: a raw
 * or packet socket, and an option that could choose the packet's interface
 * or route, are refused unless every destination is allowed.
 *
 * @module
 */

import { AF, SOCK } from "../../kernel/socket.ts";
import type { NetDenial } from "./denial.ts";
import type { NetPolicy } from "./policy.ts";
import { refusedOption } from "./route_options.ts";

/** True when every destination is allowed: no interface or route can lead anywhere denied. */
export function openPolicy(policy: NetPolicy): boolean {
  return policy.deny.length === 0 && policy.allow.some((e) => e.kind === "any");
}

/**
 * The denial of `setsockopt(level, name)`, or undefined when it may be set.
 * Level and name are registers: nothing a sibling can change after this look.
 */
export function optionDenial(
  policy: NetPolicy,
  level: number,
  name: number,
): NetDenial | undefined {
  const refused = refusedOption(level, name);
  // With every destination allowed (--learn observing an open network) no route escapes.
  if (refused === undefined || openPolicy(policy)) return undefined;
  return {
    call: "setsockopt",
    address: `setsockopt ${refused}`,
    phrase: true,
    hint: "it could choose the packet's interface or route",
  };
}

/**
 * The denial of `socket(family, type)`, or undefined when it may be made.
 * Only AF_PACKET and SOCK_RAW sockets stop; netlink needs SOCK_RAW for getifaddrs.
 *
 * @param type The socket type without its flags (SOCK_TYPE_MASK applied).
 */
export function socketDenial(
  policy: NetPolicy,
  family: number,
  type: number,
): NetDenial | undefined {
  if (family === AF.NETLINK) return undefined;
  if (family !== AF.PACKET && type !== SOCK.RAW) return undefined;
  if (openPolicy(policy)) return undefined;
  return {
    call: "socket",
    address: family === AF.PACKET ? "a packet socket (AF_PACKET)" : "a raw socket",
    hint: policy.deny.length === 0
      ? "raw sockets need --allow-net with no list (every destination)"
      : undefined,
  };
}
