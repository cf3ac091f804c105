/**
 * Compiles a normalised filter spec into a seccomp BPF program.
 *
 * Layout:
 *
 * 1. `ld arch`; anything but the spec's architecture (x86_64 or aarch64) gets
 *    `foreignAbi`.
 * 2. `ld nr`; x32 numbers (bit 30 set) get `foreignAbi`.
 * 3. A balanced binary search over syscall-number ranges, with `jge` at each
 *    node. Consecutive numbers with the same plain action, and the unlisted
 *    gaps between them (the default action), are merged into one range, so
 *    the depth is log2 of the number of ranges however many syscalls the
 *    policy lists.
 * 4. The argument-rule blocks of the syscalls that have them, one per
 *    distinct rule list, each ending in an inline `ret` of its `otherwise`.
 * 5. One shared `ret` per distinct action. The assembler turns jumps that end
 *    up too far from them into copies placed nearby.
 *
 * @module
 */

import { Assembler, BpfProgramTooLongError, type Program } from "./assembler.ts";
import {
  argHighOffset,
  argLowOffset,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_USER_NOTIF,
  X32_SYSCALL_BIT,
} from "./opcodes.ts";

import {
  type ArgRule,
  type ArgTest,
  type FilterSpec,
  type KernelAction,
  specArch,
  type SyscallRule,
  testsOf,
} from "./spec.ts";
import { MAX_ERRNO } from "../../kernel/errno.ts";

export type { Program } from "./assembler.ts";
export type { SeccompData } from "./interpreter.ts";
export type {
  ArgRule,
  ArgTest,
  FilterSpec,
  KernelAction,
  SyscallRule,
  UnlistedRange,
} from "./spec.ts";
export { decideReference, testsOf } from "./spec.ts";

