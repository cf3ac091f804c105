/**
 * The supervisor's thread, started ahead of the run: its module loading is
 * the slow part of a start-up, so the CLI starts it on its first line.
 *
 * @module
 */

/** A supervisor thread started ahead of time (see {@linkcode prepareRun}). */
export interface PreparedRun {
  /** The supervisor's worker, loading. */
  worker: Worker;
  /** Set once a run took it over. */
  used?: boolean;
}

/** Starts the supervisor's worker (`src/run/worker.ts`). */
export function supervisorWorker(): Worker {
  return new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
}

/**
 * Starts the slow part of a run (the worker's module loading) so that it
 * overlaps with whatever the caller does next, such as loading the policy.
 * Hand the result to `runJailed`, or to {@linkcode discardRun} when no run
 * follows.
 */
export function prepareRun(): PreparedRun {
  return { worker: supervisorWorker() };
}

/** Ends a prepared run that will not be used. */
export function discardRun(prepared: PreparedRun): void {
  prepared.worker.terminate();
}
