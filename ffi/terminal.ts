/**
 * The controlling terminal's foreground process group: tcgetpgrp and
 * tcsetpgrp, the latter with SIGTTOU blocked on the calling thread, since
 * jail hands the terminal over and takes it back while its own group is in
 * the background (where the kernel would stop it with SIGTTOU instead).
 *
 * @module
 */

import { errno, lazySymbols, sys, type SysResult } from "./libc.ts";
import { IOCTL } from "../kernel/ioctl.ts";
import { LIBC_SIGSET_BYTES, SIG, SIGNALS } from "../kernel/signals.ts";

const SYMBOLS = {
  // int tcsetpgrp(int fd, pid_t pgrp)
  tcsetpgrp: { parameters: ["i32", "i32"], result: "i32" },
  // int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
  pthread_sigmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

const SIGTTOU = SIGNALS.SIGTTOU;

/**
 * The foreground process group of the terminal on `fd`; `-errno` when `fd`
 * is not this process's controlling terminal (ENOTTY), or not a terminal.
 */
export function foregroundGroup(fd: number): SysResult {
  const group = new Int32Array(1);
  const rc = sys("ioctl", fd, IOCTL.TIOCGPGRP, group);
  return rc < 0 ? rc : group[0];
}

/**
 * tcsetpgrp(3) with SIGTTOU blocked for the call (the kernel then lets a
 * background group set the foreground); 0 or `-errno`.
 */
export function setForegroundGroup(fd: number, pgrp: number): SysResult {
  const block = new Uint8Array(LIBC_SIGSET_BYTES);
  block[Math.floor((SIGTTOU - 1) / 8)] = 1 << ((SIGTTOU - 1) % 8);
  const old = new Uint8Array(LIBC_SIGSET_BYTES);
  sym.pthread_sigmask(SIG.BLOCK, block, old);
  try {
    return sym.tcsetpgrp(fd, pgrp) === 0 ? 0 : -errno();
  } finally {
    sym.pthread_sigmask(SIG.SETMASK, old, null as unknown as Uint8Array<ArrayBuffer>);
  }
}
