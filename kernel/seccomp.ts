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

/** seccomp(2) operation: the sizes of the notification structures (`struct seccomp_notif_sizes`). */
export const SECCOMP_GET_NOTIF_SIZES = 3;

/**
 * `struct seccomp_notif` { u64 id; u32 pid; u32 flags; struct seccomp_data data; }: what
 * SECCOMP_IOCTL_NOTIF_RECV fills. Byte offsets, and its size as this jail was written for; the
 * kernel says its own with SECCOMP_GET_NOTIF_SIZES, which may only grow.
 */
export const SECCOMP_NOTIF = {
  id: 0,
  pid: 8,
  flags: 12,
  /** The `struct seccomp_data` of the call, as the filter saw it. */
  data: 16,
  size: 16 + SECCOMP_DATA_SIZE,
} as const;

/**
 * `struct seccomp_notif_resp` { u64 id; s64 val; s32 error; u32 flags; }: what
 * SECCOMP_IOCTL_NOTIF_SEND reads. `error` is a negative errno (0: the call
 * returns `val`).
 */
export const SECCOMP_NOTIF_RESP = { id: 0, val: 8, error: 16, flags: 20, size: 24 } as const;

/** `struct seccomp_notif_sizes` { u16 seccomp_notif; u16 seccomp_notif_resp; u16 seccomp_data; }. */
export const SECCOMP_NOTIF_SIZES_BYTES = 6;

/** Notification response flag (5.5): let the call run as the tree made it. */
export const SECCOMP_USER_NOTIF_FLAG_CONTINUE = 1;
/** Listener flag (6.6): wake the serving thread on the caller's CPU, as a synchronous hand-off. */
export const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP = 1;

/** `_IOWR('!', 0, struct seccomp_notif)`: wait for and take one notification. */
export const SECCOMP_IOCTL_NOTIF_RECV = 0xc0502100;
/** `_IOWR('!', 1, struct seccomp_notif_resp)`: answer one. */
export const SECCOMP_IOCTL_NOTIF_SEND = 0xc0182101;
/** `_IOW('!', 2, __u64)`: is the notification with this id still waiting? */
export const SECCOMP_IOCTL_NOTIF_ID_VALID = 0x40082102;
/**
 * `_IOR('!', 2, __u64)`: the same request as Linux 5.0 to 5.8 numbered it
 * (the direction was wrong); later kernels take both.
 */
export const SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR = 0x80082102;
/** `_IOW('!', 4, __u64)` (6.6): the listener's flags. */
export const SECCOMP_IOCTL_NOTIF_SET_FLAGS = 0x40082104;
