/**
 * One jailed run, from the caller's thread: starts the supervisor's worker,
 * forwards signals, enforces the timeout and the grace period, and turns the
 * outcome into an exit status.
 *
 * @module
 */

import { mark } from "../timing.ts";
import { kill, SIGNALS } from "../../ffi/libc.ts";
import { JobControl } from "./job_control.ts";
import { holdInspectorAddress, inspectorRequested } from "../../ffi/inspector_guard.ts";
import type { ExecFailure } from "../launch/launch.ts";
import type { CompiledPolicy } from "../policy/compile.ts";
import { type Decision, type RegisterValue, registerValue } from "../supervisor/decision.ts";
import { encodeDecision } from "../supervisor/decision_wire.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import type { HookDecision, SyscallCall } from "../policy/types.ts";
import { COMMAND_KILL, CONTROL_COMMAND } from "../supervisor/control.ts";
import { keptCapabilities } from "../launch/capabilities.ts";
import type { QuirkCounts, SupervisorResult } from "../supervisor/supervisor.ts";
import type { SupervisorEvent } from "../events.ts";
import type { HookCall, StartMessage, WorkerMessage } from "../supervisor/worker_protocol.ts";
import { HOOK_BYTES, HOOK_LENGTH, HOOK_STATE } from "../supervisor/hook_channel.ts";
import { type EndInfo, endRecord, LogWriter, startRecord } from "../report/log.ts";
import { VERSION } from "../version.ts";

/** Exit status when the jail itself fails (bad usage, cannot trace). */
export const EXIT_JAIL_ERROR = 125;
/** Exit status when `--timeout` expired. */
export const EXIT_TIMEOUT = 124;
/** Exit status when a policy rule killed the tree: 128 + SIGSYS. */
export const EXIT_POLICY_KILL = 128 + SIGNALS.SIGSYS;

/**
 * Signals that ask the command to end: forwarded to the root, then the tree
 * is SIGKILLed after the grace period, or at once on a second one.
 */
export const TEARDOWN_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"] as const;

/**
 * Every signal jail forwards to the tree's process group, as dumb-init does,
 * so that none of them is acted on by jail (SIGUSR2 or SIGALRM would end it;
 * SIGUSR1 would open Deno's inspector). The tree has a group of its own, so
 * a signal sent to jail's group reaches jail alone and the tree once. SIGCONT
 * is job control's too (job_control.ts). Not here: signals the kernel sends
 * jail about itself (SIGCHLD, SIGPIPE, SIGXCPU, SIGXFSZ, SIGSYS and the
 * faults), SIGTSTP, SIGTTIN, SIGTTOU (jail stops itself when the tree's
 * group stops; sent to jail, they stop jail alone, as for any process), and
 * real-time signals, which Deno cannot listen to (the CLI ignores them).
 */
export const FORWARDED_SIGNALS = [
  ...TEARDOWN_SIGNALS,
  "SIGUSR1",
  "SIGUSR2",
  "SIGALRM",
  "SIGWINCH",
  "SIGCONT",
  "SIGPWR",
  "SIGVTALRM",
  "SIGPROF",
  "SIGURG",
  "SIGIO",
  "SIGSTKFLT",
] as const satisfies readonly Deno.Signal[];

/**
 * Two of the same signal that reach jail within this many milliseconds are
 * forwarded as one. A sender that signals jail's pid and then its group (GNU
 * timeout) makes two deliveries to jail microseconds apart, which the kernel
 * merges into one for a process that has not yet taken the first (a native
 * command's handler runs once); jail may take the first in between when the
 * sender is preempted, and its forwards then land milliseconds apart, each
 * running the command's handler (1 run in about 30 under load, before). 100 ms
 * still let both through in 1 of 3 full-suite runs on a loaded 2-core machine;
 * 500 ms is far below the seconds a process manager waits between its
 * signals (docker stop, systemd, GNU timeout --kill-after).
 */
export const SIGNAL_MERGE_MS = 500;

/** A failure of the jail, not of the command. */
export class JailError extends Error {
  /**
   * Creates the error.
   *
   * @param message What failed.
   */
  constructor(message: string) {
    super(message);
    this.name = "JailError";
  }
}

export type { CompiledPolicy };

