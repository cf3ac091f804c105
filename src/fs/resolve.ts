/**
 * Path resolution as the kernel does it for a traced process: from its root
 * or a start directory, component by component, through `..` and symlinks,
 * with `/proc/self` and `/proc/thread-self` meaning the tracee, not the
 * supervisor that looks.
 *
 * The walk runs in the supervisor, so what it sees is what was on disk at
 * the time of the check: a symlink swapped after the check is out of its
 * reach (the Landlock layer covers that for allow lists).
 *
 * @module
 */

import { lstatKind, pathMissing, readLink } from "../../ffi/fs.ts";
import { normalizePath } from "./glob.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { MAXSYMLINKS } from "../../kernel/fcntl.ts";

/** What one component is, as `lstat` tells. */
export type Probed = "dir" | "symlink" | "other" | { missing: number };

/** The file system seen by the resolver; real, or a fake in tests. */
export interface FsView {
  /** `lstat`: the kind of `path`, or the errno that failed (ENOENT, ENOTDIR...). */
  lstat(path: string): Probed;
  /** `readlink`; undefined when it fails. */
  readlink(path: string): string | undefined;
}

/** Where a resolution starts and how it ends. */
export interface ResolveOptions {
  /** The process's root (`/` unless it chrooted), in the supervisor's view. */
  root: string;
  /** The directory a relative path starts from (cwd or dirfd), absolute. */
  base: string;
  /** Follow a symlink in the last component (false for unlink, rename, lchown, O_NOFOLLOW...). */
  follow: boolean;
  /** The tracee's process id, for `/proc/self`. */
  pid: number;
  /** The tracee's thread id, for `/proc/thread-self`. */
  tid: number;
}

/** The result of a resolution. */
export type Resolved =
  /** A file system path; `errno` is set when it does not exist (ENOENT, ENOTDIR). */
  | { kind: "path"; path: string; errno?: number }
  /** An object without a path (pipe, socket, anonymous inode, memfd) reached through `/proc`. */
  | { kind: "pseudo"; what: string }
  /** Too many symlinks: the kernel fails with ELOOP. */
  | { kind: "loop" };

/** ENOENT. */
export const ENOENT: number = ERRNO_NUMBERS.ENOENT;
/** ENOTDIR. */
export const ENOTDIR: number = ERRNO_NUMBERS.ENOTDIR;
/** ELOOP. */
export const ELOOP: number = ERRNO_NUMBERS.ELOOP;
/** Symlinks one lookup follows before ELOOP, as the kernel counts. */
const MAX_LINKS = MAXSYMLINKS;

