/**
 * Signal numbers and the signal-mask ABI (asm-generic/signal.h, the same
 * numbers on x86_64 and aarch64), and glibc's `sigset_t` size for the calls
 * made through libc.
 *
 * @module
 */

/** Signals by name (asm-generic/signal.h; x86_64 and aarch64 agree). */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

/** First real-time signal jail may touch: glibc keeps 32 and 33 for itself (SIGRTMIN is 34). */
export const SIGRTMIN_USABLE = 34;
/** Last real-time signal, `_NSIG` (asm-generic/signal.h). */
export const SIGRTMAX = 64;

/** Name of a signal number, `SIG?N` when unknown (real-time signals: `SIGRTMIN+N`). */
export function signalName(sig: number): string {
  for (const [name, n] of Object.entries(SIGNALS)) if (n === sig) return name;
  return sig >= SIGRTMIN_USABLE && sig <= SIGRTMAX
    ? `SIGRTMIN+${sig - SIGRTMIN_USABLE}`
    : `SIG?${sig}`;
}

/** `how` of sigprocmask(2)/pthread_sigmask(3) (asm-generic/signal-defs.h). */
export const SIG = {
  /** SIG_BLOCK: add the set to the mask. */
  BLOCK: 0,
  /** SIG_SETMASK: replace the mask. */
  SETMASK: 2,
} as const;

/** `SIG_IGN` as a handler address (asm-generic/signal-defs.h). */
export const SIG_IGN = 1n;

/** The kernel's `sigset_t`: 64 signals, the size rt_sigaction and rt_sigprocmask take. */
export const KERNEL_SIGSET_BYTES = 8;
/** glibc's `sigset_t` (1024 bits), for pthread_sigmask through libc; the kernel reads 8 bytes. */
export const LIBC_SIGSET_BYTES = 128;
/** `sizeof(siginfo_t)` (asm-generic/siginfo.h: SI_MAX_SIZE). */
export const SIGINFO_SIZE = 128;
