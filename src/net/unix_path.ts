/**
 * Where a unix socket path given by a tracee really leads.
 *
 * The supervisor connects and binds on the tracee's behalf (see `act.ts`),
 * from its own working directory: a relative path has to be resolved against
 * the tracee's. And a `unix:` deny entry must not be sidestepped by a
 * relative path, a `..` or a symlink that leads to the denied socket, so the
 * policy sees the socket's real path (symlinks resolved), the connect goes to
 * that real path, and a deny entry that matches the path as written counts
 * too.
 *
 * What is left: between the resolution here and the connect, a process that
 * can write to a directory on the real path could swap in a symlink. Closing
 * that needs the socket opened with O_PATH and connected through
 * `/proc/self/fd/N`, which needs an `open(2)` binding in `ffi/`.
 *
 * @module
 */

import { normalizePath } from "../fs/glob.ts";

/** A resolved unix socket path. */
export interface UnixTarget {
  /** The path as the tracee wrote it, made absolute against its working directory, `.` and `..` folded. */
  written: string;
  /** The real path (for a bind: the real directory plus the name); undefined when it does not resolve. */
  real?: string;
  /** The path the supervisor should use: the real one, or one that resolves from anywhere. */
  use: string;
  /** The written path in a form that resolves from anywhere (through `/proc/<tid>/cwd` when relative). */
  anywhere: string;
  /** True when a relative path could not be placed (the tracee's cwd unreadable): refuse the call. */
  unplaced?: boolean;
}

function realPath(path: string): string | undefined {
  try {
    return Deno.realPathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Resolves the unix socket path `path` as thread `tid` would see it.
 *
 * @param forBind True for a bind: the last component does not exist yet and
 *   is never followed, so only its directory is resolved.
 */
export function resolveUnixPath(tid: number, path: string, forBind: boolean): UnixTarget {
  const relative = !path.startsWith("/");
  // The tracee's working directory, through its magic link: right even if it was renamed.
  const viaProc = relative ? `/proc/${tid}/cwd/${path}` : path;
  let cwd = "/";
  let unplaced = false;
  if (relative) {
    try {
      cwd = Deno.readLinkSync(`/proc/${tid}/cwd`);
    } catch {
      // Checking the path against "/" instead could miss a deny entry: the caller refuses.
      unplaced = true;
    }
  }
  const written = normalizePath(relative ? `${cwd}/${path}` : path);
  let real: string | undefined;
  if (forBind) {
    const slash = viaProc.lastIndexOf("/");
    const name = viaProc.slice(slash + 1);
    const dir = realPath(slash === 0 ? "/" : viaProc.slice(0, slash));
    if (dir !== undefined && name !== "" && name !== "." && name !== "..") {
      real = dir === "/" ? `/${name}` : `${dir}/${name}`;
    }
  } else {
    real = realPath(viaProc);
  }
  return { written, real, use: real ?? viaProc, anywhere: viaProc, unplaced };
}
