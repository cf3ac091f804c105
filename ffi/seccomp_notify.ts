/**
 * The seccomp listener's calls: wait for a notification, answer it, and the
 * listener's flags and sizes. Blocking calls on purpose: each serving thread
 * of the pool (src/notify/) sleeps in its own `ioctl(NOTIF_RECV)`, and a
 * `nonblocking` symbol would hand the call to Deno's thread pool instead.
 * The structures' layouts are in kernel/seccomp.ts.
 *
 * @module
 */

import { bindSymbols, bindSysNow, errno, lazySymbols, sys, type SysResult } from "./libc.ts";
import {
  SECCOMP_GET_NOTIF_SIZES,
  SECCOMP_IOCTL_NOTIF_ID_VALID,
  SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR,
  SECCOMP_IOCTL_NOTIF_RECV,
  SECCOMP_IOCTL_NOTIF_SEND,
  SECCOMP_IOCTL_NOTIF_SET_FLAGS,
  SECCOMP_NOTIF_SIZES_BYTES,
} from "../kernel/seccomp.ts";
import { ERRNO_NUMBERS } from "../kernel/errno.ts";

const EINVAL = ERRNO_NUMBERS.EINVAL;

// The calls made once a listener (SET_FLAGS, the sizes query) or only in the before-6.6 mode and at
// a listener's end (ppoll) go through sys(), the one binding of syscall(): the run's first answers
// are made by the supervisor's thread (src/notify/early.ts), where each binding costs about 0.25 ms
// of the command's start. RECV, SEND and ID_VALID keep their own: through sys() an answer took
// 1.4 µs more (100,000 getppid under a `return` rule, 570 against 712 ms, measured).
const SYMBOLS = {
  // int ioctl(int fd, unsigned long request, void *arg): RECV, SEND, ID_VALID
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** Binds every symbol of this module now (see {@linkcode bindSymbols}). */
export function bindNotifyNow(): void {
  bindSymbols(sym);
  bindSysNow();
}
const RECV = BigInt(SECCOMP_IOCTL_NOTIF_RECV);
const SEND = BigInt(SECCOMP_IOCTL_NOTIF_SEND);

/** poll(2)'s events: readable, and the other end gone (every task of the filter exited). */
export const POLL = { IN: 0x1, HUP: 0x10 } as const;

/**
 * Waits for a notification and takes it into `notif` (a `struct
 * seccomp_notif`, zeroed here first as the kernel requires).
 *
 * @returns 0, or `-errno`: ENOENT when the caller was interrupted or died before it was taken,
 *   or (Linux 6.6 and later) when the last task of the filter has gone.
 */
export function notifRecv(fd: number, notif: Uint8Array<ArrayBuffer>): SysResult {
  notif.fill(0);
  return sym.ioctl(fd, RECV, notif) === 0 ? 0 : -errno();
}

/**
 * Answers a notification with `resp` (a `struct seccomp_notif_resp`).
 *
 * @returns 0, or `-errno`: ENOENT when the caller is gone or was interrupted meanwhile (normal).
 */
export function notifSend(fd: number, resp: Uint8Array<ArrayBuffer>): SysResult {
  return sym.ioctl(fd, SEND, resp) === 0 ? 0 : -errno();
}

const idBuf = new BigUint64Array(1);
const idBytes = new Uint8Array(idBuf.buffer);
let idValid = BigInt(SECCOMP_IOCTL_NOTIF_ID_VALID);

/**
 * Whether notification `id` still waits for its answer
 * (SECCOMP_IOCTL_NOTIF_ID_VALID): its caller is alive and in the call, so
 * the thread id the notification named is still that caller's.
 *
 * @returns 0 when it waits, or `-errno`: ENOENT when it does not (the caller died, or a
 *   signal interrupted the call, which comes again as a new notification).
 */
export function notifIdValid(fd: number, id: bigint): SysResult {
  idBuf[0] = id;
  if (sym.ioctl(fd, idValid, idBytes) === 0) return 0;
  const e = errno();
  // Before Linux 5.9 the kernel knew this request only by its first number, of the wrong
  // direction (SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR), which later kernels still take.
  if (e === EINVAL && idValid === BigInt(SECCOMP_IOCTL_NOTIF_ID_VALID)) {
    idValid = BigInt(SECCOMP_IOCTL_NOTIF_ID_VALID_WRONG_DIR);
    return notifIdValid(fd, id);
  }
  return -e;
}

/** SECCOMP_IOCTL_NOTIF_SET_FLAGS (Linux 6.6): 0, or `-errno` (EINVAL before 6.6). */
export function notifSetFlags(fd: number, flags: number): SysResult {
  return sys("ioctl", fd, BigInt(SECCOMP_IOCTL_NOTIF_SET_FLAGS), BigInt(flags));
}

const pollBuf = new Uint8Array(8); // struct pollfd { int fd; short events; short revents; }
const pollView = new DataView(pollBuf.buffer);
const pollWait = new BigInt64Array(2);

/**
 * `ppoll` on one descriptor, without changing the signal mask.
 *
 * @param timeoutMs How long at most, fractions of a millisecond included (the supervisor's
 *   wait watches the listener for 20 µs at a time); -1 waits without end.
 * @returns The revents (0 on timeout), or `-errno` (EINTR: a signal's handler ran).
 */
export function pollOne(fd: number, events: number, timeoutMs: number): SysResult {
  pollView.setInt32(0, fd, true);
  pollView.setInt16(4, events, true);
  pollView.setInt16(6, 0, true);
  if (timeoutMs >= 0) {
    const ns = Math.round(timeoutMs * 1e6);
    pollWait[0] = BigInt(Math.floor(ns / 1e9));
    pollWait[1] = BigInt(ns % 1e9);
  }
  const rc = sys("ppoll", pollBuf, 1, timeoutMs >= 0 ? pollWait : null, null, 0);
  return rc <= 0 ? rc : pollView.getUint16(6, true);
}

/**
 * The kernel's sizes of `struct seccomp_notif`, `struct seccomp_notif_resp`
 * and `struct seccomp_data` (SECCOMP_GET_NOTIF_SIZES, Linux 5.0).
 *
 * @returns The three sizes, or `-errno` when the kernel has no notifications.
 */
export function notifSizes(): { notif: number; resp: number; data: number } | SysResult {
  const out = new Uint8Array(SECCOMP_NOTIF_SIZES_BYTES);
  const rc = sys("seccomp", SECCOMP_GET_NOTIF_SIZES, 0, out);
  if (rc !== 0) return rc;
  const v = new DataView(out.buffer);
  return { notif: v.getUint16(0, true), resp: v.getUint16(2, true), data: v.getUint16(4, true) };
}
