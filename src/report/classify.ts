/**
 * What a supervised call's decision means for a reader: one word, and the
 * result the caller saw when jail set it. Both read the decision's kind
 * (`SyscallEvent.action`), never its rule's name.
 *
 * @module
 */

import type { SyscallEvent } from "../events.ts";
import { errnoName } from "./_text.ts";
import { MAX_ERRNO as KERNEL_MAX_ERRNO } from "../../kernel/errno.ts";

/**
 * The decision words of traces, logs and summaries.
 *
 * - `allow`: the call ran (or the supervisor ran it for the caller, or it
 *   failed as the kernel itself would have failed it).
 * - `deny`: skipped; the caller saw -1 and an errno.
 * - `return`: skipped; the caller saw a result the policy chose.
 * - `result`: ran; its result was replaced.
 * - `rewrite`: ran with arguments changed.
 * - `kill`: the whole tree was killed.
 */
export type ReportDecision = "allow" | "deny" | "return" | "result" | "rewrite" | "kill";

const MAX_ERRNO = BigInt(KERNEL_MAX_ERRNO);

/** The decision word for a syscall event. */
export function decisionOf(e: Pick<SyscallEvent, "action" | "kernel">): ReportDecision {
  switch (e.action) {
    case "deny":
      // The call failed as it would have without jail: it ran, as far as a reader can tell.
      return e.kernel ? "allow" : "deny";
    case "kill":
      return "kill";
    case "args":
      return "rewrite";
    case "result":
      return "result";
    case "return":
      return "return";
    // Performed by the supervisor, or (a blocking connect) handed back as a call that waits.
    case "perform":
    case "replace":
    default:
      return "allow";
  }
}

/** The result jail set for the caller (decimal; negative: -errno), if it set one. */
export function valueOf(e: Pick<SyscallEvent, "action" | "errno" | "value">): string | undefined {
  if (e.action === "deny") return String(-(e.errno ?? 0));
  const sets = e.action === "return" || e.action === "result" || e.action === "perform";
  return sets ? e.value : undefined;
}

/** What the caller saw, when jail set it: `result` (-1 on error) and the errno name. */
export interface CallResult {
  /** The return value: a number, or a decimal string beyond 2^53. */
  result?: number | string;
  /** errno name when the call failed. */
  errno?: string;
}

/** The result a syscall event's caller saw, when jail decided it; `{}` when the call ran. */
export function resultOf(e: Pick<SyscallEvent, "action" | "errno" | "value">): CallResult {
  if (e.action === "deny") return { result: -1, errno: errnoName(e.errno ?? 0) };
  const value = valueOf(e);
  if (value === undefined) return {};
  const v = BigInt(value);
  if (v < 0n && v >= -MAX_ERRNO) return { result: -1, errno: errnoName(Number(-v)) };
  const n = Number(v);
  return { result: Number.isSafeInteger(n) ? n : value };
}
