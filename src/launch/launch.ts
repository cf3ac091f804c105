/**
 * Starting the jailed command without running any code in its process.
 *
 * jail prepares in its own memory everything the command's process needs
 * (execve's arrays, both seccomp programs, capability data, the comm name),
 * builds the Landlock ruleset itself, then clones a child that shares its
 * memory (as vfork does) and only blocks in one syscall (ffi/clone.ts).
 * Seized before it can do anything, that child makes the syscalls that the
 * exec stage, a second Deno start, used to make, one by one as jail injects
 * them (src/launch/inject.ts), with pointers into jail's buffers:
 * no_new_privs, the listener filter, capabilities, signal dispositions, comm
 * name, Landlock, jail's filter. Its execve is left set up for the
 * supervisor's loop, which runs it through the filter like any call of the
 * tree; from that execve on it has memory of its own.
 *
 * @module
 */
import { addressOf, cstring, cstringArray, ErrnoError, sys } from "../../ffi/libc.ts";
import { close } from "../../ffi/io.ts";
import { kill, pidfdGetfd, prctl } from "../../ffi/process.ts";
import { PTRACE } from "../../kernel/ptrace.ts";
import { ptrace, waitpid } from "../../ffi/ptrace.ts";
import { WAIT } from "../../kernel/wait.ts";
import { cloneParked } from "../../ffi/clone.ts";
import { foregroundGroup, setForegroundGroup } from "../../ffi/terminal.ts";
import { currentCpuMask, getAffinity, setAffinity } from "../../ffi/affinity.ts";
import { COMM_MAX, PR, PR_CAP_AMBIENT_CLEAR_ALL } from "../../kernel/prctl.ts";
import { KERNEL_SIGSET_BYTES, SIG, SIGNALS } from "../../kernel/signals.ts";
import {
  SECCOMP_FILTER_FLAG_NEW_LISTENER,
  SECCOMP_RET_ALLOW,
  SECCOMP_SET_MODE_FILTER,
} from "../../kernel/seccomp.ts";
import { BPF_K, BPF_RET } from "../../kernel/bpf.ts";
import { capsetBuffers } from "../../ffi/security.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { capabilityPlan } from "./capabilities.ts";
import { findCommand, pathOf } from "./command_path.ts";
import { buildRuleset } from "../fs/landlock_install.ts";
import type { LandlockSpec } from "../fs/landlock.ts";
import { InjectError, Injector, syscallInstruction } from "./inject.ts";
import type { ExecFailure } from "../supervisor/result.ts";
import type { ScriptExec } from "../supervisor/hooks.ts";
import { TRACE_OPTIONS } from "../supervisor/trace_options.ts";
import { explainSeizeFailure, readHostFacts } from "./host_probe.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { mark } from "../timing.ts";
import { hasChildren, type Host, readHost, setUpProcess } from "./own_process.ts";

/** This machine's syscall numbers. */
const NR = HOST_ARCH.numbers;

/** What to start. */
export interface LaunchSpec {
  /** The command and its arguments. */
  argv: readonly string[];
  /** The command's environment, `KEY=value`. */
  env: readonly string[];
  /** The packed seccomp program to install before exec. */
  filter: Uint8Array;
  /**
   * A program of the same rules in which some return SECCOMP_RET_USER_NOTIF
   * (`CompiledPolicy.notifyFilter`): installed instead of `filter`, with
   * jail's listener, when the chain can have one. Absent: `filter` and an
   * allow-all listener filter, as when nothing is notified.
   */
  notifyFilter?: Uint8Array;
  /** Landlock rules to install before exec. */
  landlock?: LandlockSpec;
  /** Capability numbers the command keeps (`keptCapabilities` in capabilities.ts); all others go. */
  capabilities: readonly number[];
  /**
   * jail's controlling terminal and jail's own process group (job_control.ts):
   * when that group is in the terminal's foreground, the tree's group gets
   * the terminal before the command runs, so that it can read it and the
   * terminal's ^C, ^\ and ^Z reach it alone.
   */
  terminal?: { fd: number; group: number };
  /**
   * The calling thread ends with the run, or its process does (the CLI's
   * thread, a supervisor Worker's): the capabilities the command loses from
   * its bounding set are then dropped from this thread's before the clone,
   * which the child inherits, instead of one injected `PR_CAPBSET_DROP` each
   * (28 for root under the built-in set, about 1 ms). Nothing of jail's
   * execs, and the bounding set limits only what an execve gives.
   */
  threadEndsWithRun?: boolean;
}

