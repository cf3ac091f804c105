/**
 * Calls that name another process or thread, allowed only when it is one of
 * the tree's.
 *
 * The supervisor shares the tree's uid, so whatever a process may do to a
 * same-uid process it may do to the supervisor: lower its RLIMIT_NOFILE to 0
 * (prlimit64), starve it (setpriority, sched_*, ioprio_set), move its memory
 * (migrate_pages, move_pages), signal any of its threads (tkill, kill or
 * rt_sigqueueinfo of a thread id, pidfd_send_signal on a pidfd of it). The
 * filter lets calls aimed at the caller itself (target 0) run and sends the
 * rest here. A target that the registry holds is a task of the tree: it has
 * not been reaped, so its id cannot have been reused. Anything else is refused
 * with EPERM. Register arguments only: nothing the tree could rewrite after
 * the check, except for pidfd_send_signal, whose descriptor a sibling thread
 * could replace: the supervisor checks and signals through its own duplicate.
 *
 * @module
 */

import { close } from "../../ffi/io.ts";
import { getpgrp, pidfdGetfd, pidfdOpen, pidfdSendSignal } from "../../ffi/process.ts";
import { readMemory } from "../../ffi/memory.ts";
import type { Decision } from "../decision.ts";
import type { SyscallStop } from "./hooks.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { CAPABILITIES } from "../../kernel/capability.ts";
import { SIGINFO_SIZE } from "../../kernel/signals.ts";

/** What a traced target rule checks. */
export type TargetCheck =
  /**
   * Argument `arg` is a pid or tid (pid_t). 0 (the caller) passes; a negative
   * value (a process group: kill, F_SETOWN) passes unless it is the supervisor's.
   */
  | { kind: "task"; arg: number }
  /** pidfd_send_signal(fd, sig, info, flags): the target of the descriptor. */
  | { kind: "pidfd-signal" };

const EPERM = ERRNO_NUMBERS.EPERM;
const ESRCH = ERRNO_NUMBERS.ESRCH;
const EBADF = ERRNO_NUMBERS.EBADF;
const EFAULT = ERRNO_NUMBERS.EFAULT;
/** CAP_KILL: signals any process, whatever its uid. */
const CAP_KILL = BigInt(CAPABILITIES.KILL);
/** The pidfd of a thread group or a thread, as /proc/self/fd shows it (pidfs: `pidfd:[ino]`). */
const PIDFD_LINK = /^(anon_inode:\[pidfd\]|pidfd:)/;
const PROC_PID_LINK = /^\/proc\/(\d+)$/;

/** Decides the calls of {@linkcode TargetCheck} rules. */
export class TargetGuard {
  readonly #isTreeTask: (tid: number) => boolean;
  // Read at the first call that needs them, not at every run's start.
  #ownPidNs?: string;
  #ownUserNs?: string;
  #ownGroup?: number;
  readonly #info = new Uint8Array(SIGINFO_SIZE);

  /** @param isTreeTask True for a pid or tid of the tree that has not been reaped. */
  constructor(isTreeTask: (tid: number) => boolean) {
    this.#isTreeTask = isTreeTask;
  }

