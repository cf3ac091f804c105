/**
 * Checks a config value against the schema, naming the key, the value and
 * what was expected for the first thing wrong.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { allSyscallNames, isKnownSyscall } from "../arch/arch.ts";
import { suggest } from "../suggest.ts";
import { parseDuration } from "../duration.ts";
import { capabilityNameError } from "../launch/capabilities.ts";
import { NetEntryError, type NetSpec, parseNetSpec } from "../net/address.ts";
import type { JailConfig } from "./types.ts";
import { ConfigError } from "./config_error.ts";

export { ConfigError };

function show(v: unknown): string {
  if (typeof v === "function") return "a function";
  if (typeof v === "bigint") return `${v}n`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return String(v);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const TOP_KEYS = [
  "net",
  "read",
  "write",
  "run",
  "redirect",
  "syscalls",
  "unknownSyscalls",
  "timeout",
  "onRootExit",
  "grace",
  "capabilities",
];
const NET_KEYS = ["allow", "deny", "errno", "bind", "loopback", "unix"];
const ACCESS_KEYS = ["allow", "deny"];

/** Checks an errno name; returns its number. */
export function errnoNumber(
  name: unknown,
  key: string,
  fail: (key: string, msg: string) => never,
): number {
  if (typeof name !== "string") {
    fail(key, `expected an errno name such as "EACCES", got ${show(name)}`);
  }
  const n = (ERRNO_NUMBERS as Record<string, number>)[name];
  if (n === undefined) {
    const guess = suggest(name, Object.keys(ERRNO_NUMBERS));
    fail(key, `unknown errno ${show(name)}${guess ? `: did you mean "${guess}"?` : ""}`);
  }
  return n;
}

/** A net list entry, parsed once, with the label its errors carry (the flag, or the file and key). */
export interface NetItem {
  /** The entry, parsed; a host name is resolved later, once, at load. */
  spec: NetSpec;
  /** `--allow-net`, or `<file>: net.allow[0]`. */
  label: string;
}

/**
 * Parses one net list entry.
 *
 * @throws {ConfigError} `<label>: <why>` when it is malformed.
 */
export function netItem(entry: string, label: string): NetItem {
  try {
    return { spec: parseNetSpec(entry), label };
  } catch (e) {
    if (e instanceof NetEntryError) throw new ConfigError(`${label}: ${e.message}`);
    throw e;
  }
}

/** A config checked against the schema, with the values compile and the run take parsed once. */
export interface ParsedConfig {
  /** The config as written (validated). */
  config: JailConfig;
  /** `net.allow` and `net.deny`, parsed. */
  net: { allow: NetItem[]; deny: NetItem[] };
  /** `timeout` in milliseconds. */
  timeout?: number;
  /** `grace` in milliseconds. */
  grace?: number;
}

/**
 * Validates a config.
 *
 * @param value What the file produced.
 * @param where The file, for messages.
 * @throws {ConfigError} On the first problem found.
 */
export function validateConfig(value: unknown, where: string): JailConfig {
  return parseConfig(value, where).config;
}

/**
 * Validates a config and parses its values once: net entries, durations.
 *
 * @param value What the file produced.
 * @param where The file, for messages.
 * @throws {ConfigError} On the first problem found.
 */
