/**
 * The supervisor's wait for its next report: `waitpid(-1, __WALL)`, polled
 * with `WNOHANG` first while polling pays.
 *
 * Why poll: sleeping costs more than a stop itself where CPUs idle. The next
 * report must wake the sleeping thread's CPU from its halt (about 35 µs a
 * wake-up on the development VM, where a whole stop costs 10 µs on one CPU),
 * and a thread serving tracees that run on other CPUs is woken so at every
 * stop, where independent tracers share a CPU with their tracee and are not:
 * two loops in one jail took 3–4× two C tracers before this (README,
 * "Decisions in parallel").
 *
 * @module
 */

import { schedYield, waitpid } from "../../ffi/ptrace.ts";
import { WAIT } from "../../kernel/wait.ts";

/**
 * The longest a wait polls before it sleeps, in ms: the few µs between a
 * resume and a busy loop's next stop, with room to spare.
 */
const POLL_MAX_MS = 0.05;
/** The window a poll starts from when it grows from nothing, in ms. */
const POLL_MIN_MS = 0.005;
/**
 * A sleep that ended within this (ms) would mostly have been caught by a
 * longer poll: the window doubles. A longer one halves it, so a tree whose
 * stops come far apart (builds, exec churn, servers) soon costs no polling.
 */
const POLL_GROW_MS = 0.2;
/**
 * A poll whose yield took longer than this (ms) gave the CPU to someone
 * else: the CPU is busy, so a sleep wakes no halted CPU, while each further
 * yield would hand a whole time slice to other work with a report waiting.
 */
const YIELDED_MS = 0.02;
/**
 * How long the wait then sleeps at once, without polling, in ms; doubled at
 * each busy poll in a row (up to {@linkcode BUSY_PAUSE_MAX_MS}), so that on a
 * machine kept busy by other work the yields that find it so stay rare.
 */
const BUSY_PAUSE_MS = 10;
const BUSY_PAUSE_MAX_MS = 1000;

/**
 * Called around each sleep in `waitpid`: where the loop shares its thread
 * (src/run/inline.ts), an alarm armed for the sleep alone ends it with EINTR,
 * so that no other call the loop makes (a connect performed for the tree) is
 * ever interrupted.
 */
export interface SleepGuard {
  /** The wait is about to sleep. */
  sleeping(): void;
  /** It woke (a report, an error or EINTR). */
  woke(): void;
}

/** Reports of waitpid(-1, __WALL), polled for first while that pays. */
export class PollingWait {
  readonly #guard?: SleepGuard;
  /** How long the next wait polls before it sleeps, in ms. */
  #pollMs = POLL_MAX_MS;
  /** Until when (performance.now()) waits sleep without polling first. */
  #pausedUntil = 0;
  /** The pause the next busy poll starts. */
  #pauseMs = BUSY_PAUSE_MS;

  /** @param guard Called around each sleep (see {@linkcode SleepGuard}). */
  constructor(guard?: SleepGuard) {
    this.#guard = guard;
  }

  #sleep(): [number, number] {
    this.#guard?.sleeping();
    const report = waitpid(-1, WAIT.WALL);
    this.#guard?.woke();
    return report;
  }

  /**
   * The next report: polled while that pays (a window that adapts, as the
   * kernel's haltpoll does for idle CPUs) and while this thread's CPU has
   * nothing else to run, then waited for. Each poll yields the CPU, so a
   * tracee that shares it runs meanwhile. Returns the shared result pair as
   * waitpid filled it.
   */
  next(): [number, number] {
    let now = performance.now();
    if (this.#pollMs > 0 && now >= this.#pausedUntil) {
      const until = now + this.#pollMs;
      do {
        const report = waitpid(-1, WAIT.WALL | WAIT.WNOHANG);
        if (report[0] !== 0) {
          this.#pauseMs = BUSY_PAUSE_MS;
          return report; // A report, or an error (ECHILD) for the caller.
        }
        schedYield();
        const before = now;
        now = performance.now();
        if (now - before > YIELDED_MS) {
          this.#pausedUntil = now + this.#pauseMs;
          this.#pauseMs = Math.min(BUSY_PAUSE_MAX_MS, this.#pauseMs * 2);
          break;
        }
      } while (now < until);
      if (now < this.#pausedUntil) return this.#sleep(); // Busy: no window to adapt.
      this.#pauseMs = BUSY_PAUSE_MS;
    }
    const report = this.#sleep();
    const slept = performance.now() - now;
    if (slept <= POLL_GROW_MS) {
      this.#pollMs = Math.min(POLL_MAX_MS, Math.max(POLL_MIN_MS, this.#pollMs * 2));
    } else {
      this.#pollMs = this.#pollMs / 2 < POLL_MIN_MS ? 0 : this.#pollMs / 2;
    }
    return report;
  }
}
