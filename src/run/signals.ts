/**
 * Signals sent to jail, relayed to the tree's process group: each once
 * (repeats within {@linkcode SIGNAL_MERGE_MS} merge), the teardown ones
 * starting the grace period, a second teardown signal killing at once.
 *
 * @module
 */

import { kill } from "../../ffi/process.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import type { JobControl } from "./job_control.ts";

/**
 * Signals that ask the command to end: forwarded to the root, then the tree
 * is SIGKILLed after the grace period, or at once on a second one.
 */
export const TEARDOWN_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

/** Signals jail passes on to the tree without starting the grace period. */
export const PASSED_SIGNALS = [
  "SIGUSR1",
  "SIGUSR2",
  "SIGALRM",
  "SIGWINCH",
  "SIGCONT",
  "SIGPWR",
  "SIGVTALRM",
  "SIGPROF",
  "SIGURG",
  "SIGIO",
  "SIGSTKFLT",
] as const satisfies readonly Deno.Signal[];

/**
 * Every signal jail forwards to the tree's process group, as dumb-init does,
 * so that none of them is acted on by jail (SIGUSR2 or SIGALRM would end it;
 * SIGUSR1 would open Deno's inspector). The tree has a group of its own, so
 * a signal sent to jail's group reaches jail alone and the tree once. SIGCONT
 * is job control's too (job_control.ts). Not here: signals the kernel sends
 * jail about itself (SIGCHLD, SIGPIPE, SIGXCPU, SIGXFSZ, SIGSYS and the
 * faults), SIGTSTP, SIGTTIN, SIGTTOU (jail stops itself when the tree's
 * group stops; sent to jail, they stop jail alone, as for any process), and
 * real-time signals, which Deno cannot listen to (the CLI ignores them).
 */
export const FORWARDED_SIGNALS = [
  ...TEARDOWN_SIGNALS,
  ...PASSED_SIGNALS,
] as const satisfies readonly Deno.Signal[];

/**
 * Two of the same signal that reach jail within this many milliseconds are
 * forwarded as one. A sender that signals jail's pid and then its group (GNU
 * timeout) makes two deliveries to jail microseconds apart, which the kernel
 * merges into one for a process that has not yet taken the first (a native
 * command's handler runs once); jail may take the first in between when the
 * sender is preempted, and its forwards then land milliseconds apart, each
 * running the command's handler (1 run in about 30 under load, before). 100 ms
 * still let both through in 1 of 3 full-suite runs on a loaded 2-core machine;
 * 500 ms is far below the seconds a process manager waits between its
 * signals (docker stop, systemd, GNU timeout --kill-after).
 */
export const SIGNAL_MERGE_MS = 500;

/** Relays the signals jail receives to the tree's group, for one run. */
export class SignalRelay {
  readonly #jobs: JobControl | undefined;
  readonly #grace: number;
  readonly #killTree: () => void;
  readonly #send: (pid: number, signal: number) => void;
  readonly #lastForwarded = new Map<Deno.Signal, number>();
  readonly #listeners: [Deno.Signal, () => void][] = [];
  /** Signals received before the root was traced: sent once it is (it was the group's, too). */
  readonly #early: number[] = [];
  #rootPid = 0;
  #graceArmed = false;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param jobs The run's job control, when jail has a controlling terminal.
   * @param grace Milliseconds between a teardown signal and `killTree`.
   * @param killTree Kills the whole tree.
   * @param send kill(2); a stand-in in tests.
   */
  constructor(
    jobs: JobControl | undefined,
    grace: number,
    killTree: () => void,
    send: (pid: number, signal: number) => void = kill,
  ) {
    this.#jobs = jobs;
    this.#grace = grace;
    this.#killTree = killTree;
    this.#send = send;
  }

  /** Listens to `signals` until {@linkcode end}. */
  listen(signals: readonly Deno.Signal[]): void {
    for (const sig of signals) {
      const fn = () => this.forward(sig);
      Deno.addSignalListener(sig, fn);
      this.#listeners.push([sig, fn]);
    }
  }

  /** Relays one signal jail received. */
  forward(sig: Deno.Signal): void {
    const num = SIGNALS[sig as keyof typeof SIGNALS];
    const now = performance.now();
    if (now - (this.#lastForwarded.get(sig) ?? -Infinity) < SIGNAL_MERGE_MS) return;
    this.#lastForwarded.set(sig, now);
    // To the tree's group (the root's pid; the guard keeps kill(-0), jail's own group, out).
    if (sig === "SIGCONT" && this.#jobs) this.#jobs.continued();
    else if (this.#rootPid > 0) this.#send(-this.#rootPid, num);
    else this.#early.push(num);
    if (!(TEARDOWN_SIGNALS as readonly string[]).includes(sig)) return;
    if (this.#graceArmed) return this.#killTree(); // A second signal: no more waiting.
    this.#graceArmed = true;
    this.#graceTimer = setTimeout(this.#killTree, this.#grace);
  }

  /** The root is traced: its group gets the signals that came before. */
  started(rootPid: number): void {
    this.#rootPid = rootPid;
    for (const num of this.#early.splice(0)) this.#send(-rootPid, num);
  }

  /** Stops listening and disarms the grace period. */
  end(): void {
    // Only when armed: the first call of Deno's timer functions costs about 5 ms (measured).
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    for (const [sig, fn] of this.#listeners) Deno.removeSignalListener(sig, fn);
  }
}