function join(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

function parent(dir: string, root: string): string {
  if (dir === root) return root;
  const i = dir.lastIndexOf("/");
  const up = i <= 0 ? "/" : dir.slice(0, i);
  return up.length < root.length ? root : up;
}

/** A `/proc` link target that names no path: `pipe:[12]`, `socket:[3]`, `anon_inode:[eventfd]`. */
function isPseudoTarget(target: string): boolean {
  return /^[a-zA-Z_][\w-]*:/.test(target) || target.startsWith("/memfd:");
}

/**
 * Resolves `path` as the kernel would for the tracee described by `opts`.
 *
 * @example Follow `..` and a symlink
 * ```ts
 * import { resolvePath } from "./resolve.ts";
 * const view = {
 *   lstat: (p: string) => p === "/tmp/l" ? "symlink" as const : "dir" as const,
 *   readlink: () => "/etc",
 * };
 * const opts = { root: "/", base: "/tmp", follow: true, pid: 1, tid: 1 };
 * resolvePath("sub/../l/passwd", opts, view); // { kind: "path", path: "/etc/passwd" }
 * ```
 *
 * @param path The path the tracee passed.
 * @param opts Root, start directory, whether to follow the last symlink, ids.
 * @param view The file system.
 * @returns The resolved path (with `errno` when missing), a pseudo object, or a loop.
 */
export function resolvePath(path: string, opts: ResolveOptions, view: FsView): Resolved {
  const root = opts.root === "/" ? "/" : opts.root.replace(/\/+$/, "");
  const procDir = join(root, "proc");
  let cur = path.startsWith("/") ? root : opts.base;
  // Components still to walk, last one first.
  const todo = path.split("/").filter((s) => s !== "" && s !== ".").reverse();
  let links = 0;
  while (todo.length > 0) {
    const name = todo.pop()!;
    if (name === "..") {
      cur = parent(cur, root);
      continue;
    }
    if (name === ".") continue;
    const next = join(cur, name);
    const last = todo.length === 0;
    if (last && !opts.follow) {
      const st = view.lstat(next);
      return typeof st === "object" ? { kind: "path", path: next, errno: st.missing } : {
        kind: "path",
        path: next,
      };
    }
    // The tracee's /proc/self is not ours.
    let target: string | undefined;
    if (cur === procDir && name === "self") target = String(opts.pid);
    else if (cur === procDir && name === "thread-self") target = `${opts.pid}/task/${opts.tid}`;
    if (target === undefined) {
      const st = view.lstat(next);
      if (typeof st === "object") {
        // Missing: the rest can only be named, not walked; the kernel fails there too.
        const rest = todo.reverse().join("/");
        return {
          kind: "path",
          path: normalizePath(rest ? `${next}/${rest}` : next),
          errno: st.missing,
        };
      }
      if (st !== "symlink") {
        if (!last && st !== "dir") {
          const rest = todo.reverse().join("/");
          return { kind: "path", path: normalizePath(`${next}/${rest}`), errno: ENOTDIR };
        }
        cur = next;
        continue;
      }
      target = view.readlink(next);
      if (target === undefined) return { kind: "path", path: next, errno: ENOENT };
      if (next.startsWith(`${procDir}/`)) {
        // A /proc magic link (fd/N, cwd, exe, root): it leads to the object itself.
        if (isPseudoTarget(target)) {
          if (last) return { kind: "pseudo", what: target };
          return { kind: "path", path: next, errno: ENOTDIR };
        }
        if (target.startsWith("/")) {
          const deleted = target.endsWith(" (deleted)");
          const real = deleted ? target.slice(0, -" (deleted)".length) : target;
          if (deleted) {
            // Still reachable through the link (an open, unlinked file): name where it was.
            return last ? { kind: "path", path: real } : {
              kind: "path",
              path: real,
              errno: ENOENT,
            };
          }
          // Magic links jump in the supervisor's view, whatever the tracee's root.
          if (++links > MAX_LINKS) return { kind: "loop" };
          cur = "/";
          todo.push(...real.split("/").filter((s) => s !== "").reverse());
          continue;
        }
      }
    }
    if (++links > MAX_LINKS) return { kind: "loop" };
    if (target.startsWith("/")) cur = root;
    todo.push(...target.split("/").filter((s) => s !== "" && s !== ".").reverse());
  }
  return { kind: "path", path: cur };
}

/** The real file system. */
export const realFs: FsView = {
  lstat(path: string): Probed {
    const kind = lstatKind(path);
    return typeof kind === "number" ? { missing: kind === -ENOTDIR ? ENOTDIR : ENOENT } : kind;
  },
  readlink: readLink,
};

/**
 * The longest existing prefix of `path`, made real (symlinks resolved by the
 * kernel), with the rest appended: how a pattern or a start-up path is
 * canonicalised, in the supervisor's own view.
 *
 * @param path An absolute path.
 * @returns The canonical form; `path` normalised when nothing of it exists.
 */
export function canonicalize(path: string): string {
  const norm = normalizePath(path);
  const segs = norm.split("/").filter((s) => s !== "");
  for (let n = segs.length; n >= 0; n--) {
    const head = `/${segs.slice(0, n).join("/")}`;
    if (pathMissing(head)) continue; // Asked first: a NotFound costs an exception.
    try {
      const real = Deno.realPathSync(head);
      const rest = segs.slice(n).join("/");
      return rest ? normalizePath(`${real}/${rest}`) : real;
    } catch {
      // Try a shorter prefix.
    }
  }
  return norm;
}
