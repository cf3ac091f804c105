import assert from "node:assert/strict";
import { emptyResult, type SupervisorResult } from "../supervisor/result.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import {
  execFailureMessage,
  EXIT_JAIL_ERROR,
  EXIT_POLICY_KILL,
  EXIT_TIMEOUT,
  runOutcome,
} from "./exit_status.ts";

function result(fields: Partial<SupervisorResult>): SupervisorResult {
  return { ...emptyResult(), execed: true, ...fields };
}

Deno.test("runOutcome(): the root's code is jail's status; a signal N is 128+N", () => {
  assert.equal(runOutcome("true", result({ root: { code: 0 } }), undefined, false).exitCode, 0);
  assert.equal(runOutcome("false", result({ root: { code: 3 } }), undefined, false).exitCode, 3);
  const killed = runOutcome("sleep", result({ root: { signal: 15 } }), undefined, false);
  assert.equal(killed.exitCode, 143);
  assert.equal(killed.signal, 15);
  assert.equal(killed.message, undefined);
  assert.equal(runOutcome("x", result({ root: { signal: 9 } }), undefined, false).exitCode, 137);
});

Deno.test("runOutcome(): no root status is jail's own failure (125)", () => {
  assert.equal(runOutcome("x", result({}), undefined, false).exitCode, EXIT_JAIL_ERROR);
  assert.equal(EXIT_JAIL_ERROR, 125);
});

Deno.test("runOutcome(): a timeout wins over the signal that ended the root", () => {
  const o = runOutcome("sleep", result({ root: { signal: 9 } }), undefined, true);
  assert.equal(o.exitCode, EXIT_TIMEOUT);
  assert.equal(o.exitCode, 124);
  assert.equal(o.timedOut, true);
  assert.equal(o.message, "timed out; the tree was killed");
});

Deno.test("runOutcome(): a policy kill is 128+SIGSYS and names the call, pid and thread", () => {
  const nr = HOST_ARCH.names.indexOf("openat");
  const o = runOutcome(
    "cat",
    result({
      root: { signal: 9 },
      killed: "policy",
      killRule: "syscalls.openat",
      killCall: { pid: 10, tid: 11, nr },
    }),
    undefined,
    false,
  );
  assert.equal(o.exitCode, EXIT_POLICY_KILL);
  assert.equal(o.exitCode, 159);
  assert.equal(o.policyKill, "syscalls.openat");
  assert.equal(o.message, "killed by policy: openat by pid 10, thread 11 (rule syscalls.openat)");
  const bare = runOutcome("cat", result({ killed: "policy" }), undefined, false);
  assert.equal(bare.message, "killed by policy: (rule kill)");
});

Deno.test("runOutcome(): a failed exec is the shell's 127 or 126, only before the exec", () => {
  const notFound = runOutcome("nope", result({ execed: false }), { step: "exec", errno: 2 }, false);
  assert.deepEqual([notFound.exitCode, notFound.message], [127, "nope: command not found"]);
  const later = runOutcome(
    "nope",
    result({ root: { code: 1 } }),
    { step: "exec", errno: 2 },
    false,
  );
  assert.equal(later.exitCode, 1);
});

Deno.test("execFailureMessage(): as a shell says it", () => {
  assert.deepEqual(execFailureMessage("./x", { step: "exec", errno: 2 }), {
    code: 127,
    message: "./x: No such file or directory",
  });
  assert.deepEqual(execFailureMessage("x", { step: "exec", errno: 13 }), {
    code: 126,
    message: "x: Permission denied",
  });
  assert.deepEqual(execFailureMessage("x", { step: "exec", errno: 20 }).code, 127);
  assert.deepEqual(
    execFailureMessage("x", { step: "exec", errno: 8 }).message,
    "x: Exec format error",
  );
  assert.deepEqual(execFailureMessage("x", { step: "exec", errno: 99 }), {
    code: 126,
    message: "x: cannot execute (errno 99)",
  });
});

Deno.test("runOutcome(): stats carry the supervisor's counters, nothing else", () => {
  const o = runOutcome(
    "x",
    result({ root: { code: 0 }, processes: 2, threads: 3 }),
    undefined,
    false,
  );
  assert.deepEqual(Object.keys(o.stats), [
    "processes",
    "threads",
    "peakProcesses",
    "peakThreads",
    "leftover",
    "quirks",
    "stops",
  ]);
  assert.equal(o.stats.processes, 2);
  assert.equal(o.stats.threads, 3);
});
