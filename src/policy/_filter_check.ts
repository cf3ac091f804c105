/**
 * Test helpers shared by the policy compiler's tests (x86_64 and aarch64):
 * run a compiled filter on one call through the BPF interpreter, checked
 * against the spec's reference decision, and read what a result points at;
 * compile a test config for one architecture.
 *
 * @module
 */

import assert from "node:assert/strict";
import { decodeInstructions } from "../bpf/assembler.ts";
import { SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE } from "../bpf/opcodes.ts";
import { decideReference, encodeAction } from "../bpf/compile.ts";
import { runFilter, type SeccompData } from "../bpf/interpreter.ts";
import type { Arch } from "../arch/arch.ts";
import type { Resolver } from "../net/address.ts";
import { type CompiledPolicy, compilePolicy } from "./compile.ts";
import type { JailConfig } from "./types.ts";
import { validateConfig } from "./validate.ts";

/** The supervisor's pid the tests compile with. */
export const SUPERVISOR = 4242;

/** `config`, validated as `test.json`, compiled for `arch` with supervisor {@linkcode SUPERVISOR}. */
export function compileFor(
  arch: Arch,
  config: JailConfig = {},
  allowAll = false,
  resolve: Resolver = () => [],
): CompiledPolicy {
  return compilePolicy(validateConfig(config, "test.json"), {
    supervisorPid: SUPERVISOR,
    resolve,
    allowAll,
    arch,
  });
}

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
export const errno = (n: number): number => (SECCOMP_RET_ERRNO | n) >>> 0;

/** True for a `SECCOMP_RET_TRACE` result. */
export const isTrace = (v: number): boolean => (v & 0xffff0000) >>> 0 === SECCOMP_RET_TRACE;

/** The traced rule a filter result points at; asserts it is one. */
export function traced(p: CompiledPolicy, v: number): CompiledPolicy["rules"][number] {
  assert.ok(isTrace(v), `expected TRACE, got 0x${v.toString(16)}`);
  const rule = p.rules[v & 0xffff];
  assert.ok(rule, `no rule ${v & 0xffff}`);
  return rule;
}

/**
 * {@linkcode runChecked} for one architecture's calls made at
 * `instructionPointer`; `arch` overrides the audit arch (a foreign ABI).
 */
export function filterRunner(
  auditArch: number,
  instructionPointer: bigint,
): (p: CompiledPolicy, nr: number, args?: readonly (bigint | number)[], arch?: number) => number {
  return (p, nr, args = [], arch = auditArch) => runChecked(p, nr, args, arch, instructionPointer);
}
