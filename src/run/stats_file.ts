/**
 * The run's outcome and counters as JSON in a file named by the
 * environment: a diagnostic for bug reports and for the quirk tests.
 *
 * @module
 */

import { writeStderr } from "../stderr.ts";
import type { RunOutcome } from "./exit_status.ts";

/**
 * When this environment variable names a file, the run's outcome and
 * counters are written there as JSON at the end: a diagnostic for bug
 * reports and for the quirk tests, which check that each quirk's path ran.
 */
export const STATS_FILE_ENV = "JAIL_STATS_FILE";

/** Writes the outcome to `$JAIL_STATS_FILE` when it is set; a failure is said, not thrown. */
export function writeStats(outcome: RunOutcome): void {
  const path = Deno.env.get(STATS_FILE_ENV);
  if (!path) return;
  const { exitCode, code, signal, timedOut, stats } = outcome;
  try {
    Deno.writeTextFileSync(path, JSON.stringify({ exitCode, code, signal, timedOut, stats }));
  } catch (e) {
    writeStderr(`jail: cannot write ${STATS_FILE_ENV} ${path}: ${(e as Error).message}\n`);
  }
}
