/**
 * Which threads stop at their exec (PTRACE_O_TRACEEXEC, set per thread with
 * PTRACE_SETOPTIONS). An exec by a process's only thread changes nothing the
 * supervisor holds, so it costs no stop unless a report wants exec events;
 * an exec by one of several threads does (trace_options.ts), so every thread
 * of a process with several keeps its stop.
 *
 * @module
 */

import { PTRACE } from "../../kernel/ptrace.ts";
import type { Registry, Thread } from "./registry.ts";
import type { ThreadControl } from "./thread_control.ts";
import { NO_EXEC_TRACE_OPTIONS, TRACE_OPTIONS } from "./trace_options.ts";

/** Keeps each stopped thread's exec stop what its process needs. */
export class ExecStops {
  readonly #ctl: ThreadControl;
  readonly #registry: Registry;
  readonly #root: number;
  /** A report needs every exec's event: no thread is spared its exec stop. */
  readonly #always: boolean;

  /**
   * @param ctl The requests on stopped threads (and whether the root has exec'd).
   * @param registry The tree's threads and processes.
   * @param root The root's pid: it stops at its first exec (first_exec.ts).
   * @param always True when a report asks for every exec's event.
   */
  constructor(ctl: ThreadControl, registry: Registry, root: number, always: boolean) {
    this.#ctl = ctl;
    this.#registry = registry;
    this.#root = root;
    this.#always = always;
  }

  /**
   * Makes a stopped thread's exec stop what its process needs: always while
   * a report asks for exec events, for the root until its first exec, and
   * for every thread of a process with several. Any other exec is by a
   * process's only thread and changes nothing the registry holds. Called at
   * each point where that can change before the thread runs again: a new
   * task's first stop, its creator's fork, vfork or clone stop (a thread
   * made by any of the three joins its creator's process), an exec. The
   * kernel copies a creator's options into the new task at the clone, so a
   * thread of a process with several never runs without the stop: its
   * creator was given it before it could make a second thread, and it is
   * given it at its first stop.
   *
   * @param thread A thread in a ptrace stop.
   * @param unknown True when the thread's options are not known (set them).
   * @returns False when the thread turned out to be dying (not to be resumed).
   */
  fit(thread: Thread, unknown = false): boolean {
    if (this.#always) return true;
    const want = (thread.tgid === this.#root && !this.#ctl.execed) ||
      (this.#registry.processes.get(thread.tgid)?.threads.size ?? 0) > 1;
    if (want === thread.execStops && !unknown) return true;
    const options = want ? TRACE_OPTIONS : NO_EXEC_TRACE_OPTIONS;
    if (!this.#ctl.request(thread, PTRACE.SETOPTIONS, options)) return false;
    thread.execStops = want;
    return true;
  }
}
