/**
 * The `read`, `write`, `run` and `redirect` keys of a config → an
 * {@linkcode FsPolicy} (absolute, canonical patterns) and its Landlock spec.
 *
 * Entries: `~` and `~/...` expand to `$HOME`; a relative entry is taken
 * against the current directory at start; `*` (or `**`) alone means every
 * path. A `run` entry without a slash names a program: in `run.allow` it is
 * looked up in `PATH` at start (every match is allowed), in `run.deny` it
 * also matches any program of that name. The glob-free prefix of each
 * pattern is made real (its symlinks resolved), as the checked paths are.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { pathMissing, statKind } from "../../ffi/fs.ts";
import type { JailConfig } from "./types.ts";
import { ConfigError } from "./config_error.ts";
import {
  type FsPolicy,
  type PathEntry,
  type PathRules,
  READ_BASE,
  type Redirect,
  RUN_BASE,
  WRITE_BASE,
} from "../fs/access.ts";
import { hasGlob, normalizePath } from "../fs/glob.ts";
import { type LandlockSpec, landlockSpec } from "../fs/landlock.ts";
import { canonicalize } from "../fs/resolve.ts";

/** Inputs besides the config. */
export interface FsCompileOptions {
  /** Directory relative entries are taken against (default: the current directory). */
  cwd?: string;
  /** `$HOME`, for `~` (default: the environment's). */
  home?: string;
  /** `$PATH`, for program names in `run` (default: the environment's). */
  path?: string;
  /** `-A`: allow lists are dropped, deny lists stay. */
  allowAll?: boolean;
}

/** The compiled file rules. */
export interface CompiledFs {
  /** For the supervisor's check. */
  policy: FsPolicy;
  /** For the launch; undefined when Landlock has nothing to enforce. */
  landlock?: LandlockSpec;
}

