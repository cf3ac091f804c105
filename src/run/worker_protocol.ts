/**
 * The messages between the supervisor's Worker and its owner (run.ts): the
 * start message, and what the worker posts back. Types only. The shared
 * buffer's layout for function rules is in hook_channel.ts.
 *
 * @module
 */

import type { ExecFailure, SupervisorResult } from "../supervisor/result.ts";
import type { RuleTable } from "../supervisor/rules.ts";
import type { FsPolicy } from "../fs/access.ts";
import type { FsDenial } from "../fs/check.ts";
import type { LandlockSpec } from "../fs/landlock.ts";
import type { NetPolicy } from "../net/policy.ts";
import type { FilterSpec } from "../bpf/compile.ts";
import type { SupervisorEvent } from "../events.ts";
import type { NotifyPlan } from "../notify/notifiable.ts";
import type { SinkOptions } from "../report/reporter.ts";

/** The message that starts a supervision. */
export interface StartMessage extends SinkOptions {
  type: "start";
  argv: string[];
  env: string[];
  filter: Uint8Array;
  rules: RuleTable;
  /** jail's filter spec: the supervisor takes each stop's rule from it. */
  spec: FilterSpec;
  net?: NetPolicy;
  /** The file policy, when there is one. */
  fs?: FsPolicy;
  /** Landlock rules of the tree's domain. */
  landlock?: LandlockSpec;
  /** Capability numbers the tree keeps (`keptCapabilities` in capabilities.ts). */
  capabilities: number[];
  /** Report each denied destination once per process on stderr. */
  reportDenials: boolean;
  /** `[state, length, ...JSON bytes]`: where the owner answers function rules. */
  hookChannel: SharedArrayBuffer;
  onRootExit: "kill" | "wait";
  /** jail's controlling terminal and group, for the hand-over to the tree (job_control.ts). */
  terminal?: { fd: number; group: number };
  control: SharedArrayBuffer;
  /**
   * The rules a notification decides, when the listener serves them: the
   * notifying program, the pool's buffer (src/notify/pool.ts), how each rule
   * is answered, and the run's table of reported refusals, for the answers
   * the supervisor makes itself before the pool takes over (src/notify/early.ts).
   */
  notify?: {
    filter: Uint8Array;
    pool: SharedArrayBuffer;
    plans: (NotifyPlan | undefined)[];
    reported: SharedArrayBuffer;
  };
}

/** Messages from the worker to its owner. */
export type WorkerMessage =
  | { type: "started"; pid: number }
  /** The root's main thread took a group-stop (job control: the tree's group stopped). */
  | { type: "stopped"; signal: number }
  | { type: "event"; event: SupervisorEvent }
  /**
   * A refused file access, for the owner's one reporter when a notification
   * pool refuses files too (the supervisor and the pool's threads then
   * report alike, deduplicated together); once per process, access and path.
   */
  | { type: "denied"; pid: number; comm: string; denial: FsDenial; written?: boolean }
  /** The run is past its start: the owner creates the notification pool, which takes the listener now. */
  | { type: "pool" }
  | { type: "hook"; hook: number; call: HookCall }
  | { type: "done"; result: SupervisorResult; execFailure?: ExecFailure }
  | { type: "error"; message: string; launch: boolean };

/** A call handed to a function rule (arguments as decimal strings: BigInts do not survive JSON). */
export interface HookCall {
  name: string;
  nr: number;
  pid: number;
  tid: number;
  args: string[];
}
