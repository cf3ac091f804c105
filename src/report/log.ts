/**
 * `--log <file>`: one JSON object per line, schema version {@linkcode LOG_VERSION}
 * (README.md, "Log format").
 *
 * Every line is written with one synchronous write as the event happens, on
 * the supervisor's thread, before the tracee is resumed: nothing is buffered
 * in memory, so a line is on disk before the call it records returns, and
 * killing jail loses none of what its tree did.
 *
 * @module
 */

import type { SupervisorEvent } from "../events.ts";
import { decisionOf, resultOf } from "./classify.ts";
import { signalName } from "./_text.ts";
import { writeAll } from "../stderr.ts";

/** Version of the log schema; bumped on any incompatible change. */
export const LOG_VERSION = 1;

/** One log line, before JSON encoding. Key order is part of the format. */
export type LogRecord = { v: number; event: string; time: string } & Record<string, unknown>;

function head(event: string, time: number): LogRecord {
  return { v: LOG_VERSION, event, time: new Date(time).toISOString() };
}

/** Copies the defined values of `fields` onto `record`, in order. */
function put(record: LogRecord, fields: Record<string, unknown>): LogRecord {
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) record[k] = v;
  return record;
}

/**
 * The log record of an event.
 *
 * @example A denied connect
 * ```ts
 * import { logRecord } from "./log.ts";
 * const line = JSON.stringify(logRecord({
 *   kind: "syscall", time: 0, pid: 7, tid: 7, ppid: 1, exe: "/usr/bin/curl", nr: 42,
 *   name: "connect", args: ["0x3", "0x7ffd0000", "0x10"],
 *   addr: [{ family: "AF_INET", address: "10.1.2.3:80", scope: "remote" }],
 *   action: "deny", errno: 13, rule: "net",
 * }));
 * // {"v":1,"event":"syscall","time":"1970-01-01T00:00:00.000Z","pid":7,"tid":7,"ppid":1,
 * //  "exe":"/usr/bin/curl","syscall":"connect","nr":42,"args":["0x3","0x7ffd0000","0x10"],
 * //  "addr":[{"family":"AF_INET","address":"10.1.2.3:80"}],"decision":"deny","result":-1,
 * //  "errno":"EACCES","rule":"net"}
 * ```
 *
 * @param e The event.
 * @returns The record, keys in schema order, absent values left out.
 */
export function logRecord(e: SupervisorEvent): LogRecord {
  const r = head(e.kind, e.time);
  switch (e.kind) {
    case "spawn":
      return put(r, { pid: e.pid, ppid: e.ppid, exe: e.exe });
    case "exec":
      return put(r, {
        pid: e.pid,
        ppid: e.ppid,
        exe: e.exe,
        interpreter: e.interpreter,
        argv: e.argv,
      });
    case "exit":
      return put(r, {
        pid: e.pid,
        ppid: e.ppid,
        exe: e.exe,
        code: e.code,
        signal: e.signal === undefined ? undefined : signalName(e.signal),
      });
    case "syscall": {
      const { result, errno } = resultOf(e);
      return put(r, {
        pid: e.pid,
        tid: e.tid,
        ppid: e.ppid,
        exe: e.exe,
        syscall: e.name,
        nr: e.nr,
        args: e.args,
        addr: e.addr?.map((a) => ({ family: a.family, address: a.address })),
        dns: e.dns,
        decision: decisionOf(e),
        result,
        errno,
        rule: e.rule,
        set: e.newArgs,
      });
    }
  }
}

/** What the `start` record says. */
export interface StartInfo {
  /** When the run started (epoch ms). */
  time: number;
  /** jail's own pid. */
  pid: number;
  /** The command. */
  argv: readonly string[];
  /** jail's working directory. */
  cwd: string;
  /** jail's version. */
  version: string;
  /** Where the policy came from: a file, or `built-in default`. */
  policy?: string;
}

/** The first record of a log. */
export function startRecord(info: StartInfo): LogRecord {
  return put(head("start", info.time), {
    pid: info.pid,
    argv: info.argv,
    cwd: info.cwd,
    jail: info.version,
    policy: info.policy,
  });
}

/** What the `end` record says. */
export interface EndInfo {
  /** When the run ended (epoch ms). */
  time: number;
  /** jail's exit status. */
  exitCode: number;
  /** The command's exit code, when it exited. */
  code?: number;
  /** The signal that killed the command, when one did. */
  signal?: number;
  /** True when `--timeout` expired. */
  timedOut?: boolean;
  /** The rule that killed the tree, when one did. */
  policyKill?: string;
  /** jail's one-line message about the end, when there was one. */
  message?: string;
  /** Processes seen. */
  processes?: number;
}

/** The last record of a log. */
export function endRecord(info: EndInfo): LogRecord {
  return put(head("end", info.time), {
    exit: info.exitCode,
    code: info.code,
    signal: info.signal === undefined ? undefined : signalName(info.signal),
    timedOut: info.timedOut || undefined,
    policyKill: info.policyKill,
    message: info.message,
    processes: info.processes,
  });
}

/**
 * Appends log records to a file, one synchronous write per line.
 *
 * @example
 * ```ts
 * import { LogWriter, startRecord } from "./log.ts";
 * using log = LogWriter.create("/tmp/run.jsonl");
 * log.write(startRecord({ time: Date.now(), pid: Deno.pid, argv: ["true"], cwd: "/", version: "0" }));
 * ```
 */
export class LogWriter {
  /** Undefined once writing failed: later records are dropped. */
  #file?: Deno.FsFile;
  readonly #onError: (message: string) => void;
  readonly #encoder = new TextEncoder();
  #closed = false;

  private constructor(file: Deno.FsFile | undefined, onError: (message: string) => void) {
    this.#file = file;
    this.#onError = onError;
  }

  /**
   * Opens a log for a new run: a regular file is emptied, anything else
   * (`/dev/stderr`, a pipe) is appended to.
   *
   * @param path The file.
   * @throws {Deno.errors.NotFound} And the other errors of `Deno.openSync`.
   */
  static create(path: string, onError: (message: string) => void = () => {}): LogWriter {
    const file = Deno.openSync(path, { write: true, append: true, create: true });
    try {
      if (file.statSync().isFile) file.truncateSync(0);
    } catch (e) {
      file.close();
      throw e;
    }
    return new LogWriter(file, onError);
  }

  /**
   * Opens a log to append to (the supervisor's thread, after the owner created it).
   *
   * @param path The file.
   * @param onError Told once if writing fails; later records are dropped.
   */
  static append(path: string, onError: (message: string) => void): LogWriter {
    try {
      return new LogWriter(
        Deno.openSync(path, { write: true, append: true, create: true }),
        onError,
      );
    } catch (e) {
      onError(`cannot open: ${(e as Error).message}`);
      return new LogWriter(undefined, onError);
    }
  }

  /** Writes one record as one line; after a failure (reported once), does nothing. */
  write(record: LogRecord): void {
    const file = this.#file;
    if (!file || this.#closed) return;
    const bytes = this.#encoder.encode(`${JSON.stringify(record)}\n`);
    try {
      writeAll(file, bytes);
    } catch (e) {
      this.#file = undefined;
      file.close();
      this.#onError(`cannot write: ${(e as Error).message}`);
    }
  }

  /** Closes the file; safe twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file?.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
