/**
 * Shared by the tests of src/bpf/: syscalls as a filter sees them, raw
 * instructions, and an assertion on errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Assembler } from "./assembler.ts";
import type { Insn } from "./insn.ts";
import { BPF_A, BPF_K, BPF_RET } from "./opcodes.ts";
import { AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";
import type { SeccompData } from "./interpreter.ts";

/** The largest u64, an argument register's top. */
export const U64_MAX = (1n << 64n) - 1n;

/** Asserts that `fn` throws an instance of `cls` whose message contains `includes`. */
export function throwsWith(
  fn: () => unknown,
  cls: new (...args: any[]) => Error,
  includes: string,
) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    assert.ok(
      e.message.includes(includes),
      `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(includes)}`,
    );
    return true;
  });
}

/** A syscall as the filter sees it: six arguments (the missing ones 0), x86_64 unless told. */
export function data(
  nr: number,
  args: readonly bigint[] = [],
  arch: number = AUDIT_ARCH_X86_64,
): SeccompData {
  const six = [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6);
  return { nr, arch, instructionPointer: 0x401000n, args: six };
}

/** A raw instruction. */
export const i = (code: number, k = 0, jt = 0, jf = 0): Insn => ({ code, jt, jf, k });
/** `ret #k`. */
export const RET_K = BPF_RET | BPF_K;
/** `ret A`. */
export const RET_A = BPF_RET | BPF_A;

/** `n` instructions that do not touch A's meaning for the tests (X = A). */
export function filler(a: Assembler, n: number): void {
  for (let j = 0; j < n; j++) a.tax();
}
