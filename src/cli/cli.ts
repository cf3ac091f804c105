/**
 * Command-line parsing and the `jail` entry point.
 *
 * Flags follow Deno's permission flags: `--allow-net` alone allows all,
 * `--allow-net=a,b` allows a list. Everything after `--` (or from the first
 * word that is not an option) is the command, except right after a flag whose
 * value is optional: `--allow-net localhost` is refused, not run.
 *
 * @module
 */

import { mark } from "../timing.ts";
import { writeStderr } from "../stderr.ts";
import { runJailed } from "../run/run.ts";
import { EXIT_JAIL_ERROR, JailError, type RunOutcome } from "../run/exit_status.ts";
import type { PreparedRun } from "../run/worker_start.ts";
import { parseDuration } from "./duration.ts";
import { ConfigError, type FlagSet, loadPolicy } from "../policy/load.ts";
import { VERSION } from "../version.ts";
import { suggest } from "../suggest.ts";
import type { SupervisorEvent } from "../events.ts";
import type { SummaryCollector } from "../report/summary.ts";
import { Learner, learnFormat, renderLearnedConfig } from "../report/learn.ts";
import { resolveTraceCalls, TraceCallsError } from "../report/trace_calls.ts";

/** A usage error: reported as `jail: <message>`, exit 125. */
export class UsageError extends Error {
  /** @param message key, value and what was expected. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Flags that may be given with or without `=value`. */
const LIST_FLAGS = [
  "allow-net",
  "deny-net",
  "allow-read",
  "deny-read",
  "allow-write",
  "deny-write",
  "allow-run",
  "deny-run",
] as const;
/** Flags whose value is optional: given only as `--flag=value`, so a bare word after one is an error. */
const OPTIONAL_VALUE_FLAGS: readonly string[] = [...LIST_FLAGS, "trace"];
/** What `--trace` alone becomes for the parser: no file name can hold a NUL. */
const TRACE_TO_STDERR = "\0";
/** Flags that take a value, as `--flag value` or `--flag=value`. */
const VALUE_FLAGS = new Set([
  "config",
  "timeout",
  "grace",
  "log",
  "learn",
  "cap-add",
  "trace-calls",
]);

const OPTIONS = {
  ...Object.fromEntries(LIST_FLAGS.map((f) => [f, { type: "string", multiple: true }])),
  "allow-all": { type: "boolean", short: "A" },
  "cap-add": { type: "string", multiple: true },
  config: { type: "string" },
  "no-config": { type: "boolean" },
  timeout: { type: "string" },
  grace: { type: "string" },
  wait: { type: "boolean" },
  explain: { type: "boolean" },
  trace: { type: "string" },
  "trace-calls": { type: "string", multiple: true },
  log: { type: "string" },
  summary: { type: "boolean" },
  learn: { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const;

/** HELP text for `jail --help`. */
export const HELP =
  `jail ${VERSION}: run a command and its whole process tree under a ptrace+seccomp supervisor

Usage: jail [options] -- <command> [args...]

With no options the built-in policy applies: network limited to loopback and
unix sockets, everything else allowed, the known escape routes closed.

Permissions (Deno style; a list is comma-separated, repeatable):
  --allow-net[=<hosts>]    allow network destinations (host, host:port, CIDR, port ranges, unix:<glob>); alone: all
  --deny-net[=<hosts>]     deny network destinations; alone: all, loopback included
  --allow-read[=<paths>]   --deny-read[=<paths>]     file reads by path glob
  --allow-write[=<paths>]  --deny-write[=<paths>]    file writes by path glob
  --allow-run[=<programs>] --deny-run[=<programs>]   executables by path glob
  -A, --allow-all          allow everything the policy restricts (observe only); deny lists
                           and a config's syscalls rules still apply
  --cap-add=<names>        capabilities a root command keeps besides the default set (Docker's
                           without NET_RAW), e.g. NET_RAW,SYS_PTRACE; ALL keeps every one; -A
                           keeps all but SYS_PTRACE, SYS_MODULE, SYS_RAWIO, BPF and PERFMON

Policy:
  --config <file>          jail.config.ts or jail.config.json (default: ./jail.config.ts, ./jail.config.json)
  --no-config              ignore config files in the current directory
  --explain                print the compiled seccomp filter and rules, then exit

Run:
  --timeout <duration>     kill the tree after this long (90s, 5m, 1m30s, 1h; 0: no limit); exit 124
  --grace <duration>       after a forwarded SIGINT/SIGTERM/SIGHUP/SIGQUIT, SIGKILL the tree after
                           this long (default 2s)
  --wait                   when the command exits, wait for the rest of its tree instead of killing it

Reports (see README.md, "Trace, log, summary, learn"):
  --trace[=<file>]         a line per process event and supervised call on stderr (strace-like:
                           decoded arguments, the result each call returned), or appended to <file>
  --trace-calls=<calls>    trace these syscalls (names and classes, like strace -e trace=), e.g.
                           openat,connect,%net,%file; classes: %network (%net), %file, %process,
                           %signal, %memory, %ipc, %desc. Implies --trace
  --log <file>             a JSON Lines log of the run, one line per event, written as it happens
  --summary                at the end: the process tree and the denied and rewritten calls
                           (also appended as markdown to $GITHUB_STEP_SUMMARY when set)
  --learn <file>           run with everything allowed and write a jail.config.ts or .json (by
                           extension) that allows exactly the destinations and programs seen

  -h, --help               this text
  -V, --version            the version

Signals: the command runs in a process group of its own. Every catchable signal sent to jail
(to its pid, its group, or both, as GNU timeout does) reaches that group once (INT, TERM, HUP,
QUIT, USR1, USR2, ALRM, WINCH, CONT, PWR, VTALRM, PROF, URG, IO, STKFLT); processes that left
the group (setsid daemons) are not reached. jail keeps CHLD, PIPE, XCPU, XFSZ, SYS and TSTP,
TTIN, TTOU for itself and ignores real-time signals (Deno cannot receive them). USR1 never
opens Deno's inspector. On a terminal the command's group is the foreground (^C, ^\\, ^Z reach
it alone); when it stops, jail stops too, and fg or bg continues it; the terminal goes back to
jail's group when the run ends.

Exit status: the command's own; 128+N when it died of signal N; 124 on timeout;
125 when jail itself fails (bad option or config); 126 not executable; 127 not found;
159 (128+SIGSYS) when a "kill" rule fired.

Examples:
  jail -- npm test                              tests cut off from the network
  jail --allow-net=10.0.0.5:5432 -- npm test    plus one database host (loopback is allowed)
  jail --deny-net -- ./build.sh                 no network at all
  jail --timeout=5m -- make                     no build runs longer than five minutes
  jail --config jail.config.ts -- node app.js   a policy in a file
  jail --learn jail.config.ts -- npm test       learn a policy from one run
`;

/** Parsed command line. */
export interface Cli {
  /** The command and its arguments. */
  command: string[];
  /** Permission flags, merged over the config. */
  flags: FlagSet;
  /** Explicit config file. */
  config?: string;
  /** Do not look for config files. */
  noConfig: boolean;
  /** Milliseconds, when given; 0 is no limit. */
  timeout?: number;
  /** Milliseconds, when given. */
  grace?: number;
  /** `--wait`. */
  wait: boolean;
  /** `--explain`. */
  explain: boolean;
  /** `--trace` or `--trace=<file>`. */
  trace: boolean;
  /** `--trace=<file>`: the trace goes there instead of stderr. */
  traceFile?: string;
  /** `--trace-calls`: the syscalls to trace, resolved to names. */
  traceCalls?: string[];
  /** `--log <file>`. */
  log?: string;
  /** `--summary`. */
  summary: boolean;
  /** `--learn <file>`, with the form its extension asks for. */
  learn?: { path: string; format: "ts" | "json" };
  /** `-h`. */
  help: boolean;
  /** `-V`. */
  version: boolean;
}

/**
 * Splits jail's own options from the command: at `--`, or at the first word that is not an option.
 *
 * @throws {UsageError} When a list flag without `=` is followed by a bare word: `--allow-net
 * localhost -- true` would otherwise run `localhost` with every destination allowed.
 */
function splitCommand(args: readonly string[]): [string[], string[]] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--") return [args.slice(0, i), args.slice(i + 1)];
    if (!a.startsWith("-") || a === "-") {
      const flag = args[i - 1];
      if (i > 0 && OPTIONAL_VALUE_FLAGS.includes(flag.slice(2))) {
        throw new UsageError(
          `${flag} takes its value with '=': ${flag}=${a} (or ${flag} -- ${a} to run ${a} with ${flag} alone)`,
        );
      }
      return [args.slice(0, i), args.slice(i)];
    }
    if (!a.includes("=") && VALUE_FLAGS.has(a.replace(/^--?/, ""))) i++;
  }
  return [[...args], []];
}

const LONG_NAMES = Object.keys(OPTIONS);
const SHORT_NAMES: Record<string, string> = Object.fromEntries(
  Object.entries(OPTIONS).flatMap(([name, o]) => "short" in o ? [[o.short, name]] : []),
);

/** Rejects an option jail does not know before parseArgs does, with a suggestion. */
function checkOptionNames(own: readonly string[]): void {
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    if (a.startsWith("--")) {
      const name = a.slice(2).split("=")[0];
      if (!LONG_NAMES.includes(name)) {
        const guess = suggest(name, LONG_NAMES);
        throw new UsageError(
          `${a.split("=")[0]}: unknown option${
            guess ? `: did you mean --${guess}?` : "; see jail --help"
          }`,
        );
      }
      if (!a.includes("=") && VALUE_FLAGS.has(name)) i++;
    } else if (a.startsWith("-")) {
      for (const c of a.slice(1)) {
        if (!(c in SHORT_NAMES)) {
          throw new UsageError(
            `${a}: unknown option${
              a.length > 2 ? " (short options are -A, -h and -V; they take no value)" : ""
            }; see jail --help`,
          );
        }
      }
    }
  }
}

