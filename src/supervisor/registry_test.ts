/**
 * Unit tests of the registry: threads and processes of the tree, the
 * quirks that change them (deaths in any order, non-leader exec), and the
 * shared live-pid slots.
 */

import assert from "node:assert/strict";
import { PidSlots, readTaskIds, Registry } from "./registry.ts";

/** A registry with the live-pid slots it shares with the main thread. */
function withSlots(n = 8): { registry: Registry; slots: Int32Array } {
  const slots = new Int32Array(new SharedArrayBuffer(4 * n));
  return { registry: new Registry(new PidSlots(slots)), slots };
}

const live = (slots: Int32Array) => [...slots].filter((p) => p !== 0).sort((a, b) => a - b);

Deno.test("registry: threads join their process; adding is idempotent", () => {
  const { registry, slots } = withSlots();
  const root = registry.addThread(100, 100, 0);
  assert.equal(root.state, "running");
  assert.equal(registry.addThread(100, 100, 0), root, "same record");
  registry.addThread(101, 100, 0);
  registry.addThread(200, 200, 100);
  assert.equal(registry.threads.size, 3);
  assert.deepEqual([...registry.processes.keys()], [100, 200]);
  assert.deepEqual([...registry.processes.get(100)!.threads], [100, 101]);
  assert.equal(registry.processes.get(200)!.ppid, 100);
  assert.equal(registry.processCount, 2);
  assert.equal(registry.threadCount, 3);
  assert.equal(registry.peakProcesses, 2);
  assert.equal(registry.peakThreads, 3);
  assert.deepEqual(live(slots), [100, 200], "one slot per process, not per thread");
});

Deno.test("registry: a non-leader's death leaves the process; the leader's, reported last, ends it", () => {
  const { registry, slots } = withSlots();
  registry.addThread(100, 100, 0);
  registry.addThread(101, 100, 0);
  registry.addThread(102, 100, 0);
  assert.equal(registry.removeThread(101), undefined);
  assert.equal(registry.removeThread(102), undefined);
  assert.deepEqual(live(slots), [100]);
  const proc = registry.removeThread(100);
  assert.equal(proc?.pid, 100);
  assert.ok(registry.empty);
  assert.equal(registry.processes.size, 0);
  assert.deepEqual(live(slots), [], "the slot is freed before the pid can be reused");
  assert.equal(registry.removeThread(100), undefined, "a second report is ignored");
  assert.equal(registry.peakThreads, 3);
});

Deno.test("registry: a leader that exits first is not the process's end while siblings run", () => {
  const { registry } = withSlots();
  registry.addThread(100, 100, 0);
  registry.addThread(101, 100, 0);
  // Leader did SYS_exit: its death report waits for the group.
  assert.equal(registry.removeThread(101), undefined);
  assert.equal(registry.removeThread(100)?.pid, 100);
  assert.ok(registry.empty);
});

Deno.test("registry: the leader's death drops siblings that never reported one", () => {
  const { registry } = withSlots();
  registry.addThread(100, 100, 0);
  registry.addThread(101, 100, 0);
  registry.addThread(102, 100, 0);
  assert.equal(registry.removeThread(100)?.pid, 100);
  assert.ok(registry.empty);
  assert.equal(
    registry.removeThread(101),
    undefined,
    "a late report of a dropped thread is ignored",
  );
});

Deno.test("registry: exec by the leader drops the siblings, keeps the leader's record", () => {
  const { registry } = withSlots();
  const leader = registry.addThread(100, 100, 0);
  registry.addThread(101, 100, 0);
  registry.addThread(102, 100, 0);
  leader.state = "syscall-exit";
  leader.pendingResult = 5n;
  const vanished = registry.execed(100, 100);
  assert.deepEqual(vanished.sort(), [101, 102]);
  assert.equal(registry.threads.get(100), leader);
  assert.equal(leader.state, "running");
  assert.equal(leader.pendingResult, undefined, "a result meant for the old image is dropped");
  assert.deepEqual([...registry.processes.get(100)!.threads], [100]);
  assert.equal(registry.processes.get(100)!.execs, 1);
  assert.equal(registry.threads.size, 1);
});

