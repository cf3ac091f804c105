/**
 * The policy schema: what `jail.config.ts` default-exports and what
 * `jail.config.json` contains.
 *
 * @module
 */

/** Allow and deny lists; deny wins. */
export interface AccessRules {
  /** Entries allowed. */
  allow?: string[];
  /** Entries denied, even when an allow entry also matches. */
  deny?: string[];
}

/** Network rules. Entries: `host`, `host:port`, `host:lo-hi`, `[v6]:port`, CIDR, `*:port`, `unix:<glob>`, `*`. */
export interface NetRules extends AccessRules {
  /** errno name a denied call fails with (default `EACCES`). */
  errno?: string;
  /**
   * A bind to 0.0.0.0 or :: (or any non-loopback address, or the kernel's own
   * implicit binds) is kept as asked and guarded by a locked socket filter
   * that admits only loopback and allowed peers ("guard", the default;
   * "rewrite" is its former name), allowed unguarded, or denied.
   */
  bind?: "guard" | "rewrite" | "allow" | "deny";
  /** Allow loopback destinations unless denied (default true). */
  loopback?: boolean;
  /** Allow unix sockets unless denied (default true). */
  unix?: boolean;
}

/** A syscall, decoded, as a function rule sees it. */
export interface SyscallCall {
  /** Syscall name. */
  name: string;
  /** Syscall number. */
  nr: number;
  /** Process id. */
  pid: number;
  /** Thread id. */
  tid: number;
  /** The six raw arguments. */
  args: bigint[];
}

/** What a function rule returns. */
export type HookDecision =
  | "allow"
  | "deny"
  | "kill"
  | { deny: string }
  | { return: number | bigint }
  | { args: Record<string, number | bigint> };

/** A function rule: only in a `.ts` config. */
export type SyscallHook = (call: SyscallCall) => HookDecision | Promise<HookDecision>;

/**
 * What to do with one syscall.
 *
 * - `"allow"`: run it (decided in the kernel).
 * - `"deny"`: fail it with EPERM; `{ deny: "EACCES" }` with a chosen errno (in the kernel).
 * - `"kill"`: kill the whole tree, naming the syscall, pid and rule.
 * - `{ return: n }`: skip it; the caller sees `n`.
 * - `"trace"`: stop, record, allow.
 * - `{ args: { "1": v } }`: run it with arguments replaced.
 * - a function (TypeScript configs only): decide per call.
 */
export type SyscallRule =
  | "allow"
  | "deny"
  | "kill"
  | "trace"
  | { deny: string }
  | { return: number | bigint }
  | { args: Record<string, number | bigint> }
  | SyscallHook;

/** A jail policy. Every key is optional; omitted keys keep the built-in default. */
export interface JailConfig {
  /** Network destinations. Default: loopback and unix sockets only. */
  net?: NetRules;
  /** Paths that may be read. */
  read?: AccessRules;
  /** Paths that may be written. */
  write?: AccessRules;
  /** Programs that may be executed. */
  run?: AccessRules;
  /**
   * Path rewrites of the open family (`open`, `openat`, `openat2`, `creat`):
   * a process that opens the key (a file, or a directory and what it holds)
   * gets the value instead, e.g. `{ "/etc/hosts": "./fixtures/hosts" }`.
   * Relative paths are taken against the current directory at start.
   */
  redirect?: Record<string, string>;
  /**
   * Rules per syscall name; they replace the built-in rule for that syscall,
   * except the built-in argument checks that close an escape route
   * (`CLONE_UNTRACED`, `kill(-1)` and signals to the supervisor, `TIOCSTI`,
   * `AF_PACKET`), which still come first. `clone3` accepts only `"deny"`,
   * `{ deny }`, `{ return }` or `"kill"`: its flags are out of the filter's reach.
   */
  syscalls?: Record<string, SyscallRule>;
  /**
   * Syscall numbers jail's table does not know (above its last, or a hole in
   * it): `"enosys"` (default) fails them with ENOSYS in the kernel, as a
   * kernel without them would, so that a call newer than jail cannot get
   * around a rule; `"allow"` lets them run.
   */
  unknownSyscalls?: "enosys" | "allow";
  /** Kill the tree after this long (`90s`, `5m`, or seconds as a number). */
  timeout?: string | number;
  /** When the root exits: kill the rest of the tree (default) or wait for it. */
  onRootExit?: "kill" | "wait";
  /** Between a forwarded signal and SIGKILL of the tree (default `2s`). */
  grace?: string | number;
  /**
   * Capabilities a root command keeps besides the default set (Docker's
   * default set without NET_RAW), e.g. `["NET_RAW", "SYS_PTRACE"]`; `"ALL"`
   * keeps every one. Names are case-insensitive, with or without `CAP_`.
   */
  capabilities?: string[];
}

/**
 * Identity function that gives a config file its types.
 *
 * @example Cut a test suite off the network, except a local database
 * ```ts
 * import { defineConfig } from "./mod.ts";
 * export default defineConfig({ net: { allow: ["localhost:5432"] }, timeout: "10m" });
 * ```
 *
 * @param config The policy.
 * @returns The same policy.
 */
export function defineConfig(config: JailConfig): JailConfig {
  return config;
}
