/**
 * The pool of threads that answer jail's seccomp listener.
 *
 * The rules a notification can decide (notifiable.ts) reach jail's listener
 * instead of the ptrace supervisor, and any number of threads can serve a
 * listener: each pool thread (serve_worker.ts) sleeps in its own
 * `ioctl(SECCOMP_IOCTL_NOTIF_RECV)`, so P callers are answered P at a time
 * where one ptrace thread serves them in turn.
 *
 * Three parties share one small buffer ({@linkcode POOL}):
 *
 * - the run's owner thread creates the workers ({@linkcode startNotifyPool},
 *   then `begin`) when the supervisor asks: `new Worker` blocks its caller
 *   about 12 ms each, and a Worker created from the supervisor's own Worker
 *   takes about a second to start on Deno 2.9;
 * - the supervisor's thread, which launches the tree, answers the listener
 *   itself while the run is young (early.ts), then publishes the listener's
 *   descriptor ({@linkcode attachListener}) and asks for the workers, and at
 *   the end waits until no pool thread can touch it again before closing it
 *   ({@linkcode detachListener});
 * - the pool threads wait for the descriptor, serve, and leave when the
 *   filter has no task left (the listener reports POLLHUP, and from Linux
 *   6.6 a waiting RECV returns ENOENT then) or when told to stop.
 *
 * Calls made between the hand-over and the pool's first thread wait in the
 * kernel.
 *
 * A pool thread that refuses a file access writes its report line before it
 * answers (once across the pool's threads: report_once.ts), then tells the
 * owner ({@linkcode PoolMessage}), whose reporter takes note of it. Every
 * line is out before its caller sees the refusal, so the end of the run has
 * nothing to wait for once the supervisor's `detachListener` returned.
 *
 * @module
 */

import type { FilterSpec } from "../bpf/spec.ts";
import type { ServerMessage, ServerSetup } from "./server.ts";
import type { FsPolicy } from "../fs/access.ts";
import type { FsDenial } from "../fs/check.ts";
import type { NotifyPlan } from "./notifiable.ts";
import { notifSetFlags } from "../../ffi/seccomp_notify.ts";
import { newReportOnceTable } from "./report_once.ts";
import { SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP } from "../../kernel/seccomp.ts";

/** Slots of the shared buffer (Int32Array). */
export const POOL = {
  /** The listener: {@linkcode FD_PENDING} until the launch says, then the descriptor or -1. */
  FD: 0,
  /** Pool threads between their stop check and leaving: the listener may be in use. */
  ALIVE: 1,
  /** Set once: leave. */
  STOP: 2,
  /** Notifications answered (SEND succeeded), summed as threads leave. */
  ANSWERED: 3,
  /** {@linkcode MODE_BLOCKING} or {@linkcode MODE_POLL}. */
  MODE: 4,
  /** How many threads serve (the others leave at once). */
  SERVING: 5,
  /** Threads loaded and waiting for the descriptor: the supervisor may hand it over. */
  READY: 6,
  /** Slots. */
  SIZE: 7,
} as const;

/** {@linkcode POOL.FD} before the launch has said. */
export const FD_PENDING = -2;
/**
 * Linux 6.6 and later: a RECV waiting when the filter's last task goes
 * returns ENOENT, so every thread may sleep in RECV.
 */
export const MODE_BLOCKING = 1;
/**
 * Before 6.6 such a RECV sleeps on; one thread serves, and polls before
 * each RECV (so that it never waits in RECV for a notification another took).
 */
export const MODE_POLL = 2;

/** The environment variable that sets the pool's size; 0 leaves every rule on ptrace. */
export const NOTIFY_THREADS_ENV = "JAIL_NOTIFY_THREADS";
/**
 * The environment variable that, set to 1, serves as on a kernel before 6.6
 * ({@linkcode MODE_POLL}), for the tests of that path on a newer one.
 */
export const NOTIFY_POLL_ENV = "JAIL_NOTIFY_POLL";
/** Most threads: beyond, one notification's work is short enough that more would only wait. */
const MAX_THREADS = 16;
/** The pool's size from 4 CPUs on, unless asked otherwise (see `poolSize`). */
const DEFAULT_THREADS = 2;
/** How long the supervisor waits for the pool to leave at the end. */
const LEAVE_MS = 2000;

/** What a pool worker is started with: what its server answers from, and its place in the pool. */
export interface PoolStart extends ServerSetup {
  /** The shared buffer. */
  shared: SharedArrayBuffer;
  /** This thread's index. */
  index: number;
}

