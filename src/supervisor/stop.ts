/**
 * Every wait status a tracer can see, as one tagged union.
 *
 * `decodeWaitStatus` is pure: tests feed it raw integers such as `0x80057f`.
 *
 * @module
 */

import { PTRACE_EVENT } from "../../kernel/ptrace.ts";
import { SIGNALS } from "../../kernel/signals.ts";

const { SIGTRAP } = SIGNALS;
const STOPPING_SIGNALS = new Set<number>([
  SIGNALS.SIGSTOP,
  SIGNALS.SIGTSTP,
  SIGNALS.SIGTTIN,
  SIGNALS.SIGTTOU,
]);

/** One report from `waitpid(-1, &status, __WALL)`. */
export type Stop =
  /** The thread exited normally (for a leader: the whole process did). */
  | { kind: "exited"; code: number }
  /** The thread died of a signal. */
  | { kind: "killed"; signal: number; core: boolean }
  /** A signal is about to be delivered; restart with it to inject, 0 to suppress. */
  | { kind: "signal"; signal: number }
  /** Group-stop of a seized tracee (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU took effect). */
  | { kind: "group-stop"; signal: number }
  /** PTRACE_EVENT_STOP outside a group-stop: a new task's first stop, PTRACE_INTERRUPT, or SIGCONT waking a listener. */
  | { kind: "interrupt" }
  /** Syscall-enter or syscall-exit stop (PTRACE_O_TRACESYSGOOD). */
  | { kind: "syscall" }
  /** fork, vfork or clone returned in the parent; the new tid is in the event message. */
  | { kind: "fork" | "vfork" | "clone" }
  /** execve succeeded; the event message holds the former tid of the thread that exec'd. */
  | { kind: "exec" }
  /** The vfork child released its parent (exec or exit). */
  | { kind: "vfork-done" }
  /** About to exit; registers still readable; must be resumed to finish dying. */
  | { kind: "exit" }
  /** The seccomp filter returned SECCOMP_RET_TRACE; its data is in the event message. */
  | { kind: "seccomp" }
  /** A status this decoder does not know (never seen on Linux; kept for safety). */
  | { kind: "unknown"; status: number };

const EVENT_KINDS: Record<number, Stop> = {
  [PTRACE_EVENT.FORK]: { kind: "fork" },
  [PTRACE_EVENT.VFORK]: { kind: "vfork" },
  [PTRACE_EVENT.CLONE]: { kind: "clone" },
  [PTRACE_EVENT.EXEC]: { kind: "exec" },
  [PTRACE_EVENT.VFORK_DONE]: { kind: "vfork-done" },
  [PTRACE_EVENT.EXIT]: { kind: "exit" },
  [PTRACE_EVENT.SECCOMP]: { kind: "seccomp" },
};
const SYSCALL_STOP: Stop = { kind: "syscall" };
const INTERRUPT_STOP: Stop = { kind: "interrupt" };

/**
 * Decodes a wait status of a seized tracee with PTRACE_O_TRACESYSGOOD set.
 *
 * @param status The raw `int` status from waitpid.
 * @returns The stop it describes. Variants without fields are shared objects.
 */
export function decodeWaitStatus(status: number): Stop {
  const low = status & 0x7f;
  if (low === 0) return { kind: "exited", code: (status >> 8) & 0xff };
  if ((status & 0xff) !== 0x7f) {
    return { kind: "killed", signal: low, core: (status & 0x80) !== 0 };
  }
  const sig = (status >> 8) & 0xff;
  const event = (status >>> 16) & 0xffff;
  if (sig === (SIGTRAP | 0x80)) return SYSCALL_STOP;
  if (event === PTRACE_EVENT.STOP) {
    return STOPPING_SIGNALS.has(sig) ? { kind: "group-stop", signal: sig } : INTERRUPT_STOP;
  }
  if (event !== 0) return sig === SIGTRAP && EVENT_KINDS[event] || { kind: "unknown", status };
  return { kind: "signal", signal: sig };
}

/** Encodes a stop back into a status word: the inverse used by tests. */
export function encodeWaitStatus(stop: Stop): number {
  switch (stop.kind) {
    case "exited":
      return (stop.code & 0xff) << 8;
    case "killed":
      return stop.signal | (stop.core ? 0x80 : 0);
    case "signal":
      return (stop.signal << 8) | 0x7f;
    case "group-stop":
      return (PTRACE_EVENT.STOP << 16) | (stop.signal << 8) | 0x7f;
    case "interrupt":
      return (PTRACE_EVENT.STOP << 16) | (SIGTRAP << 8) | 0x7f;
    case "syscall":
      return ((SIGTRAP | 0x80) << 8) | 0x7f;
    case "unknown":
      return stop.status;
    default: {
      const event = Number(
        Object.entries(EVENT_KINDS).find(([, s]) => s.kind === stop.kind)![0],
      );
      return (event << 16) | (SIGTRAP << 8) | 0x7f;
    }
  }
}
