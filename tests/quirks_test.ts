/**
 * The ptrace quirks, one C tracee each (`c/<name>.c`), run under the real
 * jail CLI. Each test fails when the supervisor's handling of its quirk is
 * taken out: by a hang (caught by the hard timeout), a wrong exit status, a
 * wrong observation by the tracee itself, or a quirk counter that stays at 0
 * (jail writes its counters to `$JAIL_STATS_FILE`; they are bumped on the
 * handling path, so a counter > 0 proves that path ran).
 *
 * Most tracees loop in `getppid`, which the config below traces: every call
 * becomes a seccomp stop at the supervisor, so threads sit in seccomp stops
 * whenever something kills them.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunStats } from "../src/run/run.ts";
import {
  buildC,
  holds,
  jail,
  type JailRun,
  type LiveJail,
  procState,
  spawnJail,
  until,
} from "./_helpers.ts";

/** What jail writes to `$JAIL_STATS_FILE` at the end of a run (src/run/run.ts). */
interface Stats {
  exitCode: number;
  stats: RunStats;
}

/** A temporary directory with the getppid-tracing config and a stats file path. */
async function workdir(): Promise<{ dir: string; config: string; statsFile: string }> {
  const dir = await Deno.makeTempDir({ prefix: "jail-quirks-" });
  const config = `${dir}/getppid.json`;
  await Deno.writeTextFile(config, JSON.stringify({ syscalls: { getppid: "trace" } }));
  return { dir, config, statsFile: `${dir}/stats.json` };
}

