/**
 * The kernel-enforced layer of the file rules: what Landlock can express of
 * a {@linkcode FsPolicy}, and installing it in the command's process.
 *
 * Landlock grants rights beneath directories (or to single files) and
 * refuses, race-free, everything else it handles. So each `allow` list
 * becomes path-beneath rules on the glob-free prefix of its patterns plus
 * the base of its kind; what Landlock cannot say (a `deny` inside an allowed
 * tree, the exact shape of a glob, `chmod`/`chown`/times, deny-only lists)
 * stays with the ptrace check.
 *
 * @module
 */

import { AccessChecker, type FsPolicy, type PathRules } from "./access.ts";
import { staticPrefix } from "./glob.ts";
import { ACCESS } from "../../kernel/landlock.ts";
import { statKind } from "../../ffi/fs.ts";

/** Rights a rule on a non-directory may carry. */
export const FILE_RIGHTS: number = ACCESS.EXECUTE | ACCESS.WRITE_FILE | ACCESS.READ_FILE |
  ACCESS.TRUNCATE | ACCESS.IOCTL_DEV;

/** Rights of reading. */
export const READ_RIGHTS: number = ACCESS.READ_FILE | ACCESS.READ_DIR;

/** Rights of writing: contents, creating, removing, renaming in. */
export const WRITE_RIGHTS: number = ACCESS.WRITE_FILE | ACCESS.REMOVE_DIR | ACCESS.REMOVE_FILE |
  ACCESS.MAKE_CHAR | ACCESS.MAKE_DIR | ACCESS.MAKE_REG | ACCESS.MAKE_SOCK | ACCESS.MAKE_FIFO |
  ACCESS.MAKE_BLOCK | ACCESS.MAKE_SYM | ACCESS.REFER | ACCESS.TRUNCATE;

/**
 * Every file-system right a kernel of Landlock ABI `abi` knows.
 *
 * @param abi The ABI version (0: none).
 * @returns A mask of {@linkcode ACCESS} bits.
 */
export function rightsOfAbi(abi: number): number {
  if (abi <= 0) return 0;
  let mask = (1 << 13) - 1; // ABI 1: EXECUTE .. MAKE_SYM
  if (abi >= 2) mask |= ACCESS.REFER;
  if (abi >= 3) mask |= ACCESS.TRUNCATE;
  if (abi >= 5) mask |= ACCESS.IOCTL_DEV;
  return mask;
}

/** One path-beneath rule. */
export interface LandlockRule {
  /** An existing path at compile time. */
  path: string;
  /** Rights granted beneath it (all ABIs' bits; masked at install). */
  access: number;
  /** False for a file: only {@linkcode FILE_RIGHTS} apply to it. */
  dir: boolean;
}

/** What the launch installs, independent of the kernel's ABI. */
export interface LandlockSpec {
  /** Rights handled (refused unless a rule grants them). */
  handled: number;
  /** The grants. */
  rules: LandlockRule[];
}

/** Looks paths up at compile time (a fake in tests). */
export interface PathKinds {
  /** True for a directory, false for another file, undefined when missing. */
  isDir(path: string): boolean | undefined;
}

/** The real file system. */
export const realPathKinds: PathKinds = {
  isDir(path: string): boolean | undefined {
    const kind = statKind(path);
    return typeof kind === "number" ? undefined : kind === "dir";
  },
};

/** The nearest existing path at or above `path`. */
function existing(path: string, kinds: PathKinds): [string, boolean] {
  let p = path;
  for (;;) {
    const dir = kinds.isDir(p);
    if (dir !== undefined) return [p, dir];
    if (p === "/") return ["/", true];
    p = p.slice(0, p.lastIndexOf("/")) || "/";
  }
}

/** Glob-free prefixes of an allow list and its base. */
function grantedPaths(rules: PathRules): string[] {
  return [...(rules.allow ?? []), ...rules.base].map((e) => staticPrefix(e.pattern));
}

/** True when a deny list holds the catch-all `*`: nothing of that kind is allowed. */
function deniesAll(rules: PathRules): boolean {
  return rules.deny.some((e) => e.pattern === "/");
}

/**
 * Builds the Landlock rules of a file policy.
 *
 * - `read.allow` handles READ_FILE and READ_DIR, granted beneath each allow
 *   prefix, the read base, the `run.allow` prefixes (the kernel reads what it
 *   runs) and each redirect target whose source is readable.
 * - `write.allow` handles the write rights (TRUNCATE from ABI 3), granted
 *   beneath each allow prefix, the write base and writable redirect targets.
 * - `run.allow` handles EXECUTE, granted beneath each allow prefix and the
 *   run base.
 * - A catch-all deny (`--deny-write` alone) handles that kind with no grant.
 * - REFER (ABI 2) is refused by any ruleset unless granted, whether handled
 *   or not: it is granted beneath the writable paths, or everywhere when
 *   writes are not restricted, so renames across directories keep working.
 *
 * @param policy The file policy.
 * @param kinds Tells directories from files at compile time.
 * @returns The spec, or undefined when Landlock has nothing to enforce.
 */
export function landlockSpec(
  policy: FsPolicy,
  kinds: PathKinds = realPathKinds,
): LandlockSpec | undefined {
  let handled = 0;
  const grants = new Map<string, number>();
  const grant = (path: string, access: number) => {
    grants.set(path, (grants.get(path) ?? 0) | access);
  };
  const checker = new AccessChecker(policy);
  const { read, write, run } = policy;
  if (read && (read.allow || deniesAll(read))) {
    handled |= READ_RIGHTS;
    if (read.allow) {
      for (const p of grantedPaths(read)) grant(p, READ_RIGHTS);
      for (const p of run?.allow ? grantedPaths(run) : []) grant(p, READ_RIGHTS);
    }
    for (const r of policy.redirect) {
      if (!checker.refusal("read", r.from)) grant(r.to, READ_RIGHTS);
    }
  }
  if (write && (write.allow || deniesAll(write))) {
    handled |= WRITE_RIGHTS;
    if (write.allow) { for (const p of grantedPaths(write)) grant(p, WRITE_RIGHTS); }
    for (const r of policy.redirect) {
      if (!checker.refusal("write", r.from)) grant(r.to, WRITE_RIGHTS);
    }
  }
  if (run && (run.allow || deniesAll(run))) {
    handled |= ACCESS.EXECUTE;
    if (run.allow) { for (const p of grantedPaths(run)) grant(p, ACCESS.EXECUTE); }
  }
  if (handled === 0) return undefined;
  handled |= ACCESS.REFER;
  if (!(handled & ACCESS.WRITE_FILE)) grant("/", ACCESS.REFER);
  const rules: LandlockRule[] = [];
  for (const [path, access] of grants) {
    const [at, dir] = existing(path, kinds);
    const rights = dir ? access : access & FILE_RIGHTS;
    const same = rules.find((r) => r.path === at);
    if (same) same.access |= rights;
    else if (rights) rules.push({ path: at, access: rights, dir });
  }
  return { handled, rules };
}
