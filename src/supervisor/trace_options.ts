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

/**
 * {@linkcode TRACE_OPTIONS} without PTRACE_O_TRACEEXEC: the options of a
 * thread whose exec needs no stop, when no report asks for exec events. An
 * exec by the only thread of a process changes nothing the supervisor keeps
 * (the pid, the tid and the registry's records stay), so it costs no stop;
 * an exec by one of several threads does (the others vanish, the exec'ing
 * thread takes the leader's tid), so every thread of a process that has
 * more than one keeps PTRACE_O_TRACEEXEC (exec_stops.ts).
 */
export const NO_EXEC_TRACE_OPTIONS = TRACE_OPTIONS & ~PTRACE_O.TRACEEXEC;