/** Runs a C tracee under jail with getppid traced; returns the run and jail's counters. */
async function runTraced(
  name: string,
  args: string[],
  timeoutMs = 30_000,
): Promise<{ run: JailRun; stats: Stats }> {
  const bin = await buildC(name);
  const { dir, config, statsFile } = await workdir();
  try {
    const run = await jail(["--config", config, "--", bin, ...args], {
      // Every call a ptrace stop, as the quirks need: a pool of notification threads would
      // answer these trace-only getppid calls without one (tests/notify_test.ts).
      env: { JAIL_STATS_FILE: statsFile, JAIL_NOTIFY_THREADS: "0" },
      timeoutMs,
    });
    const stats = JSON.parse(await Deno.readTextFile(statsFile)) as Stats;
    assert.equal(stats.exitCode, run.code, "the stats file belongs to this run");
    // The supervisor ends when its registry is empty; leftover 0 says it did not stop early.
    assert.equal(stats.stats.leftover, 0, `registry not empty at the end; stderr: ${run.stderr}`);
    return { run, stats };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("quirk: ESRCH from a ptrace request on a dying tracee", async () => {
  // 100 children, each SIGKILLed by its parent while its 9 threads loop in seccomp stops.
  const { run, stats } = await runTraced("esrch_dying", ["100", "8"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^rounds 100 threads 8 bad 0$/m);
  const q = stats.stats.quirks;
  assert.ok(q.esrch > 0, `no request failed with ESRCH: ${JSON.stringify(q)}`);
  assert.equal(stats.stats.processes, 101);
});

Deno.test("quirk: SIGKILL while threads sit in seccomp stops: no PTRACE_EVENT_EXIT to serve, every death reported", async () => {
  // 100 children SIGKILL themselves while their threads loop in seccomp stops or block in read.
  // jail asks for no exit stops (trace_options.ts); were one asked for and not resumed, the
  // killed thread would never finish dying and this run would hang.
  const { run, stats } = await runTraced("exit_after_sigkill", ["100", "8"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^rounds 100 threads 8 bad 0$/m);
  const { stops, processes, threads } = stats.stats;
  assert.equal(stops.exit, 0, JSON.stringify(stops));
  assert.equal(processes, 101);
  // Every thread's death was reported (or it vanished with its group at the leader's).
  assert.ok(stops.deaths >= processes && stops.deaths <= threads, JSON.stringify(stats.stats));
});

Deno.test("quirk: exit_group while siblings sit in seccomp stops", async () => {
  // 200 children, 16 threads each looping in a traced syscall; the main thread calls
  // exit_group(round % 100 + 1). Then the root does the same with exit_group(42).
  const { run, stats } = await runTraced("exit_group_seccomp", ["200", "16"]);
  assert.equal(run.code, 42, `jail exited ${run.code}; stderr: ${run.stderr}`);
  assert.match(run.stdout, /^rounds 200 threads 16 bad 0$/m);
  assert.equal(stats.stats.processes, 201);
  assert.ok(stats.stats.threads >= 201 * 17, `threads seen: ${stats.stats.threads}`);
  const q = stats.stats.quirks;
  assert.ok(q.esrch > 0, `no stopped sibling was found dying: ${JSON.stringify(q)}`);
  // Thousands of clones: new threads' first stops beat their parent's clone event, and
  // are accepted in either order.
  assert.ok(q.childFirst > 0, `every new thread came after its event: ${JSON.stringify(q)}`);
});

Deno.test("quirk: a clone stop made stale by a sibling's exit_group: its event message is an exit status, not a tid", async () => {
  // 200 children whose main thread keeps cloning while another thread calls exit_group(0).
  const { run, stats } = await runTraced("stale_event", ["200"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^rounds 200 bad 0$/m);
  const q = stats.stats.quirks;
  assert.ok(q.staleEvents > 0, `no stale event stop was met: ${JSON.stringify(q)}`);
  // No exit status was taken for a tid: nothing outside the tree entered the registry.
  assert.equal(stats.stats.processes, 201);
});

Deno.test("quirk: execve from a non-leader thread keeps the pid; the old tid never reappears", async () => {
  // 50 children and then the root: a non-leader thread execs while the leader and 4
  // siblings loop in seccomp stops.
  const { run, stats } = await runTraced("exec_non_leader", ["50", "4"]);
  assert.equal(run.code, 0, `stdout: ${run.stdout} stderr: ${run.stderr}`);
  assert.match(run.stdout, /^rounds 50 bad 0$/m);
  const before = /^before pid=(\d+) tid=(\d+)$/m.exec(run.stdout);
  const after = /^after pid=(\d+) tid=(\d+)$/m.exec(run.stdout);
  assert.ok(before && after, run.stdout);
  assert.notEqual(before[2], before[1], "the exec'ing thread was not the leader");
  assert.equal(after[1], before[1], "the exec'd program has the original pid");
  assert.equal(after[2], before[1], "its thread took the leader's tid");
  assert.match(run.stdout, new RegExp(`^old tid ${before[2]} gone$`, "m"));
  const q = stats.stats.quirks;
  assert.equal(q.nonLeaderExecs, 51, JSON.stringify(q));
  assert.equal(stats.stats.processes, 51, "no process appeared under the old tid");
});

Deno.test("quirk: threads that vanish without WIFEXITED (exited leader, then a sibling execs)", async () => {
  // The leader leaves with SYS_exit; its death report waits for the group and, once a
  // sibling execs, never comes. Nor does the exec'ing thread's old tid report.
  const { run, stats } = await runTraced("vanish_threads", ["50", "4"]);
  assert.equal(run.code, 33, `stdout: ${run.stdout} stderr: ${run.stderr}`);
  assert.match(run.stdout, /^rounds 50 bad 0$/m);
  const q = stats.stats.quirks;
  assert.equal(q.nonLeaderExecs, 51, JSON.stringify(q));
  assert.ok(q.vanished >= 51, `the old leaders were not dropped: ${JSON.stringify(q)}`);
});

Deno.test("quirk: vfork followed by exec", async () => {
  const { run, stats } = await runTraced("vfork_exec", ["200"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^rounds 200 bad 0$/m);
  assert.equal(stats.stats.processes, 201);
});

Deno.test("quirk: vfork followed by _exit", async () => {
  const { run, stats } = await runTraced("vfork_exit", ["200"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^rounds 200 bad 0$/m);
  assert.equal(stats.stats.processes, 201);
});

/**
 * Asserts that the program stays stopped for a while: no "resumed" output
 * throughout, and every pid stopped at the end. /proc's state alone is no
 * proof during the window: the stop first seen may be the signal-delivery-stop,
 * and the supervisor's PTRACE_CONT with SIGSTOP that turns it into the
 * group-stop shows the task running for an instant (seen under emulation,
 * where the supervisor answers slowly); a real resume prints "resumed".
 */
async function staysStopped(live: LiveJail, pids: () => number[]): Promise<void> {
  await holds(() => assert.doesNotMatch(live.stdout(), /resumed/));
  for (const pid of pids()) {
    const state = procState(pid);
    assert.ok(state === "T" || state === "t", `${pid} is ${state}, not stopped`);
  }
  assert.doesNotMatch(live.stdout(), /resumed/);
}

/** Polls a pid file until it holds a pid. */
async function pidFrom(file: string): Promise<number> {
  let pid = 0;
  await until(file, () => {
    try {
      pid = Number(Deno.readTextFileSync(file).trim());
    } catch { /* not yet */ }
    return pid > 0;
  });
  return pid;
}

Deno.test("quirk: group-stop vs signal-delivery-stop: a stopped job stays stopped until SIGCONT (PTRACE_LISTEN)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jail-stop-" });
  const pidFile = `${dir}/pid`;
  const live = spawnJail(["--", "sh", "-c", `echo $$ > ${pidFile}; kill -STOP $$; echo resumed`]);
  try {
    const pid = await pidFrom(pidFile);
    await until(`${pid} stopped`, () => ["T", "t"].includes(procState(pid) ?? ""));
    await staysStopped(live, () => [pid]);
    Deno.kill(pid, "SIGCONT");
    const run = await live.done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "resumed\n");
  } finally {
    await live.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("quirk: group-stop of a multi-threaded process: every thread stays stopped until SIGCONT", async () => {
  const bin = await buildC("group_stop_threads");
  const { dir, config, statsFile } = await workdir();
  const pidFile = `${dir}/pid`;
  const live = spawnJail(["--config", config, "--", bin, pidFile, "8"], {
    env: { JAIL_STATS_FILE: statsFile },
  });
  try {
    const pid = await pidFrom(pidFile);
    const tasks = () => [...Deno.readDirSync(`/proc/${pid}/task`)].map((e) => Number(e.name));
    await until(
      "every thread stopped",
      () => tasks().length === 9 && tasks().every((t) => ["T", "t"].includes(procState(t) ?? "")),
    );
    await staysStopped(live, tasks);
    Deno.kill(pid, "SIGCONT");
    const run = await live.done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "resumed 8 threads\n");
    const stats = JSON.parse(await Deno.readTextFile(statsFile)) as Stats;
    assert.ok(stats.stats.quirks.listens >= 9, JSON.stringify(stats.stats.quirks));
  } finally {
    await live.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("quirk: signals arrive with the right number, from inside and outside the tree, and only at signal-delivery-stops", async () => {
  const bin = await buildC("signals");
  const { dir, config, statsFile } = await workdir();
  const live = spawnJail(["--config", config, "--", bin, "200"], {
    env: { JAIL_STATS_FILE: statsFile },
  });
  try {
    let pid = 0;
    await until("ready", () => {
      pid = Number(/^ready (\d+)$/m.exec(live.stdout())?.[1] ?? 0);
      return pid > 0;
    });
    // From outside the tree, while the tracee blocks them: named ones and real-time ones
    // (SIGRTMIN is 34 with glibc; real-time signals queue, so each counts).
    Deno.kill(pid, "SIGUSR2");
    Deno.kill(pid, "SIGTERM");
    for (const sig of [36, 36, 37]) {
      const out = await new Deno.Command("kill", { args: ["-s", String(sig), String(pid)] })
        .output();
      assert.ok(out.success, `kill -s ${sig} failed`);
    }
    await live.write("go\n");
    const run = await live.done;
    assert.equal(run.code, 0, `stdout: ${run.stdout} stderr: ${run.stderr}`);
    assert.equal(
      run.stdout,
      [
        "inside SIGUSR1 user from-child",
        "inside SIGUSR2 user from-child",
        "inside SIGTERM user from-child",
        "inside SIGRTMIN+1 queue value=11 from-child",
        "inside SIGRTMIN+1 queue value=12 from-child",
        "inside SIGRTMIN+1 queue value=13 from-child",
        "storm count=200 sum=20100 others=0",
        `ready ${pid}`,
        "outside SIGUSR2 user",
        "outside SIGTERM user",
        "outside SIGRTMIN+2 user",
        "outside SIGRTMIN+2 user",
        "outside SIGRTMIN+3 user",
        "",
      ].join("\n"),
    );
    const stats = JSON.parse(await Deno.readTextFile(statsFile)) as Stats;
    // 6 + 200 + 5 handled signals and 2 SIGCHLD: each injected once, at its own stop.
    assert.ok(stats.stats.quirks.injected >= 211, JSON.stringify(stats.stats.quirks));
  } finally {
    await live.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