/**
 * Reads jail's own options (names already checked by checkOptionNames), with
 * the rules of `node:util`'s strict `parseArgs`: `--name=value` or `--name
 * value` for a value option, where a next word that looks like an option
 * (`-x`, longer than `-`) is no value; a boolean takes none; short options
 * group (`-Ah`); a repeated list option collects, any other repeat keeps the
 * last. Written out because importing `node:util` costs about 8 ms of every
 * start-up (it loads Deno's Node compatibility layer).
 */
function parseOptions(own: readonly string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const set = (name: string, value: string | boolean) => {
    const o = OPTIONS[name as keyof typeof OPTIONS];
    if (o.type === "boolean" && value !== true) {
      throw new UsageError(`--${name}: takes no value; see jail --help`);
    }
    if ("multiple" in o) {
      const list = (values[name] ??= []) as string[];
      list.push(value as string);
    } else values[name] = value;
  };
  for (let i = 0; i < own.length; i++) {
    const a = own[i];
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) {
        set(name, a.slice(eq + 1));
      } else if (OPTIONS[name as keyof typeof OPTIONS].type === "boolean") {
        set(name, true);
      } else {
        const next = own[i + 1];
        if (next === undefined || (next.length > 1 && next.startsWith("-"))) {
          const what = ["config", "log", "learn"].includes(name)
            ? "file"
            : name === "cap-add" || name === "trace-calls"
            ? "names"
            : "duration";
          throw new UsageError(
            `--${name}: missing value: expected --${name} <${what}> or --${name}=<value>`,
          );
        }
        set(name, next);
        i++;
      }
    } else {
      for (const c of a.slice(1)) set(SHORT_NAMES[c], true);
    }
  }
  return values;
}

