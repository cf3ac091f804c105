/**
 * The ptrace options jail sets at the seize. A module of their own so that
 * the launch does not load the supervisor loop for one number.
 *
 * @module
 */

import { PTRACE_O } from "../../kernel/ptrace.ts";

/**
 * Options of every tracee, set at the seize of the root: follow every fork,
 * vfork, clone and exec. The root runs no code before its exec (launch.ts),
 * so it has nothing to fork before the command does.
 *
 * No PTRACE_O_TRACEEXIT: an exit stop would cost every process and thread
 * of the tree one more stop, and nothing needs it. A death is reported by
 * waitpid all the same (the registry and the reports take it there), and
 * without exit stops a killed thread never stops again: every request on it
 * fails with ESRCH, so an event message read successfully was read in the
 * event's own stop, never an exit status taken for a tid.
 */
export const TRACE_OPTIONS = PTRACE_O.TRACESYSGOOD | PTRACE_O.TRACEFORK | PTRACE_O.TRACEVFORK |
  PTRACE_O.TRACECLONE | PTRACE_O.TRACEEXEC | PTRACE_O.TRACESECCOMP | PTRACE_O.EXITKILL;
