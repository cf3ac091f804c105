/**
 * The ptrace options jail sets: at the seize, and once the command has
 * exec'd. A module of their own so that the launch, on the CLI's thread too,
 * does not load the supervisor loop for two numbers.
 *
 * @module
 */

import { PTRACE_O } from "../ffi/libc.ts";

/** Options once the root has exec'd: follow everything. */
export const TRACE_OPTIONS = PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACEFORK | PTRACE_O.TRACEVFORK |
  PTRACE_O.TRACECLONE | PTRACE_O.TRACEEXEC | PTRACE_O.TRACEEXIT | PTRACE_O.TRACESECCOMP |
  PTRACE_O.EXITKILL;

/**
 * Options at seize time, before the exec stage has exec'd: its Deno threads
 * must not become tracees, so fork and clone are followed only from the
 * command's exec on.
 */
export const SEIZE_OPTIONS = PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACEEXEC | PTRACE_O.TRACEEXIT |
  PTRACE_O.TRACESECCOMP | PTRACE_O.EXITKILL;
