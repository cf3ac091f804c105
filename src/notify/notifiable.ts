/**
 * Which traced rules a seccomp user notification can decide, and the answer
 * it sends for each.
 *
 * A notification's answer skips the call with a result (`{ val, error }`) or
 * lets it run as the tree made it (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`, Linux
 * 5.5); it cannot change a register. So only rules whose decision needs no
 * register rewrite qualify: a static `return`, a `deny`, an `allow` (a
 * `"trace"` rule with nobody recording), and the file checks of a policy
 * without redirects, except `execve`/`execveat`: the root's first exec is
 * run by the supervisor's loop through the filter from a ptrace stop (its
 * ENOEXEC fallback included), and a script's interpreter is checked there.
 *
 * A file check reads the caller's memory, which the tree can change between
 * the check and the kernel's own read once CONTINUE lets the call run: the
 * same window a ptrace stop leaves (the supervisor resumes the call after the
 * same check), which the Landlock domain closes for allow lists
 * (src/fs/check.ts). A rule that asks a function, delivers a signal, checks a
 * target or a network address stays on ptrace: the network check performs
 * some calls itself, and the others need the supervisor's registry.
 *
 * @module
 */

import type { Decision } from "../decision.ts";
import type { TraceRule } from "../supervisor/rules.ts";
import type { FsPolicy } from "../fs/access.ts";
import type { FsCall } from "../fs/syscalls.ts";
import { SECCOMP_USER_NOTIF_FLAG_CONTINUE as CONTINUE } from "../../kernel/seccomp.ts";

/** What a notification's answer says: `struct seccomp_notif_resp` less its id. */
export interface NotifyAnswer {
  /** The call's result when `error` is 0 and `flags` is 0. */
  val: bigint;
  /** A negative errno, or 0. */
  error: number;
  /** SECCOMP_USER_NOTIF_FLAG_CONTINUE for a call that runs, else 0. */
  flags: number;
}

/**
 * How the pool answers one rule: the answer, after the file check `fs` when
 * there is one (whose refusal answers instead).
 */
export interface NotifyPlan extends NotifyAnswer {
  /** The file check to run first, on the notified call's arguments and memory. */
  fs?: FsCall;
}

/** What decides whether a rule can be notified besides the rule itself. */
export interface NotifyContext {
  /** The policy's file rules, when it has some. */
  fs?: FsPolicy;
  /** The kernel takes SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5). */
  continues: boolean;
}

/**
 * The answer a notification gives for `rule`, or undefined when the rule
 * must stay on a ptrace stop.
 *
 * @param rule A traced rule of the compiled policy.
 * @param context The file policy and what the kernel can answer (default: no files, this kernel).
 * @returns The plan: the same answer for every call of that rule, after its file check if any.
 */
export function notifyAnswer(
  rule: TraceRule,
  context: NotifyContext = { continues: kernelContinues() },
): NotifyPlan | undefined {
  if (
    rule.net !== undefined || rule.hook !== undefined || rule.signal !== undefined ||
    rule.target !== undefined
  ) return undefined;
  const answer = answerOf(rule.decision);
  // Before 5.5 an answer that lets the call run fails with EINVAL and leaves the caller waiting.
  if (!answer || (answer.flags === CONTINUE && !context.continues)) return undefined;
  if (rule.fs === undefined) return answer;
  // A redirect rewrites the path argument; an exec's stop follows the exec.
  const fs = context.fs;
  if (!fs || fs.redirect.length > 0 || rule.fs === "execve" || rule.fs === "execveat") {
    return undefined;
  }
  return { ...answer, fs: rule.fs };
}

/**
 * The plan of every rule, by trace data.
 *
 * @param rules The compiled policy's traced rules.
 * @param context The file policy and what the kernel can answer.
 * @returns Each rule's plan, undefined where it stays on ptrace.
 */
export function notifyPlans(
  rules: readonly TraceRule[],
  context: NotifyContext,
): (NotifyPlan | undefined)[] {
  return rules.map((r) => notifyAnswer(r, context));
}

function answerOf(d: Decision): NotifyAnswer | undefined {
  switch (d.action) {
    case "return":
      return { val: BigInt.asIntN(64, BigInt(d.value)), error: 0, flags: 0 };
    case "deny":
      return { val: 0n, error: -d.errno, flags: 0 };
    case "allow":
      return { val: 0n, error: 0, flags: CONTINUE };
    default:
      return undefined;
  }
}

let continues: boolean | undefined;

/**
 * Whether this kernel takes SECCOMP_USER_NOTIF_FLAG_CONTINUE (5.5 and
 * later), from its release: asking the kernel itself (an answer with the
 * flag to an id that is not pending: ENOENT from 5.5, EINVAL before) takes a
 * listener, which exists only once the filter that uses it is installed.
 * Unreadable (no `--allow-sys`): no.
 */
export function kernelContinues(release?: string): boolean {
  if (release === undefined && continues !== undefined) return continues;
  let text = release;
  try {
    text ??= Deno.osRelease();
  } catch {
    text = "";
  }
  const m = /^(\d+)\.(\d+)/.exec(text);
  const yes = m !== null && (Number(m[1]) > 5 || (Number(m[1]) === 5 && Number(m[2]) >= 5));
  if (release === undefined) continues = yes;
  return yes;
}
