/**
 * Processes: signals (kill, tgkill), ids (getpid, getpgrp), prctl, and the
 * pidfd calls by which the supervisor takes a duplicate of a tracee's
 * descriptor. Signal numbers and prctl options are in `kernel/`.
 *
 * @module
 */

import { bindSymbols, errno, lazySymbols, orThrow, type SysResult, sysResult } from "./libc.ts";
import { hostNr } from "../kernel/host_syscalls.ts";

const SYMBOLS = {
  // int kill(pid_t pid, int sig)
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // int tgkill(pid_t tgid, pid_t tid, int sig)
  tgkill: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // pid_t getpid(void)
  getpid: { parameters: [], result: "i32" },
  // pid_t getpgrp(void)
  getpgrp: { parameters: [], result: "i32" },
  // int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  // long syscall(SYS_pidfd_send_signal, int pidfd, int sig, siginfo_t *info, unsigned int flags)
  pidfd_send_signal: {
    name: "syscall",
    parameters: ["i64", "i64", "i64", "buffer", "u64"],
    result: "i64",
  },
  // long syscall(long nr, long a1, long a2, long a3): pidfd_open, pidfd_getfd
  syscall_int: { name: "syscall", parameters: ["i64", "i64", "i64", "i64"], result: "i64" },
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
  return sym.getpid();
}

/** getpgrp(2): this process's group. */
export function getpgrp(): number {
  return sym.getpgrp();
}

/** prctl(2) with one argument (`PR` in kernel/prctl.ts). @throws {ErrnoError} */
export function prctl(option: number, arg2 = 0): void {
  orThrow(`prctl(${option})`, sym.prctl(option, BigInt(arg2), 0n, 0n, 0n));
}

const SYS_PIDFD_OPEN = hostNr("pidfd_open");
const SYS_PIDFD_GETFD = hostNr("pidfd_getfd");
const SYS_PIDFD_SEND_SIGNAL = hostNr("pidfd_send_signal");

/** pidfd_open(2); the pidfd or `-errno`. */
export function pidfdOpen(pid: number): SysResult {
  return sysResult(sym.syscall_int(SYS_PIDFD_OPEN, BigInt(pid), 0n, 0n));
}

/** pidfd_getfd(2): a duplicate (close-on-exec) of another process's descriptor, or `-errno`. */
export function pidfdGetfd(pidfd: number, fd: number): SysResult {
  return sysResult(sym.syscall_int(SYS_PIDFD_GETFD, BigInt(pidfd), BigInt(fd), 0n));
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
  return sysResult(
    sym.pidfd_send_signal(
      SYS_PIDFD_SEND_SIGNAL,
      BigInt(pidfd),
      BigInt(sig),
      info as Uint8Array<ArrayBuffer> | null,
      flags,
    ),
  );
}
