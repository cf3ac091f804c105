/**
 * One jailed run, from the caller's thread: starts the supervisor's worker,
 * answers its function-rule calls (hooks.ts), relays signals (signals.ts),
 * enforces the timeout and the grace period, writes the log's first and last
 * lines (log_bounds.ts), and turns the outcome into an exit status
 * (exit_status.ts).
 *
 * @module
 */

import { mark } from "../timing.ts";
import { kill } from "../../ffi/process.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import { JobControl } from "./job_control.ts";
import { holdInspectorAddress, inspectorRequested } from "../../ffi/inspector_guard.ts";
import type { CompiledPolicy } from "../policy/compile.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { COMMAND_KILL, CONTROL_COMMAND } from "../supervisor/control.ts";
import { keptCapabilities } from "../launch/capabilities.ts";
import type { SupervisorEvent } from "../events.ts";
import type { StartMessage, WorkerMessage } from "./worker_protocol.ts";
import { type NotifyPool, startNotifyPool } from "../notify/pool.ts";
import { fsReporter } from "../fs/report.ts";
import { writeStderr } from "../stderr.ts";
import { HOOK_BYTES } from "./hook_channel.ts";
import { EXIT_JAIL_ERROR, JailError, type RunOutcome, runOutcome } from "./exit_status.ts";
import { FORWARDED_SIGNALS, SignalRelay } from "./signals.ts";
import { HookAnswers } from "./hooks.ts";
import { endLog, startLog } from "./log_bounds.ts";
import { writeStats } from "./stats_file.ts";
import { supervisorWorker } from "./worker_start.ts";
import { InlineSupervision } from "./inline.ts";

export type { CompiledPolicy };
export type { RunOutcome, RunStats } from "./exit_status.ts";

const SLOTS = 1 << 16;

/** Options for {@linkcode runJailed}. */
export interface RunJailedOptions {
  /** The command's environment; defaults to this process's. */
  env?: Record<string, string>;
  /** What happens to the rest of the tree when the root exits (default `kill`). */
  onRootExit?: "kill" | "wait";
  /** Kill the tree after this many milliseconds; 0 or undefined: no limit. */
  timeout?: number;
  /** Milliseconds between a forwarded signal and SIGKILL of the tree (default 2000). */
  grace?: number;
  /**
   * Forward the signals of {@linkcode FORWARDED_SIGNALS} received by this
   * process to the tree's process group (the CLI does); those of
   * {@linkcode TEARDOWN_SIGNALS} also start the grace period. Whether or not
   * this is set, a process with a controlling terminal hands it to the tree
   * and relays its stops (job_control.ts).
   */
  forwardSignals?: boolean;
  /** Print `jail: denied connect to ...` once per process and destination (the CLI does). */
  reportDenials?: boolean;
  /** Called for every event; turns event reporting on. */
  onEvent?: (event: SupervisorEvent) => void;
  /**
   * Write a trace line per event, from the supervisor's thread (`--trace`): on
   * stderr, or in the file `path` (emptied, then appended to) when given;
   * only the syscalls in `calls` (`--trace-calls`) when given.
   */
  trace?: { color: boolean; path?: string; calls?: string[] };
  /** Write a JSON Lines log (`--log`): `start`, one line per event, `end`. */
  log?: { path: string; policy?: string };
  /** Aborting kills the tree. */
  signal?: AbortSignal;
  /** Capability numbers a root tree keeps (`LoadedPolicy.capabilities`); default: the built-in set. */
  capabilities?: number[];
  /**
   * Run the supervisor's loop on this thread (the CLI does): no Worker to
   * start, which is most of a start-up's time, but this thread's event loop
   * (timers, signal listeners, other promises) then runs only between the
   * loop's slices: every 10 ms of work, and every 25 ms while the tree runs
   * without stopping (inline.ts). Ignored for a policy with function rules,
   * which run on this thread while the loop waits for them on a Worker.
   * For a process that ends with the run: the launch narrows this thread's
   * capability bounding set to the command's (`LaunchSpec.threadEndsWithRun`).
   */
  inline?: boolean;
  /** Called once the command's process exists, seized, before it runs (its pid). */
  onStarted?: (pid: number) => void;
}

/**
 * Runs `argv` under the supervisor with a compiled policy.
 *
 * @param argv The command and its arguments.
 * @param policy The compiled filter and rule table.
 * @param options Environment, teardown, timeout, signals, events.
 * @returns How the run ended; never rejects for the command's own failure.
 * @throws {JailError} When the jail cannot start or its supervisor fails.
 */