/** What a pool thread posts to the owner (server.ts). */
export type PoolMessage = ServerMessage;

/** The owner's handle on a started pool. */
export interface NotifyPool {
  /** The buffer to hand to the supervisor's thread. */
  readonly shared: SharedArrayBuffer;
  /** The run's table of reported refusals (report_once.ts), shared with the supervisor's thread. */
  readonly reported: SharedArrayBuffer;
  /**
   * Creates the pool's threads: the first now, the others one per turn of
   * this thread's event loop. Called when the supervisor asks (the `pool`
   * message: src/notify/early.ts), which answers on until the first thread
   * waits for the listener, then hands it over; until then no thread exists.
   */
  begin(): void;
  /**
   * Creates now, one after the other, the workers not created yet: for an
   * owner about to block its event loop, where the turns that create them
   * would not come.
   */
  spawnNow(): void;
  /** Ends the pool's workers (after the supervisor's `detachListener`, or on failure). */
  end(): void;
}

/** What the owner does with the pool's messages. */
export interface PoolOptions {
  /**
   * Receives each refused file access a pool thread reported, after the thread wrote its line
   * to stderr; reports are off without it.
   */
  onDenied?: (pid: number, comm: string, denial: FsDenial) => void;
}

/** The module a pool thread runs. */
function workerUrl(): string {
  // serve_worker.ts beside this module, or its bundle beside the bundle this module was bundled
  // into (dist/jail.js or dist/worker.js, whose `import.meta.url` this then is).
  const file = import.meta.url.endsWith(".js") ? "./notify_worker.js" : "./serve_worker.ts";
  return new URL(file, import.meta.url).href;
}

/**
 * Prepares the pool for a policy with notifiable rules, on the thread that
 * owns the run. Its workers are created by {@linkcode NotifyPool.begin}.
 *
 * @param policy The compiled policy's spec, plans and file policy.
 * @param options Where the pool's reports go.
 * @returns The pool, or undefined when no rule needs one or the environment asks for none.
 */
export function startNotifyPool(
  policy: {
    spec: FilterSpec;
    notifyFilter?: Uint8Array;
    notifyPlans?: (NotifyPlan | undefined)[];
    fs?: FsPolicy;
  },
  options: PoolOptions = {},
): NotifyPool | undefined {
  const threads = poolSize(navigator.hardwareConcurrency, Deno.env.get(NOTIFY_THREADS_ENV));
  if (!policy.notifyFilter || !policy.notifyPlans || threads === 0) return undefined;
  const shared = new SharedArrayBuffer(4 * POOL.SIZE);
  const slots = new Int32Array(shared);
  slots[POOL.FD] = FD_PENDING;
  slots[POOL.SERVING] = threads;
  const reported = newReportOnceTable();
  const plans = policy.notifyPlans;
  const workers: Worker[] = [];
  const onmessage = (e: MessageEvent<PoolMessage>) => {
    const m = e.data;
    options.onDenied?.(m.pid, m.comm, m.denial);
  };
  const url = workerUrl();
  const spawnOne = () => {
    const index = workers.length;
    const w = new Worker(url, { type: "module", name: `jail-notify-${index}` });
    w.onmessage = onmessage;
    w.postMessage(
      {
        shared,
        spec: policy.spec,
        plans,
        fs: policy.fs,
        report: options.onDenied !== undefined,
        reported,
        index,
      } satisfies PoolStart,
    );
    workers.push(w);
  };
  // After the first, each worker in a turn of its own, taken by a message to this thread rather
  // than a timer: a supervisor loop on this thread (inline.ts) gives message turns every slice but
  // timer turns only every 50 ms. Opened by begin(), closed when done: an open port keeps the event
  // loop alive.
  let turns: MessageChannel | undefined;
  let open = false;
  const close = () => {
    if (open) turns?.port1.close();
    open = false;
  };
  const more = () => Atomics.load(slots, POOL.STOP) === 0 && workers.length < threads;
  return {
    shared,
    reported,
    begin() {
      if (turns !== undefined || !more()) return;
      // The listener waits for its first thread: created now, whatever it blocks.
      spawnOne();
      if (!more()) return;
      turns = new MessageChannel();
      open = true;
      const { port1, port2 } = turns;
      port1.onmessage = () => {
        if (more()) spawnOne();
        if (more()) port2.postMessage(0);
        else close();
      };
      port2.postMessage(0);
    },
    spawnNow() {
      while (Atomics.load(slots, POOL.STOP) === 0 && workers.length < threads) spawnOne();
      close();
    },
    end() {
      close();
      Atomics.store(slots, POOL.STOP, 1);
      // A worker still waiting for the descriptor leaves at once.
      Atomics.compareExchange(slots, POOL.FD, FD_PENDING, -1);
      Atomics.notify(slots, POOL.FD);
      for (const w of workers) w.terminate();
      workers.length = 0;
    },
  };
}