function duration(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new UsageError(
      `--${flag}: invalid duration ${
        JSON.stringify(value)
      }: expected a number of seconds or a time with units ms, s, m, h (90s, 5m, 1m30s; 0: none)`,
    );
  }
  return ms;
}

/**
 * Parses jail's arguments.
 *
 * @throws {UsageError} For an unknown option, a missing value or a bad duration.
 */
export function parseCli(args: readonly string[]): Cli {
  const [own, command] = splitCommand(args);
  // `--allow-net` alone means "all": give parseArgs the value it needs.
  const normalised = own.map((a) =>
    (LIST_FLAGS as readonly string[]).includes(a.slice(2))
      ? `${a}=*`
      : a === "--trace"
      ? `${a}=${TRACE_TO_STDERR}`
      : a
  );
  checkOptionNames(own);
  const values = parseOptions(normalised);
  const flags: FlagSet = {};
  for (const f of LIST_FLAGS) {
    const v = values[f] as string[] | undefined;
    if (v) {
      flags[f] = v.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== "");
      if (v.some((s) => s.trim() === "") || flags[f].length === 0) {
        throw new UsageError(
          `--${f}: empty list ${
            JSON.stringify(v.find((s) => s.split(",").some((p) => !p.trim())))
          }: give entries after = (comma-separated) or drop the = to mean all`,
        );
      }
    }
  }
  if (values["allow-all"]) flags["allow-all"] = true;
  const capAdd = values["cap-add"] as string[] | undefined;
  if (capAdd) {
    flags["cap-add"] = capAdd.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s);
    if (flags["cap-add"].length === 0) {
      throw new UsageError(`--cap-add: empty list: expected names such as --cap-add=NET_RAW`);
    }
  }
  const learnPath = values.learn as string | undefined;
  let learn: Cli["learn"];
  if (learnPath !== undefined) {
    const format = learnFormat(learnPath);
    if (!format) {
      throw new UsageError(
        `--learn: ${
          JSON.stringify(learnPath)
        }: expected a .ts or .json file name, e.g. jail.config.ts`,
      );
    }
    learn = { path: learnPath, format };
  }
  const log = values.log as string | undefined;
  if (log === "") throw new UsageError(`--log: empty file name: expected --log <file>`);
  const trace = values.trace as string | undefined;
  if (trace === "") {
    throw new UsageError(`--trace: empty file name: expected --trace or --trace=<file>`);
  }
  const callsValues = values["trace-calls"] as string[] | undefined;
  let traceCalls: string[] | undefined;
  if (callsValues) {
    const entries = callsValues.flatMap((s) => s.split(",")).map((s) => s.trim());
    if (entries.some((s) => s === "")) {
      throw new UsageError(
        `--trace-calls: empty entry in ${
          JSON.stringify(callsValues.join(","))
        }: expected names and classes such as --trace-calls=openat,%net`,
      );
    }
    try {
      traceCalls = resolveTraceCalls(entries);
    } catch (e) {
      if (e instanceof TraceCallsError) throw new UsageError(`--trace-calls: ${e.message}`);
      throw e;
    }
  }
  return {
    command,
    flags,
    config: values.config as string | undefined,
    noConfig: Boolean(values["no-config"]),
    timeout: duration("timeout", values.timeout as string | undefined),
    grace: duration("grace", values.grace as string | undefined),
    wait: Boolean(values.wait),
    explain: Boolean(values.explain),
    trace: trace !== undefined || traceCalls !== undefined,
    traceCalls,
    traceFile: trace !== undefined && trace !== TRACE_TO_STDERR ? trace : undefined,
    log,
    summary: Boolean(values.summary),
    learn,
    help: Boolean(values.help),
    version: Boolean(values.version),
  };
}

