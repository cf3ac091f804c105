/**
 * The supervisor loop: waits for every stop of every tracee, keeps the
 * registry and each thread's state, hands each traced call to the policy,
 * resumes with the right signal, and tears the tree down. Beside it: the
 * requests on a stopped thread (thread_control.ts), what a decision does to
 * its call (apply.ts), the root's first exec (first_exec.ts), which threads
 * stop at their exec (exec_stops.ts), and what the loop takes and reports
 * (hooks.ts, result.ts).
 *
 * All ptrace requests for a tracee must come from the thread that attached
 * it, so this loop runs synchronously on that thread: the seize in
 * {@linkcode launch}, every request here.
 *
 * @module
 */

import { kill, tgkill } from "../../ffi/process.ts";
import { PTRACE, PTRACE_EVENT } from "../../kernel/ptrace.ts";
import { waitpid } from "../../ffi/ptrace.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import { WAIT } from "../../kernel/wait.ts";
import { PidSlots, readTaskIds, Registry, type Thread } from "./registry.ts";
import { COMMAND_KILL, CONTROL_COMMAND } from "./control.ts";
import { decodeWaitStatus } from "./stop.ts";
import { ORIGIN_NOT_TRACED, TraceOrigin } from "./trace_origin.ts";
import { PollingWait } from "./polling_wait.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import type { SupervisorHooks, SupervisorOptions, SyscallStop } from "./hooks.ts";
import {
  countStop,
  type ExitStatus,
  noStops,
  type StopCounts,
  type SupervisorResult,
} from "./result.ts";
import { ThreadControl } from "./thread_control.ts";
import { applyDecision } from "./apply.ts";
import { endWait } from "./wait.ts";
import { FirstExec } from "./first_exec.ts";
import { ExecStops } from "./exec_stops.ts";

const EPERM = ERRNO_NUMBERS.EPERM;
const EINTR = ERRNO_NUMBERS.EINTR;
const ECHILD = ERRNO_NUMBERS.ECHILD;

/** How many reaped tids without a record the loop remembers (the oldest go first). */
const GONE_KEPT = 4096;

/** The wait status of a PTRACE_EVENT_SECCOMP stop: `(7 << 16) | (SIGTRAP << 8) | 0x7f`. */
const SECCOMP_STATUS = (PTRACE_EVENT.SECCOMP << 16) | (SIGNALS.SIGTRAP << 8) | 0x7f;

