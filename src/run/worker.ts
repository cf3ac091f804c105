/**
 * The supervisor's thread. The loop blocks in waitpid, which would freeze the
 * main thread's timers and signal listeners; here it blocks only itself, while
 * the main thread stays free to forward signals, enforce timeouts and run
 * async policy hooks.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { mark } from "../timing.ts";
import { writeStderr } from "../stderr.ts";
import { launch, LaunchError, releaseListener } from "../launch/launch.ts";
import { readHost } from "../launch/own_process.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { emptyResult } from "../supervisor/result.ts";
import { RuleEngine } from "../supervisor/rules.ts";
import { denialLine, type NetDenial } from "../net/denial.ts";
import type { Decision } from "../decision.ts";
import { decodeDecision, type WireDecision } from "../decision_wire.ts";
import type { SyscallStop } from "../supervisor/hooks.ts";
import { HOOK_LENGTH, HOOK_STATE } from "./hook_channel.ts";
import type { SupervisorEvent } from "../events.ts";
import type { StartMessage, WorkerMessage } from "./worker_protocol.ts";
import { bindProcessNow, kill } from "../../ffi/process.ts";
import { bindPtraceNow } from "../../ffi/ptrace.ts";
import { bindIoNow } from "../../ffi/io.ts";
import { TargetGuard } from "../supervisor/target_guard.ts";

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

// The calls of the launch and of the loop, bound while this thread waits for its start message
// rather than at their first use, when the command is waiting.
bindPtraceNow(); // ptrace, waitpid, sched_yield
bindIoNow(["close"]);
bindProcessNow([
  "kill",
  "tgkill",
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
      ? Promise.all([import("../fs/check.ts"), import("../fs/report.ts")])
      : undefined;
    const reportModule = start.trace || start.log || start.events
      ? import("../report/reporter.ts")
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
      return decodeDecision(JSON.parse(text) as WireDecision);
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
      writeStderr(`${denialLine(d, pid, comm)}\n`);
    };
    let fs;
    if (start.fs && fsModules) {
      const [{ FsChecker }, { fsReporter }] = await fsModules;
      fs = new FsChecker(start.fs);
      if (start.reportDenials) {
        fs.onDeny = fsReporter((line) => writeStderr(line));
      }
    }
    const engine = new RuleEngine(start.rules, start.net, callHook, onNetDeny, fs);
    const sink = reportModule &&
      (await reportModule).eventSink(start, (event) => post({ type: "event", event }));
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
