/**
 * The network half of a policy as the supervisor's thread receives it, and
 * the calls its rules check.
 *
 * @module
 */

import type { NetEntry } from "./address.ts";

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
