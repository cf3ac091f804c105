/**
 * What a supervised call's decision means for a reader: one word, and the
 * result the caller saw when jail set it.
 *
 * A network call that the supervisor performed on the tracee's behalf (see
 * `src/net/act.ts`) is an `allow`, whatever it returned; a bind to `0.0.0.0`
 * or `::` moved to loopback is a `rewrite`.
 *
 * @module
 */

import type { SyscallEvent } from "../events.ts";
import { errnoName } from "./_text.ts";
import { ERRNO_NUMBERS, MAX_ERRNO as KERNEL_MAX_ERRNO } from "../../kernel/errno.ts";

/**
 * The decision words of traces, logs and summaries.
 *
 * - `allow`: the call ran (or the supervisor ran it for the caller).
 * - `deny`: skipped; the caller saw -1 and an errno.
 * - `return`: skipped; the caller saw a result the policy chose.
 * - `result`: ran; its result was replaced.
 * - `rewrite`: ran with arguments (or an address) changed.
 * - `kill`: the whole tree was killed.
 */
export type ReportDecision = "allow" | "deny" | "return" | "result" | "rewrite" | "kill";

/** Rule name of the wildcard-bind rewrite in `src/net/check.ts`. */
const BIND_REWRITE = "net.bind";
const MAX_ERRNO = BigInt(KERNEL_MAX_ERRNO);

/**
 * errnos with which the file checks of `src/fs/check.ts` fail a call the way
 * the kernel itself would (no such file, not a directory, a symlink loop, a
 * bad descriptor or pointer): the policy refused nothing, so reports must not
 * count a denial (a shell's PATH search would count one per entry). A file
 * the policy refuses fails with EACCES.
 */
const FS_KERNEL_ERRNOS: ReadonlySet<number> = new Set([
  ERRNO_NUMBERS.ENOENT,
  ERRNO_NUMBERS.ENOTDIR,
  ERRNO_NUMBERS.ELOOP,
  ERRNO_NUMBERS.EBADF,
  ERRNO_NUMBERS.EFAULT,
]);

/** The decision word for a syscall event. */
export function decisionOf(e: Pick<SyscallEvent, "action" | "rule" | "errno">): ReportDecision {
  switch (e.action) {
    case "deny":
      // The call failed as it would have without jail: it ran, as far as a reader can tell.
      if (e.rule === "fs" && e.errno !== undefined && FS_KERNEL_ERRNOS.has(e.errno)) {
        return "allow";
      }
      return "deny";
    case "kill":
      return "kill";
    case "args":
      // A blocking connect performed by the supervisor is handed back as a waiting call.
      return e.rule === "net" ? "allow" : "rewrite";
    case "result":
      return "result";
    case "return":
      if (e.rule === BIND_REWRITE) return "rewrite";
      return e.rule === "net" ? "allow" : "return";
    default:
      return "allow";
  }
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
  if (e.value === undefined || (e.action !== "return" && e.action !== "result")) return {};
  const v = BigInt(e.value);
  if (v < 0n && v >= -MAX_ERRNO) return { result: -1, errno: errnoName(Number(-v)) };
  const n = Number(v);
  return { result: Number.isSafeInteger(n) ? n : e.value };
}
