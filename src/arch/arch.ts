/**
 * The architecture seam: everything the rest of jail needs that differs
 * between x86_64 and aarch64, behind one {@linkcode Arch} object per
 * architecture. {@linkcode HOST_ARCH} is the one `Deno.build.arch` names;
 * policy compilation takes an `Arch` as a parameter, so the tests on one
 * machine compile and check the other's filters.
 *
 * @module
 */

import { abiOf, ABIS, type ArchAbi, type ArchName } from "../../kernel/abi.ts";
import * as aarch64Table from "../../kernel/aarch64_syscalls.ts";
import * as x86_64Table from "../../kernel/x86_64_syscalls.ts";
import { Registers as Aarch64Registers } from "./aarch64.ts";
import { Registers as X86_64Registers } from "./x86_64.ts";
import type { SyscallRegisters } from "./registers.ts";

export type { ArchName } from "../../kernel/abi.ts";
export type { SyscallRegisters } from "./registers.ts";

/** A syscall name of any architecture jail supports. */
export type AnySyscallName =
  | keyof typeof x86_64Table.SYSCALL_NUMBERS
  | keyof typeof aarch64Table.SYSCALL_NUMBERS;

/** One architecture: its ABI constants, its syscall table and its registers. */
export interface Arch extends ArchAbi {
  /** Number of each of its syscalls, by name. */
  readonly numbers: Readonly<Record<string, number>>;
  /** Syscall name by number; `""` for unassigned numbers. */
  readonly names: readonly string[];
  /** Highest number in its table. */
  readonly maxNr: number;
  /** The kernel version its table comes from. */
  readonly tableKernel: string;
  /** A new register set for the supervisor's stops (ptrace on this architecture only). */
  newRegisters(): SyscallRegisters;
}

/** x86_64. */
export const X86_64: Arch = {
  ...ABIS.x86_64,
  numbers: x86_64Table.SYSCALL_NUMBERS,
  names: x86_64Table.SYSCALL_NAMES,
  maxNr: x86_64Table.MAX_SYSCALL_NR,
  tableKernel: x86_64Table.SYSCALL_TABLE_KERNEL,
  newRegisters: () => new X86_64Registers(),
};

/** aarch64 (arm64). */
export const AARCH64: Arch = {
  ...ABIS.aarch64,
  numbers: aarch64Table.SYSCALL_NUMBERS,
  names: aarch64Table.SYSCALL_NAMES,
  maxNr: aarch64Table.MAX_SYSCALL_NR,
  tableKernel: aarch64Table.SYSCALL_TABLE_KERNEL,
  newRegisters: () => new Aarch64Registers(),
};

/** Every supported architecture, by name. */
export const ARCHES: Readonly<Record<ArchName, Arch>> = { x86_64: X86_64, aarch64: AARCH64 };

/** The architecture jail runs on. */
export const HOST_ARCH: Arch = ARCHES[abiOf(Deno.build.arch).name];

/** Whether some supported architecture has a syscall called `name`. */
export function isKnownSyscall(name: string): name is AnySyscallName {
  return Object.hasOwn(X86_64.numbers, name) || Object.hasOwn(AARCH64.numbers, name);
}

/** Every syscall name of any supported architecture, x86_64's first. */
export function allSyscallNames(): string[] {
  return [...new Set([...Object.keys(X86_64.numbers), ...Object.keys(AARCH64.numbers)])];
}

/** `name`'s number on `arch`, or undefined when that architecture lacks the call. */
export function syscallNr(arch: Arch, name: string): number | undefined {
  return Object.hasOwn(arch.numbers, name) ? arch.numbers[name] : undefined;
}

/** The name of `nr` on `arch`, or `syscall_<nr>`. */
export function syscallName(arch: Arch, nr: number): string {
  return (nr >= 0 && arch.names[nr]) || `syscall_${nr}`;
}
