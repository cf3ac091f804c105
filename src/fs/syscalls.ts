/**
 * The file syscalls the rules govern, as data: which arguments name a path,
 * relative to which descriptor, whether a last symlink is followed, what
 * kind of access it is, and whether the object must exist.
 *
 * @module
 */

import type { SyscallArgs } from "../arch/registers.ts";
import type { AccessKind } from "./access.ts";
import { type ArchOpenFlags, HOST_ABI } from "../../kernel/abi.ts";
import { AT, AT_FDCWD, O, RESOLVE_IN_ROOT } from "../../kernel/fcntl.ts";

/** Syscalls of the open family: a redirect may rewrite their path. */
export const OPEN_CALLS = ["open", "openat", "openat2", "creat"] as const;

/** Syscalls that write (create, remove, rename, link, change metadata). */
export const WRITE_CALLS = [
  "mkdir",
  "mkdirat",
  "mknod",
  "mknodat",
  "rmdir",
  "unlink",
  "unlinkat",
  "rename",
  "renameat",
  "renameat2",
  "link",
  "linkat",
  "symlink",
  "symlinkat",
  "truncate",
  "chmod",
  "fchmod",
  "fchmodat",
  "fchmodat2",
  "chown",
  "fchown",
  "lchown",
  "fchownat",
  "utimensat",
  "utime",
  "utimes",
  "futimesat",
  "setxattr",
  "lsetxattr",
  "fsetxattr",
  "removexattr",
  "lremovexattr",
  "fremovexattr",
  "setxattrat",
  "removexattrat",
  "file_setattr",
] as const;

/** Syscalls that run a program. */
export const RUN_CALLS = ["execve", "execveat"] as const;

/** A syscall the file check knows. */
export type FsCall =
  | typeof OPEN_CALLS[number]
  | typeof WRITE_CALLS[number]
  | typeof RUN_CALLS[number];

/** Flags that make an open a write. */
export const OPEN_WRITE_FLAGS: number = O.WRONLY | O.RDWR | O.CREAT | O.TRUNC | O.APPEND |
  O.TMPFILE;

/** One path argument of a call. */
export interface PathArg {
  /** The directory descriptor a relative path starts from ({@linkcode AT_FDCWD} for the cwd). */
  dirfd: number;
  /** Pointer to the path in tracee memory; 0n: the descriptor `dirfd` itself. */
  ptr: bigint;
  /** Register holding `ptr`, for a redirect. */
  reg: number;
  /** An empty string names `dirfd` itself (AT_EMPTY_PATH). */
  emptyPath: boolean;
  /** Follow a symlink in the last component. */
  follow: boolean;
  /** The kinds of access checked. */
  access: AccessKind[];
  /**
   * - `existing`: acts on an existing object; missing, the call fails with the lookup's errno.
   * - `create`: makes a new name; existing, the kernel fails with EEXIST first.
   * - `any`: checked either way (open with O_CREAT, a rename's target).
   */
  target: "existing" | "create" | "any";
  /** `dirfd` is the process's root for this path (openat2 `RESOLVE_IN_ROOT`). */
  inRoot?: boolean;
}

/** Access kinds of an open, from its flags. */
export function openAccess(flags: number): AccessKind[] {
  if (flags & O.PATH) return []; // An O_PATH descriptor reads and writes nothing.
  const out: AccessKind[] = [];
  const mode = flags & 3;
  if (mode === 0 || mode === O.RDWR) out.push("read");
  if (mode !== 0 || flags & OPEN_WRITE_FLAGS) out.push("write");
  return out;
}

function openArg(
  dirfd: number,
  ptr: bigint,
  reg: number,
  flags: number,
  open: ArchOpenFlags,
): PathArg {
  const creates = (flags & O.CREAT) !== 0;
  return {
    dirfd,
    ptr,
    reg,
    emptyPath: false,
    // The architecture's own bit: on aarch64 x86_64's O_NOFOLLOW is O_LARGEFILE, which the
    // kernel ignores for 64-bit callers; taken for O_NOFOLLOW it would let the supervisor check
    // a symlink while the kernel opens its target.
    follow: !(flags & open.NOFOLLOW) && !(creates && flags & O.EXCL),
    access: openAccess(flags),
    target: creates ? "any" : "existing",
  };
}

const write = (
  dirfd: number,
  ptr: bigint,
  reg: number,
  target: PathArg["target"],
  follow: boolean,
  emptyPath = false,
): PathArg => ({ dirfd, ptr, reg, emptyPath, follow, access: ["write"], target });

/** A write to an existing `dirfd`-relative path (argument 1) as its `*at` flags `f` say. */
const writeAt = (dirfd: number, ptr: bigint, f: number): PathArg =>
  write(dirfd, ptr, 1, "existing", (f & AT.SYMLINK_NOFOLLOW) === 0, (f & AT.EMPTY_PATH) !== 0);

