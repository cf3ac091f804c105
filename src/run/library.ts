/**
 * The library's entry points behind `mod.ts`: {@linkcode run} and
 * {@linkcode spawn} load a policy from options (no config file) and run a
 * command under it.
 *
 * @module
 */

import { loadPolicy } from "../policy/load.ts";
import { parseDuration } from "../duration.ts";
import { ConfigError } from "../policy/validate.ts";
import { runJailed } from "./run.ts";
import type { RunOutcome } from "./exit_status.ts";
import type { SupervisorEvent } from "../events.ts";
import type { JailConfig } from "../policy/types.ts";
import type { FlagSet } from "../policy/load.ts";

/** Options for {@linkcode run} and {@linkcode spawn}. */
export interface RunOptions {
  /** The policy; omitted keys keep the built-in default. */
  config?: JailConfig;
  /** Deno-style permission flags merged over `config`, as on the command line. */
  flags?: FlagSet;
  /** The command's environment (default: this process's). */
  env?: Record<string, string>;
  /**
   * Kill the tree after this long: `"90s"`, `"5m"`, `"1m30s"`, `"250ms"`, or a
   * number of seconds (`1` is one second, as in a config and on the command
   * line); `0` means no limit. Overrides the config's `timeout`.
   */
  timeout?: string | number;
  /** Wait for the rest of the tree when the command exits, instead of killing it. */
  wait?: boolean;
  /** Print `jail: denied ...` lines on stderr (default false for the library). */
  reportDenials?: boolean;
  /** Aborting kills the whole tree. */
  signal?: AbortSignal;
}

/** A duration option in milliseconds: the same text or number means the same time as in a config. */
function ms(key: string, v: string | number | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = parseDuration(v);
  if (n === undefined) {
    throw new ConfigError(
      `options.${key}: invalid duration ${
        JSON.stringify(v)
      }: expected seconds as a number or a time with units ms, s, m, h (90s, 5m, 1m30s; 0: none)`,
    );
  }
  return n;
}

async function start(
  cmd: readonly string[],
  options: RunOptions,
  onEvent?: (e: SupervisorEvent) => void,
): Promise<RunOutcome> {
  const timeout = ms("timeout", options.timeout); // A bad value fails before anything starts.
  const loaded = await loadPolicy({
    value: options.config ?? {},
    flags: options.flags,
    noConfig: true,
  });
  return runJailed(cmd, loaded.compiled, {
    env: options.env,
    onRootExit: options.wait ? "wait" : loaded.config.onRootExit ?? "kill",
    timeout: timeout ?? loaded.timeout,
    grace: loaded.grace,
    reportDenials: options.reportDenials ?? false,
    onEvent,
    signal: options.signal,
    capabilities: loaded.capabilities,
  });
}

/**
 * Runs a command under the jail and resolves when its whole tree is gone.
 *
 * @example Deny every connection, loopback included
 * ```ts
 * import { run } from "./mod.ts";
 * const { code } = await run(["curl", "-sS", "http://127.0.0.1:1"], { flags: { "deny-net": ["*"] } });
 * ```
 *
 * @param cmd The command and its arguments.
 * @param options Policy, environment, timeout.
 * @returns `code` (jail's exit status: the command's, 128+N for signal N, 124 timeout), `signal`, and more.
 * @throws {ConfigError} When the policy is invalid.
 * @throws {JailError} When the jail cannot start.
 */
export function run(
  cmd: readonly string[],
  options: RunOptions = {},
): Promise<RunOutcome & { code: number }> {
  return start(cmd, options).then((o) => ({ ...o, code: o.exitCode }));
}

/** A running jailed command. */
export interface JailProcess extends AsyncIterable<SupervisorEvent> {
  /** Resolves when the whole tree is gone. */
  readonly status: Promise<RunOutcome & { code: number }>;
  /** SIGKILLs the whole tree. */
  kill(): void;
}

/**
 * Starts a command under the jail; iterate the handle for its events.
 *
 * @example Watch processes come and go
 * ```ts
 * import { spawn } from "./mod.ts";
 * const p = spawn(["sh", "-c", "true; true"]);
 * for await (const e of p) if (e.kind === "spawn") console.log("pid", e.pid);
 * console.log((await p.status).code);
 * ```
 *
 * @param cmd The command and its arguments.
 * @param options Policy, environment, timeout.
 * @returns A handle with `status`, `kill()` and an async iterator of events.
 */
export function spawn(cmd: readonly string[], options: RunOptions = {}): JailProcess {
  const abort = new AbortController();
  options.signal?.addEventListener("abort", () => abort.abort());
  const queue: SupervisorEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const status = start(cmd, { ...options, signal: abort.signal }, (e) => {
    queue.push(e);
    wake?.();
  }).then((o) => ({ ...o, code: o.exitCode })).finally(() => {
    done = true;
    wake?.();
  });
  return {
    status,
    kill: () => abort.abort(),
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (done) return;
        await new Promise<void>((r) => wake = r);
        wake = undefined;
      }
    },
  };
}
