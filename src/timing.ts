/**
 * Start-up phase timestamps, for measuring jail's own start-up. With `JAIL_TIMING` set to the
 * epoch time of the spawn in milliseconds (`JAIL_TIMING=$(date +%s%3N) jail -- true`), each phase
 * prints `jail timing: <ms since then> <phase>` on stderr, from either thread: both read the same
 * clock (the epoch), so their lines compare. Unset, `mark` does nothing.
 *
 * @module
 */

import { writeStderr } from "./stderr.ts";

const origin = timingOrigin();

/** Prints one phase's timestamp on stderr when `JAIL_TIMING` is set; nothing otherwise. */
export function mark(phase: string): void {
  if (Number.isNaN(origin)) return;
  const ms = performance.timeOrigin + performance.now() - origin;
  writeStderr(`jail timing: ${ms.toFixed(1)} ${phase}\n`);
}

function timingOrigin(): number {
  try {
    return Number(Deno.env.get("JAIL_TIMING") ?? NaN);
  } catch {
    return NaN; // A library user without --allow-env: no timing, and no failure for it.
  }
}
