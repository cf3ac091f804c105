/**
 * The `which` values of setpriority(2) and ioprio_set(2) that reach beyond
 * one process (linux/resource.h, linux/ioprio.h).
 *
 * @module
 */

/** setpriority(2) `which` (linux/resource.h). */
export const PRIO = {
  /** PRIO_PGRP: a process group. */
  PGRP: 1,
  /** PRIO_USER: every process of a user. */
  USER: 2,
} as const;

/** ioprio_set(2) `which` (linux/ioprio.h). */
export const IOPRIO_WHO = {
  /** IOPRIO_WHO_PGRP. */
  PGRP: 2,
  /** IOPRIO_WHO_USER. */
  USER: 3,
} as const;
