/**
 * POSIX timers' ABI (`timer_create(2)`, `rt_sigaction(2)` as the kernel lays it out),
 * for the alarm that wakes the CLI's supervisor thread (ffi/thread_alarm.ts).
 *
 * @module
 */

/** `CLOCK_MONOTONIC`. */
export const CLOCK_MONOTONIC = 1;
/** `sigev_notify`: deliver the signal to the thread `_tid` names (Linux-specific). */
export const SIGEV_THREAD_ID = 4;
/** `struct sigevent`: 64 bytes on every 64-bit ABI. */
export const SIGEVENT_BYTES = 64;
/** Offsets in `struct sigevent`: `sigev_signo`, `sigev_notify`, then the union whose first int is `_tid`. */
export const SIGEVENT = { signo: 8, notify: 12, tid: 16 } as const;
/** `struct itimerspec` { it_interval, it_value }, each { tv_sec, tv_nsec }: four 64-bit words. */
export const ITIMERSPEC_WORDS = 4;
/**
 * The kernel's `struct sigaction` for `rt_sigaction` on x86_64 and aarch64:
 * four 64-bit words, handler, flags, restorer, then the 64-bit mask.
 */
export const KERNEL_SIGACTION = { words: 4, handler: 0, flags: 1, restorer: 2, mask: 3 } as const;
/** `SA_RESTART`: a call the handler interrupted restarts instead of failing with EINTR. */
export const SA_RESTART = 0x10000000;
/**
 * `SA_RESTORER` (x86_64 and aarch64): `sa_restorer` holds the code a handler
 * returns to (`rt_sigreturn`). x86_64 delivers no signal to a handler without
 * one; aarch64 returns through the vDSO when it is absent.
 */
export const SA_RESTORER = 0x04000000;
/**
 * glibc's own SIGSETXID (33): glibc installs its handler in every process at
 * start, with its own restorer, the one a handler of jail's can borrow.
 */
export const GLIBC_SIGSETXID = 33;
