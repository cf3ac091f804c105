/**
 * The ptrace options jail sets at the seize. A module of their own so that
 * the launch does not load the supervisor loop for one number.
 *
 * @module
 */

import { PTRACE_O } from "../../kernel/ptrace.ts";

/**
 * Options of every tracee, set at the seize of the root: follow everything.
 * The root runs no code before its exec (launch.ts), so it has nothing to
 * fork before the command does.
 */
export const TRACE_OPTIONS = PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACEFORK | PTRACE_O.TRACEVFORK |
  PTRACE_O.TRACECLONE | PTRACE_O.TRACEEXEC | PTRACE_O.TRACEEXIT | PTRACE_O.TRACESECCOMP |
  PTRACE_O.EXITKILL;
