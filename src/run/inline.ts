/**
 * The supervisor's loop on the calling thread: the CLI's way to run, with no
 * Worker to start (`new Worker` blocks its creator until the worker's runtime
 * exists, and the worker then loads its own module graph: most of what a
 * start-up cost before this).
 *
 * The loop runs in slices ({@linkcode SLICE_MS} of work at most, or until a
 * signal interrupts its wait); between slices the thread's event loop runs
 * the run's signal listeners and timers (run.ts). While the tree runs without
 * stopping, the loop sleeps in `waitpid`: a {@linkcode ThreadAlarm} armed for
 * that sleep alone ends it after {@linkcode WAKE_MS}; every {@linkcode PARK_MS} the event loop
 * runs its timers and signal listeners, so that a signal jail received, the
 * timeout and the grace period are acted on within about that. Function rules
 * (async JavaScript on this same thread) cannot be awaited in the middle of a
 * stop: policies with function rules run on a Worker (worker.ts).
 *
 * @module
 */

import { ThreadAlarm } from "../../ffi/thread_alarm.ts";
import type { Supervisor } from "../supervisor/supervisor.ts";
import type { SleepGuard } from "../supervisor/polling_wait.ts";
import type { SupervisorResult } from "../supervisor/result.ts";
import type { StartMessage, WorkerMessage } from "./worker_protocol.ts";
import { supervise } from "./supervise.ts";

/** The longest the loop works before the event loop gets a turn, in ms. */
const SLICE_MS = 10;
/** The longest the loop sleeps in `waitpid` before the event loop gets a turn, in ms. */
const WAKE_MS = 25;
/**
 * How often the event loop's timers and signal listeners get a turn, in ms: the precision of
 * `--timeout` and of the grace period, and the longest a signal to jail waits to be relayed.
 */
const PARK_MS = 50;

/**
 * Turns of the event loop. A message to itself is the quick turn (3 µs, measured): promises and
 * messages run. But Deno's timers and signal listeners advance only when its runtime parks,
 * which a message turn does not do (a 100 ms timer had not fired after 900 ms of them, one each
 * 25 ms): a `setTimeout(0)` turn parks it, at about 1–2 ms a turn, so one is taken every
 * {@linkcode PARK_MS}. (`setTimeout(0)` alone would be stretched to 4 ms from the fifth in a row
 * by the timer nesting rule; after a message turn it is not nested.)
 */
class Turns {
  readonly #channel = new MessageChannel();
  #resolve?: () => void;
  #parked = performance.now();

  constructor() {
    this.#channel.port1.onmessage = () => this.#resolve?.();
  }

  async next(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#resolve = resolve;
      this.#channel.port2.postMessage(0);
    });
    const now = performance.now();
    if (now - this.#parked < PARK_MS) return;
    this.#parked = now;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  /** Closes the channel, which would otherwise keep the event loop alive. */
  close(): void {
    this.#channel.port1.close();
  }
}

/**
 * The alarm of the loop's sleeps: armed for {@linkcode WAKE_MS} as `waitpid` is about to sleep,
 * disarmed as it returns, so that nothing else the loop does (a connect it performs for the
 * tree, which may wait) is interrupted. Made at the first sleep: a command that ends before
 * then never needs it.
 */
class SleepAlarm implements SleepGuard {
  #alarm?: ThreadAlarm;

  sleeping(): void {
    (this.#alarm ??= new ThreadAlarm(WAKE_MS)).arm();
  }

  woke(): void {
    this.#alarm?.disarm();
  }

  close(): void {
    this.#alarm?.close();
  }
}

/**
 * Runs the loop in slices until the tree is gone. The turns are made at the first slice's end: a
 * command done within one slice needs none (a MessageChannel costs about 0.3 ms to make).
 */
async function drive(supervisor: Supervisor, alarm: SleepAlarm): Promise<SupervisorResult> {
  let turns: Turns | undefined;
  try {
    for (;;) {
      const result = supervisor.run({ ms: SLICE_MS });
      if (result) return result;
      await (turns ??= new Turns()).next();
    }
  } finally {
    alarm.close();
    turns?.close();
  }
}

/**
 * The supervision on this thread, behind the same face as the supervisor's
 * Worker (`postMessage` the start, `onmessage` for what it reports), so that
 * run.ts drives either the same way.
 */
export class InlineSupervision {
  /** Receives what the supervision reports. */
  onmessage: ((e: MessageEvent<WorkerMessage>) => void) | null = null;
  /** Unused: every failure arrives as an `error` message. */
  onerror: ((e: ErrorEvent) => void) | null = null;

  /** Starts the supervision once the caller's current task is done. */
  postMessage(start: StartMessage): void {
    queueMicrotask(() => {
      const alarm = new SleepAlarm();
      supervise(start, {
        post: (data) => this.onmessage?.({ data } as MessageEvent<WorkerMessage>),
        callHook: () => {
          throw new Error("a function rule reached the inline supervisor");
        },
        drive: (supervisor) => drive(supervisor, alarm),
        sleepGuard: alarm,
        // Only the CLI runs the loop here, and it exits once the run is over.
        threadEndsWithRun: true,
      });
    });
  }

  /** Nothing to end: the loop returns with the tree. */
  terminate(): void {}
}
