/**
 * The first and last lines of a `--log` file, written from the caller's
 * thread: `start` before anything runs (so a log that cannot be written
 * stops the run first), `end` once the outcome is known. The supervisor's
 * thread appends the events in between.
 *
 * @module
 */

import { type EndInfo, endRecord, LogWriter, startRecord } from "../report/log.ts";
import { VERSION } from "../version.ts";
import { writeStderr } from "../stderr.ts";
import { JailError } from "./exit_status.ts";

/**
 * Creates the log file and writes its `start` line.
 *
 * @throws {JailError} When the file cannot be created.
 */
export function startLog(
  log: { path: string; policy?: string },
  argv: readonly string[],
): { path: string } {
  try {
    using writer = LogWriter.create(log.path, (message) => {
      throw new Error(message);
    });
    writer.write(startRecord({
      time: Date.now(),
      pid: Deno.pid,
      argv,
      cwd: Deno.cwd(),
      version: VERSION,
      policy: log.policy,
    }));
  } catch (e) {
    throw new JailError(`--log ${log.path}: cannot write: ${(e as Error).message}`);
  }
  return log;
}

/** Appends the `end` line; a failure is said on stderr, the run's outcome stands. */
export function endLog(log: { path: string }, info: EndInfo): void {
  using writer = LogWriter.append(log.path, (message) => {
    writeStderr(`jail: --log ${log.path}: ${message}\n`);
  });
  writer.write(endRecord(info));
}
