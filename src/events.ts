/**
 * What the supervisor tells about the tree: one record per process event and
 * per decided syscall. The supervisor's thread produces them; traces, logs,
 * summaries, `--learn` and the library's `onEvent` consume them. Types only,
 * so that consumers depend on this module and not on the supervisor's.
 *
 * @module
 */

import type { Decision } from "./decision.ts";

/** A decoded socket address of a network call. */
export interface NetAddress {
  /** `AF_INET`, `AF_INET6`, `AF_UNIX`, `AF_UNSPEC`, or `AF_<n>`. */
  family: string;
  /** As `--allow-net` writes it: `10.1.2.3:80`, `[2001:db8::1]:443`, `unix:/run/x.sock`. */
  address: string;
  /** What kind of destination it is, for reports that skip the ones allowed by default. */
  scope: "remote" | "loopback" | "wildcard" | "unix" | "other";
}

/** Something that happened in the tree. `time` is when the supervisor saw it (epoch ms). */
export type SupervisorEvent =
  | SpawnEvent
  | ExecEvent
  | ExitEvent
  | SyscallEvent;

/** A process appeared (the root first, as the supervisor starts). */
export interface SpawnEvent {
  /** Event kind. */
  kind: "spawn";
  /** When the supervisor saw it, epoch milliseconds. */
  time: number;
  /** The process. */
  pid: number;
  /** Its parent; for the root, jail's own pid. */
  ppid: number;
  /** The program it inherited from its parent; absent for the root. */
  exe?: string;
}

/** A process exec'd a program. */
export interface ExecEvent {
  /** Event kind. */
  kind: "exec";
  /** When the supervisor saw it, epoch milliseconds. */
  time: number;
  /** The process. */
  pid: number;
  /** Its parent process. */
  ppid: number;
  /** The path handed to execve, made absolute (a script's path, not its interpreter's). */
  exe: string;
  /** For a `#!` script, the interpreter the kernel ran (`/proc/<pid>/exe`). */
  interpreter?: string;
  /** Its arguments, from `/proc/<pid>/cmdline`. */
  argv: string[];
}

/** A process ended. */
export interface ExitEvent {
  /** Event kind. */
  kind: "exit";
  /** When the supervisor saw it, epoch milliseconds. */
  time: number;
  /** The process. */
  pid: number;
  /** Its parent process. */
  ppid: number;
  /** The program it runs, when known. */
  exe?: string;
  /** Exit code, when it exited. */
  code?: number;
  /** Signal number, when a signal killed it. */
  signal?: number;
}

/** A syscall stopped at the supervisor (a traced rule or a network check) and was decided. */
export interface SyscallEvent {
  /** Event kind. */
  kind: "syscall";
  /** When the supervisor saw it, epoch milliseconds. */
  time: number;
  /** The process. */
  pid: number;
  /** The thread. */
  tid: number;
  /** Its parent process. */
  ppid: number;
  /** The program it runs, when known. */
  exe?: string;
  /** Syscall number (x86_64). */
  nr: number;
  /** Syscall name. */
  name: string;
  /** Raw arguments in hex: as many as a network call takes, else all six registers. */
  args: string[];
  /** Destinations of a network call, decoded. */
  addr?: NetAddress[];
  /** For a denied DNS lookup: the question it asked, e.g. `example.com (A, AAAA)`. */
  dns?: string;
  /** What the supervisor decided. */
  action: Decision["action"];
  /** The rule that decided, e.g. `net` or `syscalls.mkdir`. */
  rule?: string;
  /** errno of a `deny`. */
  errno?: number;
  /** A `deny` whose errno is the kernel's own answer (a missing file): the policy refused nothing. */
  kernel?: true;
  /** The result set by a `return`, `result` or `perform` decision, in decimal (negative: -errno). */
  value?: string;
  /** Arguments replaced by an `args` or `replace` decision: index → hex. */
  newArgs?: Record<string, string>;
  /** Strings the call pointed to (paths), read at its stop and quoted: argument index → text. */
  strings?: Record<number, string>;
  /**
   * What a call that ran returned, read at its syscall-exit-stop, in decimal
   * (negative: -errno); only under `--trace`. Absent when the thread never
   * returned from it (or without `--trace`).
   */
  returned?: string;
}
