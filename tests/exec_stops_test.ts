/**
 * What a spawn costs the supervisor, and the walls that hold with fewer
 * stops: a process's only thread execs without a stop and no thread stops
 * at its exit (src/supervisor/trace_options.ts), while an exec by one of
 * several threads still stops, however the thread was made. The counts come
 * from jail's own counters (`$JAIL_STATS_FILE`, `stats.stops`).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunStats } from "../src/run/run.ts";
import { buildC, jail, type JailRun } from "./_helpers.ts";

/** Runs jail with `args`; returns the run and the counters jail wrote. */
async function counted(args: string[]): Promise<{ run: JailRun; stats: RunStats }> {
  const dir = await Deno.makeTempDir({ prefix: "jail-exec-stops-" });
  try {
    const run = await jail(args, { env: { JAIL_STATS_FILE: `${dir}/stats.json` } });
    const { stats } = JSON.parse(await Deno.readTextFile(`${dir}/stats.json`));
    assert.equal(stats.leftover, 0, `registry not empty at the end; stderr: ${run.stderr}`);
    return { run, stats };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const SPAWNS = 50;
const LOOP = `i=0; while [ $i -lt ${SPAWNS} ]; do /bin/true; i=$((i+1)); done`;

Deno.test("exec stops: a shell's spawn costs three stops (its fork or vfork, the child's first stop, SIGCHLD), none at exec or exit", async () => {
  const { run, stats } = await counted(["--no-config", "--", "/bin/sh", "-c", LOOP]);
  assert.equal(run.code, 0, run.stderr);
  const s = stats.stops;
  const detail = JSON.stringify(s);
  assert.equal(stats.processes, SPAWNS + 1, detail);
  assert.equal(s.exec, 1, `only the root's first exec stops: ${detail}`);
  assert.equal(s.exit, 0, detail);
  assert.equal(s.fork + s.vfork + s.clone, SPAWNS, detail);
  assert.equal(s.interrupt, SPAWNS, detail);
  assert.equal(s.deaths, SPAWNS + 1, detail);
  // The shell's SIGCHLDs: one a child at most (a shell may block it while it waits).
  assert.ok(s.signal <= SPAWNS, detail);
  // Nothing else: the root's execve entry is its one syscall stop.
  assert.equal(s.seccomp + s.groupStop + s.other, 0, detail);
  assert.ok(s.syscall <= 1, detail);
});

Deno.test("exec stops: with a report on, every exec stops (its event names the program)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jail-exec-stops-log-" });
  try {
    const log = `${dir}/log.jsonl`;
    const { run, stats } = await counted([
      "--no-config",
      "--log",
      log,
      "--",
      "/bin/sh",
      "-c",
      LOOP,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(stats.stops.exec, SPAWNS + 1, JSON.stringify(stats.stops));
    const execs = (await Deno.readTextFile(log)).split("\n")
      .filter((line) => line && JSON.parse(line).event === "exec");
    assert.equal(execs.length, SPAWNS + 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const kind of ["fork", "vfork", "clone"]) {
  Deno.test(`exec stops: an exec by a thread made by a ${kind} event stops; its old tid is no task of the tree`, async () => {
    // Each round's child is single-threaded (no exec stops) until it makes the thread that
    // execs; the new image checks its ids and that prlimit64 on its old tid gets EPERM.
    const bin = await buildC("exec_thread_kinds");
    const rounds = 20;
    const { run, stats } = await counted(["--no-config", "--", bin, kind, String(rounds)]);
    assert.equal(run.code, 0, `stdout: ${run.stdout} stderr: ${run.stderr}`);
    assert.match(run.stdout, new RegExp(`^rounds ${rounds} bad 0$`, "m"));
    assert.equal(stats.quirks.nonLeaderExecs, rounds, JSON.stringify(stats.quirks));
    // The old leaders and nothing else vanished; the root's exec and the rounds' stopped.
    assert.equal(stats.quirks.vanished, rounds, JSON.stringify(stats.quirks));
    assert.equal(stats.stops.exec, rounds + 1, JSON.stringify(stats.stops));
    assert.equal(stats.processes, rounds + 1);
  });
}