  /**
   * The decision for a stopped call of a target rule.
   *
   * @param check What to check.
   * @param call The stopped call.
   * @param rule The rule name for reports.
   * @returns undefined to let the call run, else a denial or the result of
   *   the call performed here.
   */
  decide(check: TargetCheck, call: SyscallStop, rule: string): Decision | undefined {
    if (check.kind === "task") {
      const target = call.regs.argInt(check.arg);
      if (target === 0 || this.#isTreeTask(target)) return undefined;
      // A process group: any but the supervisor's (kill(-1) never comes here: the filter refuses it).
      if (target < 0 && -target !== (this.#ownGroup ??= getpgrp())) return undefined;
      // In a pid namespace of the tree's making, ids are that namespace's, and it holds nothing
      // but the tree: the supervisor cannot even be named from there.
      if (!this.#samePidNs(call.tid)) return undefined;
      return { action: "deny", errno: EPERM, rule };
    }
    return this.#pidfdSignal(call, rule);
  }

  #samePidNs(tid: number): boolean {
    try {
      this.#ownPidNs ??= Deno.readLinkSync("/proc/self/ns/pid");
      return Deno.readLinkSync(`/proc/${tid}/ns/pid`) === this.#ownPidNs;
    } catch {
      return true; // Unknown: judge by the ids as the supervisor sees them.
    }
  }

  /**
   * pidfd_send_signal, performed on a duplicate of the caller's descriptor
   * so that the checked target is the signalled one.
   */
  #pidfdSignal(call: SyscallStop, rule: string): Decision {
    const regs = call.regs;
    const deny = (e: number): Decision => ({ action: "deny", errno: e, rule });
    const pidfd = pidfdOpen(call.pid);
    if (pidfd < 0) return deny(ESRCH);
    const dup = pidfdGetfd(pidfd, regs.argInt(0));
    close(pidfd);
    if (dup < 0) return deny(-dup);
    try {
      const target = targetOfFd(dup);
      if (target < 0) return deny(-target);
      if (!this.#isTreeTask(target)) return deny(EPERM);
      // The supervisor's credentials may outrank the caller's (a root supervisor, a tree that
      // dropped to another uid): apply the kernel's own rule for the caller first.
      if (!this.#mayKill(call.tid, target)) return deny(EPERM);
      const address = regs.arg(2);
      let info: Uint8Array | null = null;
      if (address !== 0n) {
        if (readMemory(call.pid, address, this.#info) !== SIGINFO_SIZE) return deny(EFAULT);
        // The kernel refuses a forged si_code >= 0 (a kernel-made signal) from the sender, here
        // the supervisor, to any other process: a caller signalling itself gets EPERM too.
        info = this.#info;
      }
      const rc = pidfdSendSignal(dup, regs.argInt(1), info, regs.arg(3) & 0xffffffffn);
      return rc < 0 ? deny(-rc) : { action: "return", value: rc, rule };
    } finally {
      close(dup);
    }
  }

  /**
   * The kernel's kill permission (kill_ok_by_cred) for the caller: its real or
   * effective uid is the target's real or saved uid, or it holds CAP_KILL in
   * the supervisor's user namespace.
   */
  #mayKill(caller: number, target: number): boolean {
    const me = procStatus(caller);
    const it = procStatus(target);
    if (!me || !it) return false;
    const [ruid, euid] = me.uids;
    const [truid, , tsuid] = it.uids;
    if (ruid === truid || ruid === tsuid || euid === truid || euid === tsuid) return true;
    try {
      this.#ownUserNs ??= Deno.readLinkSync("/proc/self/ns/user");
      if (Deno.readLinkSync(`/proc/${caller}/ns/user`) !== this.#ownUserNs) return false;
    } catch {
      return false;
    }
    return ((me.capEff >> CAP_KILL) & 1n) === 1n;
  }
}

/**
 * The task a descriptor of the supervisor's designates for pidfd_send_signal:
 * a pidfd (its `Pid:` in fdinfo, a thread id for a thread pidfd) or a
 * directory `/proc/<pid>` of the supervisor's own /proc (checked by device
 * and inode: a /proc mounted elsewhere, or a path that only looks like it,
 * is refused).
 *
 * @returns The pid or tid, or `-errno`.
 */
export function targetOfFd(fd: number): number {
  let link: string;
  try {
    link = Deno.readLinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return -EBADF;
  }
  if (PIDFD_LINK.test(link)) {
    let fdinfo: string;
    try {
      fdinfo = Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`);
    } catch {
      return -EBADF;
    }
    const m = /^Pid:\s*(-?\d+)$/m.exec(fdinfo);
    if (!m) return -EBADF;
    const pid = Number(m[1]);
    // -1: the task is gone; 0: not visible from here (never for the supervisor's namespace).
    return pid > 0 ? pid : pid === -1 ? -ESRCH : -EPERM;
  }
  const m = PROC_PID_LINK.exec(link);
  if (!m) return -EBADF;
  try {
    const held = Deno.statSync(`/proc/self/fd/${fd}`);
    const mine = Deno.statSync(`/proc/${m[1]}`);
    if (held.dev !== mine.dev || held.ino !== mine.ino) return -EPERM;
  } catch {
    return -ESRCH;
  }
  return Number(m[1]);
}

function procStatus(pid: number): { uids: number[]; capEff: bigint } | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/status`);
    const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(text);
    const cap = /^CapEff:\s+([0-9a-f]+)/m.exec(text);
    if (!uids || !cap) return undefined;
    return { uids: uids.slice(1).map(Number), capEff: BigInt(`0x${cap[1]}`) };
  } catch {
    return undefined;
  }
}
