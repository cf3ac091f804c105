/**
 * The file checks made at seccomp stops: read each path argument from the
 * tracee, resolve it as the kernel would, match it against the policy,
 * decide; for the open family, apply a redirect.
 *
 * This check reads tracee memory and the file system before the kernel
 * does, so a sibling thread rewriting the path or a symlink swapped in
 * between can slip past it. Allow lists are also enforced by Landlock in the
 * kernel (see `landlock.ts`); this check adds what Landlock cannot express
 * and the one-line reports.
 *
 * @module
 */

import { readFileHead } from "../../ffi/fs.ts";
import { readMemory } from "../../ffi/memory.ts";
import type { SyscallArgs } from "../arch/registers.ts";
import type { Decision } from "../decision.ts";
import { AccessChecker, type AccessKind, type FsPolicy, type Redirect } from "./access.ts";
import { ELOOP, ENOENT, ENOTDIR, type FsView, realFs, resolvePath } from "./resolve.ts";
import { type FsCall, OPEN_CALLS, type PathArg, pathArgs } from "./syscalls.ts";
import { decodePath, EFAULT, pushString, readCString } from "./tracee_memory.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { AT_FDCWD, OPEN_HOW_SIZE } from "../../kernel/fcntl.ts";
import { writeStderr } from "../stderr.ts";

export type { FsCall };

/**
 * The thread that made a checked call, and its process. A seccomp
 * notification names only the thread: the process id is then read from
 * /proc when the check needs it (`/proc/self`, a report), so `pid` may be a
 * getter.
 */
export interface FsCaller {
  /** The calling thread. */
  readonly tid: number;
  /** Its thread group. */
  readonly pid: number;
}

/**
 * What the check reads of a call besides memory: its arguments, and the
 * stack pointer below which a redirect's new path is written (absent for a
 * notified call, whose registers cannot be changed: such a call is never
 * redirected).
 */
export type FsCallArgs = SyscallArgs & { readonly sp?: bigint };

/** A refused access, for the one-line report. */
export interface FsDenial {
  /** What was refused. */
  access: AccessKind;
  /** The resolved path. */
  path: string;
  /** The `deny` entry that matched, when one did. */
  deniedBy?: string;
}

const EBADF = ERRNO_NUMBERS.EBADF;
const SCRIPT_HEAD = 256;

/** The first bytes of a regular file as text; undefined when it cannot be read. */
function readHead(path: string): string | undefined {
  const bytes = readFileHead(path, SCRIPT_HEAD);
  return bytes && new TextDecoder().decode(bytes);
}

/** Decides file calls against an {@linkcode FsPolicy}. */
export class FsChecker {
  readonly #policy: FsPolicy;
  readonly #access: AccessChecker;
  readonly #redirects: Redirect[];
  readonly #view: FsView;
  readonly #how = new BigUint64Array(3);
  #failed = false;
  /** Called for each refused access (the caller dedups). */
  onDeny?: (tid: number, pid: number, denial: FsDenial) => void;

  /**
   * @param policy The file policy.
   * @param view The file system (a fake in tests).
   */
  constructor(policy: FsPolicy, view: FsView = realFs) {
    this.#policy = policy;
    this.#access = new AccessChecker(policy);
    this.#redirects = [...policy.redirect].sort((a, b) => b.from.length - a.from.length);
    this.#view = view;
  }

