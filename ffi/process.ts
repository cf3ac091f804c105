/**
 * Processes: signals (kill, tgkill), ids (getpid, getpgrp), prctl, and the
 * pidfd calls by which the supervisor takes a duplicate of a tracee's
 * descriptor. Signal numbers and prctl options are in `kernel/`.
 *
 * @module
 */

import { bindSymbols, errno, ErrnoError, lazySymbols, sys, type SysResult } from "./libc.ts";

const SYMBOLS = {
  // int kill(pid_t pid, int sig)
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // int tgkill(pid_t tgid, pid_t tid, int sig)
  tgkill: { parameters: ["i32", "i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** Binds symbols of this module now (default: all; see {@linkcode bindSymbols}). */
export function bindProcessNow(names?: readonly (keyof typeof SYMBOLS)[]): void {
  bindSymbols(sym, names);
}

/** kill(2); 0 or `-errno`. */
export function kill(pid: number, sig: number): SysResult {
  return sym.kill(pid, sig) === 0 ? 0 : -errno();
}

/** tgkill(2); 0 or `-errno`. */
export function tgkill(tgid: number, tid: number, sig: number): SysResult {
  return sym.tgkill(tgid, tid, sig) === 0 ? 0 : -errno();
}

/** getpid(2). */
export function getpid(): number {
  return sys("getpid");
}

/** getpgrp(2): this process's group. */
export function getpgrp(): number {
  return sys("getpgid", 0);
}

/** prctl(2) with one argument (`PR` in kernel/prctl.ts). @throws {ErrnoError} */
export function prctl(option: number, arg2 = 0): void {
  const rc = sys("prctl", option, arg2);
  if (rc < 0) throw new ErrnoError(`prctl(${option})`, -rc);
}

/** pidfd_open(2); the pidfd or `-errno`. */
export function pidfdOpen(pid: number): SysResult {
  return sys("pidfd_open", pid, 0);
}

/** pidfd_getfd(2): a duplicate (close-on-exec) of another process's descriptor, or `-errno`. */
export function pidfdGetfd(pidfd: number, fd: number): SysResult {
  return sys("pidfd_getfd", pidfd, fd, 0);
}

/**
 * pidfd_send_signal(2) on behalf of a tracee: `info` is the `siginfo_t` it
 * passed (null for none). 0 or `-errno`.
 */
export function pidfdSendSignal(
  pidfd: number,
  sig: number,
  info: Uint8Array | null,
  flags: bigint,
): SysResult {
  return sys("pidfd_send_signal", pidfd, sig, info, flags);
}