/** The root of the tree, seized and stopped with its execve set up; not yet resumed. */
export interface Launched {
  /** Its pid. */
  pid: number;
  /**
   * jail's duplicate of the tree's seccomp listener (close-on-exec), -1 when
   * the kernel has none to give. Held until the supervision ends: while it is
   * open no process of the tree can add a listener of its own (EBUSY).
   * Close it with {@linkcode releaseListener}.
   */
  listenerFd: number;
  /**
   * True when `notifyFilter` was installed: its notifications wait on
   * `listenerFd` for an answer. False when it was asked for but the chain
   * could have no listener of jail's (EBUSY, EINVAL): `filter` runs instead.
   */
  notifying: boolean;
  /** For an execve that fails with ENOEXEC: `/bin/sh path args`, as execvpe runs such a file. */
  script: ScriptExec;
  /**
   * Signals that reached the child during the launch, held back: send them once it runs. Until
   * its execve its actions are still jail's, Deno's handlers among them: no signal may be
   * delivered to it before then (the loop holds back the later ones: FirstExec).
   */
  deferred: number[];
  /**
   * The buffers the child reads until its execve has run (its stack, execve's
   * arrays, the script fallback's): it shares jail's memory until then. Keep
   * this referenced while it may still run (the supervisor's loop holds it).
   */
  memory: readonly unknown[];
}

/** A failure to start the jail itself (not the command): exit 125. */
export class LaunchError extends Error {
  /** @param message What failed, and what to do about it. */
  constructor(message: string) {
    super(message);
    this.name = "LaunchError";
  }
}

/** Errors of `NEW_LISTENER` that leave the tree unable to add a listener of its own anyway. */
const EINVAL = ERRNO_NUMBERS.EINVAL; // Linux before 5.0: no listeners, no SECCOMP_RET_USER_NOTIF at all.
const EBUSY = ERRNO_NUMBERS.EBUSY; // A listener exists already in the chain (jail under a supervisor that has one).

/**
 * `BPF_RET | BPF_K, SECCOMP_RET_ALLOW`: the listener's own filter lets everything through. One
 * `struct sock_filter` { u16 code; u8 jt, jf; u32 k }, little-endian.
 */
const ALLOW_ALL_PROGRAM = new Uint8Array(
  new Uint32Array([BPF_RET | BPF_K, SECCOMP_RET_ALLOW]).buffer,
);
/** The child's stack: glibc's clone and `syscall()` use a few words of it. */
const STACK_BYTES = 16384;
/** The shell execvpe hands a file without a `#!` line to. */
const SCRIPT_SHELL = "/bin/sh";

/** A `struct sock_fprog` for `program`; both must stay referenced until the clone. */
function fprog(program: Uint8Array): BigUint64Array {
  return new BigUint64Array([BigInt(program.length / 8), addressOf(program)]);
}

/**
 * Signals that process `pid` ignores (SigIgn). Its caught ones (SigCgt) need nothing: the execve
 * resets each to its default, and until then no handler can run in it (see `Launched.deferred`).
 */
function ignoredSignals(pid: number): number[] {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const set = BigInt(`0x${status.match(/^SigIgn:\s*(\w+)/m)?.[1] ?? "0"}`);
  const out: number[] = [];
  for (let sig = 1; sig <= 64; sig++) {
    if (sig === SIGNALS.SIGKILL || sig === SIGNALS.SIGSTOP) continue;
    if (set & (1n << BigInt(sig - 1))) out.push(sig);
  }
  return out;
}

/**
 * Starts the command's process: PATH search, clone, seize, every step before
 * execve. Must run on the thread that will issue every later ptrace request.
 *
 * @returns The seized root with its execve set up, or the failure of the PATH search (nothing ran).
 * @throws {LaunchError} When a step fails; the child is killed and reaped then.
 */
