/**
 * `lstat` and `readlink` for the supervisor's path resolution: called for
 * every component of every checked path, so they skip `Deno.lstatSync`'s
 * full `FileInfo` and reuse their buffers.
 *
 * @module
 */

import { bindSymbols, cstring, errno, lazySymbols, sys, type SysResult } from "./libc.ts";
import { close } from "./io.ts";
import { HOST_ABI } from "../kernel/abi.ts";
import { ERRNO_NUMBERS } from "../kernel/errno.ts";
import { AT_FDCWD, O, PATH_MAX, S_IF, STATX } from "../kernel/fcntl.ts";

const SYMBOLS = {
  // int lstat(const char *path, struct stat *st)
  lstat: { parameters: ["buffer", "buffer"], result: "i32" },
  // ssize_t readlink(const char *path, char *buf, size_t size)
  readlink: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  // int open(const char *path, int flags)
  open: { parameters: ["buffer", "i32"], result: "i32" },
  // int fstat(int fd, struct stat *st)
  fstat: { parameters: ["i32", "buffer"], result: "i32" },
  // ssize_t read(int fd, void *buf, size_t n)
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** Binds every symbol of this module now (see {@linkcode bindSymbols}). */
export function bindFsNow(): void {
  bindSymbols(sym);
}

const pathBuf = new Uint8Array(PATH_MAX * 4 + 1);
const stat = new Uint32Array(HOST_ABI.statSize / 4);
/** st_mode's index in {@link stat}: its byte offset differs by architecture. */
const ST_MODE = HOST_ABI.statModeOffset / 4;
const linkBuf = new Uint8Array(PATH_MAX);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ENAMETOOLONG = ERRNO_NUMBERS.ENAMETOOLONG;
/** O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC: never blocks on a FIFO, never follows. */
const OPEN_HEAD = O.NONBLOCK | O.NOCTTY | O.NOFOLLOW | O.CLOEXEC;

/** A NUL-terminated copy of `path` in the shared buffer; undefined when too long. */
function cpath(path: string): Uint8Array<ArrayBuffer> | undefined {
  const { written } = encoder.encodeInto(path, pathBuf);
  if (written >= pathBuf.length - 1) return undefined;
  pathBuf[written] = 0;
  return pathBuf;
}

/**
 * True when `path` (relative to the working directory) does not exist, as
 * `faccessat(F_OK)` says (ENOENT or ENOTDIR); false when it exists or the
 * answer is anything else. No exception and no Deno op: a missing config
 * file is every run's case, and `Deno.stat`'s NotFound cost about 0.4 ms a
 * name on the way to the command (measured, cold).
 */
export function pathMissing(path: string): boolean {
  const rc = sys("faccessat", AT_FDCWD, cstring(path), 0, 0);
  return rc === -ERRNO_NUMBERS.ENOENT || rc === -ERRNO_NUMBERS.ENOTDIR;
}

/** What {@linkcode statFile} reads of a file: its mode (type and permission bits) and owner. */
export interface FileFacts {
  mode: number;
  uid: number;
  gid: number;
}

const statxBuf = new DataView(new ArrayBuffer(STATX.SIZE));

/**
 * The mode and owner of the file at `path`, following symlinks: `statx(2)`
 * for the three fields alone, where `Deno.statSync` builds a whole
 * `FileInfo` (its first call cost about 0.3 ms of every start, on the way to
 * the command).
 *
 * @returns The facts, or `-errno` (ENOENT, EACCES...).
 */
export function statFile(path: string): FileFacts | SysResult {
  const p = cpath(path);
  if (!p) return -ENAMETOOLONG;
  const rc = sys("statx", AT_FDCWD, p, 0, STATX.BASIC_IDS, statxBuf);
  if (rc < 0) return rc;
  return {
    mode: statxBuf.getUint16(STATX.MODE, true),
    uid: statxBuf.getUint32(STATX.UID, true),
    gid: statxBuf.getUint32(STATX.GID, true),
  };
}

/**
 * The kind of file at `path`, following symlinks (as `Deno.statSync` does, without its
 * exceptions and its whole `FileInfo`).
 *
 * @returns `"dir"`, `"file"` (a regular one), `"other"`, or `-errno` of the failure.
 */
export function statKind(path: string): "dir" | "file" | "other" | SysResult {
  const facts = statFile(path);
  if (typeof facts === "number") return facts;
  const type = facts.mode & S_IF.MT;
  return type === S_IF.DIR ? "dir" : type === S_IF.REG ? "file" : "other";
}

/**
 * The kind of file at `path`, without following a last symlink.
 *
 * @returns `"dir"`, `"symlink"`, `"other"`, or `-errno` of the failure (ENOENT, ENOTDIR...).
 */
export function lstatKind(path: string): "dir" | "symlink" | "other" | SysResult {
  const p = cpath(path);
  if (!p) return -ENAMETOOLONG;
  if (sym.lstat(p, stat) !== 0) return -errno();
  const type = stat[ST_MODE] & S_IF.MT;
  return type === S_IF.DIR ? "dir" : type === S_IF.LNK ? "symlink" : "other";
}

/** The target of the symlink at `path`; undefined when it is not one or cannot be read. */
export function readLink(path: string): string | undefined {
  const p = cpath(path);
  if (!p) return undefined;
  const n = Number(sym.readlink(p, linkBuf, BigInt(linkBuf.length)));
  return n < 0 ? undefined : decoder.decode(linkBuf.subarray(0, n));
}

/**
 * The first bytes of the regular file at `path` (a last symlink is not
 * followed; a FIFO or device is not read).
 *
 * @returns Up to `max` bytes, or undefined when it is not a readable regular file.
 */
export function readFileHead(path: string, max: number): Uint8Array | undefined {
  const p = cpath(path);
  if (!p) return undefined;
  const fd = sym.open(p, OPEN_HEAD);
  if (fd < 0) return undefined;
  try {
    if (sym.fstat(fd, stat) !== 0 || (stat[ST_MODE] & S_IF.MT) !== S_IF.REG) return undefined;
    const buf = new Uint8Array(max);
    const n = Number(sym.read(fd, buf, BigInt(max)));
    return n < 0 ? undefined : buf.subarray(0, n);
  } finally {
    close(fd);
  }
}
