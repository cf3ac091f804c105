/**
 * The supervisor loop: waits for every stop of every tracee, keeps the
 * registry and each thread's state, applies decisions, resumes with the right
 * signal, and tears the tree down.
 *
 * All ptrace requests for a tracee must come from the thread that attached
 * it, so this loop runs synchronously on that thread: the seize in
 * {@linkcode launch}, every request here.
 *
 * @module
 */

import { kill, tgkill } from "../../ffi/process.ts";
import { PTRACE, PTRACE_EVENT } from "../../kernel/ptrace.ts";
import { ptrace, ptraceBuffer, ptraceCont, waitpid } from "../../ffi/ptrace.ts";
import { SIGINFO_SIZE, SIGNALS } from "../../kernel/signals.ts";
import { WAIT } from "../../kernel/wait.ts";
import { HOST_ARCH, type SyscallRegisters } from "../arch/arch.ts";
import type { Decision } from "../decision.ts";
import { PidSlots, readTaskIds, Registry, type Thread } from "./registry.ts";
import { COMMAND_KILL, CONTROL_COMMAND } from "./control.ts";
import { decodeWaitStatus } from "./stop.ts";
import type { FilterSpec } from "../bpf/compile.ts";
import { ORIGIN_NOT_TRACED, refusalOf, TraceOrigin } from "./trace_origin.ts";
import { PollingWait } from "./polling_wait.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";

const EPERM = ERRNO_NUMBERS.EPERM;
const ESRCH = ERRNO_NUMBERS.ESRCH;
const EINTR = ERRNO_NUMBERS.EINTR;
const ECHILD = ERRNO_NUMBERS.ECHILD;
const ENOEXEC = ERRNO_NUMBERS.ENOEXEC;

export { TRACE_OPTIONS } from "./trace_options.ts";

/** How the root process ended. */
export type ExitStatus = { code: number; signal?: undefined } | {
  signal: number;
  code?: undefined;
};

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
  onQuirk?(kind: "vanished" | "esrch" | "exit-after-esrch", tid: number): void;
}

/** Options for {@linkcode Supervisor}. */
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
}

