/**
 * How the loop meets its caller: the stopped call it hands to the policy,
 * the hooks it calls as the tree lives, and the options of one supervision.
 *
 * @module
 */

import type { SleepGuard, WaitWork } from "./polling_wait.ts";
import type { SyscallRegisters } from "../arch/arch.ts";
import type { FilterSpec } from "../bpf/compile.ts";
import type { Decision } from "../decision.ts";
import type { ExitStatus } from "./result.ts";

/**
 * A syscall stopped by the filter, as handed to the policy. The supervisor
 * reuses one object for every stop: read what you need during the call, and
 * copy it to keep it.
 */
export interface SyscallStop {
  /** Thread that made the call. */
  tid: number;
  /** Its process. */
  pid: number;
  /** Syscall number. */
  nr: number;
  /**
   * Which of jail's traced rules it belongs to: the SECCOMP_RET_TRACE data
   * of jail's own filter for this call, computed by the supervisor (the
   * kernel's report could come from a filter of the tree's).
   */
  data: number;
  /** Registers at the stop; valid only during the call. */
  regs: SyscallRegisters;
}

/** Where events go; each callback is optional, and costs nothing when absent. */
export interface SupervisorHooks {
  /** Decides a traced syscall; `undefined` means allow. */
  onSyscall?(call: SyscallStop): Decision | undefined;
  /** A decision was applied (for traces and logs). */
  onDecision?(call: SyscallStop, decision: Decision): void;
  /** A process appeared. */
  onSpawn?(pid: number, ppid: number): void;
  /** A process exec'd; `formerTid` is the tid of the thread that exec'd (the pid for the leader). */
  onExec?(pid: number, formerTid: number): void;
  /**
   * A call that ran (decided by onSyscall with allow, args or result, or
   * undecided) ended: `result` is what it returned, read at its
   * syscall-exit-stop; undefined when the thread died (or vanished at a
   * sibling's exec) inside it. Called once per such call, only when
   * {@linkcode SupervisorOptions.results} is on.
   */
  onSyscallExit?(tid: number, result: bigint | undefined): void;
  /** A process ended. */
  onExit?(pid: number, status: ExitStatus): void;
  /** A thread took a group-stop (SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU) and was parked. */
  onGroupStop?(tid: number, signal: number): void;
  /** A thread ended in a way the quirk tests want to see (vanished, dying). */
  onQuirk?(kind: "vanished" | "esrch", tid: number): void;
}

/** Options for `Supervisor` (supervisor.ts). */
export interface SupervisorOptions {
  /** What happens to the rest of the tree when the root exits. */
  onRootExit: "kill" | "wait";
  /** Shared control block: `[command, ...live pid slots]`; command 1 = kill the tree. */
  control?: Int32Array;
  /** Event callbacks. */
  hooks?: SupervisorHooks;
  /**
   * The filter spec jail installed (`CompiledPolicy.spec`): the rule of each
   * seccomp stop is taken from it, never from the data the kernel reports.
   */
  filter: FilterSpec;
  /**
   * Report what each call that runs returned (`--trace`): such a call is
   * resumed with PTRACE_SYSCALL instead of PTRACE_CONT, one more stop per
   * call, and its result goes to `onSyscallExit`. Off: no call costs a stop
   * more.
   */
  results?: boolean;
  /**
   * The root's first execve is set up by the launch and run by this loop,
   * which resumes the root with PTRACE_SYSCALL until its exec so that a
   * failed one stops at its syscall exit. When it fails with ENOEXEC, this
   * call runs instead: `/bin/sh path args`, as execvpe does.
   */
  script?: ScriptExec;
  /**
   * What the root reads until its first execve has run (`Launched.memory`): held by the loop,
   * which runs that execve, for as long as it runs (the Supervisor keeps its options).
   */
  launchMemory?: readonly unknown[];
  /** Called around each sleep of the loop's wait (the CLI's alarm: src/run/inline.ts). */
  sleepGuard?: SleepGuard;
  /** Watched by the loop's wait instead of sleeping (the young run's notifications: src/notify/early.ts). */
  waitWork?: WaitWork;
}

/** A syscall for the root to make instead of its failed execve (see `Launched` in launch.ts). */
export interface ScriptExec {
  /** The `syscall` instruction it runs from. */
  ip: bigint;
  /** Its number. */
  nr: number;
  /** Its arguments: addresses in the root's memory. */
  args: readonly bigint[];
}
