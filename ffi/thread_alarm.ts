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

import { lazySymbols, symbolAddress, sys } from "./libc.ts";
import { KERNEL_SIGSET_BYTES, SIGNALS, SIGRTMAX } from "../kernel/signals.ts";
import {
  CLOCK_MONOTONIC,
  GLIBC_SIGSETXID,
  ITIMERSPEC_WORDS,
  KERNEL_SIGACTION,
  SA_RESTORER,
  SIGEV_THREAD_ID,
  SIGEVENT,
  SIGEVENT_BYTES,
} from "../kernel/timer.ts";

/** The real-time signal of the alarm. */
export const WAKE_SIGNAL = SIGRTMAX;

const SYMBOLS = {
  // int sigaction(int sig, const struct sigaction *act, struct sigaction *old): glibc's, which
  // supplies the restorer itself; only when no handler of glibc's has one to borrow.
  sigaction: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** glibc's `struct sigaction` on 64-bit Linux: handler, 128-byte mask, `int sa_flags`, restorer. */
const LIBC_SIGACTION_BYTES = 152;

/**
 * The restorer glibc gives its handlers (`__restore_rt`, not exported), with
 * `SA_RESTORER`, from a handler glibc installed itself (SIGSETXID), or Rust's
 * and V8's (SIGSEGV, SIGBUS, through glibc's `sigaction`); `[0n, 0n]` when
 * none has one (aarch64 needs none).
 */
function glibcRestorer(): [flags: bigint, restorer: bigint] {
  for (const sig of [GLIBC_SIGSETXID, SIGNALS.SIGSEGV, SIGNALS.SIGBUS]) {
    const act = new BigUint64Array(KERNEL_SIGACTION.words);
    if (sys("rt_sigaction", sig, null, act, KERNEL_SIGSET_BYTES) !== 0) continue;
    const flags = act[KERNEL_SIGACTION.flags] & BigInt(SA_RESTORER);
    if (flags !== 0n && act[KERNEL_SIGACTION.restorer] !== 0n) {
      return [flags, act[KERNEL_SIGACTION.restorer]];
    }
  }
  return [0n, 0n];
}

/**
 * Installs `handler` for `sig` without SA_RESTART (an empty mask, no other
 * flag) through the raw `rt_sigaction`, glibc's restorer borrowed: its own
 * binding of glibc's `sigaction` would cost about 0.3 ms on every start.
 *
 * @returns Restores the former action.
 */
function installHandler(sig: number, handler: bigint): () => void {
  const [flags, restorer] = glibcRestorer();
  const old = new BigUint64Array(KERNEL_SIGACTION.words);
  if (flags !== 0n || Deno.build.arch !== "x86_64") {
    const act = new BigUint64Array(KERNEL_SIGACTION.words);
    act[KERNEL_SIGACTION.handler] = handler;
    act[KERNEL_SIGACTION.flags] = flags;
    act[KERNEL_SIGACTION.restorer] = restorer;
    if (sys("rt_sigaction", sig, act, old, KERNEL_SIGSET_BYTES) !== 0) {
      throw new Error("rt_sigaction for the wake signal failed");
    }
    return () => sys("rt_sigaction", sig, old, null, KERNEL_SIGSET_BYTES);
  }
  // x86_64 delivers nothing to a handler without a restorer: glibc's sigaction supplies its own.
  const act = new Uint8Array(LIBC_SIGACTION_BYTES);
  new DataView(act.buffer).setBigUint64(0, handler, true);
  const libcOld = new Uint8Array(LIBC_SIGACTION_BYTES);
  if (sym.sigaction(sig, act, libcOld) !== 0) {
    throw new Error("sigaction for the wake signal failed");
  }
  return () => sym.sigaction(sig, libcOld, null);
}

/** A timer that interrupts the calling thread's blocking calls; see the module's text. */
export class ThreadAlarm {
  readonly #id: bigint;
  readonly #restore: () => void;
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
    this.#restore = installHandler(WAKE_SIGNAL, symbolAddress("abs"));
    const sev = new Uint8Array(SIGEVENT_BYTES);
    const view = new DataView(sev.buffer);
    view.setInt32(SIGEVENT.signo, WAKE_SIGNAL, true);
    view.setInt32(SIGEVENT.notify, SIGEV_THREAD_ID, true);
    view.setInt32(SIGEVENT.tid, sys("gettid"), true);
    const id = new Int32Array(1);
    if (sys("timer_create", CLOCK_MONOTONIC, sev, id) !== 0) {
      this.#restore();
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
    this.#restore();
  }
}
