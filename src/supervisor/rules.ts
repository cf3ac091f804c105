/**
 * The supervisor's half of a policy: what to do with each syscall that the
 * seccomp filter sent up with SECCOMP_RET_TRACE. The filter's 16-bit data
 * names the entry of the {@linkcode RuleTable} that applies, so a stop costs
 * one array lookup before the decision's own work.
 *
 * @module
 */

import type { Decision } from "../decision.ts";
import type { SyscallStop } from "./hooks.ts";
import { NetChecker } from "../net/check.ts";
import type { NetDenial } from "../net/denial.ts";
import type { NetCheck, NetPolicy } from "../net/policy.ts";
import type { FsCall, FsChecker } from "../fs/check.ts";
import { deliverToGroup } from "./signal_guard.ts";
import type { TargetCheck, TargetGuard } from "./target_guard.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";

/** One traced rule: plain data, so it crosses to the supervisor's thread. */
export interface TraceRule {
  /** Syscall name, for reports. */
  syscall: string;
  /** What to do. `allow` with a rule name records the call (`"trace"` rules). */
  decision: Decision;
  /** A network check to run first; its denial replaces `decision`. */
  net?: NetCheck;
  /** Index of a function rule that runs on the caller's thread. */
  hook?: number;
  /** `group`: a kill(0 | -pgrp) the supervisor delivers to the tree's members of the group. */
  signal?: "group";
  /** A file check (read, write, run, redirect) to run first; its denial or rewrite replaces `decision`. */
  fs?: FsCall;
  /** The call names another task: allowed only when it is one of the tree's. */
  target?: TargetCheck;
}

const EPERM = ERRNO_NUMBERS.EPERM;

/** Traced rules indexed by SECCOMP_RET_TRACE data. */
export type RuleTable = readonly TraceRule[];

/** Asks the caller's thread to run function rule `hook` for a call. */
export type HookCaller = (hook: number, call: SyscallStop, rule: TraceRule) => Decision;

/** Decides traced syscalls from a {@linkcode RuleTable}. */
export class RuleEngine {
  readonly #table: RuleTable;
  readonly #net?: NetChecker;
  readonly #callHook?: HookCaller;
  readonly #fs?: FsChecker;
  /** Pids of the tree's live processes, for signals to a process group. */
  treePids?: () => Iterable<number>;
  /** Checks calls that name another task; without it they are refused. */
  targets?: TargetGuard;

  /**
   * @param table Rules by SECCOMP_RET_TRACE data.
   * @param net The network policy, when restricted.
   * @param callHook Runs function rules.
   * @param onNetDeny Reports a denied destination.
   * @param fs The file checks, when the policy has file rules.
   */
  constructor(
    table: RuleTable,
    net?: NetPolicy,
    callHook?: HookCaller,
    onNetDeny?: (tid: number, pid: number, denial: NetDenial) => void,
    fs?: FsChecker,
  ) {
    this.#table = table;
    if (net) {
      this.#net = new NetChecker(net);
      this.#net.onDeny = onNetDeny;
    }
    this.#callHook = callHook;
    this.#fs = fs;
  }

  /** The decision for a stopped call; undefined (allow) for data no rule owns. */
  decide(call: SyscallStop): Decision | undefined {
    const rule = this.#table[call.data];
    if (!rule) return undefined;
    if (rule.net && this.#net) {
      return this.#net.decide(rule.net, call.tid, call.pid, call.regs) ?? rule.decision;
    }
    if (rule.fs && this.#fs) {
      return this.#fs.decide(rule.fs, call, call.regs) ?? rule.decision;
    }
    if (rule.hook !== undefined && this.#callHook) return this.#callHook(rule.hook, call, rule);
    if (rule.signal) {
      if (!this.treePids) return { action: "deny", errno: EPERM, rule: rule.decision.rule };
      return deliverToGroup(call.pid, call.regs, this.treePids());
    }
    if (rule.target) {
      if (!this.targets) return { action: "deny", errno: EPERM, rule: rule.decision.rule };
      return this.targets.decide(rule.target, call, rule.decision.rule ?? "") ?? rule.decision;
    }
    return rule.decision;
  }
}
