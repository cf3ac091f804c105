/**
 * Stress: many processes and threads alive at once, and fork/exec churn.
 *
 * Each run must end with the right exit status, within its hard timeout,
 * with the registry empty: the supervisor's loop ends only when no traced
 * thread is left, and the counters jail writes to `$JAIL_STATS_FILE` show
 * both the peak and that nothing was left over.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunStats } from "../src/run/run.ts";
import { buildC, jail, type JailRun } from "./_helpers.ts";

/** What jail writes to `$JAIL_STATS_FILE` at the end of a run (src/run/run.ts). */
interface Stats {
  exitCode: number;
  stats: RunStats;
}

/** Runs jail with a stats file; returns the run and its counters. */
async function runWithStats(args: string[], timeoutMs: number): Promise<[JailRun, Stats]> {
  const dir = await Deno.makeTempDir({ prefix: "jail-stress-" });
  try {
    const statsFile = `${dir}/stats.json`;
    const run = await jail(args, { env: { JAIL_STATS_FILE: statsFile }, timeoutMs });
    const stats = JSON.parse(await Deno.readTextFile(statsFile)) as Stats;
    assert.equal(stats.exitCode, run.code);
    assert.equal(stats.stats.leftover, 0, "registry not empty at the end");
    return [run, stats];
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("stress: 1,000 processes alive at once", async () => {
  const bin = await buildC("stress_procs");
  const [run, stats] = await runWithStats(["--", bin, "1000"], 30_000);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "processes 1000 bad 0\n");
  assert.equal(stats.stats.processes, 1001);
  assert.equal(stats.stats.peakProcesses, 1001, "all children and the root were alive together");
});

Deno.test("stress: 200 threads alive at once", async () => {
  const bin = await buildC("stress_threads");
  const [run, stats] = await runWithStats(["--", bin, "200"], 30_000);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "threads 200 ok 200\n");
  assert.equal(stats.stats.threads, 201);
  assert.equal(stats.stats.peakThreads, 201, "all threads were alive together");
});

Deno.test("stress: fork/exec churn of 2,000 short processes", async () => {
  const loop = "i=0; while [ $i -lt 2000 ]; do /bin/true; i=$((i+1)); done; echo $i; exit 7";
  const [run, stats] = await runWithStats(["--", "sh", "-c", loop], 45_000);
  assert.equal(run.code, 7, run.stderr);
  assert.equal(run.stdout, "2000\n");
  assert.equal(stats.stats.processes, 2001);
});

Deno.test("stress: teardown of 1,000 live processes and a 201-thread process when the root exits", async () => {
  const [procs, threads] = await Promise.all([buildC("stress_procs"), buildC("stress_threads")]);
  // Both fixtures leave their children running (all holding jail's stdout) and return.
  const script = `${procs} 1000 hold && ${threads} 200 hold && exit 9`;
  const [run, stats] = await runWithStats(["--", "sh", "-c", script], 30_000);
  assert.equal(run.code, 9, run.stderr);
  assert.equal(run.stdout, "processes 1000 alive\nthreads 200 alive\n");
  assert.ok(stats.stats.peakProcesses >= 1002, `peak ${stats.stats.peakProcesses}`);
  assert.ok(stats.stats.peakThreads >= 1202, `peak ${stats.stats.peakThreads}`);
});
