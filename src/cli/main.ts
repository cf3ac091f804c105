/**
 * The `jail` entry point: parses the command line, loads the policy, runs
 * the command, and writes the reports asked for (`--summary`, `--learn`).
 *
 * @module
 */

import { mark } from "../timing.ts";
import { writeStderr } from "../stderr.ts";
import { runJailed } from "../run/run.ts";
import { EXIT_JAIL_ERROR, JailError, type RunOutcome } from "../run/exit_status.ts";
import { ConfigError, loadPolicy } from "../policy/load.ts";
import { VERSION } from "../version.ts";
import type { SupervisorEvent } from "../events.ts";
import type { SummaryCollector } from "../report/summary.ts";
import { Learner, renderLearnedConfig } from "../report/learn.ts";
import { type Cli, parseCli, UsageError } from "./cli.ts";
import { HELP } from "./help.ts";
import { SIGRTMAX, SIGRTMIN_USABLE } from "../../kernel/signals.ts";
import { WAKE_SIGNAL } from "../../ffi/thread_alarm.ts";
import { ignoreSignals } from "../../ffi/ignore_signals.ts";

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
 * @returns The exit status.
 */
export async function main(args: readonly string[]): Promise<number> {
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
    const outcome = await runJailed(cli.command, loaded.compiled, {
      onRootExit: cli.wait ? "wait" : loaded.config.onRootExit ?? "kill",
      timeout: cli.timeout ?? loaded.timeout,
      grace: cli.grace ?? loaded.grace,
      forwardSignals: true,
      reportDenials: true,
      inline: true,
      onEvent,
      trace: cli.trace
        ? { color: Boolean(color), path: cli.traceFile, calls: cli.traceCalls }
        : undefined,
      log: cli.log !== undefined ? { path: cli.log, policy: loaded.source } : undefined,
      capabilities: loaded.capabilities,
      // Deno cannot listen to real-time signals, so jail cannot forward them: ignored, so that
      // none ends jail (and with it the tree, unwarned). All but the one that wakes the
      // supervisor's loop on this thread (inline.ts), which has a handler. Once the command's
      // process exists: it would have to reset each before its exec (a stop apiece).
      onStarted: () =>
        ignoreSignals(
          Array.from({ length: SIGRTMAX - SIGRTMIN_USABLE + 1 }, (_, i) => SIGRTMIN_USABLE + i)
            .filter((sig) => sig !== WAKE_SIGNAL),
        ),
    });
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
