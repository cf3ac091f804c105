/**
 * An alarm that interrupts a blocking call of one thread: a POSIX timer
 * whose signal goes to that thread alone (`SIGEV_THREAD_ID`), with a handler
 * installed without `SA_RESTART`, so that the thread's `waitpid` returns
 * EINTR when it fires. Armed around that one call only: any other call the
 * thread makes meanwhile would fail with EINTR too.
 *
 * Why: the CLI runs the supervisor's loop on its main thread (no Worker to
 * start), and that loop sleeps in `waitpid` while the tree runs. Timers
 * (`--timeout`, the grace period) and signal listeners run only when the
 * thread gets back to its event loop; the alarm bounds how long it sleeps.
 *
 * The handler is libc's `abs`: any function that takes an int and touches
 * nothing would do; the interruption is the point, not the handler. No
 * JavaScript may run in a signal handler, and Deno cannot listen to
 * real-time signals, so the signal is one jail keeps for itself
 * ({@linkcode WAKE_SIGNAL}, which the CLI leaves out of the real-time
 * signals it ignores). The command never inherits it: the launch resets
 * every caught signal in the command's process before its execve.
 *
 * @module
 */

import { lazySymbols, sys } from "./libc.ts";
import { symbolAddress } from "./clone.ts";
import { SIGRTMAX } from "../kernel/signals.ts";
import {
  CLOCK_MONOTONIC,
  ITIMERSPEC_WORDS,
  LIBC_SIGACTION,
  SIGEV_THREAD_ID,
  SIGEVENT,
  SIGEVENT_BYTES,
} from "../kernel/timer.ts";

/** The real-time signal of the alarm. */
export const WAKE_SIGNAL = SIGRTMAX;

const SYMBOLS = {
  // int sigaction(int sig, const struct sigaction *act, struct sigaction *old): glibc's, which
  // supplies the restorer that a handler's return needs.
  sigaction: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** A timer that interrupts the calling thread's blocking calls; see the module's text. */
export class ThreadAlarm {
  readonly #id: bigint;
  readonly #old = new Uint8Array(LIBC_SIGACTION.bytes);
  /** `struct itimerspec` firing once after the alarm's delay, and the one that disarms. */
  readonly #armed = new BigInt64Array(ITIMERSPEC_WORDS);
  readonly #disarmed = new BigInt64Array(ITIMERSPEC_WORDS);
  #closed = false;

  /**
   * Creates the timer, disarmed, for the calling thread.
   *
   * @param ms How long after {@linkcode arm} it fires.
   * @throws {Error} When the handler or the timer cannot be set up.
   */
  constructor(ms: number) {
    // it_interval 0 (once), it_value the delay: both set per sleep, so built once here.
    this.#armed.set([0n, 0n, BigInt(Math.floor(ms / 1000)), BigInt(Math.round((ms % 1000) * 1e6))]);
    const act = new Uint8Array(LIBC_SIGACTION.bytes); // empty mask, flags 0: no SA_RESTART
    new DataView(act.buffer).setBigUint64(LIBC_SIGACTION.handler, symbolAddress("abs"), true);
    if (sym.sigaction(WAKE_SIGNAL, act, this.#old) !== 0) {
      throw new Error("sigaction for the wake signal failed");
    }
    const sev = new Uint8Array(SIGEVENT_BYTES);
    const view = new DataView(sev.buffer);
    view.setInt32(SIGEVENT.signo, WAKE_SIGNAL, true);
    view.setInt32(SIGEVENT.notify, SIGEV_THREAD_ID, true);
    view.setInt32(SIGEVENT.tid, sys("gettid"), true);
    const id = new Int32Array(1);
    if (sys("timer_create", CLOCK_MONOTONIC, sev, id) !== 0) {
      sym.sigaction(WAKE_SIGNAL, this.#old, null);
      throw new Error("timer_create failed");
    }
    this.#id = BigInt(id[0]);
  }

  /** Fires once, the constructor's delay from now, unless disarmed before. */
  arm(): void {
    sys("timer_settime", this.#id, 0, this.#armed, null);
  }

  /** Stops firing. */
  disarm(): void {
    sys("timer_settime", this.#id, 0, this.#disarmed, null);
  }

  /** Deletes the timer and gives the signal its former action back. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    sys("timer_delete", this.#id);
    sym.sigaction(WAKE_SIGNAL, this.#old, null);
  }
}
