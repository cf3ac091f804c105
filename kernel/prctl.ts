/**
 * prctl(2) options (linux/prctl.h).
 *
 * @module
 */

/** prctl options. */
export const PR = {
  /** PR_SET_DUMPABLE. */
  SET_DUMPABLE: 4,
  /** PR_SET_NAME: the thread's command name. */
  SET_NAME: 15,
  /** PR_CAPBSET_READ: 1 when a capability is in the bounding set. */
  CAPBSET_READ: 23,
  /** PR_CAPBSET_DROP: drops a capability from the bounding set (needs CAP_SETPCAP). */
  CAPBSET_DROP: 24,
  /** PR_SET_CHILD_SUBREAPER. */
  SET_CHILD_SUBREAPER: 36,
  /** PR_SET_NO_NEW_PRIVS. */
  SET_NO_NEW_PRIVS: 38,
  /** PR_CAP_AMBIENT: the ambient set; its first argument is a PR_CAP_AMBIENT_* operation. */
  CAP_AMBIENT: 47,
} as const;

/** `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)`: empties the ambient set. */
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

/** Longest command name the kernel keeps: TASK_COMM_LEN (16) less its NUL (linux/sched.h). */
export const COMM_MAX = 15;
