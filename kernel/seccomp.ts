/**
 * seccomp's ABI (linux/seccomp.h): the filter's return actions, the layout
 * of `struct seccomp_data` it reads, and the operations and flags of
 * seccomp(2). The AUDIT_ARCH_* values are in `kernel/abi.ts`.
 *
 * @module
 */

/** Seccomp action: kill the whole process. */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
/** Seccomp action: kill the calling thread. */
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
/** Seccomp action: send SIGSYS; the low 16 bits go to `si_errno`. */
export const SECCOMP_RET_TRAP = 0x00030000;
/** Seccomp action: fail the syscall with the errno in the low 16 bits. */
export const SECCOMP_RET_ERRNO = 0x00050000;
/** Seccomp action: notify a user-space supervisor through the listener fd. */
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
/** Seccomp action: stop for the ptrace tracer; the low 16 bits are the event message. */
export const SECCOMP_RET_TRACE = 0x7ff00000;
/** Seccomp action: allow and log. */
export const SECCOMP_RET_LOG = 0x7ffc0000;
/** Seccomp action: allow. */
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** Mask selecting the action part of a seccomp return value. */
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
/** Mask selecting the data part of a seccomp return value. */
export const SECCOMP_RET_DATA = 0x0000ffff;

/**
 * Bit set in `seccomp_data.nr` for x32 syscalls (__X32_SYSCALL_BIT). No
 * aarch64 call has it either: the filter treats it alike on both.
 */
export const X32_SYSCALL_BIT = 0x40000000;

/** Offset of `seccomp_data.nr` (int). */
export const SECCOMP_DATA_NR = 0;
/** Offset of `seccomp_data.arch` (u32). */
export const SECCOMP_DATA_ARCH = 4;
/** Offset of `seccomp_data.instruction_pointer` (u64). */
export const SECCOMP_DATA_IP = 8;
/** Offset of `seccomp_data.args[0]` (u64 each). */
export const SECCOMP_DATA_ARGS = 16;
/** `sizeof(struct seccomp_data)`. */
export const SECCOMP_DATA_SIZE = 64;

/**
 * Offset of the low 32 bits of `seccomp_data.args[i]` (x86_64 is little-endian).
 *
 * @param i Argument index, 0..5.
 * @returns Byte offset into `seccomp_data`.
 */
export function argLowOffset(i: number): number {
  checkArgIndex(i);
  return SECCOMP_DATA_ARGS + 8 * i;
}

/**
 * Offset of the high 32 bits of `seccomp_data.args[i]`.
 *
 * @param i Argument index, 0..5.
 * @returns Byte offset into `seccomp_data`.
 */
export function argHighOffset(i: number): number {
  checkArgIndex(i);
  return SECCOMP_DATA_ARGS + 8 * i + 4;
}

function checkArgIndex(i: number): void {
  if (!Number.isInteger(i) || i < 0 || i > 5) {
    throw new RangeError(`Invalid syscall argument index: ${i} (must be 0..5)`);
  }
}

/** seccomp(2) operation: install a filter (SECCOMP_SET_MODE_FILTER). */
export const SECCOMP_SET_MODE_FILTER = 1;
/** seccomp(2) flag: return a listener descriptor for SECCOMP_RET_USER_NOTIF (close-on-exec). */
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;