export function launch(spec: LaunchSpec): Launched | { failure: ExecFailure } {
  setUpProcess();
  let own: Host;
  try {
    own = readHost();
    mark("launch: jail's own state read");
  } catch (e) {
    throw new LaunchError(`reading jail's own state failed: ${(e as Error).message}`);
  }
  const file = spec.argv[0];
  // Searched here, before anything runs: under the filter each PATH entry tried would be a
  // supervised execve that fails, reported as the command's own.
  const found = findCommand(file, pathOf(spec.env), own.caller);
  if ("errno" in found) return { failure: { step: "exec", errno: found.errno } };

  // Everything the child reads, prepared before the clone: it shares this memory until its execve.
  const path = cstring(found.path);
  const argv = cstringArray(spec.argv);
  const envp = cstringArray(spec.env);
  const shPath = cstring(SCRIPT_SHELL);
  const shArgv = cstringArray([SCRIPT_SHELL, found.path, ...spec.argv.slice(1)]);
  const listenerProgram = fprog(ALLOW_ALL_PROGRAM);
  const filter = new Uint8Array(spec.filter);
  const filterProgram = fprog(filter);
  const notifyFilter = spec.notifyFilter && new Uint8Array(spec.notifyFilter);
  const notifyProgram = notifyFilter && fprog(notifyFilter);
  const caps = capabilityPlan(spec.capabilities, own.capabilities);
  // The drops this thread made for the child to inherit; the rest are injected.
  let dropped = 0;
  if (spec.threadEndsWithRun) {
    while (
      dropped < caps.dropBounding.length &&
      sys("prctl", PR.CAPBSET_DROP, caps.dropBounding[dropped]) === 0
    ) dropped++;
  }
  const capset = capsetBuffers(caps.sets);
  const base = file.slice(file.lastIndexOf("/") + 1);
  const comm = new Uint8Array(COMM_MAX + 1); // NUL-terminated, as PR_SET_NAME reads it
  comm.set(new TextEncoder().encode(base).subarray(0, COMM_MAX));
  const emptySet = new Uint8Array(KERNEL_SIGSET_BYTES);
  const defaultAction = new BigUint64Array(4); // handler SIG_DFL, flags 0, restorer 0, mask 0
  const stack = new Uint8Array(STACK_BYTES);
  let ruleset: number;
  try {
    ruleset = buildRuleset(spec.landlock, own.landlockAbi);
  } catch (e) {
    throw new LaunchError(`building the Landlock rules failed: ${(e as Error).message}`);
  }

  // Every address taken now: taking one can move a small array's bytes out of the JS heap, and
  // the child has only the bytes as they were at the clone.
  const at = {
    path: addressOf(path),
    argv: addressOf(argv.array),
    envp: addressOf(envp.array),
    shPath: addressOf(shPath),
    shArgv: addressOf(shArgv.array),
    listenerProgram: addressOf(listenerProgram),
    filterProgram: addressOf(filterProgram),
    notifyProgram: notifyProgram && addressOf(notifyProgram),
    capHeader: addressOf(capset.header),
    capData: addressOf(capset.data),
    comm: addressOf(comm),
    emptySet: addressOf(emptySet),
    defaultAction: addressOf(defaultAction),
  };

  let child;
  const dumpable = own.needsDumpable;
  /** The tree gets a Landlock domain: no tree of a concurrent run can use a dumpable window. */
  const landlocked = ruleset >= 0;
  try {
    if (dumpable) {
      // Checked before the window opens: a tree started after the check cannot exec (a hundred
      // injected calls away) before the clone and seize below are done.
      if (!landlocked && hasChildren()) {
        throw new LaunchError(
          "cannot start a second tree in this process without Landlock and without CAP_SYS_PTRACE",
        );
      }
      prctl(PR.SET_DUMPABLE, 1);
    }
    // Sharing jail's memory until its execve (CLONE_VM): nothing copied, nothing torn down.
    child = cloneParked(stack, true);
  } catch (e) {
    if (dumpable) prctl(PR.SET_DUMPABLE, 0);
    if (ruleset >= 0) close(ruleset);
    if (e instanceof LaunchError) throw e;
    throw new LaunchError(`cannot create the command's process: ${(e as Error).message}`);
  }
  mark("launch: cloned");
  // Everything the child reads, referenced until its execve has run (see Launched.memory).
  // deno-fmt-ignore
  const memory: readonly unknown[] = [path, argv, envp, shPath, shArgv, filter, notifyFilter,
    capset, comm, emptySet, stack, defaultAction, listenerProgram, filterProgram, notifyProgram];
  const { pid, pidfd } = child;
  let listenerFd = -1;
  let notifying = false;
  const fail = (message: string): never => {
    kill(pid, SIGNALS.SIGKILL);
    // A traced child killed: its exit stop or death comes; reap until it is gone.
    for (;;) {
      const [got, status] = waitpid(pid, WAIT.WALL);
      if (got < 0 || (status & 0x7f) !== 0x7f) break;
      ptrace(PTRACE.CONT, pid, 0, 0);
    }
    if (listenerFd >= 0) close(listenerFd);
    if (ruleset >= 0) close(ruleset);
    close(pidfd);
    throw new LaunchError(message);
  };

  const rc = ptrace(PTRACE.SEIZE, pid, 0, TRACE_OPTIONS);
  // The child's dumpable flag is jail's (one memory): set back once the seize, which needed it,
  // is done. Requests to a seized child are not checked again; pidfd_getfd is (below).
  if (dumpable) prctl(PR.SET_DUMPABLE, 0);
  if (rc !== 0) {
    const why = new ErrnoError("ptrace(PTRACE_SEIZE)", -rc).message;
    fail(`cannot trace a child process: ${why}: ${explainSeizeFailure(-rc, readHostFacts())}`);
  }
  try {
    // On this thread's CPU while jail makes its calls (about a hundred stops), then back to
    // the CPUs it inherited. Best effort: without it each stop costs two cross-CPU wake-ups.
    const inherited = getAffinity(pid);
    const here = currentCpuMask();
    const pinned = here !== undefined && tryAffinity(pid, here);
    const child = new Injector(pid);
    mark("launch: seized");
    child.mustCall("PR_SET_NO_NEW_PRIVS", NR.prctl, [PR.SET_NO_NEW_PRIVS, 1]);
    // The tree's own process group (the root's pid), as tini and dumb-init make it: a signal to
    // jail's group (GNU timeout, a terminal) reaches jail alone, which forwards it once
    // (job_control.ts, run.ts). Set by jail, the parent, as a shell does: allowed until the
    // child's execve, and one injected call fewer.
    const pgid = sys("setpgid", pid, pid);
    if (pgid < 0) throw new InjectError("setpgid", -pgid);
    if (spec.terminal && foregroundGroup(spec.terminal.fd) === spec.terminal.group) {
      // Before the command can read: from the terminal's background it would stop (SIGTTIN).
      setForegroundGroup(spec.terminal.fd, pid);
    }
    // Take the filter chain's one seccomp listener for jail, so that nothing in the tree can add
    // one: in the kernel SECCOMP_RET_USER_NOTIF outranks SECCOMP_RET_TRACE, and a listener of the
    // tree's own would answer calls the supervisor must see. With a notifying program, jail's own
    // filter is the listener's, installed last (below); otherwise a filter that allows everything.
    const takeListener = (name: string, program: bigint): boolean => {
      const listener = child.call(name, NR.seccomp, [
        SECCOMP_SET_MODE_FILTER,
        SECCOMP_FILTER_FLAG_NEW_LISTENER,
        program,
      ]);
      if (listener < 0) {
        if (listener !== -EBUSY && listener !== -EINVAL) throw new InjectError(name, -listener);
        return false;
      }
      // The same window as the clone's, for one call: pidfd_getfd asks what ptrace's attach asks.
      // (A tree launched since the check before the clone may have exec'd by now.)
      if (dumpable && !landlocked && hasChildren(pid)) {
        throw new InjectError(
          "taking the seccomp listener",
          0,
          "another tree started meanwhile, and without Landlock and CAP_SYS_PTRACE jail cannot " +
            "be dumpable while one runs",
        );
      }
      if (dumpable) prctl(PR.SET_DUMPABLE, 1);
      listenerFd = pidfdGetfd(pidfd, listener);
      if (dumpable) prctl(PR.SET_DUMPABLE, 0);
      if (listenerFd < 0) {
        throw new InjectError("taking the seccomp listener (pidfd_getfd)", -listenerFd);
      }
      // The child's copy is left to its execve: the kernel makes it close-on-exec (and after
      // jail's own filter a close made now would run through the filter's rules).
      return true;
    };
    if (at.notifyProgram === undefined) {
      takeListener("seccomp(NEW_LISTENER)", at.listenerProgram);
    }
    for (const cap of caps.dropBounding.slice(dropped)) {
      child.mustCall(`prctl(PR_CAPBSET_DROP, ${cap})`, NR.prctl, [PR.CAPBSET_DROP, cap]);
    }
    const ambient = child.call("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", NR.prctl, [
      PR.CAP_AMBIENT,
      PR_CAP_AMBIENT_CLEAR_ALL,
    ]);
    // Before Linux 4.3 there is no ambient set to clear.
    if (ambient < 0 && ambient !== -EINVAL) {
      throw new InjectError("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", -ambient);
    }
    child.mustCall("capset", NR.capset, [at.capHeader, at.capData]);
    // An ignored signal stays ignored across execve: the command starts with every action at its
    // default, as after a fresh start. (A caught one, Deno's, the execve resets; before it every
    // signal stops at the tracer, which holds it back: the Injector here, the loop after.) Read
    // from the child, whose actions are frozen since the clone: jail's own may change meanwhile
    // (the CLI thread ignores real-time signals once a run starts), and a set read from jail before
    // the clone once missed them.
    mark("launch: filters, capabilities");
    for (const sig of ignoredSignals(pid)) {
      child.mustCall(`rt_sigaction(${sig})`, NR.rt_sigaction, [
        sig,
        at.defaultAction,
        0,
        KERNEL_SIGSET_BYTES,
      ]);
    }
    mark("launch: signal actions");
    // Best effort, for reports: a denial of the command's own execve names the program.
    if (base !== "") child.call("PR_SET_NAME", NR.prctl, [PR.SET_NAME, at.comm]);
    if (ruleset >= 0) {
      child.mustCall("landlock_restrict_self", NR.landlock_restrict_self, [ruleset, 0]);
      // The child's copy of the ruleset goes at its execve: the kernel makes it close-on-exec.
      close(ruleset);
      ruleset = -1;
    }
    // Emptied as late as possible: from here a signal may stop the child, and is held back
    // (Injector) until the command runs, so that no handler of jail's runs in it.
    child.mustCall("rt_sigprocmask", NR.rt_sigprocmask, [
      SIG.SETMASK,
      at.emptySet,
      0,
      KERNEL_SIGSET_BYTES,
    ]);
    // EBUSY: a supervisor above jail holds the chain's listener (jail inside jail); EINVAL:
    // Linux before 5.0. Either way the tree cannot add one, and a USER_NOTIF return would fail
    // the call with ENOSYS: the same rules stop at the supervisor instead (traceInstead in
    // src/bpf/spec.ts).
    notifying = at.notifyProgram !== undefined &&
      takeListener("seccomp(NEW_LISTENER, jail's filter)", at.notifyProgram);
    if (!notifying) {
      child.mustCall("seccomp(SECCOMP_SET_MODE_FILTER)", NR.seccomp, [
        SECCOMP_SET_MODE_FILTER,
        0,
        at.filterProgram,
      ]);
    }
    if (pinned) setAffinity(pid, inherited);
    child.setUp("execve", NR.execve, [at.path, at.argv, at.envp]);
    close(pidfd);
    return {
      pid,
      listenerFd,
      notifying,
      script: {
        ip: syscallInstruction(),
        nr: NR.execve,
        args: [at.shPath, at.shArgv, at.envp],
      },
      deferred: child.deferred,
      memory,
    };
  } catch (e) {
    return fail(`starting the command: ${(e as Error).message}`);
  }
}

function tryAffinity(pid: number, mask: Uint8Array): boolean {
  try {
    setAffinity(pid, mask);
    return true;
  } catch {
    return false;
  }
}

/** Closes jail's hold on the tree's seccomp listener; call once the supervision is over. */
export function releaseListener(launched: { listenerFd: number }): void {
  if (launched.listenerFd >= 0) close(launched.listenerFd);
  launched.listenerFd = -1;
}
