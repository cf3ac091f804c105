/**
 * The supervisor's thread. The loop blocks in waitpid, which would freeze the
 * main thread's timers and signal listeners; here it blocks only itself, while
 * the main thread stays free to forward signals, enforce timeouts and run
 * async policy hooks.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { mark } from "./timing.ts";
import { type ExecFailure, launch, LaunchError, readHost, releaseListener } from "./launch.ts";
import { emptyResult, Supervisor, type SupervisorResult } from "./supervisor.ts";
import { RuleEngine, type RuleTable } from "./rules.ts";
import type { FsPolicy } from "./fs/access.ts";
import type { LandlockSpec } from "./fs/landlock.ts";
import { denialLine, type NetDenial, type NetPolicy } from "./net/check.ts";
import { type Decision, prepareDecision } from "./decision.ts";
import type { SyscallStop } from "./supervisor.ts";
import type { NetAddress } from "./report/capture.ts";
export type { NetAddress };
import { HOOK_BYTES, HOOK_LENGTH, HOOK_STATE } from "./hook_channel.ts";
import { bindNow, kill } from "../ffi/libc.ts";
import type { FilterSpec } from "./bpf/compile.ts";
import { TargetGuard } from "./target_guard.ts";
export { HOOK_BYTES, HOOK_LENGTH, HOOK_STATE };

/** The message that starts a supervision. */
export interface StartMessage {
  type: "start";
  argv: string[];
  env: string[];
  filter: Uint8Array;
  rules: RuleTable;
  /** jail's filter spec: the supervisor takes each stop's rule from it. */
  spec: FilterSpec;
  net?: NetPolicy;
  /** The file policy, when there is one. */
  fs?: FsPolicy;
  /** Landlock rules of the tree's domain. */
  landlock?: LandlockSpec;
  /** Capability numbers the tree keeps (`keptCapabilities` in capabilities.ts). */
  capabilities: number[];
  /** Report each denied destination once per process on stderr. */
  reportDenials: boolean;
  /** `[state, length, ...JSON bytes]`: where the owner answers function rules. */
  hookChannel: SharedArrayBuffer;
  onRootExit: "kill" | "wait";
  /** jail's controlling terminal and group, for the hand-over to the tree (job_control.ts). */
  terminal?: { fd: number; group: number };
  control: SharedArrayBuffer;
  /** Post an event message per decision and process event. */
  events: boolean;
  /**
   * Write a trace line per event (`--trace`): on stderr, or appended to the
   * file `path`; only the syscalls named in `calls` when given
   * (`--trace-calls`). Turns on the syscall-exit-stops that give each call's
   * result.
   */
  trace?: { color: boolean; path?: string; calls?: string[] };
  /** Append a JSON line per event to this file (opened and started by the owner). */
  log?: string;
}

/** Messages from the worker to its owner. */
export type WorkerMessage =
  | { type: "started"; pid: number }
  /** The root's main thread took a group-stop (job control: the tree's group stopped). */
  | { type: "stopped"; signal: number }
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

/** Something that happened in the tree. `time` is when the supervisor saw it (epoch ms). */
export type SupervisorEvent =
  | SpawnEvent
  | ExecEvent
  | ExitEvent
  | SyscallEvent;

/** A process appeared (the root first, as the supervisor starts). */
export interface SpawnEvent {
  /** Event kind. */
  kind: "spawn";
  /** When the supervisor saw it, epoch milliseconds. */
  time: number;
  /** The process. */
  pid: number;
  /** Its parent; for the root, jail's own pid. */
  ppid: number;
  /** The program it inherited from its parent; absent for the root. */
  exe?: string;
}

/** A process exec'd a program. */
export interface ExecEvent {
  /** Event kind. */
  kind: "exec";
  /** When the supervisor saw it, epoch milliseconds. */
  time: number;
  /** The process. */
  pid: number;
  /** Its parent process. */
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
  /** Event kind. */
  kind: "exit";
  /** When the supervisor saw it, epoch milliseconds. */
  time: number;
  /** The process. */
  pid: number;
  /** Its parent process. */
  ppid: number;
  /** The program it runs, when known. */
  exe?: string;
  /** Exit code, when it exited. */
  code?: number;
  /** Signal number, when a signal killed it. */
  signal?: number;
}

/** A syscall stopped at the supervisor (a traced rule or a network check) and was decided. */
export interface SyscallEvent {
  /** Event kind. */
  kind: "syscall";
  /** When the supervisor saw it, epoch milliseconds. */
  time: number;
  /** The process. */
  pid: number;
  /** The thread. */
  tid: number;
  /** Its parent process. */
  ppid: number;
  /** The program it runs, when known. */
  exe?: string;
  /** Syscall number (x86_64). */
  nr: number;
  /** Syscall name. */
  name: string;
  /** Raw arguments in hex: as many as a network call takes, else all six registers. */
  args: string[];
  /** Destinations of a network call, decoded. */
  addr?: NetAddress[];
  /** For a denied DNS lookup: the question it asked, e.g. `example.com (A, AAAA)`. */
  dns?: string;
  /** What the supervisor decided. */
  action: Decision["action"];
  /** The rule that decided, e.g. `net` or `syscalls.mkdir`. */
  rule?: string;
  /** errno of a `deny`. */
  errno?: number;
  /** The result set by a `return` or `result` decision, in decimal (negative: -errno). */
  value?: string;
  /** Arguments replaced by an `args` decision: index → hex. */
  newArgs?: Record<string, string>;
  /** Strings the call pointed to (paths), read at its stop and quoted: argument index → text. */
  strings?: Record<number, string>;
  /**
   * What a call that ran returned, read at its syscall-exit-stop, in decimal
   * (negative: -errno); only under `--trace`. Absent when the thread never
   * returned from it (or without `--trace`).
   */
  returned?: string;
}

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

