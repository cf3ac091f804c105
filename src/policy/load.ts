/**
 * Where a policy comes from: `--config`, `./jail.config.ts`,
 * `./jail.config.json`, or the built-in default; then Deno-style flags merged
 * over it, host names resolved once, and the result compiled.
 *
 * @module
 */

import { lookupAddresses, pauseOffThread } from "../../ffi/addrinfo.ts";
import { getpgrp, getpid } from "../../ffi/process.ts";
import { type NetEntry, NetEntryError, resolveNetSpec, type Resolver } from "../net/address.ts";
import { type CompiledPolicy, compilePolicy } from "./compile.ts";
import { explainPolicy } from "./explain.ts";
import type { NetLists } from "./net_compile.ts";
import type { JailConfig } from "./types.ts";
import { ConfigError } from "./config_error.ts";
import { type NetItem, netItem, parseConfig } from "./validate.ts";
import { locateJsonError } from "./json_error.ts";
import type { LandlockSpec } from "../fs/landlock.ts";
import { landlockAbi } from "../../ffi/landlock.ts";
import { pathMissing } from "../../ffi/fs.ts";
import { capabilityNameError, keptCapabilities } from "../launch/capabilities.ts";
import { SCOPE_ABI } from "../../kernel/landlock.ts";
import { writeStderr } from "../stderr.ts";

export { ConfigError };

/** Permission flags from the command line. */
export interface FlagSet {
  /** `--allow-net`: destinations to allow (`*` for all). */
  "allow-net"?: string[];
  /** `--deny-net`: destinations to deny (`*` for all, loopback included). */
  "deny-net"?: string[];
  /** `--allow-read`: path globs that may be read. */
  "allow-read"?: string[];
  /** `--deny-read`: path globs that may not be read. */
  "deny-read"?: string[];
  /** `--allow-write`: path globs that may be written. */
  "allow-write"?: string[];
  /** `--deny-write`: path globs that may not be written. */
  "deny-write"?: string[];
  /** `--allow-run`: programs that may be executed. */
  "allow-run"?: string[];
  /** `--deny-run`: programs that may not be executed. */
  "deny-run"?: string[];
  /** `-A`: allow everything the policy restricts (observe only). */
  "allow-all"?: boolean;
  /** `--cap-add`: capabilities a root command keeps besides the default set (`ALL`: every one). */
  "cap-add"?: string[];
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
  /** Trace network calls even when all are allowed (see `CompileOptions.observeNet`). */
  observeNet?: boolean;
  /** Syscalls stopped only to be traced (see `CompileOptions.traceCalls`). */
  traceCalls?: readonly string[];
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
  /** Capability numbers a root command keeps (config `capabilities`, `--cap-add`, `-A`). */
  capabilities: number[];
  /** A readable account of the filter and rules. */
  explain(): string;
}

