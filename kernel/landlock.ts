/**
 * Landlock's ABI (linux/landlock.h): access rights, scopes, rule types and
 * the flag that asks for the ABI version.
 *
 * @module
 */

/** Landlock file-system access rights (`LANDLOCK_ACCESS_FS_*`). */
export const ACCESS = {
  EXECUTE: 1 << 0,
  WRITE_FILE: 1 << 1,
  READ_FILE: 1 << 2,
  READ_DIR: 1 << 3,
  REMOVE_DIR: 1 << 4,
  REMOVE_FILE: 1 << 5,
  MAKE_CHAR: 1 << 6,
  MAKE_DIR: 1 << 7,
  MAKE_REG: 1 << 8,
  MAKE_SOCK: 1 << 9,
  MAKE_FIFO: 1 << 10,
  MAKE_BLOCK: 1 << 11,
  MAKE_SYM: 1 << 12,
  /** ABI 2: link or rename into another directory. */
  REFER: 1 << 13,
  /** ABI 3: truncate(2), O_TRUNC. */
  TRUNCATE: 1 << 14,
  /** ABI 5: ioctl on devices. Never handled here: terminals need their ioctls. */
  IOCTL_DEV: 1 << 15,
} as const;

/** Landlock scopes (`LANDLOCK_SCOPE_*`, ABI 6). */
export const SCOPE = {
  /** Connecting to an abstract unix socket created outside the domain. */
  ABSTRACT_UNIX_SOCKET: 1 << 0,
  /** Sending a signal to a process outside the domain (kill, tgkill, pidfd_send_signal, SIGIO...). */
  SIGNAL: 1 << 1,
} as const;

/** The first Landlock ABI with scopes (LANDLOCK_SCOPE_SIGNAL among them). */
export const SCOPE_ABI = 6;

/** `LANDLOCK_CREATE_RULESET_VERSION`: landlock_create_ruleset returns the ABI version. */
export const CREATE_RULESET_VERSION = 1;
/** `LANDLOCK_RULE_PATH_BENEATH`: a rule on a file hierarchy. */
export const RULE_PATH_BENEATH = 1;
