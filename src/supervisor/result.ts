/**
 * What one supervision reports: how the root ended, why the tree was killed,
 * and the run's counters (processes, threads, the ptrace quirks met). Plain
 * data, made by the loop and read by the run and its reports.
 *
 * @module
 */

import type { Stop } from "./stop.ts";

/** How the root process ended. */
export type ExitStatus = { code: number; signal?: undefined } | {
  signal: number;
  code?: undefined;
};

/** Why the command could not be exec'd: exit 127 (not found) or 126. */
export interface ExecFailure {
  /** Always `exec`: failures of the launch's other steps are `LaunchError`s (launch.ts). */
  step: "exec";
  /** errno of the failed search or execve. */
  errno: number;
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
  /** The reports the loop served, by kind. */
  stops: StopCounts;
  /** Calls answered by seccomp user notification (src/notify/), when the listener served them. */
  notified?: number;
  /** Of them, those the supervisor's own thread answered before the pool took over (src/notify/early.ts). */
  notifiedEarly?: number;
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
   * been killed meanwhile, so PTRACE_GETEVENTMSG failed (ESRCH) and there was
   * no message to take.
   */
  staleEvents: number;
  /**
   * Syscall-exit-stops served: one per call that ran under `--trace` or a
   * `result` rule; none otherwise.
   */
  syscallExits: number;
}

/**
 * The reports served in one supervision, by kind: what the tree cost the
 * supervisor thread. Every one but `deaths` stopped a thread until the loop
 * resumed it.
 */
export interface StopCounts {
  /** Seccomp stops (SECCOMP_RET_TRACE). */
  seccomp: number;
  /** PTRACE_EVENT_FORK stops of the parent. */
  fork: number;
  /** PTRACE_EVENT_VFORK stops of the parent. */
  vfork: number;
  /** PTRACE_EVENT_CLONE stops of the creator (a new thread, or a process made with clone flags). */
  clone: number;
  /** PTRACE_EVENT_EXEC stops. */
  exec: number;
  /** PTRACE_EVENT_EXIT stops: none, since jail does not ask for them (trace_options.ts). */
  exit: number;
  /** Signal-delivery-stops. */
  signal: number;
  /** Group-stops (parked with PTRACE_LISTEN). */
  groupStop: number;
  /** PTRACE_EVENT_STOP outside a group-stop: a new task's first stop, or a listener woken by SIGCONT. */
  interrupt: number;
  /** Syscall-enter and syscall-exit stops. */
  syscall: number;
  /** Any other stop (PTRACE_EVENT_VFORK_DONE is never asked for). */
  other: number;
  /** Death reports (WIFEXITED, WIFSIGNALED): no stop, but a round of the loop. */
  deaths: number;
}

/** Every kind of stop counted zero times. */
export function noStops(): StopCounts {
  return {
    seccomp: 0,
    fork: 0,
    vfork: 0,
    clone: 0,
    exec: 0,
    exit: 0,
    signal: 0,
    groupStop: 0,
    interrupt: 0,
    syscall: 0,
    other: 0,
    deaths: 0,
  };
}

/** Counts a report in its kind's counter. */
export function countStop(stops: StopCounts, stop: Stop): void {
  switch (stop.kind) {
    case "exited":
    case "killed":
      stops.deaths++;
      break;
    case "group-stop":
      stops.groupStop++;
      break;
    case "seccomp":
    case "fork":
    case "vfork":
    case "clone":
    case "exec":
    case "exit":
    case "signal":
    case "interrupt":
    case "syscall":
      stops[stop.kind]++;
      break;
    default:
      stops.other++;
  }
}

/** Every quirk counted zero times. */
export function noQuirks(): QuirkCounts {
  return {
    esrch: 0,
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
    stops: noStops(),
  };
}
