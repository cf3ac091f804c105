/**
 * The notifications of a young run, answered by the supervisor's own thread.
 *
 * A pool thread is a Worker, and `new Worker` blocks its caller about 12 ms
 * before the thread even loads its module: a short run under a file allow
 * list (`jail --allow-read=... -- true`, a compiler invocation, a script)
 * spent more on starting its pool than the pool ever saved (about 37 µs an
 * open; break-even near 500 opens, measured). So no pool thread exists when
 * the command starts. The supervisor's wait (src/supervisor/polling_wait.ts)
 * watches the listener between its looks at waitpid and answers what comes
 * (server.ts), until the run has made {@linkcode HAND_OVER_AFTER} answers or
 * is 100 ms old ({@linkcode NOTIFY_EARLY_MS_ENV}). Then it asks the owner for the pool, and
 * answers on until a pool thread has loaded and waits for the listener: only
 * then does it hand the listener over and go back to sleeping in waitpid, so
 * that no call waits for a thread that is still starting.
 *
 * Only one thread ever takes notifications before the hand-over, so a
 * readable listener always has one to take: `SECCOMP_IOCTL_NOTIF_RECV` does
 * not block the supervisor (a notification whose caller went away meanwhile
 * leaves the kernel's count behind it, and RECV returns ENOENT).
 *
 * @module
 */

import { NotifyServer, SERVED, type ServerMessage, type ServerSetup } from "./server.ts";
import type { WaitWork } from "../supervisor/polling_wait.ts";
import { POOL } from "./pool.ts";
import { notifSetFlags } from "../../ffi/seccomp_notify.ts";
import { SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP } from "../../kernel/seccomp.ts";

/**
 * Answers after which the pool is asked for: the pool's first thread costs about 12 ms (`new
 * Worker`) and a hand-over about 25 ms more of a run, where an answer here costs about as much as
 * one of a pool thread, but waits while the loop serves a report, and serves one caller at a time.
 */
export const HAND_OVER_AFTER = 200;
/**
 * The age of the run (ms) at which the pool is asked for anyway: 100, or
 * `$JAIL_NOTIFY_EARLY_MS` (a slow machine's short runs may want more; the
 * tests set it where a short run must not depend on the machine's speed).
 */
export const NOTIFY_EARLY_MS_ENV = "JAIL_NOTIFY_EARLY_MS";
function handOverMs(): number {
  const asked = Deno.env.get(NOTIFY_EARLY_MS_ENV);
  return asked !== undefined && /^\d+$/.test(asked) ? Number(asked) : 100;
}

/** The supervisor's answering of the listener until the pool takes it. */
export class EarlyNotifications implements WaitWork {
  #fd: number;
  readonly #server: NotifyServer;
  readonly #until: number;
  readonly #slots: Int32Array;
  readonly #request: () => void;
  readonly #handOver: () => void;
  #requested = false;

  /**
   * @param fd jail's listener.
   * @param setup What the answers are made from (as for a pool thread).
   * @param post Where a refusal this thread reported goes.
   * @param pool The pool's buffer (pool.ts), whose READY slot says when a thread waits.
   * @param request Asks the owner to create the pool (called once).
   * @param handOver Gives the listener to the pool (called once, on this thread).
   */
  constructor(
    fd: number,
    setup: ServerSetup,
    post: (m: ServerMessage) => void,
    pool: SharedArrayBuffer,
    request: () => void,
    handOver: () => void,
  ) {
    this.#slots = new Int32Array(pool);
    this.#request = request;
    this.#fd = fd;
    // The waiting supervisor woken on the caller's CPU (Linux 6.6; refused before, which changes
    // nothing): 64 µs an open against 119 µs without, 400 opens, measured; as fast as a pool
    // thread, whose flag attachListener sets (or clears) at the hand-over.
    notifSetFlags(fd, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
    this.#server = new NotifyServer(fd, setup, post);
    this.#until = performance.now() + handOverMs();
    this.#handOver = handOver;
  }

  /** Calls answered by this thread. */
  get answered(): number {
    return this.#server.answered;
  }

  /** The listener while this thread answers it; -1 once the pool has it (or it is done). */
  get fd(): number {
    if (this.#fd < 0) return -1;
    if (!this.#requested) {
      if (this.#server.answered < HAND_OVER_AFTER && performance.now() < this.#until) {
        return this.#fd;
      }
      this.#requested = true;
      this.#request();
    }
    if (Atomics.load(this.#slots, POOL.READY) > 0) {
      this.#fd = -1;
      this.#handOver();
    }
    return this.#fd;
  }

  /** Takes and answers the notification the readable listener holds. */
  serve(): void {
    if (this.#fd < 0) return;
    // DONE: the filter has no task left (6.6+), or the listener failed: nothing more to answer.
    if (this.#server.serveOne() === SERVED.DONE) this.#fd = -1;
  }

  /** Stops answering, without a hand-over (the run is over). */
  stop(): void {
    this.#fd = -1;
  }
}
