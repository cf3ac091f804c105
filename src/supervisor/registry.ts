/**
 * Every thread and process of the jailed tree, and each thread's state.
 *
 * Threads are ptrace's unit (a tracee is a thread); processes are what the
 * policy, the reports and teardown talk about. Both live here so that the
 * quirks (a child whose first stop beats its parent's fork event, threads
 * that vanish when a sibling execs) are handled in one place.
 *
 * @module
 */

/**
 * Where a thread is, as the supervisor knows it.
 *
 * - `running`: resumed; the next report is a stop or its death.
 * - `syscall-exit`: resumed with PTRACE_SYSCALL to edit the result at syscall-exit-stop.
 * - `listening`: group-stopped and parked with PTRACE_LISTEN until SIGCONT.
 * - `dying`: a ptrace request failed with ESRCH after the thread was seen
 *   stopped: it was killed. It stops no more (no PTRACE_EVENT_EXIT is asked
 *   for), and is forgotten when its death is reported.
 */
export type ThreadState = "running" | "syscall-exit" | "listening" | "dying";

/** A call the supervisor would have blocked in, waited for by its caller (wait.ts): made again at the wait's exit. */
export interface Waiting {
  /** The call's number and arguments as the caller made it. */
  nr: number;
  args: bigint[];
  /** The instruction after its syscall instruction. */
  ip: bigint;
  /** When its first wait began (performance.now()). */
  since: number;
  /** This wait's length. */
  delayMs: number;
}

/** One traced thread. */
export interface Thread {
  /** Kernel thread id: the pid ptrace and waitpid use. */
  tid: number;
  /** Thread group (process) id. */
  tgid: number;
  /** Current state. */
  state: ThreadState;
  /** Result to write at the coming syscall-exit-stop, when state is `syscall-exit`. */
  pendingResult?: bigint | number;
  /**
   * Inside a call whose syscall-exit-stop the supervisor awaits (a `result`
   * rule, or `--trace` reporting results): resumed with PTRACE_SYSCALL until
   * that stop.
   */
  exitStop: boolean;
  /**
   * Its ptrace options include PTRACE_O_TRACEEXEC (trace_options.ts): it
   * stops at its exec. True from the seize; a new task has its creator's.
   */
  execStops: boolean;
  /** In the wait of a call the supervisor would have blocked in (wait.ts): at its exit, again. */
  waiting?: Waiting;
  /** Its last wait ended: a seccomp stop at the same call continues it (wait.ts). */
  retried?: Waiting;
}

/** One traced process. */
export interface Process {
  /** Process id (thread group id). */
  pid: number;
  /** Parent process id as seen at creation (0 for the root). */
  ppid: number;
  /** Tids of its live threads. */
  threads: Set<number>;
  /** Path of the program it runs, when known. */
  exe?: string;
  /**
   * Execs seen: every one while a report asks for exec events; otherwise
   * those that stop (the root's first, and execs in processes with several
   * threads: see trace_options.ts).
   */
  execs: number;
}

/** Reads `Tgid` and `PPid` from /proc for a task first seen in a stop. */
export function readTaskIds(tid: number): { tgid: number; ppid: number } {
  try {
    const text = Deno.readTextFileSync(`/proc/${tid}/status`);
    const tgid = Number(/^Tgid:\s*(\d+)/m.exec(text)?.[1] ?? tid);
    const ppid = Number(/^PPid:\s*(\d+)/m.exec(text)?.[1] ?? 0);
    return { tgid, ppid };
  } catch {
    return { tgid: tid, ppid: 0 };
  }
}

/** Live-pid slots shared with the main thread, which may need to SIGKILL the tree while the supervisor blocks in waitpid. */
export class PidSlots {
  readonly #slots: Int32Array;
  readonly #index = new Map<number, number>();
  #free: number[] = [];
  #next = 0;

  /** @param slots Shared memory; slot values are live pids, 0 when free. */
  constructor(slots: Int32Array) {
    this.#slots = slots;
  }

