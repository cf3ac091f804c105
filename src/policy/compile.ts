/**
 * Policy → kernel filter + supervisor rules.
 *
 * Each syscall gets the cheapest action that enforces the policy: ALLOW and
 * ERRNO are settled in the kernel; TRACE only where the supervisor must look
 * (pointer arguments, function rules, kill with a message, fake results,
 * argument rewrites, `trace`).
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { type Arch, ARCHES, HOST_ARCH } from "../arch/arch.ts";
import { builtinFilter } from "./builtin_filter.ts";
import {
  compileFilter,
  type FilterSpec,
  type KernelAction,
  type SyscallRule as KernelRule,
  type UnlistedRange,
} from "../bpf/compile.ts";
import type { TraceRule } from "../supervisor/rules.ts";
import type { NetPolicy } from "../net/policy.ts";
import type { Resolver } from "../net/address.ts";
import type { JailConfig, SyscallHook } from "./types.ts";
import type { FsPolicy } from "../fs/access.ts";
import { compileFs } from "./fs_compile.ts";
import { fsFilterRules } from "../fs/filter.ts";
import type { LandlockSpec } from "../fs/landlock.ts";
import { ConfigError } from "./config_error.ts";
import { ALLOW, errno } from "./filter_actions.ts";
import { addGuards } from "./guards.ts";
import { compileNet, type NetLists } from "./net_compile.ts";
import { notifyingProgram } from "./notify_actions.ts";
import { kernelContinues, type NotifyPlan, notifyPlans } from "../notify/notifiable.ts";
import { addConfigRules, addTraceOnly } from "./syscall_rules.ts";

const E = ERRNO_NUMBERS;

/** The numbers an architecture's syscall table does not know (holes, and above its last): ENOSYS. */
function unknownNumbers(arch: Arch): readonly UnlistedRange[] {
  const names = arch.names;
  const out: UnlistedRange[] = [];
  const enosys = errno(E.ENOSYS);
  for (let nr = 0; nr <= names.length; nr++) {
    if (nr < names.length && names[nr] !== "") continue;
    const last = out.at(-1);
    if (last && last.last === nr - 1) out[out.length - 1] = { ...last, last: nr };
    else out.push({ first: nr, last: nr, action: enosys });
  }
  // Everything above the table, up to the x32 bit (which the filter kills before this).
  out[out.length - 1] = { ...out[out.length - 1], last: 0x3fffffff };
  return out;
}

/** Everything the supervisor needs, ready to cross to its thread (except `hooks`). */
export interface CompiledPolicy {
  /** Packed seccomp program: every rule of the supervisor's stops there (SECCOMP_RET_TRACE). */
  filter: Uint8Array;
  /**
   * The same program with the rules a seccomp user notification can decide
   * (src/notify/notifiable.ts) returning SECCOMP_RET_USER_NOTIF instead,
   * for the run to install with jail's listener when nothing records each
   * call; absent when no rule qualifies. Same shape and size as `filter`,
   * which stays the fallback where no listener can be had.
   */
  notifyFilter?: Uint8Array;
  /**
   * How the pool answers each rule that `notifyFilter` notifies, by trace
   * data (undefined: the rule stays on ptrace); present with `notifyFilter`.
   */
  notifyPlans?: (NotifyPlan | undefined)[];
  /** Traced rules by SECCOMP_RET_TRACE data. */
  rules: TraceRule[];
  /** The network policy, when the network is restricted. */
  net?: NetPolicy;
  /** Function rules, by index; they run on the caller's thread. */
  hooks: SyscallHook[];
  /** The file policy (read, write, run, redirect), when there is one. */
  fs?: FsPolicy;
  /** The Landlock half of the file policy, for the launch. */
  landlock?: LandlockSpec;
  /** The filter spec, for `--explain` and tests. */
  spec: FilterSpec;
  /** The architecture the filter is for. */
  arch: Arch["name"];
  /** `syscalls` rules left out: calls that only another architecture has. */
  skippedSyscalls: string[];
}

/** Inputs besides the config. */
export interface CompileOptions {
  /** The supervisor's pid: signals and ptrace aimed at it are refused. */
  supervisorPid: number;
  /** The supervisor's process group, which the tree shares: signals to it are narrowed to the tree. */
  supervisorPgrp?: number;
  /** Host name resolver for net entries. */
  resolve: Resolver;
  /**
   * The net lists, parsed and resolved once at load (`loadPolicy`); when
   * absent, `config.net`'s lists are parsed here with `resolve`.
   */
  net?: NetLists;
  /** `-A`: allow everything, observe only. */
  allowAll?: boolean;
  /**
   * Landlock's LANDLOCK_SCOPE_SIGNAL is in force on the tree (ABI 6 and
   * later): the kernel stops every signal to a process outside it. Without
   * it, the calls that can name one of the supervisor's threads stop at the
   * supervisor, which lets only the tree's be signalled.
   */
  signalScoped?: boolean;
  /**
   * Keep the network calls stopping at the supervisor even when every
   * destination is allowed, so that each one is seen and recorded
   * (`--learn`). Without it an open network is settled in the kernel and
   * never traced. io_uring stays off and AF_PACKET refused, as under any
   * restricted network: what a learned config would allow.
   */
  observeNet?: boolean;
  /**
   * Syscalls to stop only to be traced (`--trace-calls`): where the policy
   * would let one run in the kernel it stops at the supervisor instead,
   * which allows it and records it. Every stop and refusal of the policy
   * stays as it is.
   */
  traceCalls?: readonly string[];
  /**
   * The architecture the filter is for: its AUDIT_ARCH value and syscall
   * numbers. This machine's when absent; the tests compile for the other one.
   */
  arch?: Arch;
  /**
   * The kernel takes SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5): rules
   * whose answer lets the call run may be notified. This kernel's when absent.
   */
  notifyContinue?: boolean;
  /**
   * Compile the built-in policy's program too, instead of taking the one prebuilt by `deno task
   * bundle` (builtin_filter.ts): for making that one, and for the tests that compare them.
   */
  noPrebuilt?: boolean;
}

