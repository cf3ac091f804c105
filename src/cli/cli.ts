/**
 * Command-line parsing: jail's own options into a {@linkcode Cli}, the
 * command after them. The entry point that acts on them is `main.ts`.
 *
 * Flags follow Deno's permission flags: `--allow-net` alone allows all,
 * `--allow-net=a,b` allows a list. Everything after `--` (or from the first
 * word that is not an option) is the command, except right after a flag whose
 * value is optional: `--allow-net localhost` is refused, not run.
 *
 * @module
 */

import { parseDuration } from "../duration.ts";
import type { FlagSet } from "../policy/load.ts";
import { suggest } from "../suggest.ts";
import { learnFormat } from "../report/learn.ts";
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
