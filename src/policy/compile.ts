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
import { CLONE, PIDFD_SIGNAL_PROCESS_GROUP, PIDFD_THREAD } from "../../kernel/clone.ts";
import { IOCTL } from "../../kernel/ioctl.ts";
import { IOPRIO_WHO, PRIO } from "../../kernel/resource.ts";
import { AF, SOCK } from "../../kernel/socket.ts";
import { F } from "../../kernel/fcntl.ts";
import { type Arch, ARCHES, HOST_ARCH } from "../arch/arch.ts";
import {
  type ArgRule,
  type ArgTest,
  compileFilter,
  type FilterSpec,
  type KernelAction,
  type SyscallRule as KernelRule,
  type UnlistedRange,
} from "../bpf/compile.ts";
import { disassemble } from "../bpf/disasm.ts";
import { decodeInstructions } from "../bpf/assembler.ts";
import { type Decision, registerValue, TRACE_ONLY_RULE } from "../decision.ts";
import type { TraceRule } from "../supervisor/rules.ts";
import type { NetCheck, NetPolicy } from "../net/policy.ts";
import { ROUTE_OPTIONS } from "../net/route_options.ts";
import { type NetEntry, NetEntryError, parseNetEntry, type Resolver } from "../net/address.ts";
import type { JailConfig, SyscallHook, SyscallRule } from "./types.ts";
import type { FsPolicy } from "../fs/access.ts";
import { compileFs, explainFs } from "./fs_compile.ts";
import { fsFilterRules } from "../fs/filter.ts";
import type { LandlockSpec } from "../fs/landlock.ts";
import { ConfigError } from "./config_error.ts";

const E = ERRNO_NUMBERS;
const ALLOW: KernelAction = { kind: "allow" };
const errno = (n: number): KernelAction => ({ kind: "errno", errno: n });

const CLONE_UNTRACED = BigInt(CLONE.UNTRACED);
const TIOCSTI = BigInt(IOCTL.TIOCSTI);
const TIOCLINUX = BigInt(IOCTL.TIOCLINUX);
const LOW32 = 0xffffffffn;
const SOCK_TYPE_MASK = BigInt(SOCK.TYPE_MASK);
const SOCK_RAW = BigInt(SOCK.RAW);
const AF_PACKET = BigInt(AF.PACKET);
const SOCK_PACKET = BigInt(SOCK.PACKET);
/** setpriority's `which`: a process group, every process of a user (the supervisor's too). */
const PRIO_PGRP = BigInt(PRIO.PGRP);
const PRIO_USER = BigInt(PRIO.USER);
/** ioprio_set's `which`, likewise. */
const IOPRIO_WHO_PGRP = BigInt(IOPRIO_WHO.PGRP);
const IOPRIO_WHO_USER = BigInt(IOPRIO_WHO.USER);
/** pidfd_open flag: a pidfd of one thread (any thread id, the supervisor's threads included). */
const PIDFD_THREAD_FLAG = BigInt(PIDFD_THREAD);
/** pidfd_send_signal flag: signal the target's whole process group (the supervisor's). */
const PIDFD_SIGNAL_GROUP_FLAG = BigInt(PIDFD_SIGNAL_PROCESS_GROUP);
/** fcntl commands naming the owner that SIGIO/SIGURG (or F_SETSIG's signal) go to. */
const F_SETOWN = BigInt(F.SETOWN);
const F_SETOWN_EX = BigInt(F.SETOWN_EX);
/** ioctl requests that do the same, with the owner in memory. */
const FIOSETOWN = BigInt(IOCTL.FIOSETOWN);
const SIOCSPGRP = BigInt(IOCTL.SIOCSPGRP);
/** A test that always holds: keeps a traced check a rule, so a config rule cannot drop it. */
const ALWAYS: ArgTest = { op: "masked_eq", arg: 0, mask: 0n, value: 0n };

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
  /** Packed seccomp program. */
  filter: Uint8Array;
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

/** The net allow and deny lists, parsed and resolved (flags merged in). */
export interface NetLists {
  /** Entries allowed. */
  allow: NetEntry[];
  /** Entries denied. */
  deny: NetEntry[];
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
}

