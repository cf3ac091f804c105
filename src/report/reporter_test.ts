import assert from "node:assert/strict";
import { Registers } from "../arch/x86_64.ts";
import { SYSCALL_NUMBERS } from "../../kernel/x86_64_syscalls.ts";
import type { SupervisorEvent, SyscallEvent } from "../events.ts";
import { Reporter } from "./reporter.ts";

/** A pid no process has (above pid_max's ceiling): nothing is read from it. */
const NOBODY = 4_194_400;

function stop(tid: number, nr: number) {
  return { tid, pid: NOBODY, nr, data: 0, regs: new Registers() };
}

function recorder(results: boolean): { events: SyscallEvent[]; reporter: Reporter } {
  const events: SyscallEvent[] = [];
  const reporter = new Reporter((e: SupervisorEvent) => {
    if (e.kind === "syscall") events.push(e);
  }, { results });
  return { events, reporter };
}

Deno.test("Reporter with results: a call that runs waits for its result; a denied one does not", () => {
  const { events, reporter } = recorder(true);
  reporter.syscall(stop(NOBODY + 1, SYSCALL_NUMBERS.getppid), { action: "allow", rule: "trace" });
  reporter.syscall(stop(NOBODY + 2, SYSCALL_NUMBERS.getppid), {
    action: "deny",
    errno: 1,
    rule: "syscalls.getppid",
  });
  assert.deepEqual(events.map((e) => e.tid), [NOBODY + 2]);
  reporter.returned(NOBODY + 3, 9n); // no call of that thread is running: nothing
  reporter.returned(NOBODY + 1, 7n);
  assert.deepEqual(events.map((e) => [e.tid, e.returned]), [[NOBODY + 2, undefined], [
    NOBODY + 1,
    "7",
  ]]);
  reporter.returned(NOBODY + 1, 8n); // once only
  assert.equal(events.length, 2);
});

Deno.test("Reporter with results: a thread that dies in its call gets no result (= ?)", () => {
  const { events, reporter } = recorder(true);
  reporter.syscall(stop(NOBODY + 1, SYSCALL_NUMBERS.exit_group), { action: "allow" });
  reporter.returned(NOBODY + 1, undefined);
  assert.equal(events.length, 1);
  assert.equal(events[0].returned, undefined);
});

Deno.test("Reporter with results: a non-leader's execve goes on under the pid it takes", () => {
  const { events, reporter } = recorder(true);
  reporter.syscall(stop(NOBODY + 5, SYSCALL_NUMBERS.execve), { action: "allow", rule: "trace" });
  reporter.exec(NOBODY, NOBODY + 5);
  reporter.returned(NOBODY + 5, 0n);
  assert.equal(events.length, 0, "the former tid has no call any more");
  reporter.returned(NOBODY, 0n);
  assert.deepEqual(events.map((e) => [e.name, e.tid, e.returned]), [["execve", NOBODY + 5, "0"]]);
});

Deno.test("Reporter without results emits every call at once", () => {
  const { events, reporter } = recorder(false);
  reporter.syscall(stop(NOBODY + 1, SYSCALL_NUMBERS.getppid), { action: "allow", rule: "trace" });
  assert.equal(events.length, 1);
});
