/**
 * The supervisor's thread. The loop blocks in waitpid, which would freeze the
 * main thread's timers and signal listeners; here it blocks only itself, while
 * the main thread stays free to forward signals, enforce timeouts and run
 * async policy hooks.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { launch, LaunchError, readExecFailure, type SpawnedStage } from "./launch.ts";
import type { ExecFailure } from "./exec_stage.ts";
import { Supervisor, type SupervisorResult } from "./supervisor.ts";
import { RuleEngine, type RuleTable } from "./rules.ts";
import type { NetPolicy } from "./net/check.ts";
import type { Decision } from "./decision.ts";
import type { SyscallStop } from "./supervisor.ts";

/** The message that starts a supervision. */
export interface StartMessage {
  type: "start";
  argv: string[];
  env: string[];
  filter: Uint8Array;
  rules: RuleTable;
  net?: NetPolicy;
  /** Report each denied destination once per process on stderr. */
  reportDenials: boolean;
  /** `[state, length, ...JSON bytes]`: where the owner answers function rules. */
  hookChannel: SharedArrayBuffer;
  onRootExit: "kill" | "wait";
  /** An exec stage spawned ahead of time by the owner; spawned here when absent. */
  stage?: SpawnedStage;
  control: SharedArrayBuffer;
  /** Post an event message per decision and process event. */
  events: boolean;
}

/** Messages from the worker to its owner. */
export type WorkerMessage =
  | { type: "started"; pid: number }
  | { type: "event"; event: SupervisorEvent }
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

/** Hook channel layout: state word, then byte length, then the answer's JSON. */
export const HOOK_STATE = 0;
/** Index of the answer's byte length. */
export const HOOK_LENGTH = 1;
/** Bytes of JSON the channel holds. */
export const HOOK_BYTES = 64 * 1024;

/** Something that happened in the tree. */
export type SupervisorEvent =
  | { kind: "spawn"; pid: number; ppid: number }
  | { kind: "exec"; pid: number }
  | { kind: "exit"; pid: number; code?: number; signal?: number }
  | {
    kind: "syscall";
    pid: number;
    tid: number;
    nr: number;
    action: string;
    rule?: string;
    errno?: number;
  };

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

self.onmessage = (e: MessageEvent<StartMessage>) => {
  const start = e.data;
  try {
    const launched = launch(
      { argv: start.argv, env: start.env, filter: start.filter },
      start.stage,
    );
    post({ type: "started", pid: launched.pid });
    const control = new Int32Array(start.control);
    const channel = new Int32Array(start.hookChannel);
    const channelBytes = new Uint8Array(start.hookChannel, 8);
    // Function rules live on the owner's thread: ask, then block this thread until it answers.
    const callHook = (hook: number, call: SyscallStop, rule: { syscall: string }): Decision => {
      const args = [0, 1, 2, 3, 4, 5].map((i) => call.regs.arg(i).toString());
      Atomics.store(channel, HOOK_STATE, 0);
      post({
        type: "hook",
        hook,
        call: { name: rule.syscall, nr: call.nr, pid: call.pid, tid: call.tid, args },
      });
      Atomics.wait(channel, HOOK_STATE, 0);
      const text = new TextDecoder().decode(
        channelBytes.slice(0, Atomics.load(channel, HOOK_LENGTH)),
      );
      return JSON.parse(text) as Decision;
    };
    const reported = new Set<string>();
    const onNetDeny = start.reportDenials
      ? (_tid: number, pid: number, d: { call: string; address: string }) => {
        const key = `${pid} ${d.address}`;
        if (reported.has(key)) return;
        reported.add(key);
        let comm = "?";
        try {
          comm = Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
        } catch { /* gone already */ }
        const hint = d.address.startsWith("AF_") || d.address.startsWith("raw")
          ? ""
          : `; allow with --allow-net=${d.address}`;
        Deno.stderr.writeSync(
          new TextEncoder().encode(
            `jail: denied ${d.call} to ${d.address} (pid ${pid} ${comm})${hint}\n`,
          ),
        );
      }
      : undefined;
    const engine = new RuleEngine(start.rules, start.net, callHook, onNetDeny);
    const emit = start.events
      ? (event: SupervisorEvent) => post({ type: "event", event })
      : undefined;
    const supervisor = new Supervisor(launched.pid, {
      onRootExit: start.onRootExit,
      control,
      hooks: {
        onSyscall: (call) => engine.decide(call),
        onDecision: emit &&
          ((call, d) =>
            emit({
              kind: "syscall",
              pid: call.pid,
              tid: call.tid,
              nr: call.nr,
              action: d.action,
              rule: d.rule,
              errno: d.action === "deny" ? d.errno : undefined,
            })),
        onSpawn: emit && ((pid, ppid) => emit({ kind: "spawn", pid, ppid })),
        onExec: emit && ((pid) => emit({ kind: "exec", pid })),
        onExit: emit && ((pid, s) => emit({ kind: "exit", pid, code: s.code, signal: s.signal })),
      },
    });
    const result = supervisor.run();
    post({ type: "done", result, execFailure: readExecFailure(launched.statusFd) });
  } catch (err) {
    post({
      type: "error",
      message: err instanceof Error ? err.message : String(err),
      launch: err instanceof LaunchError,
    });
  }
};