function report(message: string): void {
  writeStderr(`jail: ${message}\n`);
}

/** `--summary`: on stderr, and as markdown appended to `$GITHUB_STEP_SUMMARY` when set. */
function writeSummary(
  { renderSummary, renderSummaryMarkdown }: typeof import("../report/summary.ts"),
  summary: SummaryCollector,
  outcome: RunOutcome,
  command: readonly string[],
): void {
  const data = summary.data;
  writeStderr(renderSummary(data, outcome));
  const step = Deno.env.get("GITHUB_STEP_SUMMARY");
  if (!step) return;
  try {
    Deno.writeTextFileSync(step, renderSummaryMarkdown(data, outcome, command), { append: true });
  } catch (e) {
    report(`GITHUB_STEP_SUMMARY ${step}: cannot write: ${(e as Error).message}`);
  }
}

/** `--learn`: writes the config; false when it could not be written. */
function writeLearned(
  learner: Learner,
  learn: NonNullable<Cli["learn"]>,
  command: readonly string[],
  outcome: RunOutcome,
): boolean {
  const { net, run } = learner.learned;
  if (run.size === 0) {
    report(`--learn: nothing written to ${learn.path}: the command never ran`);
    return true;
  }
  const text = renderLearnedConfig(learner.learned, learn.format, { command, time: new Date() });
  try {
    Deno.writeTextFileSync(learn.path, text);
  } catch (e) {
    report(`--learn ${learn.path}: cannot write: ${(e as Error).message}`);
    return false;
  }
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  const failed = outcome.exitCode !== 0
    ? ` (the command's exit status was ${outcome.exitCode})`
    : "";
  report(
    `learned ${n(net.size, "destination", "destinations")} and ${
      n(run.size, "program", "programs")
    }; wrote ${learn.path}${failed}`,
  );
  return true;
}

/**
 * Runs the CLI.
 *
 * @param args Command-line arguments (without the program name).
 * @param prepared A supervisor worker started ahead of time, used when a command runs.
 * @returns The exit status.
 */
