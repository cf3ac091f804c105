/**
 * A seccomp filter as data: the actions, the argument tests, the spec, and
 * {@linkcode decideReference}, which decides a call from the spec the way the
 * compiled filter does. Kept apart from the assembler and the compiler: the
 * supervisor's thread decides from the spec at every stop and needs neither.
 *
 * @module
 */

import type { SeccompData } from "./interpreter.ts";
import { AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";

import { X32_SYSCALL_BIT } from "./opcodes.ts";

/** What the kernel does with a syscall, without asking the supervisor (except `trace`). */
export type KernelAction =
  | { kind: "allow" }
  | { kind: "errno"; errno: number }
  /** `data` (0..0xffff) comes back to the tracer via PTRACE_GETEVENTMSG. */
  | { kind: "trace"; data: number }
  /**
   * SECCOMP_RET_USER_NOTIF: the call waits for jail's listener to answer it.
   * `data` (0..0xffff) names the traced rule that decides it, as for `trace`;
   * the kernel does not pass it on, and a listener finds the rule from the
   * spec. Where no listener can be had, the same rule is a `trace` instead.
   */
  | { kind: "notify"; data: number }
  /** SECCOMP_RET_KILL_PROCESS. */
  | { kind: "kill" }
  | { kind: "log" };

/** A test on one syscall argument, as a full unsigned 64-bit value. */
export type ArgTest =
  /** `args[arg] === value`, all 64 bits. */
  | { op: "eq"; arg: number; value: bigint }
  /** `(args[arg] & mask) === value`. */
  | { op: "masked_eq"; arg: number; mask: bigint; value: bigint }
  /** `(args[arg] & mask) !== 0n`. */
  | { op: "any_set"; arg: number; mask: bigint };

/**
 * An argument test, or several that must all hold (a conjunction, e.g.
 * `setsockopt` level and option name), and the action taken when it holds.
 */
export type ArgRule = { test: ArgTest | readonly ArgTest[]; action: KernelAction };

/** The tests of a rule as a list: one, or the conjunction's. */
export function testsOf(rule: ArgRule): readonly ArgTest[] {
  return Array.isArray(rule.test) ? rule.test : [rule.test as ArgTest];
}

/** What to do for one syscall: a plain action, or arg rules tried in order, first match wins, else `otherwise`. */
export type SyscallRule = KernelAction | { rules: readonly ArgRule[]; otherwise: KernelAction };

/** A run of syscall numbers, inclusive, and the action for those of them the spec does not list. */
export interface UnlistedRange {
  /** First number. */
  readonly first: number;
  /** Last number, inclusive. */
  readonly last: number;
  /** What the numbers of the run that `syscalls` does not list get, instead of `defaultAction`. */
  readonly action: KernelAction;
}

/** A normalised seccomp policy. */
export interface FilterSpec {
  /**
   * AUDIT_ARCH_* of the one ABI the filter lets through (the architecture
   * whose numbers `syscalls` uses); x86_64 when absent.
   */
  arch?: number;
  /** Action for syscalls not listed (and not in an `unlisted` range). */
  defaultAction: KernelAction;
  /**
   * Sorted, disjoint runs of numbers whose unlisted members get another action
   * than `defaultAction`: for example ENOSYS for the numbers the syscall
   * table does not know, without listing each known one.
   */
  unlisted?: readonly UnlistedRange[];
  /** Keyed by syscall number of {@link FilterSpec.arch} (0 .. 0x3fffffff). */
  syscalls: ReadonlyMap<number, SyscallRule>;
  /**
   * Action for any arch value other than {@link FilterSpec.arch} (i386's
   * `int 0x80` on x86_64, AArch32 compat tasks on arm64) and for numbers
   * with bit 30 set (x32).
   */
  foreignAbi: KernelAction;
}

/**
 * Decides a syscall the way the compiled filter would, directly from the spec.
 *
 * @param spec The policy.
 * @param data The syscall.
 * @returns The action the filter returns for it.
 */
export function decideReference(spec: FilterSpec, data: SeccompData): KernelAction {
  if (data.arch >>> 0 !== specArch(spec)) return spec.foreignAbi;
  // The filter sees the int nr as a u32, so a negative nr has bit 30 set.
  const nr = data.nr >>> 0;
  if (nr & X32_SYSCALL_BIT) return spec.foreignAbi;
  const rule = spec.syscalls.get(nr);
  if (rule === undefined) return unlistedAction(spec, nr);
  if (!("rules" in rule)) return rule;
  for (const r of rule.rules) {
    if (testsOf(r).every((t) => testHolds(t, BigInt.asUintN(64, data.args[t.arg])))) {
      return r.action;
    }
  }
  return rule.otherwise;
}

/** The AUDIT_ARCH_* value a spec's filter lets through. */
export function specArch(spec: FilterSpec): number {
  return spec.arch ?? AUDIT_ARCH_X86_64;
}

function testHolds(test: ArgTest, arg: bigint): boolean {
  switch (test.op) {
    case "eq":
      return arg === test.value;
    case "masked_eq":
      return (arg & test.mask) === test.value;
    case "any_set":
      return (arg & test.mask) !== 0n;
  }
}

/**
 * The action for a number the spec does not list: its `unlisted` range's, or
 * the default.
 *
 * @param spec The policy.
 * @param nr The syscall number, as a u32.
 * @returns The action.
 */
export function unlistedAction(spec: FilterSpec, nr: number): KernelAction {
  for (const r of spec.unlisted ?? []) if (nr >= r.first && nr <= r.last) return r.action;
  return spec.defaultAction;
}

/**
 * The spec with each action replaced by `map(action)`, rule for rule: the
 * same tests in the same order, so the two compiled programs have the same
 * shape.
 *
 * @param spec The policy.
 * @param map The new action for each one.
 * @returns A new spec; `spec` is unchanged.
 */
export function mapActions(spec: FilterSpec, map: (a: KernelAction) => KernelAction): FilterSpec {
  const syscalls = new Map<number, SyscallRule>();
  for (const [nr, rule] of spec.syscalls) {
    syscalls.set(
      nr,
      "rules" in rule
        ? {
          rules: rule.rules.map((r) => ({ test: r.test, action: map(r.action) })),
          otherwise: map(rule.otherwise),
        }
        : map(rule),
    );
  }
  return {
    ...spec,
    defaultAction: map(spec.defaultAction),
    unlisted: spec.unlisted?.map((r) => ({ ...r, action: map(r.action) })),
    syscalls,
    foreignAbi: map(spec.foreignAbi),
  };
}

/**
 * The spec with every `notify` action turned into the `trace` action of the
 * same rule: the filter for a chain that can have no listener of jail's
 * (Linux before 5.0, or a supervisor above jail holding one), where a
 * USER_NOTIF return would fail the call with ENOSYS.
 *
 * @param spec A spec with notify actions.
 * @returns The spec that stops those calls for the ptrace supervisor instead.
 */
export function traceInstead(spec: FilterSpec): FilterSpec {
  return mapActions(spec, (a) => a.kind === "notify" ? { kind: "trace", data: a.data } : a);
}