function netEntries(list: string[] | undefined, key: string, resolve: Resolver): NetEntry[] {
  const out: NetEntry[] = [];
  for (const [i, s] of (list ?? []).entries()) {
    try {
      out.push(...parseNetEntry(s, resolve));
    } catch (e) {
      if (e instanceof NetEntryError) throw new ConfigError(`${key}[${i}]: ${e.message}`);
      throw e;
    }
  }
  return out;
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
  const me = BigInt(options.supervisorPid);
  const arch = options.arch ?? HOST_ARCH;
  // Every call named below exists on both architectures (the tests check it).
  const NR = arch.numbers;

  // Tree integrity, kept even under -A: without these a process could leave the supervision.
  // clone3 passes its flags in memory the filter cannot read: ENOSYS makes libc fall back to clone.
  syscalls.set(NR.clone3, errno(E.ENOSYS));
  syscalls.set(NR.clone, {
    rules: [{ test: { op: "any_set", arg: 0, mask: CLONE_UNTRACED }, action: errno(E.EPERM) }],
    otherwise: ALLOW,
  });
  // setns joins a namespace the jail did not make (root could join the host's network namespace
  // and leave the network policy's reach); a new one (unshare) starts empty.
  syscalls.set(NR.setns, errno(E.EPERM));

  // The supervisor's limits, scheduling and memory: RLIMIT_NOFILE 0 on it makes its own calls
  // fail, a low priority slows every decision. Aimed at the caller itself (0) these run; aimed at
  // another task they stop, and the supervisor allows only the tree's. Kept under -A: they
  // protect the supervision itself.
  const taskTarget = (name: string, arg: number, rule: string): KernelAction =>
    trace({
      syscall: name,
      decision: { action: "allow", rule },
      target: { kind: "task", arg },
    });
  const targetIsOther = (arg: number): ArgTest => ({ op: "any_set", arg, mask: LOW32 });
  for (
    const name of [
      "prlimit64",
      "sched_setaffinity",
      "sched_setscheduler",
      "sched_setparam",
      "sched_setattr",
      "migrate_pages",
      "move_pages",
    ] as const
  ) {
    syscalls.set(NR[name], {
      rules: [{ test: targetIsOther(0), action: taskTarget(name, 0, "guard.target") }],
      otherwise: ALLOW,
    });
  }
  // A process group or a user's processes include the supervisor (same group, same uid).
  for (
    const [name, pgrp, user] of [
      ["setpriority", PRIO_PGRP, PRIO_USER],
      ["ioprio_set", IOPRIO_WHO_PGRP, IOPRIO_WHO_USER],
    ] as const
  ) {
    syscalls.set(NR[name], {
      rules: [
        { test: { op: "masked_eq", arg: 0, mask: LOW32, value: pgrp }, action: errno(E.EPERM) },
        { test: { op: "masked_eq", arg: 0, mask: LOW32, value: user }, action: errno(E.EPERM) },
        { test: targetIsOther(1), action: taskTarget(name, 1, "guard.target") },
      ],
      otherwise: ALLOW,
    });
  }

  if (!options.allowAll) {
    // A jailed tracer could approve every call of a child it seized; nothing outside may be touched.
    for (const name of ["ptrace", "process_vm_writev", "process_vm_readv"] as const) {
      syscalls.set(NR[name], errno(E.EPERM));
    }
    // The kernel's keyrings are not per process tree: the user keyring (@u) and the session
    // keyring jail was started in outlive the run and are shared with everything else the user
    // runs. Refused as container runtimes refuse them (a `syscalls` rule can allow them).
    for (const name of ["keyctl", "add_key", "request_key"] as const) {
      syscalls.set(NR[name], errno(E.EPERM));
    }
    const denyIfTargetsMe = (
      arg: number,
      extra: ArgRule[] = [],
      after: ArgRule[] = [],
    ): KernelRule => ({
      rules: [...extra, {
        test: { op: "masked_eq", arg, mask: LOW32, value: me },
        action: errno(E.EPERM),
      }, ...after],
      otherwise: ALLOW,
    });
    // kill(-1, ...) signals every process the user owns, the supervisor included. kill(0, ...)
    // and kill(-pgrp, ...) reach the supervisor too while the tree shares its process group:
    // those are delivered by the supervisor, to the tree's members of that group only.
    const group = trace({
      syscall: "kill",
      decision: { action: "allow", rule: "signal.group" },
      signal: "group",
    });
    const groupRules: ArgRule[] = [
      { test: { op: "masked_eq", arg: 0, mask: LOW32, value: LOW32 }, action: errno(E.EPERM) },
      { test: { op: "masked_eq", arg: 0, mask: LOW32, value: 0n }, action: group },
    ];
    if (options.supervisorPgrp !== undefined && options.supervisorPgrp > 1) {
      const negated = BigInt((-options.supervisorPgrp) >>> 0);
      groupRules.push({
        test: { op: "masked_eq", arg: 0, mask: LOW32, value: negated },
        action: group,
      });
    }
    // Without Landlock's signal scope, a thread id of the supervisor is a target too: kill and
    // rt_sigqueueinfo of any thread id signal its whole process, tkill the thread, pidfd_open
    // with PIDFD_THREAD gives a pidfd of it. Those stop, and only the tree's ids pass; so does
    // pidfd_send_signal, whose descriptor the supervisor inspects and signals through itself.
    // tgkill and rt_tgsigqueueinfo need the thread group too: the pid comparison settles them.
    const scoped = options.signalScoped === true;
    const signalTarget = (name: string, test: ArgTest): ArgRule[] =>
      scoped ? [] : [{ test, action: taskTarget(name, 0, "signal.target") }];
    syscalls.set(NR.kill, denyIfTargetsMe(0, groupRules, signalTarget("kill", targetIsOther(0))));
    syscalls.set(NR.tkill, denyIfTargetsMe(0, [], signalTarget("tkill", targetIsOther(0))));
    syscalls.set(NR.tgkill, denyIfTargetsMe(0));
    syscalls.set(
      NR.rt_sigqueueinfo,
      denyIfTargetsMe(0, [], signalTarget("rt_sigqueueinfo", targetIsOther(0))),
    );
    syscalls.set(NR.rt_tgsigqueueinfo, denyIfTargetsMe(0));
    syscalls.set(
      NR.pidfd_open,
      denyIfTargetsMe(
        0,
        [],
        signalTarget("pidfd_open", { op: "any_set", arg: 1, mask: PIDFD_THREAD_FLAG }),
      ),
    );
    if (!scoped) {
      const viaPidfd = trace({
        syscall: "pidfd_send_signal",
        decision: { action: "allow", rule: "signal.target" },
        target: { kind: "pidfd-signal" },
      });
      syscalls.set(NR.pidfd_send_signal, {
        rules: [
          {
            test: { op: "any_set", arg: 3, mask: PIDFD_SIGNAL_GROUP_FLAG },
            action: errno(E.EPERM),
          },
          { test: ALWAYS, action: viaPidfd },
        ],
        otherwise: ALLOW,
      });
    }
    // TIOCSTI types into the user's terminal (CVE-2017-5226); TIOCLINUX can too.
    // The owner of a file gets its SIGIO (any signal, with F_SETSIG): without the signal scope,
    // F_SETOWN's pid (or -group) is checked like a kill target; the forms that pass the owner in
    // memory (F_SETOWN_EX, FIOSETOWN, SIOCSPGRP) could be rewritten after a check: refused.
    const ownerInMemory = (value: bigint): ArgRule[] =>
      scoped ? [] : [{
        test: { op: "masked_eq", arg: 1, mask: LOW32, value },
        action: errno(E.EPERM),
      }];
    if (!scoped) {
      syscalls.set(NR.fcntl, {
        rules: [
          {
            test: { op: "masked_eq", arg: 1, mask: LOW32, value: F_SETOWN },
            action: taskTarget("fcntl", 2, "signal.target"),
          },
          ...ownerInMemory(F_SETOWN_EX),
        ],
        otherwise: ALLOW,
      });
    }
    syscalls.set(NR.ioctl, {
      rules: [
        { test: { op: "masked_eq", arg: 1, mask: LOW32, value: TIOCSTI }, action: errno(E.EPERM) },
        {
          test: { op: "masked_eq", arg: 1, mask: LOW32, value: TIOCLINUX },
          action: errno(E.EPERM),
        },
        ...ownerInMemory(FIOSETOWN),
        ...ownerInMemory(SIOCSPGRP),
      ],
      otherwise: ALLOW,
    });
  }

  // -A allows every destination; deny lists (flags or config) still win, as with Deno's -A.
  const lists = options.net ?? {
    allow: netEntries(config.net?.allow, "net.allow", options.resolve),
    deny: netEntries(config.net?.deny, "net.deny", options.resolve),
  };
  let net: NetPolicy | undefined = netPolicy(config, lists, options.allowAll === true);
  const openNet = !options.observeNet && net.allow.some((e) => e.kind === "any") &&
    net.deny.length === 0 && net.wildcardBind === "allow";
  if (!openNet) {
    // io_uring does network and file I/O without syscalls the filter could see.
    for (const name of ["io_uring_setup", "io_uring_enter", "io_uring_register"] as const) {
      syscalls.set(NR[name], errno(E.ENOSYS));
    }
    const check = (name: string, check: NetCheck): KernelAction =>
      trace({ syscall: name, decision: { action: "allow", rule: "net" }, net: check });
    syscalls.set(NR.connect, check("connect", "connect"));
    syscalls.set(NR.bind, check("bind", "bind"));
    // listen on a never-bound socket binds it to the wildcard address: guard it like a bind.
    if (net.wildcardBind !== "allow") syscalls.set(NR.listen, check("listen", "listen"));
    // sendto without a destination goes to the connected peer, already checked at connect.
    syscalls.set(NR.sendto, {
      rules: [{ test: { op: "eq", arg: 4, value: 0n }, action: ALLOW }],
      otherwise: check("sendto", "sendto"),
    });
    syscalls.set(NR.sendmsg, check("sendmsg", "sendmsg"));
    syscalls.set(NR.sendmmsg, check("sendmmsg", "sendmmsg"));
    syscalls.set(NR.socket, {
      rules: [
        {
          test: { op: "masked_eq", arg: 0, mask: LOW32, value: AF_PACKET },
          action: errno(net.errno),
        },
        // SOCK_PACKET (socket(AF_INET, SOCK_PACKET)) is a packet socket under another name.
        {
          test: { op: "masked_eq", arg: 1, mask: SOCK_TYPE_MASK, value: SOCK_PACKET },
          action: errno(net.errno),
        },
        {
          test: { op: "masked_eq", arg: 1, mask: SOCK_TYPE_MASK, value: SOCK_RAW },
          action: check("socket", "socket"),
        },
      ],
      otherwise: ALLOW,
    });
    // Options that choose an interface, next hop or route (ROUTE_OPTIONS): the filter matches
    // their level and name together, so only those stop (to be refused and reported; registers
    // only, nothing a sibling can change) and every other setsockopt stays in the kernel.
    const routeOption = check("setsockopt", "setsockopt");
    syscalls.set(NR.setsockopt, {
      rules: Object.entries(ROUTE_OPTIONS).flatMap(([level, names]) =>
        Object.keys(names).map((name): ArgRule => ({
          test: [
            { op: "masked_eq", arg: 1, mask: LOW32, value: BigInt(level) },
            { op: "masked_eq", arg: 2, mask: LOW32, value: BigInt(name) },
          ],
          action: routeOption,
        }))
      ),
      otherwise: ALLOW,
    });
  } else net = undefined;

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

  const skipped: string[] = [];
  for (const [name, rule] of Object.entries(config.syscalls ?? {})) {
    // A call of another architecture (open, fork... on aarch64) cannot be made here: its rule
    // has nothing to act on, so one policy file serves both. Names no architecture knows were
    // refused by validation.
    if (!Object.hasOwn(NR, name)) {
      skipped.push(name);
      continue;
    }
    const nr = NR[name];
    const action = kernelRule(name, rule, trace, hooks);
    // The built-in argument checks that close an escape (CLONE_UNTRACED, kill(-1), signals to
    // the supervisor, TIOCSTI, AF_PACKET) stay in front of a rule for the same syscall; they are
    // also what the kernel re-checks after a traced rule rewrites arguments.
    const builtin = syscalls.get(nr);
    // The supervisor's own checks (signals to its group or threads, tasks named by id) stay in
    // front too, unless the rule refuses the call outright anyway.
    const strict = action.kind === "errno" || action.kind === "kill";
    const guards = builtin && "rules" in builtin
      ? builtin.rules.filter((r) =>
        r.action.kind === "errno" || r.action.kind === "kill" ||
        (!strict && r.action.kind === "trace" && isGuardRule(rules[r.action.data]))
      )
      : [];
    syscalls.set(nr, guards.length > 0 ? { rules: guards, otherwise: action } : action);
  }

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
  let program;
  try {
    program = compileFilter(spec);
  } catch (e) {
    throw new ConfigError(
      `the policy does not compile to a seccomp filter: ${(e as Error).message}`,
    );
  }
  return {
    filter: program.bytes(),
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

/**
 * Turns every ALLOW of each named syscall (its rule's `otherwise`, an
 * argument rule's action, or the filter's default) into a stop with a
 * trace-only rule: the supervisor allows it, as the kernel would have.
 * ERRNO, KILL and TRACE actions stay: a refusal is not weakened into a stop,
 * and a call stopped for a check keeps its check.
 */
function addTraceOnly(
  syscalls: Map<number, KernelRule>,
  names: readonly string[],
  numbers: Readonly<Record<string, number>>,
  trace: (rule: TraceRule) => KernelAction,
): void {
  for (const name of names) {
    const nr = numbers[name];
    if (nr === undefined) continue;
    const rule = syscalls.get(nr) ?? ALLOW;
    let traced: KernelAction | undefined;
    const onlyTraced = (a: KernelAction): KernelAction =>
      a.kind !== "allow" ? a : (traced ??= trace({
        syscall: name,
        decision: { action: "allow", rule: TRACE_ONLY_RULE },
      }));
    syscalls.set(
      nr,
      "rules" in rule
        ? {
          rules: rule.rules.map((r) => ({ ...r, action: onlyTraced(r.action) })),
          otherwise: onlyTraced(rule.otherwise),
        }
        : onlyTraced(rule),
    );
  }
}

/** A traced rule that protects the supervisor, which a config rule must not replace. */
function isGuardRule(rule: TraceRule | undefined): boolean {
  return rule !== undefined && (rule.signal !== undefined || rule.target !== undefined);
}

function kernelRule(
  name: string,
  rule: SyscallRule,
  trace: (rule: TraceRule) => KernelAction,
  hooks: SyscallHook[],
): KernelAction {
  const label = `syscalls.${name}`;
  const traced = (decision: Decision) =>
    trace({ syscall: name, decision: { ...decision, rule: label } });
  if (typeof rule === "function") {
    hooks.push(rule);
    return trace({
      syscall: name,
      decision: { action: "allow", rule: label },
      hook: hooks.length - 1,
    });
  }
  if (rule === "allow") return ALLOW;
  if (rule === "deny") return errno(E.EPERM);
  if (rule === "kill") return traced({ action: "kill" });
  if (rule === "trace") return traced({ action: "allow" });
  if ("deny" in rule) return errno((ERRNO_NUMBERS as Record<string, number>)[rule.deny]);
  if ("return" in rule) return traced({ action: "return", value: registerValue(rule.return) });
  const args: Record<number, bigint> = {};
  for (const [i, v] of Object.entries(rule.args)) args[Number(i)] = BigInt(v);
  return traced({ action: "args", args });
}

function netPolicy(config: JailConfig, lists: NetLists, allowAll: boolean): NetPolicy {
  const n = config.net ?? {};
  const allow = [...lists.allow];
  if (allowAll) allow.push({ kind: "any", source: "-A" });
  return {
    allow,
    deny: lists.deny,
    loopback: n.loopback ?? true,
    unix: n.unix ?? true,
    errno: n.errno ? (ERRNO_NUMBERS as Record<string, number>)[n.errno] : E.EACCES,
    // "rewrite" is the former name of "guard".
    wildcardBind: n.bind === "rewrite" ? "guard" : n.bind ?? (allowAll ? "allow" : "guard"),
  };
}

/** A readable account of a compiled policy: the rules, then the filter. */
export function explainPolicy(p: CompiledPolicy): string {
  const lines = [`traced rules (${p.rules.length}):`];
  p.rules.forEach((r, i) => {
    const what = r.net
      ? `net check ${r.net}`
      : r.fs
      ? `fs check`
      : r.hook !== undefined
      ? `function rule`
      : r.target
      ? `target check (the tree's tasks only)`
      : r.signal
      ? `signal to the tree's members of the group`
      : r.decision.action;
    lines.push(
      `  TRACE|${i}  ${r.syscall}: ${what}${r.decision.rule ? ` (${r.decision.rule})` : ""}`,
    );
  });
  if (p.net) {
    const list = (es: NetEntry[]) => es.map((e) => e.source).join(", ") || "(none)";
    lines.push(
      `net: allow ${list(p.net.allow)}; deny ${
        list(p.net.deny)
      }; loopback ${p.net.loopback}; unix ${p.net.unix}; bind to 0.0.0.0/:: ${p.net.wildcardBind}`,
    );
  }
  if (p.fs) lines.push(explainFs({ policy: p.fs, landlock: p.landlock }));
  if (p.skippedSyscalls.length > 0) {
    lines.push(`not on ${p.arch}, rules left out: ${p.skippedSyscalls.join(", ")}`);
  }
  const program = decodeInstructions(p.filter);
  const names = ARCHES[p.arch].names;
  lines.push(`seccomp filter (${program.length} instructions):`);
  lines.push(disassemble(program, { syscallName: (nr) => names[nr] || undefined }));
  return lines.join("\n");
}