/**
 * The pool's size: `asked` (`$JAIL_NOTIFY_THREADS`, up to 16), or one thread below 4 CPUs and two
 * from 4 on.
 *
 * Measured on 2 CPUs (README, "Decisions in parallel"): one thread woken on
 * the caller's CPU (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) served one loop and
 * two loops side by side faster than two threads did. A notification wakes
 * every idle thread waiting in RECV (the kernel's wait is not exclusive),
 * so each thread beyond two costs wake-ups at every notification: on a
 * 16-core host, 16 loops of 20,000 getppid under a `return` rule took 1295,
 * 1229, 1387, 2028 and 3615 ms with 1, 2, 4, 8 and 16 threads, and 4 loops
 * 370, 304, 428 and 729 ms with 1, 2, 4 and 8 (the size was one per two
 * CPUs before, 8 there). Waking one thread per notification instead (each in
 * an epoll set of its own, the listener EPOLLEXCLUSIVE) was slower still on 2
 * CPUs, 7 interleaved rounds of 20,000 calls a loop: one loop with two
 * threads 588 ms against 447 ms waiting in RECV (152 ms with one thread); two
 * loops 351 against 249 ms (275 ms with one), and 781 against 720 ms for
 * opens (975 with one). The thread that wakes first serves; a single woken
 * one is often the one whose CPU is busy.
 */
export function poolSize(cpus: number, asked: string | undefined): number {
  if (asked !== undefined && /^\d+$/.test(asked)) return Math.min(Number(asked), MAX_THREADS);
  return cpus >= 4 ? DEFAULT_THREADS : 1;
}

/**
 * Hands the listener to the pool (on the supervisor's thread, after the
 * launch), or tells it that there is none (-1: the tree runs the all-TRACE
 * fallback, and the pool leaves).
 *
 * @param shared The pool's buffer ({@linkcode NotifyPool.shared}).
 * @param fd jail's listener, or -1.
 */
export function attachListener(shared: SharedArrayBuffer, fd: number): void {
  const slots = new Int32Array(shared);
  if (fd >= 0) {
    // Linux 6.6's listener flag doubles as the probe for its RECV that ends with the filter.
    const modern = Deno.env.get(NOTIFY_POLL_ENV) !== "1" && notifSetFlags(fd, 0) === 0;
    const serving = modern ? Atomics.load(slots, POOL.SERVING) : 1;
    // With one serving thread, the caller's CPU runs it at once (a synchronous hand-off).
    if (modern && serving === 1) notifSetFlags(fd, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
    Atomics.store(slots, POOL.SERVING, serving);
    Atomics.store(slots, POOL.MODE, modern ? MODE_BLOCKING : MODE_POLL);
  }
  Atomics.store(slots, POOL.FD, fd);
  Atomics.notify(slots, POOL.FD);
}

/**
 * Stops the pool once the tree is gone and waits until no pool thread can
 * use the listener again: then it may be closed.
 *
 * @param shared The pool's buffer.
 * @returns How many calls the pool answered, and whether the listener is free to close
 *   (false when a thread did not leave in time: keep the descriptor open then, rather than let
 *   a late call reach whatever reuses its number).
 */
export function detachListener(shared: SharedArrayBuffer): { answered: number; free: boolean } {
  const slots = new Int32Array(shared);
  Atomics.store(slots, POOL.STOP, 1);
  Atomics.compareExchange(slots, POOL.FD, FD_PENDING, -1);
  Atomics.notify(slots, POOL.FD);
  const deadline = performance.now() + LEAVE_MS;
  for (;;) {
    const alive = Atomics.load(slots, POOL.ALIVE);
    if (alive === 0) break;
    const left = deadline - performance.now();
    if (left <= 0) return { answered: Atomics.load(slots, POOL.ANSWERED), free: false };
    Atomics.wait(slots, POOL.ALIVE, alive, left);
  }
  return { answered: Atomics.load(slots, POOL.ANSWERED), free: true };
}
