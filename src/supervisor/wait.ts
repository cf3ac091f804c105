/**
 * A call that jail performs for the tree and that would block: the caller
 * waits in its own `ppoll`, then makes the call again.
 *
 * jail makes some calls itself, on a duplicate of the caller's socket (a
 * sendto with a destination, a unix connect: see `src/net/act.ts`), and
 * makes them non-blocking: the supervisor serves the whole tree, so a send
 * into a full datagram queue or a connect to a full listen backlog that
 * blocked it would stop every process at its next stop, the peer that was to
 * drain the queue among them (a run that never ends, timeouts included). So
 * the caller's call is turned into `ppoll` on its own descriptor (POLLOUT) or,
 * where writability says nothing of the peer, on no descriptor, for a short
 * while that doubles up to {@linkcode MAX_DELAY_MS}; at that call's exit
 * the original call is set up again at its syscall instruction, and comes
 * back to its seccomp stop to be checked and performed anew.
 *
 * What the caller sees is what a blocking call shows: it waits until the call
 * goes through; SO_SNDTIMEO, where set, ends the wait with EAGAIN; a signal
 * interrupts it as it would interrupt the call itself (x86_64: EINTR under a
 * handler without SA_RESTART, a restart otherwise; arm64 restarts it always,
 * since a restart there re-reads argument 0 from `orig_x0`, which ptrace
 * cannot write: see `recheckSeesArg0` in kernel/abi.ts).
 *
 * @module
 */

import { writeMemory } from "../../ffi/memory.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { POLLOUT } from "../../kernel/socket.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import type { SyscallRegisters } from "../arch/registers.ts";
import type { FilterSpec } from "../bpf/compile.ts";
import type { Decision } from "../decision.ts";
import type { Thread, Waiting } from "./registry.ts";
import { refusalOf } from "./trace_origin.ts";

/** The first wait, in milliseconds. */
export const FIRST_DELAY_MS = 1;
/** The longest wait between two tries, in milliseconds. */
export const MAX_DELAY_MS = 32;

const { EAGAIN, EINTR } = ERRNO_NUMBERS;
/** The kernel's internal restart codes (include/linux/errno.h), seen at a syscall-exit stop. */
const ERESTARTSYS = 512;
const ERESTART_RESTARTBLOCK = 516;
const PPOLL = HOST_ARCH.numbers.ppoll;
const SYSCALL_BYTES = BigInt(HOST_ARCH.syscallInstruction.length);
/** `struct pollfd` (8 bytes) at 0, `struct timespec` (16 bytes) at 16. */
const AREA = 32;

/** `wait` decisions. */
export type WaitDecision = Extract<Decision, { action: "wait" }>;

/**
 * Turns the stopped call into its wait: writes the poll set below the red
 * zone and rewrites the registers. The caller resumes the thread with the
 * exit stop awaited ({@linkcode Thread.exitStop}).
 *
 * @returns undefined when the wait is set up, else the decision to apply instead
 *   (SO_SNDTIMEO ran out, or the caller's stack cannot take the poll set: EAGAIN).
 */
export function startWait(
  filter: FilterSpec,
  thread: Thread,
  regs: SyscallRegisters,
  decision: WaitDecision,
): Decision | undefined {
  const again = thread.retried;
  thread.retried = undefined;
  const chain = again && again.nr === regs.nr && again.ip === regs.ip ? again : undefined;
  const now = performance.now();
  const since = chain?.since ?? now;
  const wouldBlock: Decision = { action: "deny", errno: EAGAIN, rule: decision.rule, kernel: true };
  let delay = chain ? Math.min(chain.delayMs * 2, MAX_DELAY_MS) : FIRST_DELAY_MS;
  if (decision.timeoutMs > 0) {
    const left = decision.timeoutMs - (now - since);
    if (left <= 0) return wouldBlock;
    delay = Math.min(delay, left);
  }
  const addr = (regs.sp - BigInt(HOST_ARCH.redZone) - BigInt(AREA)) & ~15n;
  const area = new Uint8Array(AREA);
  const view = new DataView(area.buffer);
  view.setInt32(0, decision.fd, true); // a negative descriptor is ignored: a plain sleep
  view.setInt16(4, POLLOUT, true);
  const ns = Math.round(delay * 1e6);
  view.setBigInt64(16, BigInt(Math.floor(ns / 1e9)), true);
  view.setBigInt64(24, BigInt(ns % 1e9), true);
  if (writeMemory(thread.tid, addr, area) !== AREA) return wouldBlock;
  const args = [0, 1, 2, 3, 4, 5].map((i) => regs.arg(i));
  const waiting: Waiting = { nr: regs.nr, args, ip: regs.ip, since, delayMs: delay };
  regs.setNr(PPOLL);
  regs.setArg(0, addr);
  regs.setArg(1, 1);
  regs.setArg(2, addr + 16n);
  regs.setArg(3, 0);
  regs.setArg(4, 8);
  // arm64 re-checks the new call with argument 0 from orig_x0: judge it here (see apply.ts).
  if (!HOST_ARCH.recheckSeesArg0 && refusalOf(filter, PPOLL, regs)) return wouldBlock;
  thread.waiting = waiting;
  return undefined;
}

/**
 * At the wait's exit stop (registers read): sets the original call up again,
 * or its interruption, or (the wait itself failed: a filter refused ppoll)
 * EAGAIN. The caller writes the registers and resumes the thread.
 */
export function endWait(thread: Thread, regs: SyscallRegisters): void {
  const w = thread.waiting!;
  thread.waiting = undefined;
  const rc = regs.result;
  const interrupted = rc === BigInt(-EINTR) ||
    (rc <= BigInt(-ERESTARTSYS) && rc >= BigInt(-ERESTART_RESTARTBLOCK));
  if (rc < 0n && !interrupted) {
    regs.setResult(-EAGAIN);
    return;
  }
  thread.retried = w;
  if (interrupted && HOST_ARCH.recheckSeesArg0) {
    // The call itself, interrupted: the kernel's signal code restarts it (SA_RESTART, or no
    // handler) or fails it with EINTR, from orig_rax and the argument registers.
    regs.setNr(w.nr);
    for (let i = 0; i < 6; i++) regs.setArg(i, w.args[i]);
    regs.setResult(-ERESTARTSYS);
    return;
  }
  regs.setSyscall(w.ip - SYSCALL_BYTES, w.nr, w.args);
}
