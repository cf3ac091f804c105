/**
 * The calling thread's signal mask, by the raw `rt_sigprocmask` through
 * {@linkcode sys}: what glibc's `pthread_sigmask` does, without a binding of
 * its own (each costs about 0.25 ms to make, on the way to the command's
 * first instruction).
 *
 * @module
 */

import { sys, type SysResult } from "./libc.ts";
import { KERNEL_SIGSET_BYTES } from "../kernel/signals.ts";

/**
 * glibc's own signals (SIGCANCEL 32, SIGSETXID 33): its `pthread_sigmask`
 * never blocks them, since `setuid` and thread cancellation in a
 * multi-threaded process wait for every thread to take them. Nor does this.
 */
const GLIBC_INTERNAL = [32, 33];

/**
 * A kernel signal set (64 bits) holding `signals`, or every signal for
 * `"all"` ({@linkcode setThreadSignalMask} leaves glibc's own out).
 */
export function signalSet(signals: readonly number[] | "all"): Uint8Array<ArrayBuffer> {
  const set = new Uint8Array(KERNEL_SIGSET_BYTES);
  if (signals === "all") return set.fill(0xff);
  for (const sig of signals) set[(sig - 1) >> 3] |= 1 << ((sig - 1) & 7);
  return set;
}

/**
 * Changes the calling thread's signal mask (`how`: SIG.BLOCK, SIG.SETMASK),
 * keeping glibc's own signals unblocked.
 *
 * @param set The signals, a {@linkcode signalSet}.
 * @param old Receives the mask before (a {@linkcode KERNEL_SIGSET_BYTES} buffer), or null.
 * @returns 0, or `-errno`.
 */
export function setThreadSignalMask(
  how: number,
  set: Uint8Array,
  old: Uint8Array | null,
): SysResult {
  let given = set;
  if (GLIBC_INTERNAL.some((sig) => set[(sig - 1) >> 3] & (1 << ((sig - 1) & 7)))) {
    given = set.slice();
    for (const sig of GLIBC_INTERNAL) given[(sig - 1) >> 3] &= ~(1 << ((sig - 1) & 7));
  }
  return sys("rt_sigprocmask", how, given, old, KERNEL_SIGSET_BYTES);
}
