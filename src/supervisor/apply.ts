/**
 * A decision applied to the stopped call it was made for: what each kind
 * does to the call's registers (skip it with an errno or a value, rewrite
 * its arguments or its number, await its result), and how the thread goes
 * on. A kill is only vetted here: killing the tree is the loop's.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { PTRACE, PTRACE_EVENT } from "../../kernel/ptrace.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import type { FilterSpec } from "../bpf/compile.ts";
import type { Decision } from "../decision.ts";
import type { SyscallStop } from "./hooks.ts";
import type { Thread } from "./registry.ts";
import type { ThreadControl } from "./thread_control.ts";
import { refusalOf } from "./trace_origin.ts";
import { startWait } from "./wait.ts";

const EPERM = ERRNO_NUMBERS.EPERM;

/**
 * Applies `decision` to `call`, stopped at its seccomp stop in `thread`, and
 * resumes the thread (or parks it as lost).
 *
 * @param ctl The requests on stopped threads; its `regs` hold the call's registers.
 * @param filter jail's filter spec: it judges a rewritten argument 0 on arm64.
 * @returns True for a kill decision made at a stop still current: the caller kills the tree.
 */
export function applyDecision(
  ctl: ThreadControl,
  filter: FilterSpec,
  thread: Thread,
  call: SyscallStop,
  decision: Decision,
): boolean {
  const regs = call.regs;
  if (decision.action === "wait") {
    const instead = startWait(filter, thread, regs, decision);
    if (instead) return applyDecision(ctl, filter, thread, call, instead);
    thread.exitStop = true;
    if (regs.write(thread.tid) !== 0) ctl.lost(thread);
    else ctl.resume(thread, 0);
    return false;
  }
  // Any other decision ends a chain of waits (wait.ts).
  thread.retried = undefined;
  switch (decision.action) {
    case "allow":
      if (ctl.results) thread.exitStop = true;
      ctl.resume(thread, 0);
      return false;
    case "deny":
      regs.skipSyscall();
      regs.setResult(-decision.errno);
      break;
    case "return":
    case "perform":
      regs.skipSyscall();
      regs.setResult(decision.value);
      break;
    case "replace":
    case "args":
      if (decision.action === "replace") regs.setNr(decision.nr);
      for (const i in decision.args) regs.setArg(+i, decision.args[+i]);
      // arm64's re-check after this stop reads argument 0 from orig_x0, not the rewrite: jail's
      // filter judges the rewritten call here instead, and a refusal denies it.
      if (!HOST_ARCH.recheckSeesArg0 && "0" in decision.args) {
        const refused = refusalOf(filter, regs.nr, regs);
        if (refused) {
          regs.skipSyscall();
          regs.setResult(-(refused.kind === "errno" ? refused.errno : EPERM));
          break;
        }
      }
      if (ctl.results) thread.exitStop = true;
      break;
    case "result":
      thread.pendingResult = decision.value;
      thread.exitStop = true;
      if (ctl.request(thread, PTRACE.SYSCALL, 0)) thread.state = "syscall-exit";
      return false;
    case "kill":
      // Never kill the tree on a stale stop: the data may be an exit status.
      if (ctl.stillAt(thread, PTRACE_EVENT.SECCOMP)) return true;
      ctl.lost(thread);
      return false;
  }
  if (regs.write(thread.tid) !== 0) ctl.lost(thread);
  else ctl.resume(thread, 0);
  return false;
}