/**
 * The options a prebuilt program is made for (the numbers are patched in; `signalScoped` and the
 * group's rule pick its form; `resolve` has nothing to resolve; `notifyContinue` changes the
 * notification plans only). Any other option given a value compiles: one added later cannot be
 * forgotten here and get the built-in program for a policy it changes.
 */
const PREBUILT_OPTIONS = new Set<string>([
  "supervisorPid",
  "supervisorPgrp",
  "resolve",
  "net",
  "signalScoped",
  "notifyContinue",
  "arch",
  "noPrebuilt",
]);

/**
 * The form of the built-in policy these inputs compile to, or undefined when they are not that
 * policy's (a config, a flag, an option that changes the program). Exported for the tests.
 */
export function builtinForm(config: JailConfig, options: CompileOptions, arch: Arch) {
  if (options.noPrebuilt || Object.keys(config).length > 0) return undefined;
  for (const [key, value] of Object.entries(options)) {
    const unset = value === undefined || value === false ||
      (Array.isArray(value) && value.length === 0);
    if (!unset && !PREBUILT_OPTIONS.has(key)) return undefined;
  }
  if (options.net && (options.net.allow.length > 0 || options.net.deny.length > 0)) return;
  if (arch !== ARCHES[arch.name]) return undefined;
  return {
    arch: arch.name,
    signalScoped: options.signalScoped === true,
    groupRule: options.supervisorPgrp !== undefined && options.supervisorPgrp > 1,
  };
}

/**
 * Compiles a validated config.
 *
 * @throws {ConfigError} When a net entry is malformed or does not resolve.
 */
export function compilePolicy(config: JailConfig, options: CompileOptions): CompiledPolicy {
  const syscalls = new Map<number, KernelRule>();
  const rules: TraceRule[] = [];
  const hooks: SyscallHook[] = [];
  const trace = (rule: TraceRule): KernelAction => {
    rules.push(rule);
    return { kind: "trace", data: rules.length - 1 };
  };
  const arch = options.arch ?? HOST_ARCH;
  // Every call the guards and net rules name exists on both architectures (tests check it).
  const NR = arch.numbers;

  addGuards(syscalls, NR, options, trace);
  const net = compileNet(config, options, syscalls, NR, trace);
  // File rules: traced only when read, write, run or redirect rules exist.
  const fs = compileFs(config, { allowAll: options.allowAll });
  if (fs) {
    const rules = fsFilterRules(
      fs.policy,
      (call) => trace({ syscall: call, decision: { action: "allow", rule: "fs" }, fs: call }),
      arch,
    );
    for (const [nr, rule] of rules) syscalls.set(nr, rule);
  }
  const skipped = addConfigRules(config, syscalls, NR, rules, trace, hooks);

  if (options.traceCalls) addTraceOnly(syscalls, options.traceCalls, NR, trace);

  // A number the table does not know is a call newer than jail (or none at all): no rule can
  // name it, so it could get around one. It fails as on a kernel without it, unless allowed.
  const spec: FilterSpec = {
    arch: arch.auditArch,
    defaultAction: ALLOW,
    unlisted: config.unknownSyscalls === "allow" ? undefined : unknownNumbers(arch),
    syscalls,
    foreignAbi: { kind: "kill" },
  };
  const form = builtinForm(config, options, arch);
  let filter = form && builtinFilter(form, options.supervisorPid, options.supervisorPgrp ?? 0);
  if (filter === undefined) {
    try {
      filter = compileFilter(spec).bytes();
    } catch (e) {
      throw new ConfigError(
        `the policy does not compile to a seccomp filter: ${(e as Error).message}`,
      );
    }
  }
  const plans = notifyPlans(rules, {
    fs: fs?.policy,
    continues: options.notifyContinue ?? kernelContinues(),
  });
  const notifyFilter = notifyingProgram(filter, plans);
  return {
    filter,
    notifyFilter,
    notifyPlans: notifyFilter && plans,
    rules,
    net,
    hooks,
    spec,
    fs: fs?.policy,
    landlock: fs?.landlock,
    arch: arch.name,
    skippedSyscalls: skipped,
  };
}
