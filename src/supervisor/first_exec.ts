/**
 * The root's first execve, set up by the launch and run under the loop:
 * until it succeeds the root is resumed with PTRACE_SYSCALL, so that a
 * failed execve stops at its syscall exit. ENOEXEC runs the file with
 * /bin/sh once, as execvpe does; any other failure ends the run with it.
 *
 * @module
 */

import { kill } from "../../ffi/process.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import type { ScriptExec } from "./hooks.ts";
import type { Thread } from "./registry.ts";
import type { ExecFailure } from "./result.ts";
import type { ThreadControl } from "./thread_control.ts";

const ENOEXEC = ERRNO_NUMBERS.ENOEXEC;
/** The first real-time signal (glibc's own 32 and 33 included). */
const FIRST_REALTIME = 32;
/** How many signals the root's pre-exec hold keeps at most. */
const HELD_MAX = 256;

/** The root's syscall stops before its exec, and how its execve failed if it did. */
export class FirstExec {
  /** Why the root's first execve failed, once it did (the root is killed then). */
  failure?: ExecFailure;
  /** The root's next syscall stop is the execve's entry (else its exit). */
  #atEntry = true;
  #scriptTried = false;
  /** Signals that reached the root before its exec, held back (see {@linkcode hold}). */
  readonly #held: number[] = [];
  readonly #ctl: ThreadControl;
  readonly #script?: ScriptExec;

  /**
   * @param ctl The requests on stopped threads.
   * @param script The call to make instead of an execve that fails with ENOEXEC.
   */
  constructor(ctl: ThreadControl, script: ScriptExec | undefined) {
    this.#ctl = ctl;
    this.#script = script;
  }

  /**
   * A signal for the root before its exec: not delivered, since until the exec its actions are
   * jail's (Deno's handlers would run in it); sent again by {@linkcode execed}, when they are
   * the command's.
   */
  hold(thread: Thread, signal: number): void {
    // A standard signal is pending at most once, as the kernel keeps it; real-time ones queue,
    // up to a bound (a sender cannot grow jail's memory through a child that has not exec'd).
    const standard = signal < FIRST_REALTIME;
    if (standard ? !this.#held.includes(signal) : this.#held.length < HELD_MAX) {
      this.#held.push(signal);
    }
    this.#ctl.resume(thread, 0);
  }

  /** The root's exec happened: the signals held back are sent, pending for its first instruction. */
  execed(pid: number): void {
    for (const sig of this.#held.splice(0)) kill(pid, sig);
  }

  /**
   * A syscall stop of the root before its exec: the entry of the execve the
   * launch set up (resumed), or its exit, which only a failure reaches (a
   * success stops at PTRACE_EVENT_EXEC first, and is resumed without syscall
   * stops).
   */
  stop(thread: Thread): void {
    const ctl = this.#ctl;
    if (this.#atEntry) {
      this.#atEntry = false;
      return ctl.resume(thread, 0);
    }
    this.#atEntry = true;
    const regs = ctl.regs;
    if (regs.read(thread.tid) !== 0) return ctl.lost(thread);
    if (thread.exitStop) ctl.callEnded(thread, regs.result);
    const errno = -Number(regs.result);
    const script = this.#script;
    if (errno === ENOEXEC && script && !this.#scriptTried) {
      this.#scriptTried = true;
      regs.setSyscall(script.ip, script.nr, script.args);
      if (regs.write(thread.tid) !== 0) return ctl.lost(thread);
      return ctl.resume(thread, 0);
    }
    this.failure = { step: "exec", errno: errno > 0 ? errno : 0 };
    kill(thread.tgid, SIGNALS.SIGKILL);
  }
}
