/**
 * The supervisor's thread, for the library and for policies with function
 * rules (the CLI runs the loop on its main thread otherwise: inline.ts). The
 * loop blocks in waitpid, which would freeze the owner's timers, signal
 * listeners and async function rules; here it blocks only itself.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { mark } from "../timing.ts";
import { readHost } from "../launch/own_process.ts";
import { decodeDecision, type WireDecision } from "../decision_wire.ts";
import { HOOK_LENGTH, HOOK_STATE } from "./hook_channel.ts";
import type { StartMessage, WorkerMessage } from "./worker_protocol.ts";
import { bindProcessNow } from "../../ffi/process.ts";
import { bindPtraceNow } from "../../ffi/ptrace.ts";
import { bindSysNow } from "../../ffi/libc.ts";
import { supervise } from "./supervise.ts";

function post(message: WorkerMessage): void {
  self.postMessage(message);
}

// The calls of the launch and of the loop, bound while this thread waits for its start message
// rather than at their first use, when the command is waiting.
bindPtraceNow(); // ptrace, waitpid
bindProcessNow(["kill", "tgkill"]);
bindSysNow(); // pidfd_getfd, prctl and the launch's other calls
mark("worker graph loaded");
// What every launch reads of jail itself, read now; a failure is reported by the launch.
try {
  readHost();
} catch { /* launch() tries again and says why */ }

// What only some runs need (file checks, reports) is imported when a start message asks for it:
// every module loaded up front is start-up time of every run.
self.onmessage = (e: MessageEvent<StartMessage>) => {
  mark("worker got start");
  const channel = new Int32Array(e.data.hookChannel);
  const channelBytes = new Uint8Array(e.data.hookChannel, 8);
  return supervise(e.data, {
    post,
    // Function rules live on the owner's thread: ask, then block this thread until it answers.
    callHook: (hook, call, rule) => {
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
      return decodeDecision(JSON.parse(text) as WireDecision);
    },
    // This thread has nothing else to do: the loop blocks it until the tree is gone.
    drive: (supervisor) => supervisor.run()!,
    // One Worker a run, terminated with it.
    threadEndsWithRun: true,
  });
};
