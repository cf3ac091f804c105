/**
 * Test helpers shared by the policy compiler's tests (x86_64 and aarch64):
 * run a compiled filter on one call through the BPF interpreter, checked
 * against the spec's reference decision, and read what a result points at.
 *
 * @module
 */

import assert from "node:assert/strict";
import { decodeInstructions } from "../bpf/assembler.ts";
import { SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE } from "../bpf/opcodes.ts";
import { decideReference, encodeAction } from "../bpf/compile.ts";
import { runFilter, type SeccompData } from "../bpf/interpreter.ts";
import type { CompiledPolicy } from "./compile.ts";

/**
 * Runs `p`'s filter on syscall `nr` with `args` as the kernel would see it
 * from architecture `arch`; asserts that it agrees with the spec's reference
 * decision.
 *
 * @returns The filter's return value.
 */
export function runChecked(
  p: CompiledPolicy,
  nr: number,
  args: readonly (bigint | number)[],
  arch: number,
  instructionPointer: bigint,
): number {
  const data: SeccompData = {
    nr,
    arch,
    instructionPointer,
    args: [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(64, BigInt(args[i] ?? 0))),
  };
  const got = runFilter(decodeInstructions(p.filter), data);
  assert.equal(got, encodeAction(decideReference(p.spec, data)), `nr ${nr}: filter vs spec`);
  return got;
}

/** The filter result `SECCOMP_RET_ERRNO | n`. */
export const errnoResult = (n: number): number => (SECCOMP_RET_ERRNO | n) >>> 0;

/** True for a `SECCOMP_RET_TRACE` result. */
export const isTrace = (v: number): boolean => (v & 0xffff0000) >>> 0 === SECCOMP_RET_TRACE;

/** The traced rule a filter result points at; asserts it is one. */
export function tracedRule(p: CompiledPolicy, v: number): CompiledPolicy["rules"][number] {
  assert.ok(isTrace(v), `expected TRACE, got 0x${v.toString(16)}`);
  const rule = p.rules[v & 0xffff];
  assert.ok(rule, `no rule ${v & 0xffff}`);
  return rule;
}