export function parseConfig(value: unknown, where: string): ParsedConfig {
  const net: ParsedConfig["net"] = { allow: [], deny: [] };
  const durations: { timeout?: number; grace?: number } = {};
  const fail = (key: string, msg: string): never => {
    throw new ConfigError(`${where}: ${key ? `${key}: ` : ""}${msg}`);
  };
  if (!isObject(value)) {
    fail("", `expected an object with keys such as net, syscalls, timeout; got ${show(value)}`);
  }
  const cfg = value as Record<string, unknown>;
  const keys = (obj: Record<string, unknown>, allowed: string[], prefix: string) => {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) {
        const guess = suggest(k, allowed);
        fail(
          `${prefix}${k}`,
          `unknown key${
            guess ? `: did you mean "${guess}"?` : `: expected one of ${allowed.join(", ")}`
          }`,
        );
      }
    }
  };
  keys(cfg, TOP_KEYS, "");
  const list = (v: unknown, key: string) => {
    if (v === undefined) return;
    if (!Array.isArray(v)) fail(key, `expected an array of strings, got ${show(v)}`);
    (v as unknown[]).forEach((s, i) => {
      if (typeof s !== "string" || s.trim() === "") {
        fail(`${key}[${i}]`, `expected a non-empty string, got ${show(s)}`);
      }
    });
  };
  for (const section of ["net", "read", "write", "run"]) {
    const v = cfg[section];
    if (v === undefined) continue;
    if (!isObject(v)) {
      fail(section, `expected an object like { "allow": [...], "deny": [...] }, got ${show(v)}`);
    }
    const obj = v as Record<string, unknown>;
    keys(obj, section === "net" ? NET_KEYS : ACCESS_KEYS, `${section}.`);
    list(obj.allow, `${section}.allow`);
    list(obj.deny, `${section}.deny`);
    if (section === "net") {
      // Host names resolve later, once, when the policy is loaded.
      for (const k of ["allow", "deny"] as const) {
        ((obj[k] ?? []) as string[]).forEach((entry, i) => {
          net[k].push(netItem(entry, `${where}: net.${k}[${i}]`));
        });
      }
      if (obj.errno !== undefined) errnoNumber(obj.errno, "net.errno", fail);
      if (
        obj.bind !== undefined &&
        !["guard", "rewrite", "allow", "deny"].includes(obj.bind as string)
      ) {
        fail("net.bind", `expected "guard", "allow" or "deny", got ${show(obj.bind)}`);
      }
      for (const b of ["loopback", "unix"]) {
        if (obj[b] !== undefined && typeof obj[b] !== "boolean") {
          fail(`net.${b}`, `expected true or false, got ${show(obj[b])}`);
        }
      }
    }
  }
  if (cfg.redirect !== undefined) validateRedirect(cfg.redirect, fail);
  list(cfg.capabilities, "capabilities");
  ((cfg.capabilities ?? []) as string[]).forEach((name, i) => {
    const why = capabilityNameError(name);
    if (why) fail(`capabilities[${i}]`, why);
  });
  for (const d of ["timeout", "grace"] as const) {
    const v = cfg[d];
    if (v === undefined) continue;
    const ms = typeof v === "string" || typeof v === "number" ? parseDuration(v) : undefined;
    if (ms === undefined) {
      fail(d, `expected a duration such as "90s", "5m" or a number of seconds, got ${show(v)}`);
    }
    durations[d] = ms;
  }
  if (
    cfg.unknownSyscalls !== undefined && cfg.unknownSyscalls !== "enosys" &&
    cfg.unknownSyscalls !== "allow"
  ) {
    fail("unknownSyscalls", `expected "enosys" or "allow", got ${show(cfg.unknownSyscalls)}`);
  }
  if (cfg.onRootExit !== undefined && cfg.onRootExit !== "kill" && cfg.onRootExit !== "wait") {
    fail("onRootExit", `expected "kill" or "wait", got ${show(cfg.onRootExit)}`);
  }
  if (cfg.syscalls !== undefined) {
    if (!isObject(cfg.syscalls)) {
      fail("syscalls", `expected an object of syscall name → rule, got ${show(cfg.syscalls)}`);
    }
    for (const [name, rule] of Object.entries(cfg.syscalls as Record<string, unknown>)) {
      const key = `syscalls.${name}`;
      // Any supported architecture's name: one policy file serves both (compile skips the
      // calls the running one lacks).
      if (!isKnownSyscall(name)) {
        const guess = suggest(name, allSyscallNames());
        fail(key, `unknown syscall ${show(name)}${guess ? `: did you mean "${guess}"?` : ""}`);
      }
      validateRule(rule, key, fail);
      if (name === "clone3" && !isClone3Safe(rule)) {
        fail(
          key,
          `${
            show(rule)
          } would let a process leave the supervision (clone3 passes CLONE_UNTRACED in memory the filter cannot read): expected "deny", { "deny": "<ERRNO>" }, { "return": <number> } or "kill"; libc falls back to clone when clone3 fails with ENOSYS, the built-in rule`,
        );
      }
    }
  }
  return { config: cfg as JailConfig, net, ...durations };
}

