/**
 * The built-in policy's seccomp program, compiled when the bundle is made
 * instead of at every start.
 *
 * `jail -- cmd` without a config or a flag compiles the same policy every
 * time, but for two numbers: jail's own pid and process group, which the
 * guards compare a signal's target with (src/policy/guards.ts). Compiling it
 * cold took about 2.5 ms of every start (0.3 ms warm: the assembler's first
 * run, not its work). `deno task bundle` compiles it once per architecture
 * and per form it can take (Landlock's signal scope or not, a process-group
 * rule or not), twice each with different numbers, and writes
 * builtin_filter_data.ts: each program and the instructions whose constant
 * is the pid or the negated process group, the only ones that differ. A
 * start patches those into a copy. Any other input (a config, a flag, another
 * option) compiles as before.
 *
 * `tests/bundle_test.ts` checks that the data is what the sources make, and
 * `builtin_filter_test.ts` that a patched program is byte for byte the one
 * compiled for the same numbers.
 *
 * @module
 */

import type { Arch } from "../arch/arch.ts";
import { BUILTIN_FILTERS } from "./builtin_filter_data.ts";

/** One prebuilt program (its fields are described in builtin_filter_data.ts). */
export type BuiltinFilter = (typeof BUILTIN_FILTERS)[string];

/** What the built-in policy's program depends on besides the two numbers. */
export interface BuiltinForm {
  /** The architecture. */
  arch: Arch["name"];
  /** Landlock's signal scope is in force (`CompileOptions.signalScoped`). */
  signalScoped: boolean;
  /** jail's process group is above 1, and has a rule of its own (guards.ts). */
  groupRule: boolean;
}

/** The key of a form in {@linkcode BUILTIN_FILTERS}. */
export function formKey(form: BuiltinForm): string {
  return `${form.arch} ${form.signalScoped ? "scoped" : "unscoped"} ${
    form.groupRule ? "group" : "no-group"
  }`;
}

/**
 * The built-in policy's program for `form`, with jail's numbers in it; undefined when no
 * program was prebuilt for that form.
 */
export function builtinFilter(
  form: BuiltinForm,
  pid: number,
  pgrp: number,
): Uint8Array | undefined {
  const prebuilt = BUILTIN_FILTERS[formKey(form)];
  if (prebuilt === undefined) return undefined;
  const program = Uint8Array.fromBase64(prebuilt.program);
  const view = new DataView(program.buffer);
  // `k`: the second little-endian word of each 8-byte instruction.
  for (const i of prebuilt.pid) view.setUint32(i * 8 + 4, pid >>> 0, true);
  for (const i of prebuilt.pgrp) view.setUint32(i * 8 + 4, (-pgrp) >>> 0, true);
  return program;
}

/**
 * A prebuilt program from two compilations of one form with different numbers: the program of
 * the first, and the instructions where only the numbers differ.
 *
 * @throws {Error} When the two differ anywhere else: the form's program then depends on the
 *   numbers in some other way, and cannot be patched.
 */
export function prebuild(
  a: { program: Uint8Array; pid: number; pgrp: number },
  b: { program: Uint8Array; pid: number; pgrp: number },
): BuiltinFilter {
  if (a.program.length !== b.program.length) {
    throw new Error("the built-in program's length depends on jail's pid or process group");
  }
  // Words as the little-endian machines jail runs on hold them.
  const wa = new Uint32Array(a.program.slice().buffer);
  const wb = new Uint32Array(b.program.slice().buffer);
  const pid: number[] = [];
  const pgrp: number[] = [];
  for (let i = 0; i < wa.length; i += 2) {
    if (wa[i] !== wb[i]) throw new Error(`instruction ${i / 2} differs beyond its constant`);
    if (wa[i + 1] === wb[i + 1]) continue;
    if (wa[i + 1] === a.pid >>> 0 && wb[i + 1] === b.pid >>> 0) pid.push(i / 2);
    else if (wa[i + 1] === (-a.pgrp) >>> 0 && wb[i + 1] === (-b.pgrp) >>> 0) pgrp.push(i / 2);
    else throw new Error(`instruction ${i / 2}'s constant is neither the pid nor the group`);
  }
  return { program: a.program.toBase64(), pid, pgrp };
}
