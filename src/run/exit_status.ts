/**
 * How a run ends, as the caller sees it: the status jail exits with (the
 * command's own, 128+N for signal N, 124, 125, 126, 127, 159), the message
 * that explains it, and the error for a failure of the jail itself.
 *
 * @module
 */

import { SIGNALS } from "../../kernel/signals.ts";
import { ERRNO_MESSAGES, ERRNO_NUMBERS } from "../../kernel/errno.ts";
import type { ExecFailure } from "../supervisor/result.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import type { RunStats, SupervisorResult } from "../supervisor/result.ts";

export type { RunStats };

/** Exit status when the jail itself fails (bad usage, cannot trace). */
export const EXIT_JAIL_ERROR = 125;
/** Exit status when `--timeout` expired. */
export const EXIT_TIMEOUT = 124;
/** Exit status when a policy rule killed the tree: 128 + SIGSYS. */
export const EXIT_POLICY_KILL = 128 + SIGNALS.SIGSYS;

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

/** The shell's status and message for a command whose exec failed (127 not found, 126 the rest). */
export function execFailureMessage(cmd: string, f: ExecFailure): { code: number; message: string } {
  const { ENOENT, EACCES, ENOEXEC, ENOTDIR, EISDIR } = ERRNO_NUMBERS;
  if (f.errno === ENOENT && !cmd.includes("/")) {
    return { code: 127, message: `${cmd}: command not found` };
  }
  // The errors a shell names; any other is shown by number.
  const named = new Set<number>([ENOENT, EACCES, ENOEXEC, ENOTDIR, EISDIR]).has(f.errno);
  const text = named ? ERRNO_MESSAGES[f.errno] : `cannot execute (errno ${f.errno})`;
  const code = f.errno === ENOENT || f.errno === ENOTDIR ? 127 : 126;
  return { code, message: `${cmd}: ${text}` };
}

/**
 * Turns what the supervisor reported into the run's outcome: a failed exec
 * first, then the timeout, a policy kill, the root's signal, its code.
 *
 * @param cmd The command as given (`argv[0]`), for the exec failure's message.
 * @param r The supervisor's result.
 * @param execFailure Why the root's exec failed, when it did.
 * @param timedOut True when the timeout killed the tree.
 */
export function runOutcome(
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
    stops: r.stops,
  };
  if (r.notified !== undefined) stats.notified = r.notified;
  if (r.notifiedEarly !== undefined) stats.notifiedEarly = r.notifiedEarly;
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
