/**
 * Process creation and process handles: clone(2) flags (linux/sched.h) and
 * the flags of the pidfd calls (linux/pidfd.h).
 *
 * @module
 */

/** clone(2) flags (linux/sched.h). */
export const CLONE = {
  /** CLONE_VM: the child shares the parent's memory (until it execs, for vfork and jail's launch). */
  VM: 0x100,
  /** CLONE_PIDFD: a pidfd of the child in `parent_tid` (Linux 5.2). */
  PIDFD: 0x1000,
  /** CLONE_UNTRACED: a tracer cannot force CLONE_PTRACE on the child. */
  UNTRACED: 0x00800000,
} as const;

/** pidfd_open flag `PIDFD_THREAD`: a pidfd of one thread (O_EXCL's bit). */
export const PIDFD_THREAD = 0o200;
/** pidfd_send_signal flag `PIDFD_SIGNAL_PROCESS_GROUP`: signal the target's whole process group. */
export const PIDFD_SIGNAL_PROCESS_GROUP = 4;