// The calls of the launch and of the loop, bound while this thread waits for its start message
// rather than at their first use, when the command is waiting.
bindNow([
  "read",
  "write",
  "close",
  "ptrace",
  "ptrace_buf",
  "waitpid",
  "sched_yield",
  "kill",
  "tgkill",
  "__errno_location",
  "syscall_int", // pidfd_getfd: the listener at launch, sockets at net checks
  "prctl",
]);
mark("worker graph loaded");
// What every launch reads of jail itself, read now; a failure is reported by the launch.
try {
  readHost();
} catch { /* launch() tries again and says why */ }

// What only some runs need (file checks, reports) is imported when a start message asks for it:
// every module loaded up front is start-up time of every run.
self.onmessage = async (e: MessageEvent<StartMessage>) => {
  const start = e.data;
  mark("worker got start");
  let held: { listenerFd: number } | undefined;
  try {
    const fsModules = start.fs
      ? Promise.all([import("./fs/check.ts"), import("./fs/report.ts")])
      : undefined;
    const reportModule = start.trace || start.log || start.events
      ? import("./report/reporter.ts")
      : undefined;
    // Without jail's filter spec no stop's rule could be trusted: refuse to start.
    if (!start.spec?.syscalls) throw new Error("the start message carries no filter spec");
    const launched = launch({
      argv: start.argv,
      env: start.env,
      filter: start.filter,
      landlock: start.landlock,
      capabilities: start.capabilities,
      terminal: start.terminal,
    });
    if ("failure" in launched) {
      // Not found or not runnable: nothing ran, nothing to supervise.
      post({ type: "done", result: emptyResult(), execFailure: launched.failure });
      return;
    }
    held = launched;
    mark("launch done");
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
      return prepareDecision(JSON.parse(text) as Decision);
    };
    const reported = new Set<string>();
    // The DNS question of a denied lookup, carried into that call's event (log, summary).
    let deniedDns: { tid: number; dns: string } | undefined;
    const onNetDeny = (tid: number, pid: number, d: NetDenial) => {
      if (d.dns !== undefined) deniedDns = { tid, dns: d.dns };
      if (!start.reportDenials) return;
      // Once per process and destination (and DNS question), however often the client retries.
      const key = `${pid} ${d.address}${d.dns ? ` ${d.dns}` : ""}`;
      if (reported.has(key)) return;
      reported.add(key);
      let comm = "?";
      try {
        comm = Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
      } catch { /* gone already */ }
      Deno.stderr.writeSync(new TextEncoder().encode(`${denialLine(d, pid, comm)}\n`));
    };
    let fs;
    if (start.fs && fsModules) {
      const [{ FsChecker }, { fsReporter }] = await fsModules;
      fs = new FsChecker(start.fs);
      if (start.reportDenials) {
        fs.onDeny = fsReporter((line) => Deno.stderr.writeSync(new TextEncoder().encode(line)));
      }
    }
    const engine = new RuleEngine(start.rules, start.net, callHook, onNetDeny, fs);
    const sink = reportModule && (await reportModule).eventSink(start, post);
    const emit = sink && Object.assign((e: SupervisorEvent) => {
      if (e.kind === "syscall") {
        if (deniedDns?.tid === e.tid && deniedDns.dns) e.dns = deniedDns.dns;
        deniedDns = undefined;
      }
      sink(e);
    }, { close: sink.close });
    const results = start.trace !== undefined;
    const reporter = emit && new (await reportModule!).Reporter(emit, { results });
    const supervisor = new Supervisor(launched.pid, {
      onRootExit: start.onRootExit,
      control,
      filter: start.spec,
      results,
      script: launched.script,
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
        onExec: reporter && ((pid, former) => reporter.exec(pid, former)),
        onSyscallExit: reporter && ((tid, result) => reporter.returned(tid, result)),
        onExit: reporter && ((pid, s) => reporter.exit(pid, s.code, s.signal)),
        // The root stands for the tree's group: ^Z and SIGTTIN go to the whole group.
        onGroupStop: (tid, signal) => {
          if (tid === launched.pid) post({ type: "stopped", signal });
        },
      },
    });
    engine.treePids = () => supervisor.registry.processes.keys();
    engine.targets = new TargetGuard((tid) => supervisor.registry.threads.has(tid));
    // The root exists before the supervisor sees anything of it.
    reporter?.spawn(launched.pid, Deno.pid);
    // Signals that came during the launch, held back then: pending now, delivered at the resume.
    for (const sig of launched.deferred) kill(launched.pid, sig);
    // The root sits before its execve: resumed by the loop's rules for a root before its exec.
    supervisor.start();
    const result = supervisor.run();
    mark("supervisor loop ended");
    emit?.close();
    // Before "done": the owner may end this thread as soon as it hears it.
    releaseListener(launched);
    post({ type: "done", result, execFailure: result.execFailure });
  } catch (err) {
    if (held) releaseListener(held);
    post({
      type: "error",
      message: err instanceof Error ? err.message : String(err),
      launch: err instanceof LaunchError,
    });
  }
};
