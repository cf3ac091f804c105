/**
 * Events for traces, logs and the owner's reports, on the supervisor's
 * thread: the enrichment (program names, argv, decoded addresses) and the
 * sinks. Imported by the worker only when a run asks for events, so a plain
 * run loads none of it.
 *
 * @module
 */

import type { Decision } from "../decision.ts";
import type { SyscallStop } from "../supervisor.ts";
import type {
  ExecEvent,
  StartMessage,
  SupervisorEvent,
  SyscallEvent,
  WorkerMessage,
} from "../supervisor_worker.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { captureAddresses, captureArgs, captureExec } from "./capture.ts";
import { ProcessTable } from "./processes.ts";
import { traceLine } from "./trace.ts";
import { logRecord, LogWriter } from "./log.ts";

/** Where enriched events go: trace lines, log lines, messages to the owner. */
export interface EventSink {
  (event: SupervisorEvent): void;
  close(): void;
}

/**
 * The sinks a start message asks for; undefined (no work at all) when none.
 *
 * @param start The start message: `trace`, `log` and `events` say which sinks.
 * @param post Posts a message to the owner (for `events`).
 */
export function eventSink(
  start: Pick<StartMessage, "log" | "events"> & { trace?: { color: boolean; path?: string } },
  post: (message: WorkerMessage) => void,
): EventSink | undefined {
  const sinks: ((e: SupervisorEvent) => void)[] = [];
  const closers: (() => void)[] = [];
  if (start.trace) {
    const encoder = new TextEncoder();
    const options = { color: start.trace.color };
    // A file of its own (`--trace=<file>`): the command's writes to stderr cannot tear its lines.
    const file = start.trace.path === undefined
      ? undefined
      : Deno.openSync(start.trace.path, { write: true, create: true, truncate: true });
    const out = file ?? Deno.stderr;
    sinks.push((e) => writeAll(out, encoder.encode(`${traceLine(e, options)}\n`)));
    if (file) closers.push(() => file.close());
  }
  if (start.log) {
    const path = start.log;
    const log = LogWriter.append(path, (message) => {
      writeAll(Deno.stderr, new TextEncoder().encode(`jail: --log ${path}: ${message}\n`));
    });
    sinks.push((e) => log.write(logRecord(e)));
    closers.push(() => log.close());
  }
  if (start.events) sinks.push((event) => post({ type: "event", event }));
  if (sinks.length === 0) return undefined;
  const sink = (e: SupervisorEvent) => {
    for (const s of sinks) s(e);
  };
  return Object.assign(sink, { close: () => closers.forEach((c) => c()) });
}

function writeAll(w: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.length;) at += w.writeSync(bytes.subarray(at));
}

/** Turns supervisor hooks into enriched events; exists only when a sink does. */
export class Reporter {
  readonly #emit: (e: SupervisorEvent) => void;
  readonly #procs = new ProcessTable();

  constructor(emit: (e: SupervisorEvent) => void) {
    this.#emit = emit;
  }

  spawn(pid: number, ppid: number): void {
    const p = this.#procs.spawn(pid, ppid);
    this.#emit({ kind: "spawn", time: Date.now(), pid, ppid, exe: p.exe });
  }

  exec(pid: number): void {
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
    if (d.action === "deny") event.errno = d.errno;
    if (d.action === "return" || d.action === "result") event.value = String(d.value);
    if (d.action === "args") {
      const set: Record<string, string> = {};
      for (const [i, v] of Object.entries(d.args)) {
        set[i] = `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
      }
      event.newArgs = set;
    }
    this.#emit(event);
  }
}