Deno.test("registry: exec by a non-leader: it takes the leader's tid, its old tid and the old leader vanish", () => {
  const { registry, slots } = withSlots();
  const oldLeader = registry.addThread(100, 100, 1);
  const execer = registry.addThread(103, 100, 1);
  registry.addThread(101, 100, 1);
  oldLeader.state = "dying";
  execer.state = "dying";
  const vanished = registry.execed(100, 103);
  assert.deepEqual(vanished.sort(), [100, 101], "the old leader and the sibling; not 103");
  assert.equal(registry.threads.get(100), execer, "the exec'ing task's own record lives on");
  assert.equal(execer.tid, 100);
  assert.equal(execer.tgid, 100);
  assert.equal(execer.state, "running");
  assert.equal(registry.threads.has(103), false, "the old tid is never seen again");
  assert.equal(registry.threads.has(101), false);
  assert.deepEqual([...registry.processes.get(100)!.threads], [100]);
  assert.deepEqual(live(slots), [100], "the process keeps its pid and slot");
  // The new image exits: the process ends with one death report.
  assert.equal(registry.removeThread(100)?.pid, 100);
  assert.ok(registry.empty);
  assert.deepEqual(live(slots), []);
});

Deno.test("registry: exec whose former tid could not be read still leaves one thread", () => {
  const { registry } = withSlots();
  registry.addThread(100, 100, 0);
  registry.addThread(101, 100, 0);
  // GETEVENTMSG failed: the supervisor passes the pid itself.
  const vanished = registry.execed(100, 100);
  assert.deepEqual(vanished, [101]);
  assert.deepEqual([...registry.threads.keys()], [100]);
});

Deno.test("registry: exec of an unknown process changes nothing", () => {
  const { registry } = withSlots();
  registry.addThread(100, 100, 0);
  assert.deepEqual(registry.execed(200, 201), []);
  assert.deepEqual([...registry.threads.keys()], [100]);
});

Deno.test("registry: peaks count what was alive at once, not what was ever seen", () => {
  const registry = new Registry();
  for (let i = 0; i < 10; i++) {
    registry.addThread(1000 + i, 1000 + i, 1);
    registry.removeThread(1000 + i);
  }
  assert.equal(registry.processCount, 10);
  assert.equal(registry.peakProcesses, 1);
  assert.equal(registry.peakThreads, 1);
  for (let i = 0; i < 5; i++) registry.addThread(2000 + i, 2000, 1);
  assert.equal(registry.peakProcesses, 1);
  assert.equal(registry.peakThreads, 5);
});

Deno.test("PidSlots: slots are reused, duplicates ignored, overflow tolerated", () => {
  const slots = new Int32Array(new SharedArrayBuffer(4 * 2));
  const pids = new PidSlots(slots);
  pids.add(10);
  pids.add(10);
  pids.add(11);
  assert.deepEqual([...slots], [10, 11]);
  pids.add(12); // No slot left: the supervisor still kills it itself.
  assert.deepEqual([...slots], [10, 11]);
  pids.remove(10);
  assert.deepEqual([...slots], [0, 11]);
  pids.add(13);
  assert.deepEqual([...slots], [13, 11]);
  pids.remove(12);
  pids.remove(99);
  assert.deepEqual([...slots], [13, 11]);
});

Deno.test("readTaskIds: thread group and parent from /proc; a missing task falls back to itself", () => {
  assert.deepEqual(readTaskIds(Deno.pid), { tgid: Deno.pid, ppid: Deno.ppid });
  // pid_max is at most 2^22: this tid cannot exist.
  assert.deepEqual(readTaskIds(1 << 23), { tgid: 1 << 23, ppid: 0 });
});
