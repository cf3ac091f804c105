/**
 * jail as a library: run a command and its whole process tree under a
 * ptrace+seccomp supervisor, with a typed policy.
 *
 * @example Run a test suite cut off from the network
 * ```ts
 * import { run } from "./mod.ts";
 * const result = await run(["npm", "test"], { config: { timeout: "10m" } });
 * console.log(result.code);
 * ```
 *
 * @module
 */

export { defineConfig } from "./src/policy/types.ts";
export type {
  AccessRules,
  HookDecision,
  JailConfig,
  NetRules,
  SyscallCall,
  SyscallHook,
  SyscallRule,
} from "./src/policy/types.ts";
export type { FlagSet } from "./src/policy/load.ts";
export type {
  ExecEvent,
  ExitEvent,
  NetAddress,
  SpawnEvent,
  SupervisorEvent,
  SyscallEvent,
} from "./src/events.ts";
export type { RunOutcome, RunStats } from "./src/run/exit_status.ts";
export type { QuirkCounts, StopCounts } from "./src/supervisor/result.ts";
export type { Decision } from "./src/decision.ts";
export { JailError } from "./src/run/exit_status.ts";
export { ConfigError } from "./src/policy/validate.ts";
export { type JailProcess, run, type RunOptions, spawn } from "./src/run/library.ts";