/** A supervisor thread started ahead of time (see {@linkcode prepareRun}). */
export interface PreparedRun {
  /** The supervisor's worker, loading. */
  worker: Worker;
  /** Set once a run took it over. */
  used?: boolean;
}

/**
 * Starts the slow part of a run (the worker's module loading) so that it
 * overlaps with whatever the caller does next, such as loading the policy.
 * Hand the result to {@linkcode runJailed}, or to {@linkcode discardRun} when
 * no run follows.
 */
export function prepareRun(): PreparedRun {
  const worker = new Worker(new URL("../supervisor/worker.ts", import.meta.url).href, {
    type: "module",
  });
  return { worker };
}

/** Ends a prepared run that will not be used. */
export function discardRun(prepared: PreparedRun): void {
  prepared.worker.terminate();
}

/** Options for {@linkcode runJailed}. */
export interface RunJailedOptions {
  /** Parts started ahead of time by {@linkcode prepareRun}. */
  prepared?: PreparedRun;
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
}

/** How a jailed run ended. */
export interface RunOutcome {
  /** The status jail exits with. */
  exitCode: number;
  /** The root's exit code, when it exited. */
  code?: number;
  /** The signal that killed the root, when one did. */
  signal?: number;
  /** True when the timeout expired. */
  timedOut: boolean;
  /** Set when a policy rule killed the tree: the rule. */
  policyKill?: string;
  /** A one-line message for the user, when something other than a plain exit happened. */
  message?: string;
  /** Supervisor counters. */
  stats: RunStats;
}

/** Supervisor counters of one run. */
export interface RunStats {
  /** Processes seen. */
  processes: number;
  /** Threads seen. */
  threads: number;
  /** Most processes alive at once. */
  peakProcesses: number;
  /** Most threads alive at once. */
  peakThreads: number;
  /** Threads left in the registry at the end (0 after a clean run). */
  leftover: number;
  /** How often each ptrace quirk was met. */
  quirks: QuirkCounts;
}

/**
 * When this environment variable names a file, the run's outcome and
 * counters are written there as JSON at the end: a diagnostic for bug
 * reports and for the quirk tests, which check that each quirk's path ran.
 */
export const STATS_FILE_ENV = "JAIL_STATS_FILE";

function writeStats(outcome: RunOutcome): void {
  const path = Deno.env.get(STATS_FILE_ENV);
  if (!path) return;
  const { exitCode, code, signal, timedOut, stats } = outcome;
  try {
    Deno.writeTextFileSync(path, JSON.stringify({ exitCode, code, signal, timedOut, stats }));
  } catch (e) {
    console.error(`jail: cannot write ${STATS_FILE_ENV} ${path}: ${(e as Error).message}`);
  }
}

const SLOTS = 1 << 16;

const HOOK_HELP =
  `expected "allow", "deny", "kill", { deny: "<ERRNO>" }, { return: <integer> } or { args: { <0-5>: <integer> } }`;

/** A value a register can hold, checked. */
function checkedRegisterValue(v: unknown, what: string): RegisterValue {
  if (typeof v === "bigint" && v >= -(1n << 63n) && v < (1n << 64n)) return registerValue(v);
  if (typeof v === "number" && Number.isSafeInteger(v)) return registerValue(v);
  throw new Error(`returned ${what} ${show(v)}: expected an integer`);
}

