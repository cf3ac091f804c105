/**
 * Where a policy comes from: `--config`, `./jail.config.ts`,
 * `./jail.config.json`, or the built-in default; then Deno-style flags merged
 * over it, host names resolved once, and the result compiled.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { getpid } from "../../ffi/libc.ts";
import { parseDuration } from "../duration.ts";
import { NetEntryError, parseNetEntry } from "../net/address.ts";
import { type CompiledPolicy, compilePolicy, explainPolicy } from "./compile.ts";
import type { JailConfig } from "./types.ts";
import { ConfigError, validateConfig } from "./validate.ts";

export { ConfigError };

/** Permission flags from the command line. */
export interface FlagSet {
  "allow-net"?: string[];
  "deny-net"?: string[];
  "allow-read"?: string[];
  "deny-read"?: string[];
  "allow-write"?: string[];
  "deny-write"?: string[];
  "allow-run"?: string[];
  "deny-run"?: string[];
  "allow-all"?: boolean;
}

/** Where to look, and what to merge. */
export interface LoadOptions {
  /** Permission flags. */
  flags?: FlagSet;
  /** An explicit config file. */
  config?: string;
  /** Skip discovery in the current directory. */
  noConfig?: boolean;
  /** A config given as a value (library use); skips files. */
  value?: JailConfig;
}

/** A loaded, compiled policy. */
export interface LoadedPolicy {
  /** The merged config. */
  config: JailConfig;
  /** Where it came from: a path, or `built-in default`. */
  source: string;
  /** Compiled filter and rules. */
  compiled: CompiledPolicy;
  /** Timeout in milliseconds, from the config. */
  timeout?: number;
  /** Grace in milliseconds, from the config. */
  grace?: number;
  /** A readable account of the filter and rules. */
  explain(): string;
}

function errorText(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

function lineCol(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return "";
  const before = text.slice(0, Number(m[1]));
  const line = before.split("\n").length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf("\n")})`;
}

async function readConfigFile(path: string, label: string): Promise<unknown> {
  if (path.endsWith(".json")) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new ConfigError(`${label}: cannot read ${JSON.stringify(path)}: ${errorText(e)}`);
    }
    try {
      return JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      throw new ConfigError(`${path}: invalid JSON: ${msg}${lineCol(text, msg)}`);
    }
  }
  if (!/\.(ts|mts|js|mjs)$/.test(path)) {
    throw new ConfigError(`${label}: ${JSON.stringify(path)}: expected a .ts, .js or .json file`);
  }
  try {
    await Deno.stat(path);
  } catch (e) {
    throw new ConfigError(`${label}: cannot read ${JSON.stringify(path)}: ${errorText(e)}`);
  }
  let mod: Record<string, unknown>;
  try {
    const url = new URL(path, `file://${Deno.cwd()}/`).href;
    mod = await import(url);
  } catch (e) {
    throw new ConfigError(`${path}: failed to load: ${errorText(e)}`);
  }
  if (!("default" in mod)) {
    throw new ConfigError(
      `${path}: no default export: expected export default defineConfig({ ... })`,
    );
  }
  return mod.default;
}

async function discover(opts: LoadOptions): Promise<{ value: unknown; source: string }> {
  if (opts.value !== undefined) return { value: opts.value, source: "options" };
  if (opts.config !== undefined) {
    return { value: await readConfigFile(opts.config, "--config"), source: opts.config };
  }
  if (!opts.noConfig) {
    for (const name of ["jail.config.ts", "jail.config.json"]) {
      try {
        if ((await Deno.stat(name)).isFile) {
          return { value: await readConfigFile(`./${name}`, name), source: name };
        }
      } catch (e) {
        if (e instanceof ConfigError) throw e;
      }
    }
  }
  return { value: {}, source: "built-in default" };
}

/** Merges permission flags over a config: lists add up; `--x-net` alone means `*`. */
export function mergeFlags(config: JailConfig, flags: FlagSet): JailConfig {
  const out: JailConfig = { ...config };
  for (const section of ["net", "read", "write", "run"] as const) {
    const allow = flags[`allow-${section}`];
    const deny = flags[`deny-${section}`];
    if (!allow && !deny) continue;
    const base = { ...(config[section] ?? {}) };
    if (allow) base.allow = [...(base.allow ?? []), ...allow];
    if (deny) base.deny = [...(base.deny ?? []), ...deny];
    out[section] = base;
  }
  return out;
}

function checkFlagEntries(flags: FlagSet): void {
  for (const f of ["allow-net", "deny-net"] as const) {
    for (const s of flags[f] ?? []) {
      try {
        parseNetEntry(s, () => ["0.0.0.0"]);
      } catch (e) {
        if (e instanceof NetEntryError) throw new ConfigError(`--${f}: ${e.message}`);
        throw e;
      }
    }
  }
}

/** Host names in net entries, resolved once at start (like Deno's --allow-net). */
async function resolveHosts(config: JailConfig): Promise<Map<string, string[]>> {
  const names = new Set<string>();
  for (const s of [...(config.net?.allow ?? []), ...(config.net?.deny ?? [])]) {
    try {
      parseNetEntry(s, (host) => {
        names.add(host);
        return ["0.0.0.0"];
      });
    } catch {
      // Reported with its key by the compile step.
    }
  }
  const out = new Map<string, string[]>();
  await Promise.all([...names].map(async (name) => {
    try {
      out.set(name, (await lookup(name, { all: true })).map((a) => a.address));
    } catch {
      out.set(name, []);
    }
  }));
  return out;
}

/**
 * Loads, validates, merges and compiles the policy.
 *
 * @throws {ConfigError} With file, key, value and what was expected.
 */
export async function loadPolicy(opts: LoadOptions = {}): Promise<LoadedPolicy> {
  const flags = opts.flags ?? {};
  checkFlagEntries(flags);
  const { value, source } = await discover(opts);
  const config = mergeFlags(validateConfig(value, source), flags);
  const hosts = await resolveHosts(config);
  const compiled = compilePolicy(config, {
    supervisorPid: getpid(),
    resolve: (host) => hosts.get(host) ?? [],
    allowAll: flags["allow-all"] === true,
  });
  for (const s of ["read", "write", "run"] as const) {
    if (config[s]) {
      console.error(`jail: warning: ${s} rules are parsed but not enforced yet; they are ignored`);
    }
  }
  return {
    config,
    source,
    compiled,
    timeout: config.timeout !== undefined ? parseDuration(config.timeout) : undefined,
    grace: config.grace !== undefined ? parseDuration(config.grace) : undefined,
    explain: () => `policy from ${source}\n${explainPolicy(compiled)}`,
  };
}