export function runJailed(
  argv: readonly string[],
  policy: CompiledPolicy,
  options: RunJailedOptions = {},
): Promise<RunOutcome> {
  // First, so that a log that cannot be written stops the run before anything starts.
  let log: { path: string } | undefined;
  try {
    if (options.log) log = startLog(options.log, argv);
  } catch (e) {
    return Promise.reject(e);
  }
  if (inspectorRequested()) {
    return Promise.reject(
      new JailError(
        "Deno's inspector is on (--inspect or NODE_OPTIONS): the tree could connect to it and run code in jail",
      ),
    );
  }
  // Deno opens its inspector on SIGUSR1 (from anyone outside); its address is kept taken for the
  // run, from the moment the command's process exists.
  let releaseInspector = () => {};
  let ended = false;
  let pool: NotifyPool | undefined;
  // The run's one reporter of refused files when a pool refuses some: its threads and the
  // supervisor post their refusals here.
  const fsDenied = options.reportDenials ? fsReporter((line) => writeStderr(line)) : undefined;
  const control = new Int32Array(new SharedArrayBuffer(4 * (1 + SLOTS)));
  const hookChannel = new SharedArrayBuffer(8 + HOOK_BYTES);
  const hooks = new HookAnswers(policy.hooks, hookChannel);
  // With a controlling terminal the launch hands the tree's group the terminal before the command
  // runs (launch.ts); this thread then relays job control.
  const jobs = JobControl.open();
  const worker = options.inline === true && policy.hooks.length === 0
    ? new InlineSupervision()
    : supervisorWorker();
  const env = Object.entries(options.env ?? Deno.env.toObject()).map(([k, v]) => `${k}=${v}`);
  const grace = options.grace ?? 2000;
  let timedOut = false;
  let timeoutTimer: ReturnType<typeof setTimeout> | undefined;

  const killTree = () => {
    Atomics.store(control, CONTROL_COMMAND, COMMAND_KILL);
    // A function rule that never settles must not keep the supervisor waiting for its answer.
    hooks.reply({ action: "deny", errno: ERRNO_NUMBERS.EPERM, rule: "kill" });
    // The supervisor may be blocked in waitpid on an idle tree: kill from here too.
    for (let i = 1; i < control.length; i++) {
      const pid = Atomics.load(control, i);
      if (pid > 0) kill(pid, SIGNALS.SIGKILL);
    }
  };
  const relay = new SignalRelay(jobs, grace, killTree);
  // Only with a controlling terminal: then the shell's SIGCONT after a stop must reach the tree.
  relay.listen(options.forwardSignals ? FORWARDED_SIGNALS : jobs ? ["SIGCONT" as const] : []);
  // 0 is no limit, as for GNU timeout (and a 0 ms timer would end the run at once).
  if (options.timeout !== undefined && options.timeout > 0) {
    timeoutTimer = setTimeout(() => {
      timedOut = true;
      killTree();
    }, options.timeout);
  }
  const onAbort = () => killTree();
  options.signal?.addEventListener("abort", onAbort);

  return new Promise<RunOutcome>((resolve, reject) => {
    const finish = () => {
      jobs?.end();
      // Only when armed: the first call of Deno's timer functions costs about 5 ms (measured).
      if (timeoutTimer !== undefined) clearTimeout(timeoutTimer);
      relay.end();
      options.signal?.removeEventListener("abort", onAbort);
      worker.terminate();
      ended = true;
      pool?.end();
      releaseInspector();
    };
    worker.onerror = (e) => {
      e.preventDefault();
      killTree();
      finish();
      reject(new JailError(`supervisor failed: ${e.message}`));
    };
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      const m = e.data;
      switch (m.type) {
        case "started":
          mark("started received");
          jobs?.start(m.pid);
          relay.started(m.pid);
          // Taken after the command starts, off the start-up path (on this thread's next turn when
          // the loop runs here), and in time: Deno listens for SIGUSR1 only 500 ms after its start.
          queueMicrotask(() => {
            if (!ended) releaseInspector = holdInspectorAddress();
          });
          options.onStarted?.(m.pid);
          return;
        case "stopped":
          jobs?.treeStopped(m.signal);
          return;
        case "event":
          options.onEvent?.(m.event);
          return;
        case "denied":
          fsDenied?.(0, m.pid, m.denial, m.comm, m.written);
          return;
        case "pool":
          pool?.begin();
          return;
        case "hook":
          hooks.answer(m.hook, m.call);
          return;
        case "error": {
          killTree();
          finish();
          const message = m.launch ? m.message : `supervisor failed: ${m.message}`;
          if (log) endLog(log, { time: Date.now(), exitCode: EXIT_JAIL_ERROR, message });
          reject(new JailError(message));
          return;
        }
        case "done": {
          mark("done received");
          done(m);
          return;
        }
      }
    };
    const done = (m: Extract<WorkerMessage, { type: "done" }>) => {
      finish();
      const result = runOutcome(argv[0], m.result, m.execFailure, timedOut);
      writeStats(result);
      if (log) {
        endLog(log, {
          time: Date.now(),
          exitCode: result.exitCode,
          code: result.code,
          signal: result.signal,
          timedOut: result.timedOut,
          policyKill: result.policyKill,
          message: result.message,
          processes: result.stats.processes,
        });
      }
      resolve(result);
    };
    // Decisions by notification, when nothing records each call (notifiable.ts).
    pool = options.trace || options.log || options.onEvent ? undefined : startNotifyPool(policy, {
      // The pool's threads wrote these lines themselves: the reporter only takes note of them.
      onDenied: fsDenied && ((pid, comm, d) => fsDenied(0, pid, d, comm, true)),
    });
    const start: StartMessage = {
      type: "start",
      argv: [...argv],
      env,
      filter: policy.filter,
      rules: policy.rules,
      spec: policy.spec,
      net: policy.net,
      fs: policy.fs,
      landlock: policy.landlock,
      capabilities: options.capabilities ?? keptCapabilities([]),
      reportDenials: options.reportDenials ?? false,
      hookChannel,
      onRootExit: options.onRootExit ?? "kill",
      terminal: jobs?.terminal,
      control: control.buffer as SharedArrayBuffer,
      events: options.onEvent !== undefined,
      trace: options.trace,
      log: log?.path,
      notify: pool && {
        filter: policy.notifyFilter!,
        pool: pool.shared,
        plans: policy.notifyPlans!,
        reported: pool.reported,
      },
    };
    worker.postMessage(start);
    mark("start posted");
  });
}