function show(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "a function";
  try {
    return JSON.stringify(v, (_, x) => typeof x === "bigint" ? `${x}n` : x) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Turns what a function rule returned into a decision; a bad answer denies with EPERM and says why. */
function hookDecision(d: HookDecision, rule: string): Decision {
  if (d === "allow") return { action: "allow", rule };
  if (d === "deny") return { action: "deny", errno: ERRNO_NUMBERS.EPERM, rule };
  if (d === "kill") return { action: "kill", rule };
  if (typeof d === "object" && d !== null && Object.keys(d).length === 1) {
    if ("deny" in d) {
      const n = (ERRNO_NUMBERS as Record<string, number>)[d.deny];
      if (n === undefined) throw new Error(`returned { deny: ${show(d.deny)} }: unknown errno`);
      return { action: "deny", errno: n, rule };
    }
    if ("return" in d) {
      return { action: "return", value: checkedRegisterValue(d.return, "return"), rule };
    }
    if ("args" in d && typeof d.args === "object" && d.args !== null) {
      const args: Record<number, RegisterValue> = {};
      for (const [i, v] of Object.entries(d.args)) {
        if (!/^[0-5]$/.test(i)) throw new Error(`returned args index ${show(i)}: expected 0 to 5`);
        args[Number(i)] = BigInt(checkedRegisterValue(v, `args[${i}]`));
      }
      return { action: "args", args, rule };
    }
  }
  throw new Error(`returned ${show(d)}: ${HOOK_HELP}`);
}

function execFailureMessage(cmd: string, f: ExecFailure): { code: number; message: string } {
  if (f.errno === 2 && !cmd.includes("/")) {
    return { code: 127, message: `${cmd}: command not found` };
  }
  const text: Record<number, string> = {
    2: "No such file or directory",
    13: "Permission denied",
    8: "Exec format error",
    20: "Not a directory",
    21: "Is a directory",
  };
  const code = f.errno === 2 || f.errno === 20 ? 127 : 126;
  return { code, message: `${cmd}: ${text[f.errno] ?? `cannot execute (errno ${f.errno})`}` };
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
  // run, from just after the start message (off the start-up path; Deno listens for SIGUSR1
  // only 500 ms after its own start).
  let releaseInspector = () => {};
  const control = new Int32Array(new SharedArrayBuffer(4 * (1 + SLOTS)));
  const hookChannel = new SharedArrayBuffer(8 + HOOK_BYTES);
  const failedRules = new Set<string>();
  const answer = async (hook: number, call: HookCall) => {
    const rule = `syscalls.${call.name}`;
    let decision: Decision;
    try {
      const fn = policy.hooks[hook];
      const c: SyscallCall = { ...call, args: call.args.map(BigInt) };
      decision = hookDecision(await fn(c), rule);
    } catch (e) {
      // Fail closed: a rule that cannot answer denies. Said once per rule: a rule that throws
      // throws for every call it sees (11 identical lines for one `cat`).
      decision = { action: "deny", errno: ERRNO_NUMBERS.EPERM, rule };
      if (!failedRules.has(rule)) {
        failedRules.add(rule);
        let why = "a value that cannot be shown";
        try {
          why = e instanceof Error ? e.message : String(e);
        } catch { /* a thrown object whose text throws too: the call is denied all the same */ }
        console.error(`jail: rule ${rule} failed: ${why}; the call is denied with EPERM`);
      }
    }
    reply(decision);
  };
  let hookPending = false;
  const reply = (decision: Decision) => {
    if (!hookPending) return; // Already answered (the tree is being killed).
    hookPending = false;
    const bytes = new TextEncoder().encode(JSON.stringify(encodeDecision(decision)));
    new Uint8Array(hookChannel, 8).set(bytes);
    const words = new Int32Array(hookChannel);
    Atomics.store(words, HOOK_LENGTH, bytes.length);
    Atomics.store(words, HOOK_STATE, 1);
    Atomics.notify(words, HOOK_STATE);
  };
  // With a controlling terminal the launch hands the tree's group the terminal before the command
  // runs (launch.ts); this thread then relays job control.
  const jobs = JobControl.open();
  if (options.prepared) options.prepared.used = true;
  const worker = options.prepared?.worker ??
    new Worker(new URL("../supervisor/worker.ts", import.meta.url).href, { type: "module" });
  const env = Object.entries(options.env ?? Deno.env.toObject()).map(([k, v]) => `${k}=${v}`);
  const grace = options.grace ?? 2000;
  let rootPid = 0;
  let timedOut = false;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const listeners: [Deno.Signal, () => void][] = [];

  const killTree = () => {
    Atomics.store(control, CONTROL_COMMAND, COMMAND_KILL);
    // A function rule that never settles must not keep the supervisor waiting for its answer.
    reply({ action: "deny", errno: ERRNO_NUMBERS.EPERM, rule: "kill" });
    // The supervisor may be blocked in waitpid on an idle tree: kill from here too.
    for (let i = 1; i < control.length; i++) {
      const pid = Atomics.load(control, i);
      if (pid > 0) kill(pid, SIGNALS.SIGKILL);
    }
  };
  let graceArmed = false;
  const early: number[] = [];
  const lastForwarded = new Map<Deno.Signal, number>();
  const forward = (sig: Deno.Signal) => {
    const num = SIGNALS[sig as keyof typeof SIGNALS];
    const now = performance.now();
    if (now - (lastForwarded.get(sig) ?? -Infinity) < SIGNAL_MERGE_MS) return;
    lastForwarded.set(sig, now);
    // To the tree's group (the root's pid; the guard keeps kill(-0), jail's own group, out).
    if (sig === "SIGCONT" && jobs) jobs.continued();
    else if (rootPid > 0) kill(-rootPid, num);
    else early.push(num); // Before the root is traced: sent once it is (it was the group's, too).
    if (!(TEARDOWN_SIGNALS as readonly string[]).includes(sig)) return;
    if (graceArmed) return killTree(); // A second signal: no more waiting.
    graceArmed = true;
    timers.push(setTimeout(killTree, grace));
  };
  // Only with a controlling terminal: then the shell's SIGCONT after a stop must reach the tree.
  const signals = options.forwardSignals ? FORWARDED_SIGNALS : jobs ? ["SIGCONT" as const] : [];
  for (const sig of signals) {
    const fn = () => forward(sig);
    Deno.addSignalListener(sig, fn);
    listeners.push([sig, fn]);
  }
  // 0 is no limit, as for GNU timeout (and a 0 ms timer would end the run at once).
  if (options.timeout !== undefined && options.timeout > 0) {
    timers.push(setTimeout(() => {
      timedOut = true;
      killTree();
    }, options.timeout));
  }
  const onAbort = () => killTree();
  options.signal?.addEventListener("abort", onAbort);

  return new Promise<RunOutcome>((resolve, reject) => {
    const finish = () => {
      jobs?.end();
      for (const t of timers) clearTimeout(t);
      for (const [sig, fn] of listeners) Deno.removeSignalListener(sig, fn);
      options.signal?.removeEventListener("abort", onAbort);
      worker.terminate();
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
          rootPid = m.pid;
          jobs?.start(m.pid);
          for (const num of early.splice(0)) kill(-rootPid, num);
          return;
        case "stopped":
          jobs?.treeStopped(m.signal);
          return;
        case "event":
          options.onEvent?.(m.event);
          return;
        case "hook":
          hookPending = true;
          answer(m.hook, m.call);
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
          finish();
          const result = outcome(argv[0], m.result, m.execFailure, timedOut);
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
          return;
        }
      }
    };
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
    };
    worker.postMessage(start);
    mark("start posted");
    releaseInspector = holdInspectorAddress();
  });
}

