/**
 * Which traced rules a seccomp user notification can decide, and the answer
 * it sends for each.
 *
 * A notification's answer skips the call with a result (`{ val, error }`) or
 * lets it run as the tree made it (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`); it
 * cannot change a register. So only rules whose decision is fixed before the
 * call is seen and needs no register rewrite qualify: a static `return`, a
 * `deny`, an `allow` (a `"trace"` rule with nobody recording). A rule that
 * reads the call's memory (network, files), asks a function, delivers a
 * signal or checks a target stays on ptrace: CONTINUE would let the kernel
 * re-read memory the tree can change after the check.
 *
 * @module
 */

import type { Decision } from "../decision.ts";
import type { TraceRule } from "../supervisor/rules.ts";
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
 * The answer a notification gives for `rule`, or undefined when the rule
 * must stay on a ptrace stop.
 *
 * @param rule A traced rule of the compiled policy.
 * @returns The answer, the same for every call of that rule.
 */
export function notifyAnswer(rule: TraceRule): NotifyAnswer | undefined {
  if (
    rule.net !== undefined || rule.fs !== undefined || rule.hook !== undefined ||
    rule.signal !== undefined || rule.target !== undefined
  ) return undefined;
  return answerOf(rule.decision);
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