const GLOB_CHARS = /[*?[{]/;

function validateRedirect(v: unknown, fail: (key: string, msg: string) => never): void {
  if (!isObject(v)) {
    fail(
      "redirect",
      `expected an object of path → replacement path, like { "/etc/hosts": "./fixtures/hosts" }, got ${
        show(v)
      }`,
    );
  }
  for (const [from, to] of Object.entries(v as Record<string, unknown>)) {
    const key = `redirect[${JSON.stringify(from)}]`;
    if (from.trim() === "") fail("redirect", "an empty path as a key: expected a path");
    if (GLOB_CHARS.test(from)) {
      fail(key, "a glob as a key: redirects take exact paths (a directory covers what it holds)");
    }
    if (typeof to !== "string" || to.trim() === "") {
      fail(key, `expected a non-empty replacement path, got ${show(to)}`);
    }
    if (GLOB_CHARS.test(to as string)) {
      fail(key, `${show(to)}: a glob as a replacement: expected an exact path`);
    }
  }
}

function isClone3Safe(rule: unknown): boolean {
  if (rule === "deny" || rule === "kill") return true;
  return isObject(rule) && ("deny" in rule || "return" in rule);
}

const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

/** An integer a register can hold: a safe-integer number, or a bigint in -2^63 .. 2^64-1. */
function isRegisterValue(v: unknown): boolean {
  if (typeof v === "number") return Number.isSafeInteger(v);
  return typeof v === "bigint" && v >= I64_MIN && v <= U64_MAX;
}

const RULE_HELP =
  `expected "allow", "deny", "kill", "trace", { "deny": "<ERRNO>" }, { "return": <number> }, { "args": { "<0-5>": <number> } } or a function`;

function validateRule(rule: unknown, key: string, fail: (key: string, msg: string) => never): void {
  if (typeof rule === "function") return;
  if (typeof rule === "string") {
    const words = ["allow", "deny", "kill", "trace"];
    if (!words.includes(rule)) {
      const guess = suggest(rule, words);
      fail(
        key,
        `unknown rule ${show(rule)}: ${guess ? `did you mean "${guess}"? ` : ""}${RULE_HELP}`,
      );
    }
    return;
  }
  if (!isObject(rule)) fail(key, `${RULE_HELP}, got ${show(rule)}`);
  const r = rule as Record<string, unknown>;
  const ks = Object.keys(r);
  if (ks.length !== 1) fail(key, `${RULE_HELP}, got ${show(rule)}`);
  if ("deny" in r) {
    errnoNumber(r.deny, `${key}.deny`, fail);
  } else if ("return" in r) {
    const v = r.return;
    if (!isRegisterValue(v)) {
      fail(
        `${key}.return`,
        `expected an integer (a safe integer, or a bigint from -2^63 to 2^64-1), got ${show(v)}`,
      );
    }
  } else if ("args" in r) {
    if (!isObject(r.args) || Object.keys(r.args).length === 0) {
      fail(
        `${key}.args`,
        `expected an object of argument index (0-5) → integer, got ${show(r.args)}`,
      );
    }
    for (const [i, v] of Object.entries(r.args as Record<string, unknown>)) {
      if (!/^[0-5]$/.test(i)) {
        fail(
          `${key}.args`,
          `unknown argument index ${show(i)}: expected "0" to "5" (rdi, rsi, rdx, r10, r8, r9)`,
        );
      }
      if (!isRegisterValue(v)) {
        fail(
          `${key}.args.${i}`,
          `expected an integer (a safe integer, or a bigint from -2^63 to 2^64-1), got ${show(v)}`,
        );
      }
    }
  } else {
    fail(key, `unknown rule key ${show(ks[0])}: ${RULE_HELP}`);
  }
}
