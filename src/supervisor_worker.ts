/**
 * The supervisor's thread. The loop blocks in waitpid, which would freeze the
 * main thread's timers and signal listeners; here it blocks only itself, while
 * the main thread stays free to forward signals, enforce timeouts and run
 * async policy hooks.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { launch, LaunchError, readExecFailure, type SpawnedStage } from "./launch.ts";
import type { ExecFailure } from "./exec_stage.ts";
import { Supervisor, type SupervisorResult } from "./supervisor.ts";
import { RuleEngine, type RuleTable } from "./rules.ts";
import type { FsPolicy } from "./fs/access.ts";
import { FsChecker } from "./fs/check.ts";
import type { LandlockSpec } from "./fs/landlock.ts";
import { fsReporter } from "./fs/report.ts";
import { denialLine, type NetDenial, type NetPolicy } from "./net/check.ts";
import type { Decision } from "./decision.ts";
import type { SyscallStop } from "./supervisor.ts";
import { SYSCALL_NAMES } from "./arch/x86_64_syscalls.ts";
import { captureAddresses, captureArgs, captureExec, type NetAddress } from "./report/capture.ts";
import { ProcessTable } from "./report/processes.ts";
import { traceLine } from "./report/trace.ts";
import { logRecord, LogWriter } from "./report/log.ts";

/** The message that starts a supervision. */
export interface StartMessage {
  type: "start";
  argv: string[];
  env: string[];
  filter: Uint8Array;
  rules: RuleTable;
  net?: NetPolicy;
  /** The file policy, when there is one. */
  fs?: FsPolicy;
  /** Landlock rules for the exec stage. */
  landlock?: LandlockSpec;
  /** Report each denied destination once per process on stderr. */
  reportDenials: boolean;
  /** `[state, length, ...JSON bytes]`: where the owner answers function rules. */
  hookChannel: SharedArrayBuffer;
  onRootExit: "kill" | "wait";
  /** An exec stage spawned ahead of time by the owner; spawned here when absent. */
  stage?: SpawnedStage;
  control: SharedArrayBuffer;
  /** Post an event message per decision and process event. */
  events: boolean;
  /** Write a trace line per event on stderr. */
  trace?: { color: boolean };
  /** Append a JSON line per event to this file (opened and started by the owner). */
  log?: string;
}

/** Messages from the worker to its owner. */
export type WorkerMessage =
  | { type: "started"; pid: number }
  | { type: "event"; event: SupervisorEvent }
  | { type: "hook"; hook: number; call: HookCall }
  | { type: "done"; result: SupervisorResult; execFailure?: ExecFailure }
  | { type: "error"; message: string; launch: boolean };

/** A call handed to a function rule (arguments as decimal strings: BigInts do not survive JSON). */
export interface HookCall {
  name: string;
  nr: number;
  pid: number;
  tid: number;
  args: string[];
}

/** Hook channel layout: state word, then byte length, then the answer's JSON. */
export const HOOK_STATE = 0;
/** Index of the answer's byte length. */
export const HOOK_LENGTH = 1;
/** Bytes of JSON the channel holds. */
export const HOOK_BYTES = 64 * 1024;

/** Something that happened in the tree. `time` is when the supervisor saw it (epoch ms). */
export type SupervisorEvent =
  | SpawnEvent
  | ExecEvent
  | ExitEvent
  | SyscallEvent;

/** A process appeared (the root first, as the supervisor starts). */
export interface SpawnEvent {
  kind: "spawn";
  time: number;
  pid: number;
  /** Its parent; for the root, jail's own pid. */
  ppid: number;
  /** The program it inherited from its parent; absent for the root. */
  exe?: string;
}

/** A process exec'd a program. */
export interface ExecEvent {
  kind: "exec";
  time: number;
  pid: number;
  ppid: number;
  /** The path handed to execve, made absolute (a script's path, not its interpreter's). */
  exe: string;
  /** For a `#!` script, the interpreter the kernel ran (`/proc/<pid>/exe`). */
  interpreter?: string;
  /** Its arguments, from `/proc/<pid>/cmdline`. */
  argv: string[];
}

/** A process ended. */
export interface ExitEvent {
  kind: "exit";
  time: number;
  pid: number;
  ppid: number;
  exe?: string;
  /** Exit code, when it exited. */
  code?: number;
  /** Signal number, when a signal killed it. */
  signal?: number;
}

