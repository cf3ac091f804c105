/**
 * POSIX timers' ABI (`timer_create(2)`, `sigaction(2)` as glibc lays it out),
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
 * glibc's `struct sigaction` on 64-bit Linux (x86_64 and aarch64 alike): the
 * handler, a 128-byte `sigset_t`, `int sa_flags`, then `sa_restorer`.
 */
export const LIBC_SIGACTION = { bytes: 152, handler: 0, mask: 8, flags: 136 } as const;
/** `SA_RESTART`: a call the handler interrupted restarts instead of failing with EINTR. */
export const SA_RESTART = 0x10000000;