function errorText(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

async function readConfigFile(path: string, label: string): Promise<unknown> {
  if (path.endsWith(".json")) {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      throw new ConfigError(`${label}: cannot read ${JSON.stringify(path)}: ${errorText(e)}`);
    }
    if (text.startsWith("\uFEFF")) text = text.slice(1);
    try {
      return JSON.parse(text);
    } catch (e) {
      const at = locateJsonError(text);
      if (at) {
        throw new ConfigError(
          `${path}: invalid JSON at line ${at.line}, column ${at.column}: ${at.message}`,
        );
      }
      throw new ConfigError(`${path}: invalid JSON: ${errorText(e)}`);
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
      if (pathMissing(name)) continue;
      try {
        if ((await Deno.stat(name)).isFile) {
          return { value: await readConfigFile(name, name), source: name };
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

/**
 * Set to `1` to leave the Landlock layer of the file rules out, so that only
 * the ptrace check enforces them: a test knob, to show what the kernel layer
 * adds (`tests/fs_test.ts` races a sibling thread against the check).
 */
export const NO_LANDLOCK_ENV = "JAIL_NO_LANDLOCK";

/** The Landlock spec to install, or undefined (with one warning) when it cannot be. */
function landlockOrWarn(spec: LandlockSpec): LandlockSpec | undefined {
  if (Deno.env.get(NO_LANDLOCK_ENV) === "1") {
    writeStderr(
      `jail: warning: ${NO_LANDLOCK_ENV}=1: the file rules are enforced by the ptrace check alone\n`,
    );
    return undefined;
  }
  if (landlockAbi() > 0) return spec;
  writeStderr(
    "jail: warning: Landlock is not available in this kernel (Linux 5.13+ with lsm=landlock): " +
      "the file rules are enforced by the ptrace check alone, which a racing thread or a " +
      "swapped symlink can get past\n",
  );
  return undefined;
}

/** The first Landlock ABI with LANDLOCK_SCOPE_SIGNAL. */
const LANDLOCK_SCOPE_SIGNAL_ABI = SCOPE_ABI;

/** Host names resolve within this long, or the lookup counts as failed. */
const LOOKUP_TIMEOUT_MS = 10_000;

/** The net flags' entries, parsed, each labelled with its flag. */
function flagItems(flags: FlagSet): { allow: NetItem[]; deny: NetItem[] } {
  return {
    allow: (flags["allow-net"] ?? []).map((s) => netItem(s, "--allow-net")),
    deny: (flags["deny-net"] ?? []).map((s) => netItem(s, "--deny-net")),
  };
}

/** The entries of parsed net items, host names resolved; errors name the flag or config key. */
function resolveItems(items: readonly NetItem[], resolve: Resolver): NetEntry[] {
  return items.flatMap(({ spec, label }) => {
    try {
      return resolveNetSpec(spec, resolve);
    } catch (e) {
      if (e instanceof NetEntryError) throw new ConfigError(`${label}: ${e.message}`);
      throw e;
    }
  });
}

/** How long a lookup may take before the timeout is armed: most are answered at once. */
const QUICK_LOOKUP_MS = 20;

async function lookupAll(name: string): Promise<string[]> {
  const lookup = lookupAddresses(name).catch(() => []);
  // /etc/hosts or a local cache answers most names within microseconds: for those no timer of
  // Deno's is made (the first costs about 5 ms of the start).
  const quick = await Promise.race([lookup, pauseOffThread(QUICK_LOOKUP_MS).then(() => undefined)]);
  if (quick !== undefined) return quick;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<string[]>((resolve) => {
    timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS - QUICK_LOOKUP_MS);
  });
  try {
    return await Promise.race([lookup, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Host names in net entries, resolved once at start (like Deno's --allow-net). */
async function resolveHosts(items: readonly NetItem[]): Promise<Map<string, string[]>> {
  const names = new Set<string>();
  for (const { spec } of items) if (spec.kind === "host") names.add(spec.host);
  const out = new Map<string, string[]>();
  await Promise.all([...names].map(async (name) => out.set(name, await lookupAll(name))));
  return out;
}

/**
 * Loads, validates, merges and compiles the policy.
 *
 * @throws {ConfigError} With file, key, value and what was expected.
 */
export async function loadPolicy(opts: LoadOptions = {}): Promise<LoadedPolicy> {
  const flags = opts.flags ?? {};
  // Flags first: a bad flag is reported even when a config file is broken too.
  const fromFlags = flagItems(flags);
  for (const name of flags["cap-add"] ?? []) {
    const why = capabilityNameError(name);
    if (why) throw new ConfigError(`--cap-add: ${why}`);
  }
  const { value, source } = await discover(opts);
  const parsed = parseConfig(value, source);
  const fromConfig = parsed.net;
  const hosts = await resolveHosts([
    ...fromFlags.allow,
    ...fromFlags.deny,
    ...fromConfig.allow,
    ...fromConfig.deny,
  ]);
  const resolve: Resolver = (host) => hosts.get(host) ?? [];
  // Resolved in this order, so that the first name that does not resolve is a flag's.
  const [flagAllow, flagDeny] = [
    resolveItems(fromFlags.allow, resolve),
    resolveItems(fromFlags.deny, resolve),
  ];
  // The merged lists, as mergeFlags orders them: the config's entries, then the flags'.
  const net: NetLists = {
    allow: [...resolveItems(fromConfig.allow, resolve), ...flagAllow],
    deny: [...resolveItems(fromConfig.deny, resolve), ...flagDeny],
  };
  const config = mergeFlags(parsed.config, flags);
  let compiled: CompiledPolicy;
  try {
    compiled = compilePolicy(config, {
      supervisorPid: getpid(),
      supervisorPgrp: getpgrp(),
      resolve,
      net,
      allowAll: flags["allow-all"] === true,
      observeNet: opts.observeNet,
      traceCalls: opts.traceCalls,
      // The launch scopes the tree's signals with Landlock from ABI 6 on.
      signalScoped: landlockAbi() >= LANDLOCK_SCOPE_SIGNAL_ABI,
    });
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${source}: ${e.message}`);
    throw e;
  }
  if (compiled.landlock) compiled.landlock = landlockOrWarn(compiled.landlock);
  return {
    config,
    source,
    compiled,
    timeout: parsed.timeout,
    grace: parsed.grace,
    capabilities: keptCapabilities(
      [...(config.capabilities ?? []), ...(flags["cap-add"] ?? [])],
      flags["allow-all"] === true,
    ),
    explain: () => `policy from ${source}\n${explainPolicy(compiled)}`,
  };
}
