/**
 * The file ABI: open(2) flags, `*at` flags, fcntl commands, openat2's
 * `struct open_how`, file-type bits of `st_mode`, and path limits
 * (asm-generic/fcntl.h, linux/fcntl.h, linux/openat2.h, linux/stat.h,
 * linux/limits.h). The open flags whose bits differ between architectures
 * come from `kernel/abi.ts` (`HOST_ABI.open`).
 *
 * @module
 */

import { HOST_ABI } from "./abi.ts";

/** open(2) flags, this machine's values (asm-generic/fcntl.h; O_NOFOLLOW from kernel/abi.ts). */
export const O = {
  /** O_WRONLY. */
  WRONLY: 0o1,
  /** O_RDWR. */
  RDWR: 0o2,
  /** O_CREAT. */
  CREAT: 0o100,
  /** O_EXCL. */
  EXCL: 0o200,
  /** O_NOCTTY. */
  NOCTTY: 0o400,
  /** O_TRUNC. */
  TRUNC: 0o1000,
  /** O_APPEND. */
  APPEND: 0o2000,
  /** O_NONBLOCK. */
  NONBLOCK: 0o4000,
  /** O_DSYNC. */
  DSYNC: 0o10000,
  /** O_ASYNC (FASYNC). */
  ASYNC: 0o20000,
  /** O_NOFOLLOW: differs between architectures. */
  NOFOLLOW: HOST_ABI.open.NOFOLLOW,
  /** O_NOATIME. */
  NOATIME: 0o1000000,
  /** O_CLOEXEC. */
  CLOEXEC: 0o2000000,
  /** O_SYNC: __O_SYNC | O_DSYNC. */
  SYNC: 0o4010000,
  /** O_PATH. */
  PATH: 0o10000000,
  /** __O_TMPFILE: O_TMPFILE without its O_DIRECTORY. */
  TMPFILE: 0o20000000,
} as const;

/** `dirfd` value meaning the current directory (linux/fcntl.h). */
export const AT_FDCWD = -100;

/** Flags of the `*at` calls (linux/fcntl.h). */
export const AT = {
  /** AT_SYMLINK_NOFOLLOW. */
  SYMLINK_NOFOLLOW: 0x100,
  /** AT_REMOVEDIR (unlinkat). */
  REMOVEDIR: 0x200,
  /** AT_EACCESS (faccessat): the same bit as AT_REMOVEDIR. */
  EACCESS: 0x200,
  /** AT_SYMLINK_FOLLOW (linkat). */
  SYMLINK_FOLLOW: 0x400,
  /** AT_NO_AUTOMOUNT. */
  NO_AUTOMOUNT: 0x800,
  /** AT_EMPTY_PATH: an empty path names `dirfd` itself. */
  EMPTY_PATH: 0x1000,
} as const;

/** fcntl(2) commands (asm-generic/fcntl.h). */
export const F = {
  /** F_GETFL. */
  GETFL: 3,
  /** F_SETFL. */
  SETFL: 4,
  /** F_SETOWN. */
  SETOWN: 8,
  /** F_SETOWN_EX. */
  SETOWN_EX: 15,
} as const;

/** openat2's `RESOLVE_IN_ROOT`: the dirfd is the root (linux/openat2.h). */
export const RESOLVE_IN_ROOT = 0x10;
/** `sizeof(struct open_how)`: flags, mode, resolve (linux/openat2.h). */
export const OPEN_HOW_SIZE = 24;

/**
 * statx(2): the mask of the fields asked for, and where `struct statx` keeps them (the same on
 * every architecture; linux/stat.h).
 */
export const STATX = {
  /** STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID. */
  BASIC_IDS: 0x1 | 0x2 | 0x8 | 0x10,
  /** sizeof(struct statx). */
  SIZE: 256,
  /** Byte offsets: stx_uid (u32), stx_gid (u32), stx_mode (u16). */
  UID: 20,
  GID: 24,
  MODE: 28,
} as const;

/** File-type bits of `st_mode` (linux/stat.h). */
export const S_IF = {
  /** S_IFMT: the mask. */
  MT: 0o170000,
  /** S_IFDIR. */
  DIR: 0o040000,
  /** S_IFREG. */
  REG: 0o100000,
  /** S_IFLNK. */
  LNK: 0o120000,
} as const;

/** access(2) mode bits; 0 is F_OK (linux/fcntl.h's MAY_* as unistd.h names them). */
export const ACCESS_OK = {
  /** R_OK. */
  R: 4,
  /** W_OK. */
  W: 2,
  /** X_OK. */
  X: 1,
} as const;

/** lseek(2) `whence` (linux/fs.h). */
export const SEEK = {
  /** SEEK_SET. */
  SET: 0,
  /** SEEK_CUR. */
  CUR: 1,
  /** SEEK_END. */
  END: 2,
  /** SEEK_DATA. */
  DATA: 3,
  /** SEEK_HOLE. */
  HOLE: 4,
} as const;

/** PATH_MAX: the longest path a syscall takes, its NUL included (linux/limits.h). */
export const PATH_MAX = 4096;
/** MAXSYMLINKS: symlinks one path lookup follows before ELOOP (linux/namei.h). */
export const MAXSYMLINKS = 40;