  /** A refusal of the policy. */
  #deny(errno: number): Decision {
    return { action: "deny", errno, rule: "fs" };
  }

  /**
   * A failure the kernel itself would give (no such file, not a directory, a
   * symlink loop, a bad descriptor or pointer): the policy refused nothing,
   * and reports count no denial (a shell's PATH search would count one per entry).
   */
  #fail(errno: number): Decision {
    return { action: "deny", errno, rule: "fs", kernel: true };
  }

  /** The redirect target of a resolved path, if a redirect covers it. */
  redirectOf(path: string): string | undefined {
    for (const r of this.#redirects) {
      if (path === r.from) return r.to;
      if (path.startsWith(r.from === "/" ? "/" : `${r.from}/`)) {
        return r.to + path.slice(r.from === "/" ? 0 : r.from.length);
      }
    }
    return undefined;
  }

  /** A denial (reported) when `kind` of `path` is refused, else undefined. */
  #refused(kind: AccessKind, path: string, who: FsCaller): Decision | undefined {
    const refusal = this.#access.refusal(kind, path);
    if (!refusal) return undefined;
    this.onDeny?.(who.tid, who.pid, { access: kind, path, deniedBy: refusal.deniedBy });
    return this.#deny(this.#policy.errno);
  }

  /** The resolved interpreter of a `#!` script, else undefined. */
  #interpreter(path: string, root: string): string | undefined {
    const head = readHead(path);
    if (!head?.startsWith("#!")) return undefined;
    const name = head.slice(2, head.indexOf("\n") < 0 ? undefined : head.indexOf("\n")).trim()
      .split(/[ \t]/)[0];
    if (!name) return undefined;
    const res = resolvePath(name, {
      root,
      base: path.slice(0, path.lastIndexOf("/")) || "/",
      follow: true,
      pid: 0,
      tid: 0,
    }, this.#view);
    return res.kind === "path" && res.errno === undefined ? res.path : undefined;
  }

  /**
   * Decides one call, stopped or notified.
   *
   * @param call The syscall.
   * @param who Its thread and process.
   * @param regs Its arguments.
   * @returns A denial, an argument rewrite (redirect), or undefined to let it run.
   */
  decide(call: FsCall, who: FsCaller, regs: FsCallArgs): Decision | undefined {
    try {
      return this.#decide(call, who, regs);
    } catch (e) {
      // A bug here must not open the jail, nor end the supervision: refuse the call.
      if (!this.#failed) {
        this.#failed = true;
        writeStderr(`jail: file check of ${call} failed: ${(e as Error).message}; refused\n`);
      }
      return this.#deny(this.#policy.errno);
    }
  }

  #decide(call: FsCall, who: FsCaller, regs: FsCallArgs): Decision | undefined {
    const tid = who.tid;
    let how: bigint[] | undefined;
    if (call === "openat2") {
      const size = Number(regs.arg(3));
      const bytes = new Uint8Array(this.#how.buffer);
      bytes.fill(0);
      const n = Math.min(size, OPEN_HOW_SIZE);
      if (n > 0 && readMemory(tid, regs.arg(2), bytes.subarray(0, n)) !== n) {
        return this.#fail(EFAULT);
      }
      how = [...this.#how];
    }
    const args = pathArgs(call, regs, how);
    const opens = (OPEN_CALLS as readonly string[]).includes(call);
    let rewrite: Decision | undefined;
    for (const arg of args) {
      const r = this.#check(arg, who, opens ? regs : undefined);
      if (r === undefined) continue;
      if (r.action !== "args") return r;
      rewrite = r;
    }
    return rewrite;
  }

  /** Checks one path argument; with `openRegs`, a redirect may rewrite it. */
  #check(arg: PathArg, who: FsCaller, openRegs: FsCallArgs | undefined): Decision | undefined {
    const tid = who.tid;
    let text = "";
    if (arg.ptr !== 0n) {
      const bytes = readCString(tid, arg.ptr);
      // A path longer than PATH_MAX is counted as refused, a bad pointer as the kernel's EFAULT.
      if (typeof bytes === "number") {
        return -bytes === EFAULT ? this.#fail(EFAULT) : this.#deny(-bytes);
      }
      const s = decodePath(bytes);
      if (s === undefined) {
        // Not UTF-8: it cannot be matched, so it is refused whatever the lists say.
        for (const kind of arg.access) {
          if (this.#access.restricts(kind)) {
            this.onDeny?.(tid, who.pid, { access: kind, path: "(a path that is not UTF-8)" });
            return this.#deny(this.#policy.errno);
          }
        }
        return undefined;
      }
      text = s;
      if (text === "" && !arg.emptyPath) return this.#fail(ENOENT);
    }
    const view = this.#view;
    const dirfdPath = arg.dirfd === AT_FDCWD ? `/proc/${tid}/cwd` : `/proc/${tid}/fd/${arg.dirfd}`;
    let root = view.readlink(`/proc/${tid}/root`) ?? "/";
    let base = "/";
    if (text === "") {
      // The descriptor itself (fchmod, AT_EMPTY_PATH, utimensat with NULL).
      text = dirfdPath;
      root = "/";
    } else if (!text.startsWith("/") || arg.inRoot) {
      const link = view.readlink(dirfdPath);
      if (link === undefined) return this.#fail(EBADF);
      if (!link.startsWith("/") || link.startsWith("/memfd:")) return this.#fail(ENOTDIR);
      if (link.endsWith(" (deleted)")) return this.#fail(ENOENT);
      base = link;
      if (arg.inRoot) root = link;
    }
    // The process id only when the walk meets /proc/self: a notification's is read from /proc.
    const opts = {
      root,
      base,
      follow: arg.follow,
      tid,
      get pid() {
        return who.pid;
      },
    };
    const res = resolvePath(text, opts, view);
    if (res.kind === "loop") return this.#fail(ELOOP);
    if (res.kind === "pseudo") {
      // Pipes and sockets reopened through /proc are no file; a program run from a memfd is
      // nothing an allow list names.
      return arg.access.includes("run") ? this.#refused("run", res.what, who) : undefined;
    }
    const target = openRegs ? this.redirectOf(res.path) : undefined;
    if (target === undefined && res.errno !== undefined && arg.target === "existing") {
      // The kernel fails the same way; nothing to report.
      return this.#fail(res.errno === ENOTDIR ? ENOTDIR : ENOENT);
    }
    if (res.errno === undefined && arg.target === "create") return undefined; // EEXIST first
    for (const kind of arg.access) {
      const refused = this.#refused(kind, res.path, who);
      if (refused) return refused;
    }
    if (arg.access.includes("run") && this.#access.restricts("run")) {
      // The kernel runs a script's interpreter without a syscall: check it here, where the
      // report can name it (Landlock refuses it either way).
      const interpreter = this.#interpreter(res.path, root);
      if (interpreter) {
        const refused = this.#refused("run", interpreter, who);
        if (refused) return refused;
      }
    }
    if (target !== undefined && openRegs) {
      // No stack pointer: a notified call, which cannot be rewritten (policies with a redirect
      // are never notified; should one come, it is refused rather than let through unredirected).
      if (openRegs.sp === undefined) return this.#deny(this.#policy.errno);
      const addr = pushString(tid, openRegs.sp, target);
      if (addr === undefined) return this.#fail(EFAULT);
      return { action: "args", args: { [arg.reg]: addr }, rule: "redirect" };
    }
    return undefined;
  }
}
