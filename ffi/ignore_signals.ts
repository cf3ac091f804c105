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

import { lazySymbols } from "./libc.ts";
import { hostNr } from "../kernel/host_syscalls.ts";
import { KERNEL_SIGSET_BYTES, SIG_IGN } from "../kernel/signals.ts";

const SYMBOLS = {
  // long syscall(SYS_rt_sigaction, int sig, const struct kernel_sigaction *act,
  //              struct kernel_sigaction *old, size_t sigsetsize)
  rt_sigaction: {
    name: "syscall",
    parameters: ["i64", "i64", "buffer", "u64", "u64"],
    result: "i64",
  },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

const SYS_RT_SIGACTION = hostNr("rt_sigaction");
const SIGSET_SIZE = BigInt(KERNEL_SIGSET_BYTES);

/**
 * Ignores each of `signals` in this whole process (the raw syscall: glibc's
 * sigaction refuses its internal signals, which are never passed here).
 *
 * @returns The signals that could not be ignored (empty on success).
 */
export function ignoreSignals(signals: readonly number[]): number[] {
  // struct kernel_sigaction { handler, flags, restorer, mask }.
  const act = new BigUint64Array([SIG_IGN, 0n, 0n, 0n]);
  return signals.filter((sig) =>
    sym.rt_sigaction(SYS_RT_SIGACTION, BigInt(sig), act, 0n, SIGSET_SIZE) !== 0n
  );
}