/**
 * Creates the log file and writes its `start` line; the supervisor's thread
 * appends the events, this thread the `end` line.
 *
 * @throws {JailError} When the file cannot be created.
 */
function startLog(
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

function endLog(log: { path: string }, info: EndInfo): void {
  using writer = LogWriter.append(log.path, (message) => {
    console.error(`jail: --log ${log.path}: ${message}`);
  });
  writer.write(endRecord(info));
}

function outcome(
  cmd: string,
  r: SupervisorResult,
  execFailure: ExecFailure | undefined,
  timedOut: boolean,
): RunOutcome {
  const stats: RunStats = {
    processes: r.processes,
    threads: r.threads,
    peakProcesses: r.peakProcesses,
    peakThreads: r.peakThreads,
    leftover: r.leftover,
    quirks: r.quirks,
  };
  const base = { code: r.root?.code, signal: r.root?.signal, timedOut, stats };
  if (execFailure && !r.execed) {
    const { code, message } = execFailureMessage(cmd, execFailure);
    return { ...base, exitCode: code, message };
  }
  if (timedOut) {
    return { ...base, exitCode: EXIT_TIMEOUT, message: "timed out; the tree was killed" };
  }
  if (r.killed === "policy") {
    const rule = r.killRule ?? "kill";
    const by = r.killCall
      ? `${HOST_ARCH.names[r.killCall.nr] || `syscall ${r.killCall.nr}`} by pid ${r.killCall.pid}${
        r.killCall.tid !== r.killCall.pid ? `, thread ${r.killCall.tid}` : ""
      } `
      : "";
    return {
      ...base,
      exitCode: EXIT_POLICY_KILL,
      policyKill: rule,
      message: `killed by policy: ${by}(rule ${rule})`,
    };
  }
  if (r.root?.signal !== undefined) return { ...base, exitCode: 128 + r.root.signal };
  return { ...base, exitCode: r.root?.code ?? EXIT_JAIL_ERROR };
}