export async function main(args: readonly string[], prepared?: PreparedRun): Promise<number> {
  try {
    const cli = parseCli(args);
    if (cli.help) {
      console.log(HELP);
      return 0;
    }
    if (cli.version) {
      console.log(`jail ${VERSION}`);
      return 0;
    }
    if (cli.config !== undefined && cli.noConfig) {
      throw new UsageError("--config and --no-config: conflicting flags: give one of them");
    }
    // Learning observes with everything allowed, network calls still stopping so each is seen.
    const loaded = await loadPolicy({
      flags: cli.learn ? { ...cli.flags, "allow-all": true } : cli.flags,
      config: cli.config,
      noConfig: cli.noConfig,
      observeNet: cli.learn !== undefined,
      traceCalls: cli.traceCalls,
    });
    mark("policy loaded and compiled");
    if (cli.explain) {
      console.log(loaded.explain());
      return 0;
    }
    if (cli.command.length === 0) {
      throw new UsageError("no command given: usage: jail [options] -- <command> [args...]");
    }
    // Before the command starts: a report that cannot be written at the end loses the run.
    const outputs = [
      ...(cli.learn ? [{ what: "--learn", path: cli.learn.path }] : []),
      ...(cli.log !== undefined ? [{ what: "--log", path: cli.log }] : []),
      ...(cli.traceFile !== undefined ? [{ what: "--trace", path: cli.traceFile }] : []),
      ...(cli.summary && Deno.env.get("GITHUB_STEP_SUMMARY")
        ? [{ what: "--summary: GITHUB_STEP_SUMMARY", path: Deno.env.get("GITHUB_STEP_SUMMARY")! }]
        : []),
    ];
    if (outputs.length) {
      const unwritable = (await import("../report/output_paths.ts")).checkOutputPaths(outputs);
      if (unwritable) throw new UsageError(unwritable);
    }
    // Report modules load only for the flags that use them: each is start-up time otherwise.
    const summaries = cli.summary ? await import("../report/summary.ts") : undefined;
    const summary = summaries && new summaries.SummaryCollector(cli.command);
    const learner = cli.learn ? new Learner() : undefined;
    const progress = learner &&
      new (await import("../report/progress.ts")).Progress({
        interactive: Deno.stderr.isTerminal(),
      });
    const onEvent = summary || learner
      ? (e: SupervisorEvent) => {
        summary?.add(e);
        const item = learner?.add(e);
        if (item) progress?.learned(item);
      }
      : undefined;
    const color = cli.trace && cli.traceFile === undefined &&
      (await import("../report/trace.ts")).useColor(
        Deno.stderr.isTerminal(),
        Deno.env.get("NO_COLOR"),
      );
    const running = runJailed(cli.command, loaded.compiled, {
      onRootExit: cli.wait ? "wait" : loaded.config.onRootExit ?? "kill",
      timeout: cli.timeout ?? loaded.timeout,
      grace: cli.grace ?? loaded.grace,
      forwardSignals: true,
      reportDenials: true,
      prepared,
      onEvent,
      trace: cli.trace
        ? { color: Boolean(color), path: cli.traceFile, calls: cli.traceCalls }
        : undefined,
      log: cli.log !== undefined ? { path: cli.log, policy: loaded.source } : undefined,
      capabilities: loaded.capabilities,
    });
    // Deno cannot listen to real-time signals, so jail cannot forward them: ignored, so that none
    // ends jail (and with it the tree, unwarned); the command gets their default action back at
    // exec. Done once the start message is posted, off the start-up path.
    const { ignoreSignals, SIGRTMIN_USABLE, SIGRTMAX } = await import(
      "../../ffi/ignore_signals.ts"
    );
    ignoreSignals(
      Array.from({ length: SIGRTMAX - SIGRTMIN_USABLE + 1 }, (_, i) => SIGRTMIN_USABLE + i),
    );
    const outcome = await running;
    if (outcome.message) report(outcome.message);
    if (summaries && summary) writeSummary(summaries, summary, outcome, cli.command);
    if (learner && cli.learn && !writeLearned(learner, cli.learn, cli.command, outcome)) {
      return EXIT_JAIL_ERROR;
    }
    return outcome.exitCode;
  } catch (e) {
    if (e instanceof UsageError || e instanceof ConfigError || e instanceof JailError) {
      report(e.message);
      return EXIT_JAIL_ERROR;
    }
    report(`internal error: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    return EXIT_JAIL_ERROR;
  }
}