/**
 * The path arguments of a stopped call.
 *
 * @param call The syscall.
 * @param regs Its arguments (a stop's registers, or a notification's `seccomp_data`).
 * @param openHow openat2's `struct open_how` as `[flags, mode, resolve]`, read by the caller.
 * @param open The open(2) flag bits of the tracee's architecture (this machine's).
 * @returns The paths to check, in argument order.
 */
export function pathArgs(
  call: FsCall,
  regs: SyscallArgs,
  openHow?: readonly bigint[],
  open: ArchOpenFlags = HOST_ABI.open,
): PathArg[] {
  const fd = (i: number) => regs.argInt(i);
  const p = (i: number) => regs.arg(i);
  const flags = (i: number) => regs.argInt(i);
  const CWD = AT_FDCWD;
  switch (call) {
    case "open":
      return [openArg(CWD, p(0), 0, flags(1), open)];
    case "openat":
      return [openArg(fd(0), p(1), 1, flags(2), open)];
    case "openat2": {
      const [f, , resolve] = openHow ?? [0n, 0n, 0n];
      const arg = openArg(fd(0), p(1), 1, Number(BigInt.asIntN(32, f)), open);
      if (resolve & BigInt(RESOLVE_IN_ROOT)) arg.inRoot = true;
      return [arg];
    }
    case "creat":
      return [openArg(CWD, p(0), 0, O.CREAT | O.WRONLY | O.TRUNC, open)];
    case "mkdir":
    case "mknod":
      return [write(CWD, p(0), 0, "create", false)];
    case "mkdirat":
    case "mknodat":
      return [write(fd(0), p(1), 1, "create", false)];
    case "rmdir":
    case "unlink":
      return [write(CWD, p(0), 0, "existing", false)];
    case "unlinkat":
      return [write(fd(0), p(1), 1, "existing", false)];
    case "rename":
      return [write(CWD, p(0), 0, "existing", false), write(CWD, p(1), 1, "any", false)];
    case "renameat":
    case "renameat2":
      return [write(fd(0), p(1), 1, "existing", false), write(fd(2), p(3), 3, "any", false)];
    case "link":
      return [write(CWD, p(0), 0, "existing", false), write(CWD, p(1), 1, "create", false)];
    case "linkat": {
      const f = flags(4);
      return [
        write(fd(0), p(1), 1, "existing", (f & AT.SYMLINK_FOLLOW) !== 0, (f & AT.EMPTY_PATH) !== 0),
        write(fd(2), p(3), 3, "create", false),
      ];
    }
    case "symlink":
      return [write(CWD, p(1), 1, "create", false)];
    case "symlinkat":
      return [write(fd(1), p(2), 2, "create", false)];
    case "truncate":
    case "chmod":
    case "chown":
    case "utime":
    case "utimes":
      return [write(CWD, p(0), 0, "existing", true)];
    case "setxattr":
    case "removexattr":
      return [write(CWD, p(0), 0, "existing", true)];
    case "lchown":
    case "lsetxattr":
    case "lremovexattr":
      return [write(CWD, p(0), 0, "existing", false)];
    case "setxattrat":
    case "removexattrat":
    case "file_setattr": {
      // file_setattr(dirfd, path, attr, size, at_flags), Linux 6.17: inode flags (immutable…).
      return [writeAt(fd(0), p(1), flags(call === "file_setattr" ? 4 : 2))];
    }
    case "fchmod":
    case "fchown":
    case "fsetxattr":
    case "fremovexattr":
      return [write(fd(0), 0n, -1, "existing", true)];
    case "fchmodat":
    case "futimesat":
      return [write(fd(0), p(1), 1, "existing", true)];
    case "fchmodat2":
    case "utimensat": {
      if (call === "utimensat" && p(1) === 0n) return [write(fd(0), 0n, -1, "existing", true)];
      return [writeAt(fd(0), p(1), flags(3))];
    }
    case "fchownat":
      return [writeAt(fd(0), p(1), flags(4))];
    case "execve":
      return [{
        dirfd: CWD,
        ptr: p(0),
        reg: 0,
        emptyPath: false,
        follow: true,
        access: ["run", "read"],
        target: "existing",
      }];
    case "execveat": {
      const f = flags(4);
      return [{
        dirfd: fd(0),
        ptr: p(1),
        reg: 1,
        emptyPath: (f & AT.EMPTY_PATH) !== 0,
        follow: (f & AT.SYMLINK_NOFOLLOW) === 0,
        access: ["run", "read"],
        target: "existing",
      }];
    }
  }
}
