/**
 * The built-in rules that keep the tree under supervision, whatever the
 * policy says: no way out of the tracing (CLONE_UNTRACED, clone3, setns), no
 * reach into the supervisor (its limits, scheduling, memory, signals, its
 * tracer's seat) and none into the user's terminal or keyrings. The first
 * group stays even under `-A`: it protects the supervision itself.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { CLONE, PIDFD_SIGNAL_PROCESS_GROUP, PIDFD_THREAD } from "../../kernel/clone.ts";
import { IOCTL } from "../../kernel/ioctl.ts";
import { IOPRIO_WHO, PRIO } from "../../kernel/resource.ts";
import { F } from "../../kernel/fcntl.ts";
import type { ArgRule, ArgTest, KernelAction, SyscallRule as KernelRule } from "../bpf/compile.ts";
import { type AddTrace, ALLOW, errno, LOW32 } from "./filter_actions.ts";

const E = ERRNO_NUMBERS;

const CLONE_UNTRACED = BigInt(CLONE.UNTRACED);
const TIOCSTI = BigInt(IOCTL.TIOCSTI);
const TIOCLINUX = BigInt(IOCTL.TIOCLINUX);
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

/** What the guards depend on besides the syscall numbers (fields as in `CompileOptions`). */
export interface GuardOptions {
  /** The supervisor's pid: signals and ptrace aimed at it are refused. */
  supervisorPid: number;
  /** The supervisor's process group, which the tree shares: signals to it are narrowed to the tree. */
  supervisorPgrp?: number;
  /** `-A`: only the guards that protect the supervision itself stay. */
  allowAll?: boolean;
  /** Landlock's signal scope is in force: the kernel stops the tree's signals to outsiders. */
  signalScoped?: boolean;
}

/**
 * Sets the guards' rules in `syscalls`, which must not hold a rule for
 * those calls yet; the traced ones go through `trace`.
 */
export function addGuards(
  syscalls: Map<number, KernelRule>,
  NR: Readonly<Record<string, number>>,
  options: GuardOptions,
  trace: AddTrace,
): void {
  const me = BigInt(options.supervisorPid);
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
}
