/**
 * Capabilities (linux/capability.h): their numbers and the `capget`/`capset`
 * header version.
 *
 * @module
 */

/** Capability numbers by name, without the `CAP_` prefix (linux/capability.h). */
export const CAPABILITIES = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  LINUX_IMMUTABLE: 9,
  NET_BIND_SERVICE: 10,
  NET_BROADCAST: 11,
  NET_ADMIN: 12,
  NET_RAW: 13,
  IPC_LOCK: 14,
  IPC_OWNER: 15,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_PACCT: 20,
  SYS_ADMIN: 21,
  SYS_BOOT: 22,
  SYS_NICE: 23,
  SYS_RESOURCE: 24,
  SYS_TIME: 25,
  SYS_TTY_CONFIG: 26,
  MKNOD: 27,
  LEASE: 28,
  AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30,
  SETFCAP: 31,
  MAC_OVERRIDE: 32,
  MAC_ADMIN: 33,
  SYSLOG: 34,
  WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36,
  AUDIT_READ: 37,
  PERFMON: 38,
  BPF: 39,
  CHECKPOINT_RESTORE: 40,
} as const;

/** `_LINUX_CAPABILITY_VERSION_3`: the header version of 64-bit capability sets. */
export const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
/** Version 3 sets are two 32-bit words each (`_LINUX_CAPABILITY_U32S_3`). */
export const CAP_WORDS = 2;
/** CAP_LAST_CAP of Linux 5.9 and later: the highest number when the kernel cannot be asked. */
export const CAP_LAST_FALLBACK = CAPABILITIES.CHECKPOINT_RESTORE;
