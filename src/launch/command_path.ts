/**
 * Finds a command in PATH the way a shell does, in jail before the launch
 * installs the filter: done under the filter, `execvpe`'s search shows the
 * supervisor one failed `execve` per PATH entry, which reports counted as
 * denials of the command's. The one `execve` left is of the path found.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { type FileFacts, statFile } from "../../ffi/fs.ts";
import { S_IF } from "../../kernel/fcntl.ts";

/** glibc's PATH when the environment has none (`execvpe(3)`). */
export const DEFAULT_PATH = "/bin:/usr/bin";
/** errno of a command found nowhere. */
export const ENOENT: number = ERRNO_NUMBERS.ENOENT;
/** errno of a command found only where it cannot be run. */
export const EACCES: number = ERRNO_NUMBERS.EACCES;

/** What a search found: the path to run, or the errno `execvpe` would have failed with. */
export type CommandPath = { path: string } | { errno: number };

/** Who asks: execute permission depends on it. */
export interface Caller {
  /** Effective uid (0: any execute bit will do). */
  uid: number;
  /** Effective gid and supplementary groups. */
  groups: ReadonlySet<number>;
}

/** The PATH of a `KEY=value` environment, or {@linkcode DEFAULT_PATH}. */
export function pathOf(env: readonly string[]): string {
  const entry = env.findLast((e) => e.startsWith("PATH="));
  return entry === undefined ? DEFAULT_PATH : entry.slice("PATH=".length);
}

function executable(info: FileFacts, caller: Caller): boolean {
  const mode = info.mode;
  if (caller.uid === 0) return (mode & 0o111) !== 0;
  if (info.uid === caller.uid) return (mode & 0o100) !== 0;
  if (caller.groups.has(info.gid)) return (mode & 0o010) !== 0;
  return (mode & 0o001) !== 0;
}

/**
 * Looks `file` up as `execvpe(3)` would: a name with a slash is used as it is;
 * otherwise the first PATH entry (an empty one is the current directory) that
 * holds a regular file the caller may execute. A file found but not runnable
 * makes the search fail with EACCES (exit 126) rather than ENOENT (127), as
 * in glibc.
 *
 * @param file The command's name or path.
 * @param path The PATH to search.
 * @param caller Whose execute permission counts.
 * @returns The path to execve, or the errno of the failed search.
 */
export function findCommand(file: string, path: string, caller: Caller): CommandPath {
  if (file === "") return { errno: ENOENT };
  if (file.includes("/")) return { path: file };
  let errno = ENOENT;
  for (const dir of path.split(":")) {
    const candidate = `${dir === "" ? "." : dir.replace(/\/+$/, "")}/${file}`;
    // Most entries do not have it: ENOENT, without an exception (NotFound from Deno.statSync
    // cost about 0.2 ms each, cold, on the way to the command).
    const info = statFile(candidate);
    if (typeof info === "number") {
      if (info === -EACCES) errno = EACCES;
      continue;
    }
    if ((info.mode & S_IF.MT) === S_IF.REG && executable(info, caller)) return { path: candidate };
    errno = EACCES;
  }
  return { errno };
}

/** The calling process's uid and groups, from `/proc/self/status`. */
export function currentCaller(): Caller {
  const status = Deno.readTextFileSync("/proc/self/status");
  const field = (name: string) =>
    (status.match(new RegExp(`^${name}:\\s*(.*)$`, "m"))?.[1] ?? "").trim().split(/\s+/)
      .filter((s) => s !== "").map(Number);
  const [, euid] = field("Uid");
  const [, egid] = field("Gid");
  return { uid: euid, groups: new Set([egid, ...field("Groups")]) };
}