/** Why the command could not be exec'd: exit 127 (not found) or 126. */
export interface ExecFailure {
  /** Always `exec`: failures of the launch's other steps are `LaunchError`s (launch.ts). */
  step: "exec";
  /** errno of the failed search or execve. */
  errno: number;
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

/** Supervisor counters of one run. */
export interface RunStats {
  /** Processes seen. */
  processes: number;
  /** Threads seen. */
  threads: number;
  /** Most processes alive at once. */
  peakProcesses: number;
  /** Most threads alive at once. */
  peakThreads: number;
  /** Threads left in the registry at the end (0 after a clean run). */
  leftover: number;
  /** How often each ptrace quirk was met. */
  quirks: QuirkCounts;
}

/**
 * What a finished supervision reports: its counters ({@linkcode RunStats};
 * `leftover` is 0 unless waitpid ran out of children first), and how it ended.
 */
export interface SupervisorResult extends RunStats {
  /** How the root ended; undefined only if it vanished (never expected). */
  root?: ExitStatus;
  /** True when the root reached its command's exec. */
  execed: boolean;
  /** Why the root's first execve failed, when it did (the root was killed then). */
  execFailure?: ExecFailure;
  /** Why the tree was killed, when it was. */
  killed?: "root-exit" | "request" | "policy";
  /** The rule that killed the tree, for `policy`. */
  killRule?: string;
  /** The call that fired it, for `policy`. */
  killCall?: { pid: number; tid: number; nr: number };
}

/**
 * How often each ptrace quirk was met in one supervision. Cheap integers,
 * always kept: reports and the quirk tests read them to see that a path ran.
 */
export interface QuirkCounts {
  /** A ptrace request on a thread seen stopped failed with ESRCH: it was being killed. */
  esrch: number;
  /** PTRACE_EVENT_EXIT stops. */
  exitStops: number;
  /** A thread that had failed with ESRCH then stopped at PTRACE_EVENT_EXIT and was resumed: requests worked again. */
  exitAfterEsrch: number;
  /** Threads that stopped at PTRACE_EVENT_EXIT and then died of SIGKILL. */
  exitThenSigkill: number;
  /** Execs by a thread other than the leader: it took the leader's tid. */
  nonLeaderExecs: number;
  /** Threads dropped at a sibling's exec without a death report (the old leader; siblings not yet reported). */
  vanished: number;
  /** New tasks whose first stop came before their parent's fork, vfork or clone event. */
  childFirst: number;
  /** Group-stops parked with PTRACE_LISTEN. */
  listens: number;
  /** Signals injected at signal-delivery-stops. */
  injected: number;
  /**
   * Fork, vfork, clone or exec stops found stale when served: the thread had
   * been killed meanwhile and already sat in its exit stop, so the event
   * message was its exit status, not a tid, and was ignored.
   */
  staleEvents: number;
  /**
   * Syscall-exit-stops served: one per call that ran under `--trace` or a
   * `result` rule; none otherwise.
   */
  syscallExits: number;
}

export { COMMAND_KILL, CONTROL_COMMAND } from "./control.ts";

/** The wait status of a PTRACE_EVENT_SECCOMP stop: `(7 << 16) | (SIGTRAP << 8) | 0x7f`. */
const SECCOMP_STATUS = (PTRACE_EVENT.SECCOMP << 16) | (SIGNALS.SIGTRAP << 8) | 0x7f;

const NEW_TASK_EVENTS = {
  fork: PTRACE_EVENT.FORK,
  vfork: PTRACE_EVENT.VFORK,
  clone: PTRACE_EVENT.CLONE,
} as const;

/** Every quirk counted zero times. */
function noQuirks(): QuirkCounts {
  return {
    esrch: 0,
    exitStops: 0,
    exitAfterEsrch: 0,
    exitThenSigkill: 0,
    nonLeaderExecs: 0,
    vanished: 0,
    childFirst: 0,
    listens: 0,
    injected: 0,
    staleEvents: 0,
    syscallExits: 0,
  };
}

/** The result of a supervision that never started (the command was not found). */
export function emptyResult(): SupervisorResult {
  return {
    execed: false,
    processes: 0,
    threads: 0,
    peakProcesses: 0,
    peakThreads: 0,
    leftover: 0,
    quirks: noQuirks(),
  };
}

/** One supervision of one tree. */
export class Supervisor {
  readonly registry: Registry;
  readonly #root: number;
  readonly #opts: SupervisorOptions;
  readonly #hooks: SupervisorHooks;
  readonly #regs = HOST_ARCH.newRegisters();
  /** PTRACE_GETEVENTMSG's `unsigned long`, read as its low 32 bits (a tid, a filter's data). */
  readonly #msg = new Uint32Array(2);
  /** jail's own filter, which names the rule of each stop. */
  readonly #origin: TraceOrigin;
  /** The one SyscallStop handed to onSyscall, refilled at each stop. */
  readonly #call: SyscallStop = { tid: 0, pid: 0, nr: 0, data: 0, regs: this.#regs };
  readonly #siginfo = new Int32Array(SIGINFO_SIZE / 4);
  /** `results`: calls that run are followed to their syscall-exit-stop. */
  readonly #results: boolean;
  /** Tasks registered at their own first stop whose parent's fork/vfork/clone event is still due. */
  readonly #unannounced = new Set<number>();
  /** Such tasks that died before that event came: it must not register them again. */
  readonly #goneUnannounced = new Set<number>();
  /** Reports taken in one round of the loop: `[tid, status, tid, status, ...]`. */
  readonly #round: number[] = [];
  /** Where reports come from: waitpid(-1), polled first while that pays. */
  readonly #wait = new PollingWait();
  #rootStatus?: ExitStatus;
  #execed = false;
  /** Before the root's exec: its next syscall stop is the execve's entry (else its exit). */
  #atEntry = true;
  #scriptTried = false;
  #execFailure?: ExecFailure;
  #killing = false;
  #killed?: SupervisorResult["killed"];
  #killRule?: string;
  #killCall?: SupervisorResult["killCall"];
  readonly #quirks: QuirkCounts = noQuirks();

  /**
   * @param root The seized root, its execve set up (launch.ts).
   * @param options Teardown mode, control block, hooks.
   */
  constructor(root: number, options: SupervisorOptions) {
    this.#root = root;
    this.#opts = options;
    this.#hooks = options.hooks ?? {};
    const slots = options.control ? new PidSlots(options.control.subarray(1)) : undefined;
    this.registry = new Registry(slots);
    this.registry.addThread(root, root, 0);
    this.#origin = new TraceOrigin(options.filter);
    this.#results = options.results === true;
  }

  /** Resumes the root, stopped by the launch with its execve set up. */
  start(): void {
    this.#resume(this.registry.threads.get(this.#root)!, 0);
  }