function escapeGlob(s: string): string {
  return s.replace(/[*?[{\\]/g, "\\$&");
}

/** Canonical forms of an absolute pattern: its static prefix made real; the lexical form too when different. */
function canonicalPatterns(pattern: string): string[] {
  const segs = pattern.split("/").filter((s) => s !== "");
  let k = 0;
  while (k < segs.length && !hasGlob(segs[k])) k++;
  const prefix = `/${segs.slice(0, k).join("/").replace(/\\(.)/g, "$1")}`;
  const real = canonicalize(prefix);
  const rest = segs.slice(k).join("/");
  const canon = rest ? `${real === "/" ? "" : escapeGlob(real)}/${rest}` : escapeGlob(real);
  return canon === pattern ? [pattern] : [canon, pattern];
}

/** Every match of a program name in `PATH`, canonical. */
function lookupProgram(name: string, pathEnv: string, cwd: string): string[] {
  const out: string[] = [];
  for (const dir of pathEnv.split(":")) {
    const candidate = `${dir.startsWith("/") ? dir : `${cwd}/${dir}`}/${name}`;
    if (statKind(candidate) !== "file") continue; // Not in this directory.
    const real = canonicalize(candidate);
    if (!out.includes(real)) out.push(real);
  }
  return out;
}

interface Env {
  cwd: string;
  home?: string;
  path: string;
}

/** An entry as absolute patterns (before canonicalisation). */
function absolutePatterns(
  entry: string,
  key: string,
  env: Env,
  program: "allow" | "deny" | undefined,
): string[] {
  const e = entry.trim();
  if (e === "*" || e === "**") return ["/"];
  let p = e;
  if (p === "~" || p.startsWith("~/")) {
    if (!env.home) throw new ConfigError(`${key}: ${JSON.stringify(entry)}: $HOME is not set`);
    p = env.home + p.slice(1);
  } else if (p.startsWith("~")) {
    throw new ConfigError(
      `${key}: ${JSON.stringify(entry)}: ~user is not supported: write the home directory out`,
    );
  }
  if (program && !p.includes("/") && !hasGlob(p)) {
    const found = lookupProgram(p, env.path, env.cwd);
    if (program === "deny") return [...found, `/**/${escapeGlob(p)}`];
    if (found.length === 0) {
      throw new ConfigError(
        `${key}: ${JSON.stringify(entry)}: not found in PATH: give the program's path`,
      );
    }
    return found;
  }
  if (!p.startsWith("/")) p = `${env.cwd}/${p}`;
  return [normalizePath(p)];
}

function entries(
  list: readonly string[] | undefined,
  key: string,
  env: Env,
  program: "allow" | "deny" | undefined,
): PathEntry[] {
  const out: PathEntry[] = [];
  for (const [i, source] of (list ?? []).entries()) {
    for (const abs of absolutePatterns(source, `${key}[${i}]`, env, program)) {
      for (const pattern of abs === "/" ? ["/"] : canonicalPatterns(abs)) {
        if (!out.some((e) => e.pattern === pattern)) out.push({ pattern, source });
      }
    }
  }
  return out;
}

function baseEntries(paths: readonly string[]): PathEntry[] {
  const out: PathEntry[] = [];
  for (const p of paths) {
    // Not on this system (/lib32, /libx32...): asked first, a NotFound costs an exception.
    if (pathMissing(p)) continue;
    let real: string;
    try {
      real = Deno.realPathSync(p);
    } catch {
      continue;
    }
    out.push({ pattern: escapeGlob(real), source: p });
  }
  // /lib -> /usr/lib is covered by /usr: keep the outermost of nested entries.
  const within = (a: string, b: string) => a === b || a.startsWith(b === "/" ? "/" : `${b}/`);
  return out.filter((e, i) =>
    !out.some((o, j) =>
      j !== i && within(e.pattern, o.pattern) && (e.pattern !== o.pattern || j < i)
    )
  );
}

function rules(
  config: JailConfig,
  kind: "read" | "write" | "run",
  base: readonly string[],
  env: Env,
  allowAll: boolean,
): PathRules | undefined {
  const c = config[kind];
  if (!c) return undefined;
  const program = kind === "run";
  let allow = c.allow && !allowAll
    ? entries(c.allow, `${kind}.allow`, env, program ? "allow" : undefined)
    : undefined;
  const deny = entries(c.deny, `${kind}.deny`, env, program ? "deny" : undefined);
  // `--allow-read` alone (`*`) allows every path: nothing left to restrict but the denials.
  if (allow?.some((e) => e.pattern === "/")) allow = undefined;
  if (!allow && deny.length === 0) return undefined;
  return { allow, deny, base: allow ? baseEntries(base) : [] };
}

function redirects(config: JailConfig, env: Env): Redirect[] {
  const out: Redirect[] = [];
  for (const [from, to] of Object.entries(config.redirect ?? {})) {
    const key = `redirect[${JSON.stringify(from)}]`;
    const [src] = absolutePatterns(from, key, env, undefined);
    const [dst] = absolutePatterns(to, key, env, undefined);
    const real = canonicalize(dst);
    const parent = real.slice(0, real.lastIndexOf("/")) || "/";
    if (statKind(parent) !== "dir") {
      throw new ConfigError(
        `${key}: ${JSON.stringify(to)}: its directory ${parent} does not exist`,
      );
    }
    out.push({ from: canonicalize(src), to: real });
  }
  return out.sort((a, b) => b.from.length - a.from.length);
}

/**
 * Compiles the file rules of a validated config.
 *
 * @param config The merged config.
 * @param options Current directory, home, PATH, `-A`.
 * @returns The policy and Landlock spec, or undefined when there are no file rules.
 * @throws {ConfigError} For an entry that cannot be resolved (`~` without HOME, a program not in PATH, a redirect into a missing directory).
 */
export function compileFs(
  config: JailConfig,
  options: FsCompileOptions = {},
): CompiledFs | undefined {
  const env: Env = {
    cwd: options.cwd ?? Deno.cwd(),
    home: options.home ?? Deno.env.get("HOME"),
    path: options.path ?? Deno.env.get("PATH") ?? "/usr/bin:/bin",
  };
  const allowAll = options.allowAll === true;
  const policy: FsPolicy = {
    read: rules(config, "read", READ_BASE, env, allowAll),
    write: rules(config, "write", WRITE_BASE, env, allowAll),
    run: rules(config, "run", RUN_BASE, env, allowAll),
    redirect: redirects(config, env),
    errno: ERRNO_NUMBERS.EACCES,
  };
  if (!policy.read && !policy.write && !policy.run && policy.redirect.length === 0) {
    return undefined;
  }
  return { policy, landlock: landlockSpec(policy) };
}

/** A readable account of the file rules, for `--explain`. */
export function explainFs(fs: CompiledFs): string {
  const lines: string[] = [];
  const list = (es: PathEntry[] | undefined) => es?.map((e) => e.pattern).join(", ") || "(none)";
  for (const kind of ["read", "write", "run"] as const) {
    const r = fs.policy[kind];
    if (!r) continue;
    lines.push(
      `${kind}: allow ${r.allow ? list(r.allow) : "(all)"}; deny ${list(r.deny)}${
        r.allow ? `; base ${list(r.base)}` : ""
      }`,
    );
  }
  for (const r of fs.policy.redirect) lines.push(`redirect: ${r.from} -> ${r.to}`);
  if (fs.landlock) {
    lines.push(`landlock: handled 0x${fs.landlock.handled.toString(16)}`);
    for (const r of fs.landlock.rules) {
      lines.push(`  beneath ${r.path}: 0x${r.access.toString(16)}`);
    }
  } else lines.push("landlock: none (deny lists and redirects are the ptrace check's alone)");
  return lines.join("\n");
}
