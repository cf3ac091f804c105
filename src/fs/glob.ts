/**
 * Path globs of the `read`, `write` and `run` rules.
 *
 * A pattern is an absolute path whose segments may hold `*` (any characters
 * but `/`), `?` (one character but `/`), `[abc]`, `[!a-z]`, `{a,b}` (within a
 * segment) and `\` (the next character, literally); a whole segment `**`
 * stands for any number of segments, none included. A pattern matches a path
 * when it matches the path itself or one of its ancestors: naming a directory
 * names everything beneath it, as with Deno's `--allow-read=<dir>`.
 *
 * @module
 */

/** True when `s` holds an unescaped glob character: `*`, `?`, `[` or `{`. */
export function hasGlob(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if ("*?[{".includes(s[i])) return true;
  }
  return false;
}

/** Removes the `\` escapes of a glob-free pattern segment. */
function unescape(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

/**
 * Collapses `//`, `.` and `..` in an absolute path without looking at the
 * file system (`..` at the root stays at the root).
 *
 * @param path An absolute path.
 * @returns The normalised path, `/` for the root.
 */
export function normalizePath(path: string): string {
  const out: string[] = [];
  for (const seg of path.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

/**
 * The glob-free leading directories of a pattern: what a Landlock rule can
 * name.
 *
 * @example The static prefix of a glob
 * ```ts
 * import { staticPrefix } from "./glob.ts";
 * staticPrefix("/home/*\/.cache/**"); // "/home"
 * staticPrefix("/etc/hosts"); // "/etc/hosts"
 * ```
 *
 * @param pattern An absolute, normalised pattern.
 * @returns The longest leading run of glob-free segments, `/` when none.
 */
export function staticPrefix(pattern: string): string {
  const segs = pattern.split("/").filter((s) => s !== "");
  const out: string[] = [];
  for (const s of segs) {
    if (hasGlob(s)) break;
    out.push(unescape(s));
  }
  return `/${out.join("/")}`;
}

function escapeRegExp(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** Regular expression source for one segment (no `/` inside). */
function segmentSource(seg: string): string {
  let out = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "\\" && i + 1 < seg.length) {
      out += escapeRegExp(seg[++i]);
    } else if (c === "*") {
      while (seg[i + 1] === "*") i++;
      out += "[^/]*";
    } else if (c === "?") {
      out += "[^/]";
    } else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) {
        out += "\\[";
        continue;
      }
      let body = seg.slice(i + 1, end);
      const negate = body.startsWith("!") || body.startsWith("^");
      if (negate) body = body.slice(1);
      body = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      out += negate ? `[^/${body}]` : `[${body}]`;
      i = end;
    } else if (c === "{") {
      const end = closingBrace(seg, i);
      if (end < 0) {
        out += "\\{";
        continue;
      }
      const alts = splitAlternatives(seg.slice(i + 1, end));
      out += `(?:${alts.map(segmentSource).join("|")})`;
      i = end;
    } else {
      out += escapeRegExp(c);
    }
  }
  return out;
}

function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

function splitAlternatives(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === "{") depth++;
    else if (s[i] === "}") depth--;
    else if (s[i] === "," && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/**
 * Compiles a pattern to a regular expression that tests absolute,
 * normalised paths: true for a match and for anything beneath one.
 *
 * @example Match a directory and what it holds
 * ```ts
 * import { globToRegExp } from "./glob.ts";
 * const re = globToRegExp("/srv/*\/logs");
 * re.test("/srv/app/logs/today.txt"); // true
 * re.test("/srv/app/data"); // false
 * ```
 *
 * @param pattern An absolute pattern (`/` matches every path).
 * @returns A regular expression anchored at both ends.
 * @throws {SyntaxError} Never for patterns of this syntax; kept for odd classes such as `[z-a]`.
 */
export function globToRegExp(pattern: string): RegExp {
  const segs = pattern.split("/").filter((s) => s !== "" && s !== ".");
  let src = "";
  for (const seg of segs) {
    if (seg === "**") {
      if (!src.endsWith("(?:/.*)?")) src += "(?:/.*)?";
    } else src += `/${segmentSource(seg)}`;
  }
  return new RegExp(`^${src}(?:/.*)?$`, "s");
}

/** A compiled pattern and the entry it came from, for messages. */
export interface CompiledGlob {
  /** The entry as the user wrote it. */
  source: string;
  /** Tests an absolute, normalised path. */
  re: RegExp;
}

/**
 * A set of patterns, tested in order.
 *
 * @example First match
 * ```ts
 * import { GlobSet } from "./glob.ts";
 * const set = new GlobSet([{ pattern: "/etc/ssl", source: "/etc/ssl" }]);
 * set.match("/etc/ssl/certs/ca.pem"); // "/etc/ssl"
 * set.match("/etc/passwd"); // undefined
 * ```
 */
export class GlobSet {
  readonly #globs: CompiledGlob[];

  /** @param entries Absolute patterns and the entries they came from. */
  constructor(entries: readonly { pattern: string; source: string }[]) {
    this.#globs = entries.map((e) => ({ source: e.source, re: globToRegExp(e.pattern) }));
  }

  /** Number of patterns. */
  get size(): number {
    return this.#globs.length;
  }

  /**
   * @param path An absolute, normalised path.
   * @returns The source of the first pattern matching `path` (or an ancestor), else undefined.
   */
  match(path: string): string | undefined {
    for (const g of this.#globs) if (g.re.test(path)) return g.source;
    return undefined;
  }
}
