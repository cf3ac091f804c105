/**
 * The loop's hands on a stopped thread: the one register buffer, the
 * restarting and informational ptrace requests, and what their failures
 * mean. ESRCH on a thread seen stopped is a kill on the way, not an error;
 * each such quirk is counted here, where it is met.
 *
 * One object per supervision, made once: the modules that serve a stop
 * (the loop, the decision's application, the first exec) share it, so no
 * stop allocates.
 *
 * @module
 */

import { ptrace, ptraceBuffer, ptraceCont } from "../../ffi/ptrace.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { PTRACE } from "../../kernel/ptrace.ts";
import { SIGINFO_SIZE, SIGNALS } from "../../kernel/signals.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import type { SupervisorHooks } from "./hooks.ts";
import type { Thread } from "./registry.ts";
import { noQuirks, type QuirkCounts } from "./result.ts";

const ESRCH = ERRNO_NUMBERS.ESRCH;

/** Requests on stopped threads, and the state that decides how each is resumed. */
export class ThreadControl {
  /** The registers of the thread being served, read and written in place. */
  readonly regs = HOST_ARCH.newRegisters();
  /** How often each ptrace quirk was met. */
  readonly quirks: QuirkCounts = noQuirks();
  /** `results`: calls that run are followed to their syscall-exit-stop. */
  readonly results: boolean;
  /** True once the root reached its command's exec. */
  execed = false;
  readonly #root: number;
  readonly #hooks: SupervisorHooks;
  readonly #siginfo = new Int32Array(SIGINFO_SIZE / 4);

  /**
   * @param root The root's tid: until its exec it stops at its syscalls.
   * @param hooks Where quirks and call results are reported.
   * @param results Whether calls that run are followed to their exit.
   */
  constructor(root: number, hooks: SupervisorHooks, results: boolean) {
    this.#root = root;
    this.#hooks = hooks;
    this.results = results;
  }

  /**
   * Restarts a stopped thread; `sig` is injected (meaningful only at a
   * signal-delivery-stop). A thread inside a call whose exit is awaited
   * (a fork, clone or exec event on the way) goes on with PTRACE_SYSCALL, so
   * that the exit still stops; until its exec the root stops at its
   * syscalls' entry and exit too (see first_exec.ts).
   */
  resume(thread: Thread, sig: number): void {
    const rc = thread.exitStop || (!this.execed && thread.tid === this.#root)
      ? ptrace(PTRACE.SYSCALL, thread.tid, 0, sig)
      : ptraceCont(thread.tid, sig);
    if (rc === 0) thread.state = "running";
    else if (rc === -ESRCH) this.lost(thread);
    else throw new Error(`ptrace(PTRACE_CONT) on ${thread.tid} failed: errno ${-rc}`);
  }

  /** A restarting or informational request; false when the thread turned out to be dying. */
  request(thread: Thread, request: number, data: number): boolean {
    const rc = ptrace(request, thread.tid, 0, data);
    if (rc === 0) return true;
    if (rc === -ESRCH) {
      this.lost(thread);
      return false;
    }
    throw new Error(`ptrace(${request}) on ${thread.tid} failed: errno ${-rc}`);
  }

  /**
   * ESRCH on a thread seen stopped: it was killed (SIGKILL, a sibling's
   * exit_group or exec). Not resumed: it stops no more, and will report
   * its death.
   */
  lost(thread: Thread): void {
    thread.state = "dying";
    this.quirks.esrch++;
    this.#hooks.onQuirk?.("esrch", thread.tid);
  }

  /**
   * Reads the event message of the stop `thread` was reported in (a new
   * task's tid, the former tid of an exec) into `msg`. False when the thread
   * was killed since its report (a sibling's exit_group or exec, a SIGKILL):
   * it is dying and stops no more (no exit stops are asked for, see
   * trace_options.ts), so the request fails with ESRCH, and a message that
   * was read is the one of this stop, never an exit status.
   */
  eventMessage(thread: Thread, msg: Uint32Array<ArrayBuffer>): boolean {
    const rc = ptraceBuffer(PTRACE.GETEVENTMSG, thread.tid, msg);
    if (rc === 0) return true;
    this.quirks.staleEvents++;
    if (rc === -ESRCH) this.lost(thread);
    return false;
  }

  /**
   * True when the thread still sits in the `event` stop it was reported in:
   * GETSIGINFO works only on a thread in a ptrace stop, and an event stop's
   * si_code names its event.
   */
  stillAt(thread: Thread, event: number): boolean {
    // siginfo_t: si_signo, si_errno, si_code; an event stop's si_code is (event << 8) | SIGTRAP.
    if (
      ptraceBuffer(PTRACE.GETSIGINFO, thread.tid, this.#siginfo) === 0 &&
      this.#siginfo[2] === ((event << 8) | SIGNALS.SIGTRAP)
    ) {
      return true;
    }
    this.quirks.staleEvents++;
    return false;
  }

  /** The reported call of `thread` returned `result` (undefined: never will). */
  callEnded(thread: Thread, result: bigint | undefined): void {
    thread.exitStop = false;
    // A result rule's value belongs to this call alone, whichever way it ended.
    thread.pendingResult = undefined;
    thread.waiting = undefined;
    if (this.results) this.#hooks.onSyscallExit?.(thread.tid, result);
  }
}
