/**
 * Signals to a process group, delivered by the supervisor.
 *
 * The jailed tree starts in a group of its own, but any of its processes may
 * join jail's (setpgid within the session); then `kill(0, sig)` (a shell's
 * `kill 0`, `kill -STOP 0`) or `kill(-pgrp, sig)` would reach jail too: SIGSTOP would freeze the supervisor, SIGKILL would end the run. The
 * filter sends those calls here; the signal goes to every member of the tree
 * in that group, and nowhere else.
 *
 * @module
 */

import { kill } from "../../ffi/process.ts";
import type { Decision } from "../decision.ts";
import type { SyscallRegisters } from "../arch/registers.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { SIGRTMAX } from "../../kernel/signals.ts";

const ESRCH = ERRNO_NUMBERS.ESRCH;
const EINVAL = ERRNO_NUMBERS.EINVAL;

/** The process group of `pid`, from /proc; undefined when it is gone. */
export function processGroupOf(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name: state ppid pgrp ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[2]);
  } catch {
    return undefined;
  }
}

/**
 * Delivers a stopped `kill(0 | -pgrp, sig)` to the tree's members of the group.
 *
 * @param pid The caller's process.
 * @param regs The caller's registers (arg 0: pid, arg 1: signal).
 * @param tree Pids of every live process of the tree.
 * @returns A decision that skips the call with kill's result.
 */
export function deliverToGroup(
  pid: number,
  regs: SyscallRegisters,
  tree: Iterable<number>,
): Decision {
  const target = regs.argInt(0);
  const sig = regs.argInt(1);
  const rule = "signal.group";
  if (sig < 0 || sig > SIGRTMAX) return { action: "deny", errno: EINVAL, rule };
  const group = target === 0 ? processGroupOf(pid) : -target;
  if (group === undefined) return { action: "deny", errno: ESRCH, rule };
  let delivered = false;
  let lastError = -ESRCH;
  for (const member of [...tree]) {
    if (processGroupOf(member) !== group) continue;
    const rc = kill(member, sig);
    if (rc === 0) delivered = true;
    else lastError = rc;
  }
  return delivered
    ? { action: "return", value: 0, rule }
    : { action: "deny", errno: -lastError, rule };
}
