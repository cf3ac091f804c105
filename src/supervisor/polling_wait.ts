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
import { POLL, pollOne } from "../../ffi/seccomp_notify.ts";
import { WAIT } from "../../kernel/wait.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";

const { EINTR } = ERRNO_NUMBERS;

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

/**
 * A descriptor the wait watches instead of sleeping in waitpid, and what to
 * do when it is readable: the young run's notifications (src/notify/early.ts).
 */
export interface WaitWork {
  /** The descriptor to watch; -1 once there is nothing to watch any more. */
  readonly fd: number;
  /** Takes what the readable descriptor holds. */
  serve(): void;
}

/**
 * How long a watch of {@linkcode WaitWork} lasts before waitpid is looked at
 * again, in µs: from the first, doubled while nothing comes, back to the first
 * when something does. A report meanwhile waits at most this long; the work
 * lasts about 100 ms (early.ts), so 5,000 looks a second at most, for that long.
 */
const WATCH_FIRST_US = 20;
const WATCH_MAX_US = 200;
/** Sentinel pair for a wait that a signal's handler (the alarm) ended while watching. */
const INTERRUPTED: [number, number] = [-EINTR, 0];
/** The most the work is served at one look before the next report is taken. */
const SERVE_BURST = 16;

/** Reports of waitpid(-1, __WALL), polled for first while that pays. */
export class PollingWait {
  readonly #guard?: SleepGuard;
  readonly #work?: WaitWork;
  #watchUs = WATCH_FIRST_US;
  /** How long the next wait polls before it sleeps, in ms. */
  #pollMs = POLL_MAX_MS;
  /** Until when (performance.now()) waits sleep without polling first. */
  #pausedUntil = 0;
  /** The pause the next busy poll starts. */
  #pauseMs = BUSY_PAUSE_MS;

  /**
   * @param guard Called around each sleep (see {@linkcode SleepGuard}).
   * @param work Watched while there is something to watch, instead of sleeping in waitpid.
   */
  constructor(guard?: SleepGuard, work?: WaitWork) {
    this.#guard = guard;
    this.#work = work;
  }

  #sleep(): [number, number] {
    if (this.#work && this.#work.fd >= 0) return this.#watch(this.#work);
    this.#guard?.sleeping();
    const report = waitpid(-1, WAIT.WALL);
    this.#guard?.woke();
    return report;
  }

  /** Serves what the work's descriptor has ready now, up to {@linkcode SERVE_BURST}. */
  #serveReady(work: WaitWork): void {
    for (let i = 0; i < SERVE_BURST; i++) {
      const fd = work.fd;
      if (fd < 0) return;
      const ready = pollOne(fd, POLL.IN, 0);
      if (ready <= 0 || (ready & POLL.IN) === 0) return;
      work.serve();
    }
  }

  /**
   * Instead of a sleep in waitpid: waits on the work's descriptor for a short
   * while, serves it when readable, looks at waitpid, and again; ends with a
   * report, or with EINTR when the alarm fired (the loop's slice ends), or
   * sleeps in waitpid as usual once the work has nothing to watch.
   */
  #watch(work: WaitWork): [number, number] {
    for (;;) {
      const report = waitpid(-1, WAIT.WALL | WAIT.WNOHANG);
      if (report[0] !== 0) {
        this.#watchUs = WATCH_FIRST_US;
        return report;
      }
      const fd = work.fd;
      if (fd < 0) return this.#sleep();
      this.#guard?.sleeping();
      const ready = pollOne(fd, POLL.IN, this.#watchUs / 1000);
      this.#guard?.woke();
      if (ready === -EINTR) return INTERRUPTED;
      if (ready > 0 && (ready & POLL.IN) !== 0) {
        work.serve();
        this.#watchUs = WATCH_FIRST_US;
      } else {
        this.#watchUs = Math.min(WATCH_MAX_US, this.#watchUs * 2);
      }
    }
  }

  /**
   * The next report: polled while that pays (a window that adapts, as the
   * kernel's haltpoll does for idle CPUs) and while this thread's CPU has
   * nothing else to run, then waited for. Each poll yields the CPU, so a
   * tracee that shares it runs meanwhile. Returns the shared result pair as
   * waitpid filled it.
   */
  next(): [number, number] {
    // Reports that follow one another without a pause would never let the wait watch the work:
    // what is ready is served at each report too. (Not seen: three connect loops in one tree kept
    // this thread busy, and it still watched between their stops. A cheap guard, for ~100 ms.)
    const work = this.#work;
    if (work !== undefined) this.#serveReady(work);
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
