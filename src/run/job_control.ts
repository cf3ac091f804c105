/**
 * Job control for a tree in its own process group, as a shell's job sees it.
 *
 * The tree runs in a process group of its own (the root's pid; launch.ts), so
 * a signal sent to jail's group reaches jail alone and jail forwards it once.
 * When jail's group owns the controlling terminal at the start, the terminal
 * is handed to the tree's group, so ^C, ^\ and ^Z reach the tree (once) and
 * the tree may read the terminal. When the tree's group stops (^Z, or SIGTTIN
 * for a read from the background), jail takes the terminal back and stops
 * itself with the same signal, so the shell sees a stopped job; the shell's
 * SIGCONT (`fg`, `bg`) reaches jail, which hands the terminal on again (when
 * its group is in the foreground) and continues the tree's group. At the end
 * the terminal goes back to jail's group, whatever ended the run.
 *
 * Without a controlling terminal on fd 0, 1 or 2 (CI, pipes) none of this
 * happens: signals are forwarded to the tree's group, nothing else.
 *
 * @module
 */

import { getpgrp, kill } from "../../ffi/process.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import { foregroundGroup, setForegroundGroup } from "../../ffi/terminal.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";

const ESRCH = ERRNO_NUMBERS.ESRCH;
const STOP_SIGNALS: ReadonlySet<number> = new Set([
  SIGNALS.SIGTSTP,
  SIGNALS.SIGTTIN,
  SIGNALS.SIGTTOU,
]);

/** The descriptor among 0, 1, 2 that is this process's controlling terminal, if any. */
export function controllingTerminal(): number | undefined {
  // Any of them may be the terminal (`cmd | jail -- ...` has stdin a pipe).
  return [0, 1, 2].find((fd) => foregroundGroup(fd) > 0);
}

/** The terminal side of one run; create with {@linkcode JobControl.open}. */
export class JobControl {
  readonly #fd: number;
  readonly #group: number;
  #tree = 0;
  #ended = false;

  private constructor(fd: number) {
    this.#fd = fd;
    this.#group = getpgrp();
  }

  /** The terminal and jail's group, for the launch's hand-over (`LaunchSpec.terminal`). */
  get terminal(): { fd: number; group: number } {
    return { fd: this.#fd, group: this.#group };
  }

  /** Job control for this run, or undefined when jail has no controlling terminal. */
  static open(): JobControl | undefined {
    const fd = controllingTerminal();
    return fd === undefined ? undefined : new JobControl(fd);
  }

  /**
   * The tree's group exists (its root is its leader, before the command
   * runs): hands it the terminal when jail's group is in the foreground.
   */
  start(treeGroup: number): void {
    this.#tree = treeGroup;
    if (foregroundGroup(this.#fd) === this.#group) setForegroundGroup(this.#fd, treeGroup);
  }

  /**
   * The tree's root stopped with `signal`: takes the terminal back and
   * stops jail with the same signal, for the shell to see; returns once jail
   * was continued (its SIGCONT listener then calls {@linkcode continued}).
   */
  treeStopped(signal: number): void {
    if (this.#ended || this.#tree <= 0) return;
    this.#takeBack();
    if (groupIsOrphaned(this.#group)) {
      // No job-control shell above jail to continue it (the kernel would even discard a
      // SIGTSTP to this group): the stop cannot be passed on, so it ends here, as it would have
      // without jail, where the kernel discards ^Z for such a group.
      this.continued();
      return;
    }
    kill(Deno.pid, STOP_SIGNALS.has(signal) ? signal : SIGNALS.SIGSTOP);
  }

  /**
   * jail got SIGCONT (`fg` or `bg`): the terminal goes to the tree when jail's
   * group is in the foreground (`fg`), then the tree's group is continued.
   */
  continued(): void {
    if (this.#ended || this.#tree <= 0) return;
    if (foregroundGroup(this.#fd) === this.#group) setForegroundGroup(this.#fd, this.#tree);
    kill(-this.#tree, SIGNALS.SIGCONT);
  }

  /** The run ended: the terminal goes back to jail's group. Safe to call twice. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#takeBack();
  }

  /**
   * Takes the terminal back when the tree's group holds it, or a group that
   * no longer exists (a job of a shell inside the tree, all dead): never from
   * the shell, which holds it while jail runs in the background.
   */
  #takeBack(): void {
    const fg = foregroundGroup(this.#fd);
    if (fg <= 0 || fg === this.#group) return;
    if (fg === this.#tree || kill(-fg, 0) === -ESRCH) setForegroundGroup(this.#fd, this.#group);
  }
}

/**
 * Whether jail's process group is orphaned: no ancestor in another group of
 * the same session (a job-control shell) that could continue it. Follows the
 * parents up while they share jail's group; any other member's parent is not
 * looked at, so this can say orphaned where a sibling would keep the group
 * alive (then the tree is continued at once rather than jail stopped).
 */
function groupIsOrphaned(group: number): boolean {
  const self = procStat(Deno.pid);
  if (!self) return true;
  for (let ppid = self.ppid;;) {
    const parent = procStat(ppid);
    if (!parent) return true;
    if (parent.pgrp !== group) return parent.session !== self.session;
    ppid = parent.ppid;
  }
}

/** ppid, pgrp and session from /proc/<pid>/stat; undefined when it cannot be read. */
function procStat(pid: number): { ppid: number; pgrp: number; session: number } | undefined {
  if (pid <= 0) return undefined;
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // The command name may hold spaces and parentheses: the fields follow its last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]) };
  } catch {
    return undefined;
  }
}
