/**
 * Events for traces, logs and the owner's reports, on the supervisor's
 * thread: the enrichment (program names, argv, decoded addresses) and the
 * sinks. Imported by the worker only when a run asks for events, so a plain
 * run loads none of it.
 *
 * @module
 */

import type { Decision } from "../decision.ts";
import type { SyscallStop } from "../supervisor/hooks.ts";
import type { ExecEvent, SupervisorEvent, SyscallEvent } from "../events.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { captureAddresses, captureArgs, captureExec } from "./capture.ts";
import { ProcessTable } from "./processes.ts";
import { traceLine } from "./trace.ts";
import { captureStrings } from "./trace_args.ts";
import { logRecord, LogWriter } from "./log.ts";
import { writeAll, writeStderr } from "../stderr.ts";

/** Where enriched events go: trace lines, log lines, messages to the owner. */
export interface EventSink {
  (event: SupervisorEvent): void;
  close(): void;
}

/** Which sinks a run asks for (the start message's fields of the same names). */
export interface SinkOptions {
  /** Post each event to the owner (`post`). */
  events: boolean;
  /**
   * A trace line per event: on stderr, or appended to the file `path`; only
   * the syscalls named in `calls` when given.
   */
  trace?: { color: boolean; path?: string; calls?: string[] };
  /** Append a JSON line per event to this file (opened and started by the owner). */
  log?: string;
}

/**
 * The sinks a start message asks for; undefined (no work at all) when none.
 *
 * @param start Which sinks: `trace`, `log` and `events`.
 * @param post Hands an event to the owner (for `events`).
 */
export function eventSink(
  start: SinkOptions,
  post: (event: SupervisorEvent) => void,
): EventSink | undefined {
  const sinks: ((e: SupervisorEvent) => void)[] = [];
  const closers: (() => void)[] = [];
  if (start.trace) {
    const encoder = new TextEncoder();
    const options = { color: start.trace.color };
    const calls = start.trace.calls && new Set(start.trace.calls);
    // A file of its own (`--trace=<file>`), emptied, then written with O_APPEND: each line lands
    // whole at the end, whoever else (a command told to write there) appends to it.
    const path = start.trace.path;
    if (path !== undefined) Deno.writeFileSync(path, new Uint8Array(0));
    const file = path === undefined ? undefined : Deno.openSync(path, { append: true });
    sinks.push((e) => {
      if (calls && e.kind === "syscall" && !calls.has(e.name)) return;
      const line = `${traceLine(e, options)}\n`;
      if (file) writeAll(file, encoder.encode(line));
      else writeStderr(line);
    });
    if (file) closers.push(() => file.close());
  }
  if (start.log) {
    const path = start.log;
    const log = LogWriter.append(path, (message) => {
      writeStderr(`jail: --log ${path}: ${message}\n`);
    });
    sinks.push((e) => log.write(logRecord(e)));
    closers.push(() => log.close());
  }
  if (start.events) sinks.push(post);
  if (sinks.length === 0) return undefined;
  const sink = (e: SupervisorEvent) => {
    for (const s of sinks) s(e);
  };
  return Object.assign(sink, { close: () => closers.forEach((c) => c()) });
}

/** Options for {@linkcode Reporter}. */
export interface ReporterOptions {
  /**
   * The supervisor reports what each call that runs returned (`--trace`):
   * such a call's event waits for {@linkcode Reporter.returned}.
   */
  results?: boolean;
}

/** Turns supervisor hooks into enriched events; exists only when a sink does. */
export class Reporter {
  readonly #emit: (e: SupervisorEvent) => void;
  readonly #procs = new ProcessTable();
  readonly #results: boolean;
  /** Events of calls that are running, by thread: each is emitted when its call returns. */
  readonly #running = new Map<number, SyscallEvent>();

  constructor(emit: (e: SupervisorEvent) => void, options: ReporterOptions = {}) {
    this.#emit = emit;
    this.#results = options.results === true;
  }

  /**
   * The running call of thread `tid` returned `result` (undefined: the
   * thread died inside it): its event goes out now.
   */
  returned(tid: number, result: bigint | undefined): void {
    const event = this.#running.get(tid);
    if (!event) return;
    this.#running.delete(tid);
    if (result !== undefined) event.returned = result.toString();
    this.#emit(event);
  }

  spawn(pid: number, ppid: number): void {
    const p = this.#procs.spawn(pid, ppid);
    this.#emit({ kind: "spawn", time: Date.now(), pid, ppid, exe: p.exe });
  }

  exec(pid: number, formerTid = pid): void {
    // A thread other than the leader exec'd: its execve, still running, goes on under the pid.
    const execve = formerTid !== pid ? this.#running.get(formerTid) : undefined;
    if (execve) {
      this.#running.delete(formerTid);
      this.#running.set(pid, execve);
    }
    const { exe, interpreter, argv } = captureExec(pid);
    const p = this.#procs.exec(pid, exe, argv);
    const event: ExecEvent = { kind: "exec", time: Date.now(), pid, ppid: p.ppid, exe, argv };
    if (interpreter) event.interpreter = interpreter;
    this.#emit(event);
  }

  exit(pid: number, code?: number, signal?: number): void {
    const p = this.#procs.exit(pid);
    this.#emit({
      kind: "exit",
      time: Date.now(),
      pid,
      ppid: p?.ppid ?? 0,
      exe: p?.exe,
      code,
      signal,
    });
  }

  syscall(call: SyscallStop, d: Decision): void {
    const name = HOST_ARCH.names[call.nr] || `syscall_${call.nr}`;
    const p = this.#procs.get(call.pid);
    const event: SyscallEvent = {
      kind: "syscall",
      time: Date.now(),
      pid: call.pid,
      tid: call.tid,
      ppid: p?.ppid ?? 0,
      exe: p?.exe,
      nr: call.nr,
      name,
      args: captureArgs(name, call.regs),
      addr: captureAddresses(name, call.tid, call.regs),
      action: d.action,
      rule: d.rule,
    };
    const strings = captureStrings(name, call.tid, call.regs);
    if (strings) event.strings = strings;
    if (d.action === "deny") event.errno = d.errno;
    if (d.action === "deny" && d.kernel) event.kernel = true;
    if (d.action === "return" || d.action === "result" || d.action === "perform") {
      event.value = String(d.value);
    }
    if (d.action === "args" || d.action === "replace") {
      const set: Record<string, string> = {};
      for (const [i, v] of Object.entries(d.args)) {
        set[i] = `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
      }
      event.newArgs = set;
    }
    // A call that runs is followed to its exit (the supervisor resumed it with PTRACE_SYSCALL).
    const runs = d.action === "allow" || d.action === "args" || d.action === "replace" ||
      d.action === "result";
    if (this.#results && runs) {
      this.#running.set(call.tid, event);
      return;
    }
    this.#emit(event);
  }
}