/** One supervision of one tree. */
export class Supervisor {
  readonly registry: Registry;
  readonly #root: number;
  readonly #opts: SupervisorOptions;
  readonly #hooks: SupervisorHooks;
  /** The requests on stopped threads, with the register buffer and the quirk counters. */
  readonly #ctl: ThreadControl;
  /** The root's syscall stops until its exec. */
  readonly #firstExec: FirstExec;
  /** PTRACE_GETEVENTMSG's `unsigned long`, read as its low 32 bits (a tid, a filter's data). */
  readonly #msg = new Uint32Array(2);
  /** jail's own filter, which names the rule of each stop. */
  readonly #origin: TraceOrigin;
  /** The one SyscallStop handed to onSyscall, refilled at each stop. */
  readonly #call: SyscallStop;
  /** Tasks registered at their own first stop whose parent's fork/vfork/clone event is still due. */
  readonly #unannounced = new Set<number>();
  /**
   * Tids reaped without a record (such tasks that died before that event came, or new tasks
   * that died before either stop was served): the event must not register them, their ids may
   * belong to another task by then. A vanished thread's late death leaves its tid here, which
   * is harmless (a new task that reuses it registers itself at its first stop), and so that such
   * deaths cannot grow it without end the oldest go beyond {@linkcode GONE_KEPT}: an event is
   * served within a round or two of its task's death.
   */
  readonly #goneUnannounced = new Set<number>();
  /** Reports taken in one round of the loop: `[tid, status, tid, status, ...]`. */
  readonly #round: number[] = [];
  /**
   * Tids whose death this round's collection reaped: the round serves their earlier reports
   * after the reap, when /proc and tgkill may find another task under the id. Without exit
   * stops a task's death can follow its first stop, or its creator's event, in one round.
   */
  readonly #reaped = new Set<number>();
  /** Where reports come from: waitpid(-1), polled first while that pays. */
  readonly #wait: PollingWait;
  /** Which threads stop at their exec. */
  readonly #execStops: ExecStops;
  /** The reports served, by kind. */
  readonly #stops: StopCounts = noStops();
  #rootStatus?: ExitStatus;
  #killing = false;
  #killed?: SupervisorResult["killed"];
  #killRule?: string;
  #killCall?: SupervisorResult["killCall"];

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
    this.#ctl = new ThreadControl(root, this.#hooks, options.results === true);
    this.#firstExec = new FirstExec(this.#ctl, options.script);
    this.#execStops = new ExecStops(
      this.#ctl,
      this.registry,
      root,
      this.#hooks.onExec !== undefined,
    );
    this.#call = { tid: 0, pid: 0, nr: 0, data: 0, regs: this.#ctl.regs };
    this.#wait = new PollingWait(options.sleepGuard, options.waitWork);
  }

  /** Resumes the root, stopped by the launch with its execve set up. */
  start(): void {
    this.#ctl.resume(this.registry.threads.get(this.#root)!, 0);
  }

  /**
   * Runs until no tracee is left; returns how the root ended.
   *
   * With `slice`, it also returns `undefined` when a signal interrupted its
   * wait (the `sleepGuard`'s alarm, or any handler without `SA_RESTART`) or once it has
   * worked `slice.ms` without a pause: the caller lets its event loop run (a
   * signal's listener, a timer), then calls again. That is how the loop runs
   * on a thread that has other work: the CLI's main thread (src/run/inline.ts).
   */
  run(slice?: { ms: number }): SupervisorResult | undefined {
    const control = this.#opts.control;
    const until = slice ? performance.now() + slice.ms : Infinity;
    // The clock is read every 32 rounds (a read costs about 100 ns, 1% of a stop pinned).
    let served = 0;
    while (!this.registry.empty) {
      const [pid, status] = this.#wait.next();
      if (control && !this.#killing && Atomics.load(control, CONTROL_COMMAND) === COMMAND_KILL) {
        this.killTree("request");
      }
      if (pid < 0) {
        if (pid === -EINTR) {
          if (slice) return undefined;
          continue;
        }
        if (pid === -ECHILD) break; // Nothing left to wait for, whatever the registry says.
        throw new Error(`waitpid failed: errno ${-pid}`);
      }
      // Fairness: waitpid(-1) reports the first ready tracee in the kernel's
      // list, so a thread that stops again at once (a loop of traced
      // syscalls) would be reported over and over while a sibling waits at
      // its clone event forever. Take every report that is ready now, then
      // serve them in order: each waiting tracee is resumed once per round.
      // A stopped tracee cannot report again until resumed, unless it was
      // killed meanwhile: then its stale stop comes first, its death after,
      // and they are served in that order.
      // With one known thread there is nobody to starve, and no round to
      // take: a new task's first stop can be pending only while that thread
      // waits at its own fork or clone event (served next, registering it).
      if (this.registry.threads.size <= 1) {
        this.#handle(pid, status);
        if (slice && (++served & 31) === 0 && performance.now() > until) return undefined;
        continue;
      }
      const round = this.#round;
      round.length = 0;
      round.push(pid, status);
      const reaped = this.#reaped;
      for (;;) {
        const [more, moreStatus] = waitpid(-1, WAIT.WALL | WAIT.WNOHANG);
        if (more <= 0) break;
        round.push(more, moreStatus);
        if ((moreStatus & 0xff) !== 0x7f) reaped.add(more); // Not a stop: a death.
      }
      for (let i = 0; i < round.length; i += 2) this.#handle(round[i], round[i + 1]);
      // Outside a round a reaped id names no report to come: a new task may reuse it.
      if (reaped.size > 0) reaped.clear();
      if (slice && (++served & 31) === 0 && performance.now() > until) return undefined;
    }
    // Orphans reparented to us (the subreaper) that were never traced: reap them.
    while (waitpid(-1, WAIT.WALL | WAIT.WNOHANG)[0] > 0);
    return {
      root: this.#rootStatus,
      execed: this.#ctl.execed,
      execFailure: this.#firstExec.failure,
      killed: this.#killed,
      killRule: this.#killRule,
      killCall: this.#killCall,
      processes: this.registry.processCount,
      threads: this.registry.threadCount,
      peakProcesses: this.registry.peakProcesses,
      peakThreads: this.registry.peakThreads,
      leftover: this.registry.threads.size,
      quirks: { ...this.#ctl.quirks },
      stops: { ...this.#stops },
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
    const stops = this.#stops;
    // The hot path: a traced syscall of a known thread, without decoding into a Stop.
    if (status === SECCOMP_STATUS && thread) {
      stops.seccomp++;
      return this.#seccomp(thread);
    }
    const stop = decodeWaitStatus(status);
    countStop(stops, stop);
    if (stop.kind === "exited" || stop.kind === "killed") {
      if (thread) {
        this.#died(thread, stop.kind === "exited" ? { code: stop.code } : { signal: stop.signal });
      }
      // An unknown tid: a thread already accounted for (vanished at exec), or a new task whose
      // creator's event is still due, which must not register it now.
      if (!thread) this.#gone(tid);
      return;
    }
    if (!thread) {
      // Reaped already, later in this round: gone, its id perhaps another task's.
      if (this.#reaped.has(tid)) return;
      thread = this.#firstSight(tid);
      // Its options are its creator's, unknown here: set them.
      if (!this.#execStops.fit(thread, true)) return;
    }
    switch (stop.kind) {
      case "seccomp":
        return this.#seccomp(thread);
      case "signal":
        if (!this.#ctl.execed && tid === this.#root) {
          return this.#firstExec.hold(thread, stop.signal);
        }
        // The only stop where a restart's signal is delivered: inject it unchanged.
        this.#ctl.quirks.injected++;
        return this.#ctl.resume(thread, stop.signal);
      case "group-stop":
        // Park it: it stays stopped like an untraced process until SIGCONT.
        if (this.#ctl.request(thread, PTRACE.LISTEN, 0)) {
          thread.state = "listening";
          this.#ctl.quirks.listens++;
          this.#hooks.onGroupStop?.(tid, stop.signal);
        }
        return;
      case "interrupt":
        // A new task's first stop, before it runs any code: a thread of a process that had one
        // alone gains its exec stops; a process made by a thread of several is spared them.
        if (!this.#execStops.fit(thread)) return;
        return this.#ctl.resume(thread, 0);
      case "syscall":
        if (!this.#ctl.execed && tid === this.#root) return this.#firstExec.stop(thread);
        return this.#syscallExit(thread);
      case "fork":
      case "vfork":
      case "clone":
        this.#newTask(thread);
        // A creator that now has a sibling must stop at its exec before it runs again.
        if (thread.state === "dying" || !this.#execStops.fit(thread)) return;
        return this.#ctl.resume(thread, 0);
      case "exec":
        return this.#exec(thread);
      default:
        // PTRACE_EVENT_EXIT and VFORK_DONE are not asked for: resuming is right for any stop.
        return this.#ctl.resume(thread, 0);
    }
  }

  /** Records a reaped task whose creator's event may still name it (see #goneUnannounced). */
  #gone(tid: number): void {
    const gone = this.#goneUnannounced;
    gone.add(tid);
    if (gone.size > GONE_KEPT) gone.delete(gone.values().next().value!);
  }

  /** A tracee we have no record of stopped: a new child whose first stop beat its parent's event. */
  #firstSight(tid: number): Thread {
    const { tgid, ppid } = readTaskIds(tid);
    const thread = this.registry.addThread(tid, tgid, ppid);
    this.#ctl.quirks.childFirst++;
    this.#unannounced.add(tid);
    if (tgid === tid) this.#hooks.onSpawn?.(tid, ppid);
    if (this.#killing) kill(tgid, SIGNALS.SIGKILL);
    return thread;
  }

  #newTask(parent: Thread): void {
    // A stale report (the parent was killed since): the child, if any, registers itself at its
    // own first stop.
    if (!this.#ctl.eventMessage(parent, this.#msg)) return;
    const tid = this.#msg[0];
    // Its first stop came first: it registered itself then (and may even have died since: a
    // vfork child that _exit()s before its parent's event is served must not come back).
    if (this.#unannounced.delete(tid) || this.#goneUnannounced.delete(tid)) return;
    // Or it died since, reaped by this round: its id may be another task's (its death, served
    // later in the round, leaves it in #goneUnannounced).
    if (this.#reaped.has(tid) || this.registry.threads.has(tid)) return;
    // A new process leads its own thread group; a new thread joins its creator's. tgkill(tid,
    // tid, 0) fails unless tid leads its group: one syscall instead of a /proc read (17 µs).
    const tgid = tgkill(tid, tid, 0) === 0 ? tid : parent.tgid;
    // Its options were copied from its creator's at the clone, before this stop changes them.
    this.registry.addThread(tid, tgid, parent.tgid).execStops = parent.execStops;
    if (tgid === tid) this.#hooks.onSpawn?.(tid, parent.tgid);
    if (this.#killing) kill(tgid, SIGNALS.SIGKILL);
  }

  #exec(thread: Thread): void {
    const pid = thread.tid;
    const former = this.#ctl.eventMessage(thread, this.#msg) ? this.#msg[0] : pid;
    if (former !== pid) this.#ctl.quirks.nonLeaderExecs++;
    // Siblings inside a reported call die at this exec without ever returning from it.
    for (const tid of this.registry.processes.get(pid)?.threads ?? []) {
      const t = this.registry.threads.get(tid);
      if (t?.exitStop && tid !== former) this.#ctl.callEnded(t, undefined);
    }
    for (const tid of this.registry.execed(pid, former)) {
      this.#ctl.quirks.vanished++;
      this.#hooks.onQuirk?.("vanished", tid);
    }
    const current = this.registry.threads.get(pid)!;
    // From here the root is resumed without syscall stops (see first_exec.ts), unless a reported
    // execve goes on to its syscall-exit-stop (ThreadControl.resume keeps it).
    if (pid === this.#root && !this.#ctl.execed) {
      this.#ctl.execed = true;
      this.#firstExec.execed(pid);
    }
    this.#hooks.onExec?.(pid, former);
    // The only thread of its process now: its next exec needs no stop.
    if (!this.#execStops.fit(current)) return;
    this.#ctl.resume(current, 0);
  }

  #died(thread: Thread, status: ExitStatus): void {
    if (this.#unannounced.delete(thread.tid)) this.#gone(thread.tid);
    if (thread.exitStop) this.#ctl.callEnded(thread, undefined);
    // The leader's death drops siblings that never report theirs: their calls end here too.
    const group = this.registry.processes.get(thread.tgid);
    if (group && group.pid === thread.tid) {
      for (const tid of group.threads) {
        const t = this.registry.threads.get(tid);
        if (t?.exitStop) this.#ctl.callEnded(t, undefined);
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
    if (thread.exitStop) this.#ctl.callEnded(thread, undefined);
    const onSyscall = this.#hooks.onSyscall;
    if (!onSyscall) return this.#ctl.resume(thread, 0);
    const regs = this.#ctl.regs;
    if (regs.read(tid) !== 0) return this.#ctl.lost(thread);
    // The rule comes from jail's own filter run on this call, not from the data the kernel
    // reports: with several filters returning TRACE that is the newest one's, which the tree
    // may have installed to forge it. A call jail's filter allows was stopped by such a filter:
    // it goes on unchanged.
    const nr = regs.nr;
    const data = this.#origin.ruleOf(nr, regs);
    if (data < 0) {
      if (data === ORIGIN_NOT_TRACED) return this.#ctl.resume(thread, 0);
      // A call jail's filter refuses cannot stop here (a refusal outranks a trace): deny it.
      regs.skipSyscall();
      regs.setResult(-EPERM);
      if (regs.write(tid) !== 0) return this.#ctl.lost(thread);
      return this.#ctl.resume(thread, 0);
    }
    const call = this.#call;
    call.tid = tid;
    call.pid = thread.tgid;
    call.nr = nr;
    call.data = data;
    const decision = onSyscall(call);
    if (decision) {
      // A wait is no decision on the call: it comes back, and is reported once decided.
      if (decision.action !== "wait") this.#hooks.onDecision?.(call, decision);
      if (applyDecision(this.#ctl, this.#opts.filter, thread, call, decision)) {
        if (!this.#killing) this.#killCall = { pid: call.pid, tid: call.tid, nr: call.nr };
        this.killTree("policy", decision.rule);
      }
    } else {
      if (this.#ctl.results) thread.exitStop = true;
      this.#ctl.resume(thread, 0);
    }
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
    if (!thread.exitStop) return this.#ctl.resume(thread, 0);
    this.#ctl.quirks.syscallExits++;
    const regs = this.#ctl.regs;
    if (regs.read(thread.tid) !== 0) return this.#ctl.lost(thread);
    if (thread.waiting) {
      // Not a reported call: the wait of one (wait.ts), which comes back to its seccomp stop.
      endWait(thread, regs);
      thread.exitStop = false;
      if (regs.write(thread.tid) !== 0) return this.#ctl.lost(thread);
      return this.#ctl.resume(thread, 0);
    }
    if (thread.pendingResult !== undefined) {
      regs.setResult(thread.pendingResult);
      thread.pendingResult = undefined;
      if (regs.write(thread.tid) !== 0) return this.#ctl.lost(thread);
    }
    this.#ctl.callEnded(thread, regs.result);
    this.#ctl.resume(thread, 0);
  }
}
