/**
 * The file half of a policy, as plain data, and the one question asked of
 * it: may this process read, write or run this (resolved) path?
 *
 * Order of the answer: a `deny` entry wins; then, when an `allow` list was
 * given, the path must match it or the base of that kind; with no `allow`
 * list every path not denied is allowed.
 *
 * @module
 */

import { GlobSet } from "./glob.ts";

/** The three kinds of access a rule list governs. */
export type AccessKind = "read" | "write" | "run";

/** One pattern: absolute and canonical, with the entry it came from. */
export interface PathEntry {
  /** Absolute glob, symlinks of its static prefix resolved. */
  pattern: string;
  /** The entry as the user wrote it (for messages). */
  source: string;
}

/** Rules for one kind of access. */
export interface PathRules {
  /** Allowed patterns; absent: everything not denied is allowed. */
  allow?: PathEntry[];
  /** Denied patterns; they win over `allow` and over the base. */
  deny: PathEntry[];
  /** Paths allowed whenever `allow` is given, so programs can start (see {@linkcode READ_BASE}). */
  base: PathEntry[];
}

/** A path rewrite of the open family. */
export interface Redirect {
  /** Canonical path asked for (a file, or a directory and what it holds). */
  from: string;
  /** Canonical path opened instead. */
  to: string;
}

/** The file policy, as plain data for the supervisor's thread. */
export interface FsPolicy {
  /** Reads (open for reading). Absent: unrestricted. */
  read?: PathRules;
  /** Writes (open for writing, create, remove, rename, link, chmod, chown, times). Absent: unrestricted. */
  write?: PathRules;
  /** Programs run (execve, execveat). Absent: unrestricted. */
  run?: PathRules;
  /** Open-family rewrites, longest `from` first. */
  redirect: Redirect[];
  /** errno of a denied call. */
  errno: number;
}

/**
 * Readable whenever a `read.allow` list is given, so that programs can start
 * at all: libraries, configuration, devices, `/proc`. A `deny` entry still
 * wins (`--deny-read=/etc/shadow`).
 */
export const READ_BASE: readonly string[] = [
  "/usr",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/bin",
  "/sbin",
  "/etc",
  "/dev",
  "/proc",
  "/sys",
  "/run",
];

/** Writable whenever a `write.allow` list is given. */
export const WRITE_BASE: readonly string[] = [
  "/dev/null",
  "/dev/zero",
  "/dev/tty",
  "/dev/pts",
  "/dev/shm",
];

/**
 * Executable whenever a `run.allow` list is given: the dynamic loader and
 * the libraries beside it, which the kernel runs for every dynamically
 * linked program. Not `/usr/bin` (an allow list of programs would mean
 * nothing) and not `/dev` (`/dev/shm` is writable).
 */
export const RUN_BASE: readonly string[] = [
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/usr/lib",
  "/usr/lib32",
  "/usr/lib64",
  "/usr/libx32",
];

/** Why an access was refused. */
export interface Refusal {
  /** The `deny` entry that matched; absent when the path is simply not in the allow list. */
  deniedBy?: string;
}

interface CompiledRules {
  allow?: GlobSet;
  deny: GlobSet;
  base: GlobSet;
}

function compileRules(rules: PathRules | undefined): CompiledRules | undefined {
  if (!rules) return undefined;
  return {
    allow: rules.allow ? new GlobSet(rules.allow) : undefined,
    deny: new GlobSet(rules.deny),
    base: new GlobSet(rules.base),
  };
}

/**
 * Answers access questions for an {@linkcode FsPolicy}.
 *
 * @example Deny wins, the base stays readable
 * ```ts
 * import { AccessChecker } from "./access.ts";
 * const e = (p: string) => ({ pattern: p, source: p });
 * const check = new AccessChecker({
 *   read: { allow: [e("/data")], deny: [e("/data/secret")], base: [e("/usr")] },
 *   redirect: [],
 *   errno: 13,
 * });
 * check.refusal("read", "/data/a.txt"); // undefined: allowed
 * check.refusal("read", "/usr/lib/libc.so.6"); // undefined: the base
 * check.refusal("read", "/data/secret/k"); // { deniedBy: "/data/secret" }
 * check.refusal("read", "/home/me/.ssh/id_ed25519"); // {}
 * ```
 */
export class AccessChecker {
  readonly #rules: Record<AccessKind, CompiledRules | undefined>;

  /** @param policy The file policy. */
  constructor(policy: FsPolicy) {
    this.#rules = {
      read: compileRules(policy.read),
      write: compileRules(policy.write),
      run: compileRules(policy.run),
    };
  }

  /** True when `kind` has rules at all. */
  restricts(kind: AccessKind): boolean {
    return this.#rules[kind] !== undefined;
  }

  /**
   * @param kind Read, write or run.
   * @param path An absolute, resolved path.
   * @returns undefined when allowed, else why not.
   */
  refusal(kind: AccessKind, path: string): Refusal | undefined {
    const r = this.#rules[kind];
    if (!r) return undefined;
    const denied = r.deny.match(path);
    if (denied !== undefined) return { deniedBy: denied };
    if (!r.allow) return undefined;
    if (r.allow.match(path) !== undefined || r.base.match(path) !== undefined) return undefined;
    return {};
  }
}