  /** Runs until no tracee is left; returns how the root ended. */
  run(): SupervisorResult {
    const control = this.#opts.control;
    while (!this.registry.empty) {
      const [pid, status] = this.#wait.next();
      if (control && !this.#killing && Atomics.load(control, CONTROL_COMMAND) === COMMAND_KILL) {
        this.killTree("request");
      }
      if (pid < 0) {
        if (pid === -EINTR) continue;
        if (pid === -ECHILD) break; // Nothing left to wait for, whatever the registry says.
        throw new Error(`waitpid failed: errno ${-pid}`);
      }
      // Fairness: waitpid(-1) reports the first ready tracee in the kernel's
      // list, so a thread that stops again at once (a loop of traced
      // syscalls) would be reported over and over while a sibling waits at
      // its clone event forever. Take every report that is ready now, then
      // serve them in order: each waiting tracee is resumed once per round.
      // A stopped tracee cannot report again until resumed, unless it was
      // killed meanwhile: then its stale stop comes first, its exit stop or
      // death after, and they are served in that order.
      // With one known thread there is nobody to starve, and no round to
      // take: a new task's first stop can be pending only while that thread
      // waits at its own fork or clone event (served next, registering it).
      if (this.registry.threads.size <= 1) {
        this.#handle(pid, status);
        continue;
      }
      const round = this.#round;
      round.length = 0;
      round.push(pid, status);
      for (;;) {
        const [more, moreStatus] = waitpid(-1, WAIT.WALL | WAIT.WNOHANG);
        if (more <= 0) break;
        round.push(more, moreStatus);
      }
      for (let i = 0; i < round.length; i += 2) this.#handle(round[i], round[i + 1]);
    }
    // Orphans reparented to us (the subreaper) that were never traced: reap them.
    while (waitpid(-1, WAIT.WALL | WAIT.WNOHANG)[0] > 0);
    return {
      root: this.#rootStatus,
      execed: this.#execed,
      execFailure: this.#execFailure,
      killed: this.#killed,
      killRule: this.#killRule,
      killCall: this.#killCall,
      processes: this.registry.processCount,
      threads: this.registry.threadCount,
      peakProcesses: this.registry.peakProcesses,
      peakThreads: this.registry.peakThreads,
      leftover: this.registry.threads.size,
      quirks: { ...this.#quirks },
    };
  }

  /** SIGKILLs every process of the tree; new ones are killed as they appear. */
  killTree(reason: NonNullable<SupervisorResult["killed"]>, rule?: string): void {
    if (!this.#killing) {
      this.#killed = reason;
      this.#killRule = rule;
    }
    this.#killing = true;
    // pid > 0 always holds; the guard keeps a bookkeeping slip from becoming kill(0) (our own group).
    for (const pid of this.registry.processes.keys()) if (pid > 0) kill(pid, SIGNALS.SIGKILL);
  }

  #handle(tid: number, status: number): void {
    let thread = this.registry.threads.get(tid);
    // The hot path: a traced syscall of a known thread, without decoding into a Stop.
    if (status === SECCOMP_STATUS && thread) return this.#seccomp(thread);
    const stop = decodeWaitStatus(status);
    if (stop.kind === "exited" || stop.kind === "killed") {
      if (thread) {
        this.#died(thread, stop.kind === "exited" ? { code: stop.code } : { signal: stop.signal });
      }
      return; // An unknown tid: a thread already accounted for (vanished at exec).
    }
    if (!thread) thread = this.#firstSight(tid);
    switch (stop.kind) {
      case "seccomp":
        return this.#seccomp(thread);
      case "signal":
        // The only stop where a restart's signal is delivered: inject it unchanged.
        this.#quirks.injected++;
        return this.#resume(thread, stop.signal);
      case "group-stop":
        // Park it: it stays stopped like an untraced process until SIGCONT.
        if (this.#request(thread, PTRACE.LISTEN, 0)) {
          thread.state = "listening";
          this.#quirks.listens++;
          this.#hooks.onGroupStop?.(tid, stop.signal);
        }
        return;
      case "interrupt":
        return this.#resume(thread, 0);
      case "syscall":
        if (!this.#execed && tid === this.#root) return this.#firstExecStop(thread);
        return this.#syscallExit(thread);
      case "fork":
      case "vfork":
      case "clone":
        this.#newTask(thread, NEW_TASK_EVENTS[stop.kind]);
        return this.#resume(thread, 0);
      case "exec":
        return this.#exec(thread);
      case "exit": {
        // Even a thread that failed with ESRCH (killed) may stop here, and
        // requests work again: it must be resumed to finish dying.
        this.#quirks.exitStops++;
        // The call it sat in (exit, exit_group, or one a SIGKILL cut short) never returns.
        if (thread.exitStop) this.#callEnded(thread, undefined);
        const wasDying = thread.state === "dying";
        if (this.#request(thread, PTRACE.CONT, 0)) {
          thread.state = "exiting";
          if (wasDying) {
            this.#quirks.exitAfterEsrch++;
            this.#hooks.onQuirk?.("exit-after-esrch", tid);
          }
        }
        return;
      }
      default:
        return this.#resume(thread, 0);
    }
  }

  /** A tracee we have no record of stopped: a new child whose first stop beat its parent's event. */
  #firstSight(tid: number): Thread {
    const { tgid, ppid } = readTaskIds(tid);
    const thread = this.registry.addThread(tid, tgid, ppid);
    this.#quirks.childFirst++;
    this.#unannounced.add(tid);
    if (tgid === tid) this.#hooks.onSpawn?.(tid, ppid);
    if (this.#killing) kill(tgid, SIGNALS.SIGKILL);
    return thread;
  }

  #newTask(parent: Thread, event: number): void {
    if (ptraceBuffer(PTRACE.GETEVENTMSG, parent.tid, this.#msg) !== 0) return;
    // A stale report: the message is the parent's exit status, not a tid.
    // The child, if any, registers itself at its own first stop.
    if (!this.#stillAt(parent, event)) return;
    const tid = this.#msg[0];
    // Its first stop came first: it registered itself then (and may even have died since: a
    // vfork child that _exit()s before its parent's event is served must not come back).
    if (this.#unannounced.delete(tid) || this.#goneUnannounced.delete(tid)) return;
    if (this.registry.threads.has(tid)) return;
    // A new process leads its own thread group; a new thread joins its creator's. tgkill(tid,
    // tid, 0) fails unless tid leads its group: one syscall instead of a /proc read (17 µs).
    const tgid = tgkill(tid, tid, 0) === 0 ? tid : parent.tgid;
    this.registry.addThread(tid, tgid, parent.tgid);
    if (tgid === tid) this.#hooks.onSpawn?.(tid, parent.tgid);
    if (this.#killing) kill(tgid, SIGNALS.SIGKILL);
  }

  #exec(thread: Thread): void {
    const pid = thread.tid;
    let former = pid;
    if (
      ptraceBuffer(PTRACE.GETEVENTMSG, pid, this.#msg) === 0 &&
      this.#stillAt(thread, PTRACE_EVENT.EXEC)
    ) {
      former = this.#msg[0];
    }
    if (former !== pid) this.#quirks.nonLeaderExecs++;
    // Siblings inside a reported call die at this exec without ever returning from it.
    for (const tid of this.registry.processes.get(pid)?.threads ?? []) {
      const t = this.registry.threads.get(tid);
      if (t?.exitStop && tid !== former) this.#callEnded(t, undefined);
    }
    for (const tid of this.registry.execed(pid, former)) {
      this.#quirks.vanished++;
      this.#hooks.onQuirk?.("vanished", tid);
    }
    const current = this.registry.threads.get(pid)!;
    // From here the root is resumed without syscall stops (see #firstExecStop), unless a reported
    // execve goes on to its syscall-exit-stop (#resume keeps it).
    if (pid === this.#root) this.#execed = true;
    this.#hooks.onExec?.(pid, former);
    this.#resume(current, 0);
  }

  #died(thread: Thread, status: ExitStatus): void {
    if (thread.state === "exiting" && status.signal === SIGNALS.SIGKILL) {
      this.#quirks.exitThenSigkill++;
    }
    if (this.#unannounced.delete(thread.tid)) this.#goneUnannounced.add(thread.tid);
    if (thread.exitStop) this.#callEnded(thread, undefined);
    // The leader's death drops siblings that never report theirs: their calls end here too.
    const group = this.registry.processes.get(thread.tgid);
    if (group && group.pid === thread.tid) {
      for (const tid of group.threads) {
        const t = this.registry.threads.get(tid);
        if (t?.exitStop) this.#callEnded(t, undefined);
      }
    }
    const proc = this.registry.removeThread(thread.tid);
    if (!proc) return;
    this.#hooks.onExit?.(proc.pid, status);
    if (proc.pid === this.#root) {
      this.#rootStatus = status;
      if (this.#opts.onRootExit === "kill") this.killTree("root-exit");
    }
  }

  #seccomp(thread: Thread): void {
    const tid = thread.tid;
    // A new call while the last one's exit was still awaited: that exit stop never came.
    if (thread.exitStop) this.#callEnded(thread, undefined);
    const onSyscall = this.#hooks.onSyscall;
    if (!onSyscall) return this.#resume(thread, 0);
    const regs = this.#regs;
    if (regs.read(tid) !== 0) return this.#lost(thread);
    // The rule comes from jail's own filter run on this call, not from the data the kernel
    // reports: with several filters returning TRACE that is the newest one's, which the tree
    // may have installed to forge it. A call jail's filter allows was stopped by such a filter:
    // it goes on unchanged.
    const nr = regs.nr;
    const data = this.#origin.ruleOf(nr, regs);
    if (data < 0) {
      if (data === ORIGIN_NOT_TRACED) return this.#resume(thread, 0);
      // A call jail's filter refuses cannot stop here (a refusal outranks a trace): deny it.
      regs.skipSyscall();
      regs.setResult(-EPERM);
      if (regs.write(tid) !== 0) return this.#lost(thread);
      return this.#resume(thread, 0);
    }
    const call = this.#call;
    call.tid = tid;
    call.pid = thread.tgid;
    call.nr = nr;
    call.data = data;
    const decision = onSyscall(call);
    if (decision) this.#apply(thread, call, decision);
    else {
      if (this.#results) thread.exitStop = true;
      this.#resume(thread, 0);
    }
  }

  #apply(thread: Thread, call: SyscallStop, decision: Decision): void {
    const regs = call.regs;
    this.#hooks.onDecision?.(call, decision);
    switch (decision.action) {
      case "allow":
        if (this.#results) thread.exitStop = true;
        return this.#resume(thread, 0);
      case "deny":
        regs.skipSyscall();
        regs.setResult(-decision.errno);
        break;
      case "return":
      case "perform":
        regs.skipSyscall();
        regs.setResult(decision.value);
        break;
      case "replace":
      case "args":
        if (decision.action === "replace") regs.setNr(decision.nr);
        for (const i in decision.args) regs.setArg(+i, decision.args[+i]);
        // arm64's re-check after this stop reads argument 0 from orig_x0, not the rewrite: jail's
        // filter judges the rewritten call here instead, and a refusal denies it.
        if (!HOST_ARCH.recheckSeesArg0 && "0" in decision.args) {
          const refused = refusalOf(this.#opts.filter, regs.nr, regs);
          if (refused) {
            regs.skipSyscall();
            regs.setResult(-(refused.kind === "errno" ? refused.errno : EPERM));
            break;
          }
        }
        if (this.#results) thread.exitStop = true;
        break;
      case "result":
        thread.pendingResult = decision.value;
        thread.exitStop = true;
        if (this.#request(thread, PTRACE.SYSCALL, 0)) thread.state = "syscall-exit";
        return;
      case "kill":
        // Never kill the tree on a stale stop: the data may be an exit status.
        if (!this.#stillAt(thread, PTRACE_EVENT.SECCOMP)) return this.#lost(thread);
        if (!this.#killing) this.#killCall = { pid: call.pid, tid: call.tid, nr: call.nr };
        this.killTree("policy", decision.rule);
        return;
    }
    if (regs.write(thread.tid) !== 0) return this.#lost(thread);
    this.#resume(thread, 0);
  }

  /**
   * A syscall stop. Only a thread resumed with PTRACE_SYSCALL from a seccomp
   * stop (or from an event stop inside that call) reaches one, and its next
   * syscall stop is that call's exit: a syscall-enter-stop would need a
   * PTRACE_SYSCALL outside a call, which is never made. Were one taken for
   * an exit all the same, nothing would be allowed by it: the call's
   * seccomp stop comes after its enter stop and is decided as ever.
   */
  #syscallExit(thread: Thread): void {
    if (!thread.exitStop) return this.#resume(thread, 0);
    this.#quirks.syscallExits++;
    const regs = this.#regs;
    if (regs.read(thread.tid) !== 0) return this.#lost(thread);
    if (thread.pendingResult !== undefined) {
      regs.setResult(thread.pendingResult);
      thread.pendingResult = undefined;
      if (regs.write(thread.tid) !== 0) return this.#lost(thread);
    }
    this.#callEnded(thread, regs.result);
    this.#resume(thread, 0);
  }

  /** The reported call of `thread` returned `result` (undefined: never will). */
  #callEnded(thread: Thread, result: bigint | undefined): void {
    thread.exitStop = false;
    // A result rule's value belongs to this call alone, whichever way it ended.
    thread.pendingResult = undefined;
    if (this.#results) this.#hooks.onSyscallExit?.(thread.tid, result);
  }

  /**
   * True when the thread still sits in the `event` stop it was reported in.
   * A thread killed after its report (a sibling's exit_group or exec, a
   * SIGKILL) may already wait in its PTRACE_EVENT_EXIT stop, where
   * GETEVENTMSG answers its exit status instead: read as a new task's tid,
   * 0 or 256 would register (and SIGKILL at teardown) a pid outside the
   * tree, or the whole process group. Ask after reading the message: a
   * thread never leaves its exit stop without us, so "still there" means
   * the message was read there.
   */
  #stillAt(thread: Thread, event: number): boolean {
    // siginfo_t: si_signo, si_errno, si_code; an event stop's si_code is (event << 8) | SIGTRAP.
    if (
      ptraceBuffer(PTRACE.GETSIGINFO, thread.tid, this.#siginfo) === 0 &&
      this.#siginfo[2] === ((event << 8) | SIGNALS.SIGTRAP)
    ) {
      return true;
    }
    this.#quirks.staleEvents++;
    return false;
  }

  /**
   * A syscall stop of the root before its exec: the entry of the execve the
   * launch set up (resumed), or its exit, which only a failure reaches (a
   * success stops at PTRACE_EVENT_EXEC first, and is resumed without syscall
   * stops). ENOEXEC runs the file with /bin/sh once, as execvpe does; any
   * other failure ends the run with it.
   */
  #firstExecStop(thread: Thread): void {
    if (this.#atEntry) {
      this.#atEntry = false;
      return this.#resume(thread, 0);
    }
    this.#atEntry = true;
    const regs = this.#regs;
    if (regs.read(thread.tid) !== 0) return this.#lost(thread);
    if (thread.exitStop) this.#callEnded(thread, regs.result);
    const errno = -Number(regs.result);
    const script = this.#opts.script;
    if (errno === ENOEXEC && script && !this.#scriptTried) {
      this.#scriptTried = true;
      regs.setSyscall(script.ip, script.nr, script.args);
      if (regs.write(thread.tid) !== 0) return this.#lost(thread);
      return this.#resume(thread, 0);
    }
    this.#execFailure = { step: "exec", errno: errno > 0 ? errno : 0 };
    kill(thread.tgid, SIGNALS.SIGKILL);
  }

  /**
   * Restarts a stopped thread; `sig` is injected (meaningful only at a
   * signal-delivery-stop). A thread inside a call whose exit is awaited
   * (a fork, clone or exec event on the way) goes on with PTRACE_SYSCALL, so
   * that the exit still stops; until its exec the root stops at its
   * syscalls' entry and exit too (see #firstExecStop).
   */
  #resume(thread: Thread, sig: number): void {
    const rc = thread.exitStop || (!this.#execed && thread.tid === this.#root)
      ? ptrace(PTRACE.SYSCALL, thread.tid, 0, sig)
      : ptraceCont(thread.tid, sig);
    if (rc === 0) thread.state = "running";
    else if (rc === -ESRCH) this.#lost(thread);
    else throw new Error(`ptrace(PTRACE_CONT) on ${thread.tid} failed: errno ${-rc}`);
  }

  /** A restarting or informational request; false when the thread turned out to be dying. */
  #request(thread: Thread, request: number, data: number): boolean {
    const rc = ptrace(request, thread.tid, 0, data);
    if (rc === 0) return true;
    if (rc === -ESRCH) {
      this.#lost(thread);
      return false;
    }
    throw new Error(`ptrace(${request}) on ${thread.tid} failed: errno ${-rc}`);
  }

  /**
   * ESRCH on a thread seen stopped: it was killed (SIGKILL, a sibling's
   * exit_group or exec). Not resumed: it will report PTRACE_EVENT_EXIT
   * (then resumable again) or its death.
   */
  #lost(thread: Thread): void {
    thread.state = "dying";
    this.#quirks.esrch++;
    this.#hooks.onQuirk?.("esrch", thread.tid);
  }
}
