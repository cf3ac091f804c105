/**
 * The live processes of a jailed tree as reports see them: each one's parent
 * and program. A forked child runs its parent's program until it execs.
 *
 * @module
 */

/** What reports know about one live process. */
export interface ProcessInfo {
  /** Parent process id. */
  ppid: number;
  /** Program path, once known (the root's only after its exec). */
  exe?: string;
  /** Arguments of its last exec (inherited from the parent until then). */
  argv?: readonly string[];
}

/** Processes by pid, updated from spawn, exec and exit. */
export class ProcessTable {
  readonly #procs = new Map<number, ProcessInfo>();

  /** Records a new process; it inherits its parent's program. */
  spawn(pid: number, ppid: number): ProcessInfo {
    const parent = this.#procs.get(ppid);
    const info: ProcessInfo = { ppid, exe: parent?.exe, argv: parent?.argv };
    this.#procs.set(pid, info);
    return info;
  }

  /** Records an exec; a pid never seen (never expected) is added with parent 0. */
  exec(pid: number, exe: string, argv: readonly string[]): ProcessInfo {
    const info = this.#procs.get(pid) ?? { ppid: 0 };
    info.exe = exe;
    info.argv = argv;
    this.#procs.set(pid, info);
    return info;
  }

  /** What is known of a live process. */
  get(pid: number): ProcessInfo | undefined {
    return this.#procs.get(pid);
  }

  /** Forgets a process that ended; returns what was known of it. */
  exit(pid: number): ProcessInfo | undefined {
    const info = this.#procs.get(pid);
    this.#procs.delete(pid);
    return info;
  }

  /** Live processes. */
  get size(): number {
    return this.#procs.size;
  }
}
