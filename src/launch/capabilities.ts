/**
 * Linux capabilities of the jailed tree: the name table, the sets kept by
 * default, and the plan of their reduction in the command's process.
 *
 * A root command keeps only what an ordinary container keeps (Docker's
 * default set without NET_RAW): enough to chown, setuid, bind low ports,
 * but no raw sockets, no namespaces or mounts (SYS_ADMIN, NET_ADMIN), no
 * ptrace of outsiders (SYS_PTRACE), no modules. Capabilities dropped from the
 * bounding set never come back in the tree, not even through a setuid or
 * file-capability program (PR_SET_NO_NEW_PRIVS also holds).
 *
 * @module
 */

import { CAPABILITIES as CAPABILITY_NUMBERS } from "../../kernel/capability.ts";
import { type CapabilitySets, capGet, inBounding, lastCapability } from "../../ffi/security.ts";
import { suggest } from "../suggest.ts";

/** Capability numbers by name, without the `CAP_` prefix (linux/capability.h). */
export const CAPABILITIES: Readonly<Record<string, number>> = CAPABILITY_NUMBERS;

/** The name that keeps every capability. */
export const ALL_CAPABILITIES = "ALL";

/** Every capability number a 64-bit set can hold: what `ALL` keeps, newer kernels' included. */
const EVERY: readonly number[] = Array.from({ length: 64 }, (_, i) => i);

/** Kept by default: Docker's default set minus NET_RAW. */
export const DEFAULT_KEEP: readonly string[] = [
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "SETGID",
  "SETUID",
  "SETPCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "MKNOD",
  "AUDIT_WRITE",
  "SETFCAP",
];

/**
 * Dropped even under `-A` (observe only): each reaches into other processes'
 * memory or into the kernel itself, past anything the supervisor observes
 * (ptrace, modules, raw I/O, BPF and perf programs). `--cap-add` keeps them.
 */
export const ALLOW_ALL_DROP: readonly string[] = [
  "SYS_PTRACE",
  "SYS_MODULE",
  "SYS_RAWIO",
  "BPF",
  "PERFMON",
];

/**
 * The canonical name of a capability: upper case, without `CAP_`.
 *
 * @returns The name, or undefined when unknown (`ALL` is known).
 */
export function capabilityName(name: string): string | undefined {
  const n = name.trim().toUpperCase().replace(/^CAP_/, "");
  return n === ALL_CAPABILITIES || n in CAPABILITIES ? n : undefined;
}

/**
 * Why a capability name is not one: the message names the closest known one.
 *
 * @returns undefined when the name is known.
 */
export function capabilityNameError(name: string): string | undefined {
  if (capabilityName(name) !== undefined) return undefined;
  const guess = suggest(name.trim().toUpperCase().replace(/^CAP_/, ""), [
    ...Object.keys(CAPABILITIES),
    ALL_CAPABILITIES,
  ]);
  return `unknown capability ${JSON.stringify(name)}${
    guess ? `: did you mean "${guess}"?` : ": expected a name such as NET_RAW, SYS_PTRACE or ALL"
  }`;
}

/**
 * The capability numbers the tree keeps.
 *
 * @param added Names to keep besides the defaults (checked already), `ALL` for every one.
 * @param allowAll `-A`: keep everything but {@linkcode ALLOW_ALL_DROP}.
 * @returns Sorted numbers.
 */
export function keptCapabilities(added: readonly string[], allowAll = false): number[] {
  const names = added.map((n) => capabilityName(n)).filter((n) => n !== undefined);
  if (names.includes(ALL_CAPABILITIES)) return [...EVERY];
  const keep = new Set<number>();
  if (allowAll) {
    const dropped = new Set(ALLOW_ALL_DROP.map((n) => CAPABILITIES[n]));
    for (const c of EVERY) if (!dropped.has(c)) keep.add(c);
  } else {
    for (const n of DEFAULT_KEEP) keep.add(CAPABILITIES[n]);
  }
  for (const n of names) keep.add(CAPABILITIES[n]);
  return [...keep].sort((a, b) => a - b);
}

/** How the command's capabilities are reduced before it execs (made by the launch, in its process). */
export interface CapabilityPlan {
  /** Capabilities to drop from the bounding set, one `PR_CAPBSET_DROP` each. */
  dropBounding: number[];
  /** The sets to `capset` after the ambient set is cleared. */
  sets: CapabilitySets;
}

/** This process's capabilities: its three sets and its bounding set. */
export interface OwnCapabilities {
  /** Effective, permitted, inheritable. */
  sets: CapabilitySets;
  /** The capabilities in the bounding set. */
  bounding: number[];
}

/**
 * Reads this process's capabilities (they do not change while jail runs).
 *
 * @throws {ErrnoError} When capget fails.
 */
export function ownCapabilities(): OwnCapabilities {
  const bounding: number[] = [];
  const last = lastCapability();
  for (let c = 0; c <= last; c++) if (inBounding(c)) bounding.push(c);
  return { sets: capGet(), bounding };
}

/**
 * Plans the reduction to `keep` of this process's capabilities, which the
 * command's process has as a copy of jail: drop the others from the bounding
 * set (only with CAP_SETPCAP, i.e. as root; without it there is nothing to
 * drop), clear the ambient set, and set inheritable, permitted and effective
 * to what they hold of `keep`. Capabilities already out of the bounding set
 * are not dropped again.
 *
 * @param keep Capability numbers kept.
 * @param own What this process has ({@linkcode ownCapabilities}).
 */
export function capabilityPlan(keep: readonly number[], own: OwnCapabilities): CapabilityPlan {
  let mask = 0n;
  for (const c of keep) mask |= 1n << BigInt(c);
  const { sets } = own;
  const dropBounding: number[] = [];
  if (sets.effective & (1n << BigInt(CAPABILITY_NUMBERS.SETPCAP))) {
    for (const c of own.bounding) if (!(mask & (1n << BigInt(c)))) dropBounding.push(c);
  }
  return {
    dropBounding,
    sets: {
      effective: sets.effective & mask,
      permitted: sets.permitted & mask,
      inheritable: sets.inheritable & mask,
    },
  };
}
