/**
 * This machine's syscall numbers, picked by `Deno.build.arch`, for the
 * modules that make raw syscalls themselves (`ffi/`). Kept apart from
 * `src/arch/arch.ts`, which binds ptrace through `ffi/ptrace.ts`: `ffi/`
 * imports only `kernel/`.
 *
 * @module
 */

import { SYSCALL_NUMBERS as AARCH64 } from "./aarch64_syscalls.ts";
import { SYSCALL_NUMBERS as X86_64 } from "./x86_64_syscalls.ts";

/** A syscall both architectures have, by name. */
export type CommonSyscall = keyof typeof AARCH64 & keyof typeof X86_64;

/** The number of each syscall both architectures have, on this machine's architecture. */
export const HOST_SYSCALL_NUMBERS: Readonly<Record<CommonSyscall, number>> =
  Deno.build.arch === "aarch64" ? AARCH64 : X86_64;

/** The host number of `name`, as a BigInt for the `syscall(2)` bindings. */
export function hostNr(name: CommonSyscall): bigint {
  return BigInt(HOST_SYSCALL_NUMBERS[name]);
}
