/**
 * Process-wide SIG_IGN for signals Deno cannot listen to.
 *
 * `Deno.addSignalListener` refuses real-time signals by name, so jail can
 * neither forward them nor catch them, and their default action would end
 * jail (and, through PTRACE_O_EXITKILL, the tree without a chance to clean
 * up). The CLI ignores them instead. The launch restores their default
 * action in the command's process before its execve (src/launch/launch.ts), so the command
 * sees the dispositions it would have seen without jail.
 *
 * @module
 */

import { sys } from "./libc.ts";
import { KERNEL_SIGSET_BYTES, SIG_IGN } from "../kernel/signals.ts";

/**
 * Ignores each of `signals` in this whole process (the raw syscall: glibc's
 * sigaction refuses its internal signals, which are never passed here).
 *
 * @returns The signals that could not be ignored (empty on success).
 */
export function ignoreSignals(signals: readonly number[]): number[] {
  // struct kernel_sigaction { handler, flags, restorer, mask }.
  const act = new BigUint64Array([SIG_IGN, 0n, 0n, 0n]);
  return signals.filter((sig) => sys("rt_sigaction", sig, act, null, KERNEL_SIGSET_BYTES) !== 0);
}