/** A syscall stopped at the supervisor (a traced rule or a network check) and was decided. */
export interface SyscallEvent {
  kind: "syscall";
  time: number;
  pid: number;
  tid: number;
  ppid: number;
  exe?: string;
  nr: number;
  /** Syscall name. */
  name: string;
  /** Raw arguments in hex: as many as a network call takes, else all six registers. */
  args: string[];
  /** Destinations of a network call, decoded. */
  addr?: NetAddress[];
  action: Decision["action"];
  rule?: string;
  /** errno of a `deny`. */
  errno?: number;
  /** The result set by a `return` or `result` decision, in decimal (negative: -errno). */
  value?: string;
  /** Arguments replaced by an `args` decision: index → hex. */
  newArgs?: Record<string, string>;
}

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = (e: MessageEvent<StartMessage>) => {
  const start = e.data;
  try {
    const launched = launch(
      { argv: start.argv, env: start.env, filter: start.filter, landlock: start.landlock },
      start.stage,
    );
    post({ type: "started", pid: launched.pid });
    const control = new Int32Array(start.control);
    const channel = new Int32Array(start.hookChannel);
    const channelBytes = new Uint8Array(start.hookChannel, 8);
    // Function rules live on the owner's thread: ask, then block this thread until it answers.
    const callHook = (hook: number, call: SyscallStop, rule: { syscall: string }): Decision => {
      const args = [0, 1, 2, 3, 4, 5].map((i) => call.regs.arg(i).toString());
      Atomics.store(channel, HOOK_STATE, 0);
      post({
        type: "hook",
        hook,
        call: { name: rule.syscall, nr: call.nr, pid: call.pid, tid: call.tid, args },
      });
      Atomics.wait(channel, HOOK_STATE, 0);
      const text = new TextDecoder().decode(
        channelBytes.slice(0, Atomics.load(channel, HOOK_LENGTH)),
      );
      return JSON.parse(text) as Decision;
    };
    const reported = new Set<string>();
    const onNetDeny = start.reportDenials
      ? (_tid: number, pid: number, d: NetDenial) => {
        // Once per process and destination, however often the client retries.
        const key = `${pid} ${d.address}`;
        if (reported.has(key)) return;
        reported.add(key);
        let comm = "?";
        try {
          comm = Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
        } catch { /* gone already */ }
        Deno.stderr.writeSync(new TextEncoder().encode(`${denialLine(d, pid, comm)}\n`));
      }
      : undefined;
    const fs = start.fs ? new FsChecker(start.fs) : undefined;
    if (fs && start.reportDenials) {
      fs.onDeny = fsReporter((line) => Deno.stderr.writeSync(new TextEncoder().encode(line)));
    }
    const engine = new RuleEngine(start.rules, start.net, callHook, onNetDeny, fs);
    const emit = eventSink(start);
    const reporter = emit && new Reporter(emit);
    const supervisor = new Supervisor(launched.pid, {
      onRootExit: start.onRootExit,
      control,
      hooks: {
        onSyscall: reporter
          ? (call) => {
            const d = engine.decide(call);
            // Undecided calls run unchanged and never reach onDecision: report them here.
            if (!d) {
              reporter.syscall(call, {
                action: "allow",
                rule: start.rules[call.data]?.decision.rule,
              });
            }
            return d;
          }
          : (call) => engine.decide(call),
        onDecision: reporter && ((call, d) => reporter.syscall(call, d)),
        onSpawn: reporter && ((pid, ppid) => reporter.spawn(pid, ppid)),
        onExec: reporter && ((pid) => reporter.exec(pid)),
        onExit: reporter && ((pid, s) => reporter.exit(pid, s.code, s.signal)),
      },
    });
    // The root exists before the supervisor sees anything of it.
    reporter?.spawn(launched.pid, Deno.pid);
    const result = supervisor.run();
    emit?.close();
    post({ type: "done", result, execFailure: readExecFailure(launched.statusFd) });
  } catch (err) {
    post({
      type: "error",
      message: err instanceof Error ? err.message : String(err),
      launch: err instanceof LaunchError,
    });
  }
};

/** Where enriched events go: trace lines, log lines, messages to the owner. */
interface EventSink {
  (event: SupervisorEvent): void;
  close(): void;
}

/** The sinks a start message asks for; undefined (no work at all) when none. */
function eventSink(start: StartMessage): EventSink | undefined {
  const sinks: ((e: SupervisorEvent) => void)[] = [];
  const closers: (() => void)[] = [];
  if (start.trace) {
    const encoder = new TextEncoder();
    const options = { color: start.trace.color };
    sinks.push((e) => writeAll(Deno.stderr, encoder.encode(`${traceLine(e, options)}\n`)));
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
class Reporter {
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
    const name = SYSCALL_NAMES[call.nr] || `syscall_${call.nr}`;
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