  /** Records a live pid. */
  add(pid: number): void {
    if (this.#index.has(pid)) return;
    const i = this.#free.pop() ?? (this.#next < this.#slots.length ? this.#next++ : -1);
    if (i < 0) return; // More live processes than slots: the supervisor still kills them itself.
    this.#index.set(pid, i);
    Atomics.store(this.#slots, i, pid);
  }

  /** Forgets a pid: called before the kernel can reuse it (while it is still an unreaped zombie). */
  remove(pid: number): void {
    const i = this.#index.get(pid);
    if (i === undefined) return;
    Atomics.store(this.#slots, i, 0);
    this.#index.delete(pid);
    this.#free.push(i);
  }
}

/** The registry of the jailed tree. */
export class Registry {
  /** Threads by tid. */
  readonly threads: Map<number, Thread> = new Map();
  /** Processes by pid. */
  readonly processes: Map<number, Process> = new Map();
  /** Processes ever seen, for reports and stress checks. */
  processCount = 0;
  /** Threads ever seen. */
  threadCount = 0;
  /** Most processes alive at once. */
  peakProcesses = 0;
  /** Most threads alive at once. */
  peakThreads = 0;
  readonly #slots?: PidSlots;

  /** @param slots Shared live-pid slots, when a main thread may need them. */
  constructor(slots?: PidSlots) {
    this.#slots = slots;
  }

  /** True when no traced thread is left. */
  get empty(): boolean {
    return this.threads.size === 0;
  }

  /** Adds a thread (and its process when new). Idempotent. */
  addThread(tid: number, tgid: number, ppid: number): Thread {
    const known = this.threads.get(tid);
    if (known) return known;
    const thread: Thread = { tid, tgid, state: "running", exitStop: false, execStops: true };
    this.threads.set(tid, thread);
    this.threadCount++;
    if (this.threads.size > this.peakThreads) this.peakThreads = this.threads.size;
    let proc = this.processes.get(tgid);
    if (!proc) {
      proc = { pid: tgid, ppid, threads: new Set(), execs: 0 };
      this.processes.set(tgid, proc);
      this.processCount++;
      if (this.processes.size > this.peakProcesses) this.peakProcesses = this.processes.size;
      this.#slots?.add(tgid);
    }
    proc.threads.add(tid);
    return thread;
  }

  /**
   * Removes a thread whose death was reported. When the leader's death is
   * reported the process is gone: any sibling still listed vanished without
   * a report, and is dropped too.
   *
   * @returns The process, when this death ended it.
   */
  removeThread(tid: number): Process | undefined {
    const thread = this.threads.get(tid);
    if (!thread) return undefined;
    this.threads.delete(tid);
    const proc = this.processes.get(thread.tgid);
    if (!proc) return undefined;
    proc.threads.delete(tid);
    if (tid !== proc.pid && proc.threads.size > 0) return undefined;
    for (const other of proc.threads) this.threads.delete(other);
    proc.threads.clear();
    this.processes.delete(proc.pid);
    this.#slots?.remove(proc.pid);
    return proc;
  }

  /**
   * After PTRACE_EVENT_EXEC: every other thread of the process is gone, and
   * the thread that exec'd now has the leader's tid. The kernel guarantees
   * that at this stop no other thread of the process is alive, so all other
   * records are dropped. Two kinds never report a death: the old leader when
   * another thread exec'd (its tid was taken over), and the exec'ing
   * thread's former tid. Siblings whose death reports were still queued
   * report later as unknown tids, which the supervisor ignores.
   *
   * @param pid The process (and now the exec'ing thread's tid).
   * @param formerTid The tid the exec'ing thread had before (PTRACE_GETEVENTMSG);
   *   `pid` when the leader exec'd or the former tid could not be read.
   * @returns The tids dropped without a death report (the former tid excluded:
   *   that task lives on as `pid`).
   */
  execed(pid: number, formerTid: number): number[] {
    const proc = this.processes.get(pid);
    const vanished: number[] = [];
    if (!proc) return vanished;
    // The record that lives on is the exec'ing task's own, whatever its old tid.
    const execer = this.threads.get(formerTid) ?? this.threads.get(pid);
    for (const tid of proc.threads) {
      if (tid !== formerTid) vanished.push(tid);
      this.threads.delete(tid);
    }
    proc.threads.clear();
    proc.threads.add(pid);
    proc.execs++;
    const thread: Thread = execer ??
      { tid: pid, tgid: pid, state: "running", exitStop: false, execStops: true };
    thread.tid = pid;
    thread.state = "running";
    thread.pendingResult = undefined;
    thread.waiting = undefined;
    thread.retried = undefined;
    this.threads.set(pid, thread);
    return vanished;
  }
}