/** A run of syscall numbers handled alike, as used by the search tree. */
export interface NrRange {
  /** First number in the range. */
  readonly first: number;
  /** Last number in the range, inclusive. */
  readonly last: number;
  /** A plain action, or the arg rules shared by the whole range. */
  readonly rule: SyscallRule;
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * Encodes an action as the value the filter returns.
 *
 * @param a The action.
 * @returns The SECCOMP_RET_* value, as an unsigned 32-bit number.
 * @throws {RangeError} If errno is not 0..4095 or trace data not 0..0xffff.
 */
export function encodeAction(a: KernelAction): number {
  switch (a.kind) {
    case "allow":
      return SECCOMP_RET_ALLOW;
    case "errno":
      // The kernel clamps larger values to MAX_ERRNO; refuse them instead of
      // silently returning a different errno than the policy asked for.
      if (!Number.isInteger(a.errno) || a.errno < 0 || a.errno > MAX_ERRNO) {
        throw new RangeError(`Invalid errno in action: ${a.errno} (must be 0..${MAX_ERRNO})`);
      }
      return (SECCOMP_RET_ERRNO | a.errno) >>> 0;
    case "trace":
    case "notify":
      if (!Number.isInteger(a.data) || a.data < 0 || a.data > 0xffff) {
        throw new RangeError(`Invalid trace data in action: ${a.data} (must be 0..65535)`);
      }
      // The kernel ignores a notification's data bits; kept, so that the notifying program and
      // its all-TRACE fallback (traceInstead) have the same shape and the same size.
      return ((a.kind === "trace" ? SECCOMP_RET_TRACE : SECCOMP_RET_USER_NOTIF) | a.data) >>> 0;
    case "kill":
      return SECCOMP_RET_KILL_PROCESS;
    case "log":
      return SECCOMP_RET_LOG;
    default:
      throw new Error(`Invalid action kind: ${(a as { kind: unknown }).kind}`);
  }
}

/**
 * The syscall-number ranges the search tree distinguishes, covering 0 to
 * 0xffffffff in order: listed syscalls, with neighbours merged when they have
 * the same plain action or identical rules, and the gaps given the default.
 *
 * @param spec The policy.
 * @returns Non-empty, sorted, contiguous ranges.
 * @throws {Error} If the spec is invalid.
 */
export function syscallRanges(spec: FilterSpec): readonly NrRange[] {
  validateSpec(spec);
  const ranges: { first: number; last: number; rule: SyscallRule; key: string }[] = [];
  const push = (first: number, last: number, rule: SyscallRule) => {
    const key = ruleKey(rule);
    const prev = ranges.at(-1);
    if (prev && prev.key === key) prev.last = last;
    else ranges.push({ first, last, rule, key });
  };
  /** The unlisted numbers first..last: split where an `unlisted` range begins or ends. */
  const gap = (first: number, last: number) => {
    let at = first;
    for (const r of spec.unlisted ?? []) {
      if (r.last < at || r.first > last) continue;
      if (r.first > at) push(at, r.first - 1, spec.defaultAction);
      const end = Math.min(r.last, last);
      push(Math.max(r.first, at), end, r.action);
      at = end + 1;
      if (at > last) return;
    }
    push(at, last, spec.defaultAction);
  };
  let next = 0;
  for (const nr of [...spec.syscalls.keys()].sort((a, b) => a - b)) {
    if (nr > next) gap(next, nr - 1);
    push(nr, nr, simplify(spec.syscalls.get(nr)!));
    next = nr + 1;
  }
  if (next <= 0xffffffff) gap(next, 0xffffffff);
  return ranges.map(({ first, last, rule }) => ({ first, last, rule }));
}

/**
 * Compiles a policy into a seccomp filter.
 *
 * @param spec The policy.
 * @returns The program, at most 4096 instructions.
 * @throws {Error} If the spec is invalid or does not fit in one filter.
 */
export function compileFilter(spec: FilterSpec): Program {
  const ranges = syscallRanges(spec);
  const a = new Assembler();
  const retLabels = new Map<number, string>();
  const retLabel = (action: KernelAction) => {
    const value = encodeAction(action);
    let label = retLabels.get(value);
    if (label === undefined) {
      label = a.newLabel("ret");
      retLabels.set(value, label);
    }
    return label;
  };
  // Rule blocks, by rule key, so identical rule lists are emitted once.
  const blocks = new Map<string, { label: string; rule: RulesOf }>();
  const leafLabel = (rule: SyscallRule) => {
    if (!("rules" in rule)) return retLabel(rule);
    const key = ruleKey(rule);
    let block = blocks.get(key);
    if (!block) {
      block = { label: a.newLabel("rules"), rule };
      blocks.set(key, block);
    }
    return block.label;
  };

  a.loadArch();
  a.jeq(specArch(spec), null, retLabel(spec.foreignAbi));
  a.loadNr();
  a.jset(X32_SYSCALL_BIT, retLabel(spec.foreignAbi), null);

  /** Emits the search over ranges[lo..hi), with A holding nr. */
  const tree = (lo: number, hi: number): void => {
    const mid = (lo + hi) >> 1;
    // A one-range side needs no code of its own: jump straight to its leaf.
    const left = mid - lo === 1 ? leafLabel(ranges[lo].rule) : null;
    const right = hi - mid === 1 ? leafLabel(ranges[mid].rule) : null;
    const rightLabel = right ?? a.newLabel("ge");
    a.jge(ranges[mid].first, rightLabel, left);
    if (left === null) tree(lo, mid);
    if (right === null) {
      a.label(rightLabel);
      tree(mid, hi);
    }
  };
  if (ranges.length > 1) tree(0, ranges.length);
  else if ("rules" in ranges[0].rule) leafLabel(ranges[0].rule); // Its block comes next.
  else a.ret(encodeAction(ranges[0].rule));

  for (const { label, rule } of blocks.values()) {
    a.label(label);
    emitRules(a, rule, retLabel);
  }
  for (const [value, label] of retLabels) a.label(label).ret(value);

  try {
    return a.assemble();
  } catch (e) {
    if (!(e instanceof BpfProgramTooLongError)) throw e;
    const rules = ranges.reduce((n, r) => n + ("rules" in r.rule ? r.rule.rules.length : 0), 0);
    throw new Error(
      `Filter spec does not fit in one seccomp program: ${ranges.length} syscall ranges and ` +
        `${rules} argument rules need ${e.instructionCount} instructions, the kernel allows 4096`,
      { cause: e },
    );
  }
}

type RulesOf = Extract<SyscallRule, { rules: readonly ArgRule[] }>;

/** One 32-bit half of a 64-bit test. */
interface Half {
  offset: number;
  mask: number;
  value: number;
}

/**
 * Emits the arg rules of one syscall, then `ret otherwise`. Each 64-bit test
 * is split into its high and low words, high first like libseccomp; either
 * order is correct.
 */
function emitRules(a: Assembler, rule: RulesOf, retLabel: (a: KernelAction) => string): void {
  for (const r of rule.rules) {
    const next = a.newLabel("next");
    const match = retLabel(r.action);
    const tests = testsOf(r);
    tests.forEach((test, t) => {
      // A conjunction: each test that holds goes on to the next one; the last one to the match.
      const lastTest = t === tests.length - 1;
      const holds = lastTest ? match : a.newLabel("and");
      const mask = test.op === "eq" ? U64_MAX : test.mask;
      const value = test.op === "any_set" ? 0n : test.value;
      // A half with an empty mask says nothing (simplify() dropped the tests
      // whose value has bits outside the mask, and those with no mask at all).
      const halves: Half[] = [
        { offset: argHighOffset(test.arg), mask: hi32(mask), value: hi32(value) },
        { offset: argLowOffset(test.arg), mask: lo32(mask), value: lo32(value) },
      ].filter((h) => h.mask !== 0);
      if (halves.length === 0) {
        // masked_eq with mask 0 always holds; simplify() drops such tests,
        // so this is only a safety net.
        a.ja(holds);
      }
      halves.forEach((h, i) => {
        const last = i === halves.length - 1;
        a.loadAbs(h.offset);
        if (test.op === "any_set") {
          // Holds as soon as either half has a bit of the mask set.
          a.jset(h.mask, holds, last ? next : null);
        } else if (h.mask === 0xffffffff) {
          a.jeq(h.value, last ? holds : null, next);
        } else if (h.value === 0) {
          // (A & mask) == 0 needs no AND: it is JSET with the branches swapped.
          a.jset(h.mask, next, last ? holds : null);
        } else {
          a.and(h.mask);
          a.jeq(h.value, last ? holds : null, next);
        }
      });
      if (!lastTest) a.label(holds);
    });
    a.label(next);
  }
  a.ret(encodeAction(rule.otherwise));
}

/**
 * Removes what cannot change the outcome, so equivalent rules compare equal
 * and can share code: tests that can never hold, rules after one that always
 * holds, and trailing rules whose action is the `otherwise` anyway. What is
 * left without rules is a plain action.
 */
function simplify(rule: SyscallRule): SyscallRule {
  if (!("rules" in rule)) return rule;
  const rules: ArgRule[] = [];
  let otherwise = rule.otherwise;
  for (const r of rule.rules) {
    const never = (t: ArgTest) =>
      (t.op === "any_set" && t.mask === 0n) ||
      (t.op === "masked_eq" && (t.value & ~t.mask) !== 0n);
    const always = (t: ArgTest) => t.op === "masked_eq" && t.mask === 0n;
    const all = testsOf(r);
    if (all.some(never)) continue;
    const tests = all.filter((t) => !always(t));
    if (tests.length === 0) {
      otherwise = r.action; // Always holds.
      break;
    }
    rules.push({ test: tests.length === 1 ? tests[0] : tests, action: r.action });
  }
  const end = encodeAction(otherwise);
  while (rules.length > 0 && encodeAction(rules[rules.length - 1].action) === end) rules.pop();
  return rules.length === 0 ? otherwise : { rules, otherwise };
}

/** A string equal for two rules exactly when they compile to the same code. */
function ruleKey(rule: SyscallRule): string {
  if (!("rules" in rule)) return `${encodeAction(rule)}`;
  const tests = rule.rules.map((r) => {
    const key = testsOf(r).map((t) => {
      const mask = t.op === "eq" ? U64_MAX : t.mask;
      const value = t.op === "any_set" ? "" : t.value;
      return `${t.op === "any_set" ? "set" : "eq"}:${t.arg}:${mask}:${value}`;
    });
    return `${key.join("&")}:${encodeAction(r.action)}`;
  });
  return `${tests.join(";")}|${encodeAction(rule.otherwise)}`;
}

function validateSpec(spec: FilterSpec): void {
  encodeAction(spec.defaultAction);
  let previous = -1;
  for (const r of spec.unlisted ?? []) {
    if (!Number.isInteger(r.first) || !Number.isInteger(r.last) || r.first > r.last) {
      throw new RangeError(`Invalid unlisted range: ${r.first}..${r.last}`);
    }
    if (r.first <= previous) throw new RangeError("Unlisted ranges must be sorted and disjoint");
    previous = r.last;
    encodeAction(r.action);
  }
  encodeAction(spec.foreignAbi);
  if (spec.arch !== undefined && !Number.isInteger(spec.arch)) {
    throw new RangeError(`Invalid arch in filter spec: ${spec.arch}`);
  }
  for (const [nr, rule] of spec.syscalls) {
    const where = `syscall ${nr}`;
    if (!Number.isInteger(nr) || nr < 0 || nr >= X32_SYSCALL_BIT) {
      throw new RangeError(`Invalid syscall number in filter spec: ${nr} (must be 0..0x3fffffff)`);
    }
    try {
      if (!("rules" in rule)) {
        encodeAction(rule);
        continue;
      }
      encodeAction(rule.otherwise);
      for (const r of rule.rules) {
        encodeAction(r.action);
        const tests = testsOf(r);
        if (tests.length === 0) throw new Error("Invalid argument rule: no test");
        for (const test of tests) {
          if (!Number.isInteger(test.arg) || test.arg < 0 || test.arg > 5) {
            throw new RangeError(`Invalid argument index: ${test.arg} (must be 0..5)`);
          }
          if (!["eq", "masked_eq", "any_set"].includes(test.op)) {
            throw new Error(`Invalid argument test: ${(test as { op: unknown }).op}`);
          }
          if (test.op !== "any_set") checkU64(test.value, "value");
          if (test.op !== "eq") checkU64(test.mask, "mask");
        }
      }
    } catch (e) {
      throw new Error(`Invalid filter spec for ${where}: ${(e as Error).message}`, { cause: e });
    }
  }
}

function checkU64(v: bigint, what: string): void {
  if (typeof v !== "bigint" || v < 0n || v > U64_MAX) {
    throw new RangeError(`Invalid ${what}: ${v} (must be a bigint in 0..2^64-1)`);
  }
}

function hi32(v: bigint): number {
  return Number(v >> 32n);
}

function lo32(v: bigint): number {
  return Number(v & 0xffffffffn);
}
