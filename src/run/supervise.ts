/**
 * One supervision from its start message to its result: the launch, the
 * rule engine with its checks and reports, the loop, and the messages to
 * the run's owner (run.ts). The same code serves both places the loop runs:
 * the supervisor's Worker (worker.ts), whose thread blocks in the loop, and
 * the CLI's main thread (inline.ts), which runs it in slices between turns
 * of its event loop. The host says how: how a function rule is asked, and
 * how the loop is driven.
 *
 * @module
 */

import { mark } from "../timing.ts";
import { writeStderr } from "../stderr.ts";
import { launch, LaunchError, releaseListener } from "../launch/launch.ts";
import { Supervisor } from "../supervisor/supervisor.ts";
import { emptyResult, type SupervisorResult } from "../supervisor/result.ts";
import { type HookCaller, RuleEngine } from "../supervisor/rules.ts";
import { denialLine, type NetDenial } from "../net/denial.ts";
import type { SupervisorEvent } from "../events.ts";
import type { StartMessage, WorkerMessage } from "./worker_protocol.ts";
import { kill } from "../../ffi/process.ts";
import { TargetGuard } from "../supervisor/target_guard.ts";
import type { SleepGuard } from "../supervisor/polling_wait.ts";
import { attachListener, detachListener } from "../notify/pool.ts";
import { SeenKeys } from "../seen_keys.ts";

/** Where the supervision runs: what differs between the Worker and the main thread. */
export interface SupervisionHost {
  /** Sends a message to the run's owner. */
  post(message: WorkerMessage): void;
  /** Asks the owner's thread to run a function rule, and waits for its decision. */
  callHook: HookCaller;
  /** Runs the loop to its end. */
  drive(supervisor: Supervisor): SupervisorResult | Promise<SupervisorResult>;
  /** Called around each sleep of the loop's wait. */
  sleepGuard?: SleepGuard;
  /** The thread ends with the run, or its process does (see `LaunchSpec.threadEndsWithRun`). */
  threadEndsWithRun: boolean;
}

/**
 * Runs one supervision; every outcome, failures included, reaches the owner
 * as a message (`done` or `error`).
 */
export async function supervise(start: StartMessage, host: SupervisionHost): Promise<void> {
  const post = host.post;
  let held: { listenerFd: number } | undefined;
  try {
    // What only some runs need (file checks, reports) is imported when the start message asks
    // for it: every module loaded up front is start-up time of every run.
    const fsModules = start.fs
      ? Promise.all([import("../fs/check.ts"), import("../fs/report.ts")])
      : undefined;
    const reportModule = start.trace || start.log || start.events
      ? import("../report/reporter.ts")
      : undefined;
    const earlyModule = start.notify ? import("../notify/early.ts") : undefined;
    // Without jail's filter spec no stop's rule could be trusted: refuse to start.
    if (!start.spec?.syscalls) throw new Error("the start message carries no filter spec");
    const launched = launch({
      argv: start.argv,
      env: start.env,
      filter: start.filter,
      landlock: start.landlock,
      capabilities: start.capabilities,
      terminal: start.terminal,
      notifyFilter: start.notify?.filter,
      threadEndsWithRun: host.threadEndsWithRun,
    });
    if ("failure" in launched) {
      // Not found or not runnable: nothing ran, nothing to supervise.
      post({ type: "done", result: emptyResult(), execFailure: launched.failure });
      return;
    }
    held = launched;
    // The listener is answered here while the run is young (early.ts), then by the pool, which
    // the owner creates when asked; without one (the all-TRACE fallback) the pool leaves at once.
    let early: import("../notify/early.ts").EarlyNotifications | undefined;
    if (start.notify && launched.notifying && earlyModule) {
      const notify = start.notify;
      const listenerFd = launched.listenerFd;
      early = new (await earlyModule).EarlyNotifications(
        listenerFd,
        {
          spec: start.spec,
          plans: notify.plans,
          fs: start.fs,
          report: start.reportDenials,
          reported: notify.reported,
        },
        (m) => post({ ...m, written: true }),
        notify.pool,
        () => post({ type: "pool" }),
        () => attachListener(notify.pool, listenerFd),
      );
    } else if (start.notify) {
      attachListener(start.notify.pool, -1);
    }
    mark("launch done");
    post({ type: "started", pid: launched.pid });
    const control = new Int32Array(start.control);
    const reported = new SeenKeys();
    // The DNS question of a denied lookup, carried into that call's event (log, summary).
    let deniedDns: { tid: number; dns: string } | undefined;
    const onNetDeny = (tid: number, pid: number, d: NetDenial) => {
      if (d.dns !== undefined) deniedDns = { tid, dns: d.dns };
      if (!start.reportDenials) return;
      // Once per process and destination (and DNS question), however often the client retries.
      const key = `${pid} ${d.address}${d.dns ? ` ${d.dns}` : ""}`;
      if (!reported.first(key)) return;
      let comm = "?";
      try {
        comm = Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
      } catch { /* gone already */ }
      writeStderr(`${denialLine(d, pid, comm)}\n`);
    };
    let fs;
    if (start.fs && fsModules) {
      const [{ FsChecker }, { commOf, denialKey, fsReporter }] = await fsModules;
      fs = new FsChecker(start.fs);
      if (start.reportDenials && start.notify) {
        // The pool refuses files too, and reports to the owner: so does this thread, so that one
        // reporter sees every refusal (and the pool's and these are deduplicated together).
        const seen = new SeenKeys();
        fs.onDeny = (_tid, pid, denial) => {
          const key = denialKey(pid, denial);
          if (!seen.first(key)) return;
          post({ type: "denied", pid, comm: commOf(pid), denial });
        };
      } else if (start.reportDenials) {
        fs.onDeny = fsReporter((line) => writeStderr(line));
      }
    }
    const engine = new RuleEngine(start.rules, start.net, host.callHook, onNetDeny, fs);
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
      launchMemory: launched.memory,
      sleepGuard: host.sleepGuard,
      waitWork: early,
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
    const result = await host.drive(supervisor);
    mark("supervisor loop ended");
    emit?.close();
    early?.stop();
    const pool = start.notify && detachListener(start.notify.pool);
    if (pool) {
      result.notified = pool.answered + (early?.answered ?? 0);
      result.notifiedEarly = early?.answered ?? 0;
    }
    // Before "done": the owner may end this thread as soon as it hears it.
    if (pool?.free !== false) releaseListener(launched);
    held = undefined;
    post({ type: "done", result, execFailure: result.execFailure });
  } catch (err) {
    if (held && (!start.notify || detachListener(start.notify.pool).free)) releaseListener(held);
    post({
      type: "error",
      message: err instanceof Error ? err.message : String(err),
      launch: err instanceof LaunchError,
    });
  }
}
