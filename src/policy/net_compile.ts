/**
 * The `net` key of a config (and the net flags merged into it) → a
 * {@linkcode NetPolicy} and the filter rules that stop the network calls
 * for it. An open network (every destination allowed, nothing denied, not
 * observed) is settled in the kernel: nothing stops, and there is no policy.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { AF, SOCK } from "../../kernel/socket.ts";
import type { ArgRule, KernelAction, SyscallRule as KernelRule } from "../bpf/compile.ts";
import type { NetCheck, NetPolicy } from "../net/policy.ts";
import { ROUTE_OPTIONS } from "../net/route_options.ts";
import { type NetEntry, NetEntryError, parseNetEntry, type Resolver } from "../net/address.ts";
import type { JailConfig } from "./types.ts";
import { ConfigError } from "./config_error.ts";
import { type AddTrace, ALLOW, errno, LOW32 } from "./filter_actions.ts";

const E = ERRNO_NUMBERS;
const SOCK_TYPE_MASK = BigInt(SOCK.TYPE_MASK);
const SOCK_RAW = BigInt(SOCK.RAW);
const AF_PACKET = BigInt(AF.PACKET);
const SOCK_PACKET = BigInt(SOCK.PACKET);

/** The net allow and deny lists, parsed and resolved (flags merged in). */
export interface NetLists {
  /** Entries allowed. */
  allow: NetEntry[];
  /** Entries denied. */
  deny: NetEntry[];
}

/** Inputs besides the config (fields as in `CompileOptions`). */
export interface NetCompileOptions {
  /** Host name resolver for net entries. */
  resolve: Resolver;
  /** The net lists, parsed and resolved once at load; parsed here with `resolve` when absent. */
  net?: NetLists;
  /** `-A`: every destination allowed; deny lists still win. */
  allowAll?: boolean;
  /** Keep the network calls stopping even when every destination is allowed (`--learn`). */
  observeNet?: boolean;
}

function netEntries(list: string[] | undefined, key: string, resolve: Resolver): NetEntry[] {
  const out: NetEntry[] = [];
  for (const [i, s] of (list ?? []).entries()) {
    try {
      out.push(...parseNetEntry(s, resolve));
    } catch (e) {
      if (e instanceof NetEntryError) throw new ConfigError(`${key}[${i}]: ${e.message}`);
      throw e;
    }
  }
  return out;
}

/**
 * The network policy, its rules set in `syscalls`; undefined when the
 * network is open and nothing needs to stop.
 *
 * @throws {ConfigError} When a net entry is malformed or does not resolve.
 */
export function compileNet(
  config: JailConfig,
  options: NetCompileOptions,
  syscalls: Map<number, KernelRule>,
  NR: Readonly<Record<string, number>>,
  trace: AddTrace,
): NetPolicy | undefined {
  // -A allows every destination; deny lists (flags or config) still win, as with Deno's -A.
  const lists = options.net ?? {
    allow: netEntries(config.net?.allow, "net.allow", options.resolve),
    deny: netEntries(config.net?.deny, "net.deny", options.resolve),
  };
  const net = netPolicy(config, lists, options.allowAll === true);
  const openNet = !options.observeNet && net.allow.some((e) => e.kind === "any") &&
    net.deny.length === 0 && net.wildcardBind === "allow";
  if (openNet) return undefined;
  // io_uring does network and file I/O without syscalls the filter could see.
  for (const name of ["io_uring_setup", "io_uring_enter", "io_uring_register"] as const) {
    syscalls.set(NR[name], errno(E.ENOSYS));
  }
  const check = (name: string, check: NetCheck): KernelAction =>
    trace({ syscall: name, decision: { action: "allow", rule: "net" }, net: check });
  syscalls.set(NR.connect, check("connect", "connect"));
  syscalls.set(NR.bind, check("bind", "bind"));
  // listen on a never-bound socket binds it to the wildcard address: guard it like a bind.
  if (net.wildcardBind !== "allow") syscalls.set(NR.listen, check("listen", "listen"));
  // sendto without a destination goes to the connected peer, already checked at connect.
  syscalls.set(NR.sendto, {
    rules: [{ test: { op: "eq", arg: 4, value: 0n }, action: ALLOW }],
    otherwise: check("sendto", "sendto"),
  });
  syscalls.set(NR.sendmsg, check("sendmsg", "sendmsg"));
  syscalls.set(NR.sendmmsg, check("sendmmsg", "sendmmsg"));
  syscalls.set(NR.socket, {
    rules: [
      {
        test: { op: "masked_eq", arg: 0, mask: LOW32, value: AF_PACKET },
        action: errno(net.errno),
      },
      // SOCK_PACKET (socket(AF_INET, SOCK_PACKET)) is a packet socket under another name.
      {
        test: { op: "masked_eq", arg: 1, mask: SOCK_TYPE_MASK, value: SOCK_PACKET },
        action: errno(net.errno),
      },
      {
        test: { op: "masked_eq", arg: 1, mask: SOCK_TYPE_MASK, value: SOCK_RAW },
        action: check("socket", "socket"),
      },
    ],
    otherwise: ALLOW,
  });
  // Options that choose an interface, next hop or route (ROUTE_OPTIONS): the filter matches
  // their level and name together, so only those stop (to be refused and reported; registers
  // only, nothing a sibling can change) and every other setsockopt stays in the kernel.
  const routeOption = check("setsockopt", "setsockopt");
  syscalls.set(NR.setsockopt, {
    rules: Object.entries(ROUTE_OPTIONS).flatMap(([level, names]) =>
      Object.keys(names).map((name): ArgRule => ({
        test: [
          { op: "masked_eq", arg: 1, mask: LOW32, value: BigInt(level) },
          { op: "masked_eq", arg: 2, mask: LOW32, value: BigInt(name) },
        ],
        action: routeOption,
      }))
    ),
    otherwise: ALLOW,
  });
  return net;
}

function netPolicy(config: JailConfig, lists: NetLists, allowAll: boolean): NetPolicy {
  const n = config.net ?? {};
  const allow = [...lists.allow];
  if (allowAll) allow.push({ kind: "any", source: "-A" });
  return {
    allow,
    deny: lists.deny,
    loopback: n.loopback ?? true,
    unix: n.unix ?? true,
    errno: n.errno ? (ERRNO_NUMBERS as Record<string, number>)[n.errno] : E.EACCES,
    // "rewrite" is the former name of "guard".
    wildcardBind: n.bind === "rewrite" ? "guard" : n.bind ?? (allowAll ? "allow" : "guard"),
  };
}
