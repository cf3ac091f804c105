/**
 * File checks answered by the notification pool (src/notify/): under a read
 * or write allow list without redirects, the open family (and the other
 * path calls but exec) reaches jail's listener, and a pool thread runs the
 * same check the supervisor runs at a ptrace stop. Each test runs the real
 * CLI (or the library) on `c/fs_notify.c`, once with the pool and once with
 * `JAIL_NOTIFY_THREADS=0` (every call on ptrace stops, as before), and
 * expects the same results, errnos and reports; jail's counters
 * (`$JAIL_STATS_FILE`) say which path decided: `notified` counts the pool's
 * answers.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunStats } from "../src/run/run.ts";
import {
  buildC,
  C_BUILD,
  denials,
  inTempDir,
  jail,
  type JailRun,
  native,
  ROOT_DIR,
  tempDir,
} from "./_helpers.ts";

/** What jail writes to `$JAIL_STATS_FILE`. */
interface Stats {
  exitCode: number;
  stats: RunStats;
}

const tool = () => buildC("fs_notify");

/** Runs jail with `args`; the run and its counters. `threads`: `$JAIL_NOTIFY_THREADS`. */
function jailed(
  args: string[],
  opts: { threads?: number; cwd?: string; env?: Record<string, string>; prefix?: string[] } = {},
): Promise<{ run: JailRun; stats: Stats }> {
  return inTempDir("jail-notify-fs-", async (dir) => {
    const statsFile = `${dir}/stats.json`;
    const env: Record<string, string> = { JAIL_STATS_FILE: statsFile, ...opts.env };
    if (opts.threads !== undefined) env.JAIL_NOTIFY_THREADS = String(opts.threads);
    const run = await jail(args, { env, cwd: opts.cwd, prefix: opts.prefix, timeoutMs: 60_000 });
    const stats = JSON.parse(await Deno.readTextFile(statsFile)) as Stats;
    assert.equal(stats.stats.leftover, 0, `registry not empty at the end; stderr: ${run.stderr}`);
    return { run, stats };
  });
}

/** `<d>/in/{a,secret}` (the allowed tree, with a file its deny glob names) and `<d>/outside`. */
async function tree(): Promise<string> {
  return await tempDir("jail-notify-fs-tree-", {
    "in/a": "A\n",
    "in/secret": "S\n",
    "outside": "O\n",
  });
}

/** The allow list of the tree, the deny glob inside it (which Landlock cannot express). */
const policy = (d: string) => [`--allow-read=${d}/in,${C_BUILD}`, `--deny-read=${d}/in/sec*`];

/** Report lines with the process id taken out (two runs have two pids). */
const lines = (stderr: string) =>
  denials(stderr).filter((l) => / of /.test(l)).map((l) => l.replace(/\(pid \d+ /, "(pid N "));

Deno.test("notify fs: the same results, errnos and reports from the pool as from ptrace stops", async () => {
  const [bin, d, hold] = await Promise.all([tool(), tree(), buildC("notif_holder")]);
  try {
    const argv = [...policy(d), "--", bin, "cases", `${d}/in`];
    const pooled = await jailed(argv);
    const traced = await jailed(argv, { threads: 0 });
    // As before Linux 6.6 (one thread, polling), and under a listener held above jail (EBUSY: the
    // all-TRACE program, every check on ptrace stops).
    const polled = await jailed(argv, { threads: 3, env: { JAIL_NOTIFY_POLL: "1" } });
    const fallback = await jailed(argv, { prefix: [hold] });
    assert.equal(pooled.run.code, 0, pooled.run.stderr);
    assert.equal(
      pooled.run.stdout,
      [
        "cwd-relative ok",
        "cwd-relative-denied EACCES",
        "cwd-dotdot-outside EACCES",
        "dirfd-relative ok",
        "dirfd-denied EACCES",
        "bad-dirfd EBADF",
        "proc-self-fd ok",
        "proc-self-fd-denied EACCES",
        "proc-self-cwd-denied EACCES",
        "proc-thread-self-root ok",
        "proc-self-status ok",
        "not-utf8 EACCES",
        "bad-pointer EFAULT",
        "missing ENOENT",
        "open-absolute ok",
        "open-outside EACCES",
        "openat2 ok",
        "openat2-denied EACCES",
        "openat2-bad-how EFAULT",
        "o-path-denied-name ok",
        "creat-in-read-list ok",
        "",
      ].join("\n"),
    );
    for (const other of [traced, polled, fallback]) {
      assert.equal(other.run.stdout, pooled.run.stdout, other.run.stderr);
    }
    // One line per process, access and path, whoever refused; kernel-like failures (EBADF,
    // EFAULT, ENOENT) report nothing.
    const want = [
      `jail: denied read of ${d}/in/secret (pid N fs_notify): matches read.deny entry ${d}/in/sec*`,
      `jail: denied read of ${d}/outside (pid N fs_notify); allow with --allow-read=${d}/outside`,
      `jail: denied read of (a path that is not UTF-8) (pid N fs_notify)`,
    ];
    assert.deepEqual(lines(pooled.run.stderr), want, pooled.run.stderr);
    for (const other of [traced, polled, fallback]) {
      assert.deepEqual(lines(other.run.stderr), want, other.run.stderr);
    }
    // The pool answered every open of the list (and the loader's): on ptrace stops it would be 0.
    assert.ok((pooled.stats.stats.notified ?? 0) >= 21, `notified ${pooled.stats.stats.notified}`);
    assert.ok((polled.stats.stats.notified ?? 0) >= 21, `notified ${polled.stats.stats.notified}`);
    assert.equal(traced.stats.stats.notified, undefined);
    assert.equal(fallback.stats.stats.notified, 0);
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: 32 threads opening at once, each open answered once by the pool, counted exactly", async () => {
  const [bin, d] = await Promise.all([tool(), tree()]);
  try {
    const opens = (threads: number | undefined, n: number) =>
      jailed([...policy(d), "--", bin, "threads", `${d}/in/a`, "32", String(n)], { threads });
    // The same program with no opens of its own: the loader's opens, which every run makes.
    const [base, four, one, traced] = [
      await opens(4, 0),
      await opens(4, 200),
      await opens(undefined, 200),
      await opens(0, 200),
    ];
    for (const r of [four, one, traced]) {
      assert.equal(r.run.code, 0, r.run.stderr);
      assert.equal(r.run.stdout, "threads 32 opens 200 failed 0\n");
    }
    const loader = base.stats.stats.notified ?? 0;
    assert.equal((four.stats.stats.notified ?? 0) - loader, 32 * 200, "4 pool threads");
    assert.equal((one.stats.stats.notified ?? 0) - loader, 32 * 200, "the default pool");
    assert.equal(traced.stats.stats.notified, undefined);
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: refusals from many pool threads just before the end are each reported once, none lost", async () => {
  const bin = await tool();
  // 32 files outside the allow list, one a thread, each opened twice; the process exits as soon
  // as its threads are done, so the last reports are still on their way when the tree is gone.
  const files: Record<string, string> = {};
  for (let i = 0; i < 32; i++) files[`out/f${i}`] = "";
  const d = await tempDir("jail-notify-fs-many-", { "in/a": "", ...files });
  try {
    const argv = [`--allow-read=${d}/in,${C_BUILD}`, "--", bin, "deny-many", `${d}/out/f`, "32"];
    const want = Array.from(
      { length: 32 },
      (_, i) =>
        `jail: denied read of ${d}/out/f${i} (pid N fs_notify); allow with --allow-read=${d}/out/f${i}`,
    ).sort();
    for (const threads of [4, undefined, 0]) {
      const { run, stats } = await jailed(argv, { threads });
      assert.equal(run.stdout, "deny-many 32 refused 64\n", run.stderr);
      assert.deepEqual(lines(run.stderr).sort(), want, `threads ${threads}: ${run.stderr}`);
      if (threads !== 0) assert.ok((stats.stats.notified ?? 0) >= 64);
    }
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: callers killed while their opens wait for the pool", async () => {
  const [bin, d] = await Promise.all([tool(), tree()]);
  try {
    // 30 rounds: a child whose 8 threads loop in openat is SIGKILLed once all of them opened;
    // calls taken by a pool thread but not answered fail ID_VALID or SEND, which must neither
    // fail nor hang the pool. Then the pool still answers (the run's own last opens).
    const { run, stats } = await jailed(
      [...policy(d), "--", bin, "kill", `${d}/in/a`, "30", "8"],
      { threads: 2 },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "rounds 30 bad 0\n");
    assert.equal(stats.stats.processes, 31);
    assert.ok((stats.stats.notified ?? 0) > 30 * 8 * 2, `notified ${stats.stats.notified}`);
    assert.deepEqual(denials(run.stderr), []);
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: a policy with a redirect keeps its opens on ptrace stops, and still redirects", async () => {
  const [bin, d] = await Promise.all([tool(), tree()]);
  try {
    await Deno.writeTextFile(`${d}/in/to`, "TO\n");
    // A return rule for getppid starts a pool; the file rules must not reach it.
    await Deno.writeTextFile(
      `${d}/config.json`,
      JSON.stringify({
        redirect: { [`${d}/in/from`]: `${d}/in/to` },
        read: { allow: [`${d}/in`, C_BUILD] },
        syscalls: { getppid: { return: 7 } },
      }),
    );
    const { run, stats } = await jailed([
      "--config",
      `${d}/config.json`,
      "--",
      "sh",
      "-c",
      `echo $PPID; cat ${d}/in/from; ${bin} loop ${d}/in/from 500 && echo looped`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "7\nTO\nlooped\n");
    // The shell's getppid went through the pool; the 500 opens (and cat's) did not.
    const notified = stats.stats.notified ?? 0;
    assert.ok(notified > 0 && notified < 500, `notified ${notified}`);
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: file flags with a config whose redirect keeps checks on ptrace: same run, nothing notified; a config error exits 125", async () => {
  const [bin, d] = await Promise.all([tool(), tree()]);
  try {
    await Deno.writeTextFile(`${d}/in/to`, "TO\n");
    // The config's redirect keeps every file check on ptrace stops, flags or not: nothing is notified.
    await Deno.writeTextFile(
      `${d}/config.json`,
      JSON.stringify({ redirect: { [`${d}/in/from`]: `${d}/in/to` } }),
    );
    const { run, stats } = await jailed([
      "--config",
      `${d}/config.json`,
      `--allow-read=${d}/in,${C_BUILD}`,
      "--",
      "sh",
      "-c",
      `cat ${d}/in/from; ${bin} loop ${d}/in/from 50 && echo looped`,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "TO\nlooped\n");
    assert.equal(stats.stats.notified ?? 0, 0);
    // A config that fails after the thread was created: exit 125 with the reason, nothing left.
    const broken = await jail([
      "--config",
      `${d}/missing.json`,
      `--allow-read=${d}/in`,
      "--",
      "true",
    ]);
    assert.equal(broken.code, 125, broken.stderr);
    assert.match(broken.stderr, /missing\.json/);
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: a short run's checks are answered by the supervisor itself, a long run's by the pool after the hand-over", async () => {
  const [bin, d] = await Promise.all([tool(), tree()]);
  try {
    // A few opens: the supervisor answers them all, and no pool thread is ever started (the run's
    // age is taken out of it: under emulation `cat` alone outlives the 100 ms).
    const short = await jailed([...policy(d), "--", "cat", `${d}/in/a`, `${d}/in/secret`], {
      env: { JAIL_NOTIFY_EARLY_MS: "600000" },
    });
    assert.equal(short.run.code, 1);
    assert.equal(short.run.stdout, "A\n");
    // The refusal reported once, by the supervisor's thread, before cat's own message.
    const reported = lines(short.run.stderr);
    assert.equal(reported.length, 1, short.run.stderr);
    assert.match(reported[0], /^jail: denied read of .*\/in\/secret \(pid N cat\)/);
    assert.ok(short.run.stderr.indexOf("jail: denied") < short.run.stderr.indexOf("cat: "));
    const n = short.stats.stats.notified ?? 0;
    assert.ok(n > 0, "nothing notified");
    assert.equal(short.stats.stats.notifiedEarly, n, "a pool thread answered in a short run");
    // Thousands: the supervisor answers the first ones (at least the hand-over's 200, the count
    // alone deciding here too), the pool the rest; every one is answered once.
    const long = await jailed([...policy(d), "--", bin, "loop", `${d}/in/a`, "3000"], {
      env: { JAIL_NOTIFY_EARLY_MS: "600000" },
    });
    assert.equal(long.run.code, 0, long.run.stderr);
    const early = long.stats.stats.notifiedEarly ?? 0;
    const all = long.stats.stats.notified ?? 0;
    assert.ok(early >= 200, `the supervisor answered ${early}`);
    assert.ok(all - early > 0, `the pool answered none of ${all}`);
    assert.ok(all >= 3000, `notified ${all}`);
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: --summary and --log keep file checks on ptrace stops and report the same", async () => {
  const [bin, d] = await Promise.all([tool(), tree()]);
  try {
    const runs = [];
    for (const threads of [undefined, 0]) {
      const log = `${d}/log-${threads}.jsonl`;
      const { run, stats } = await jailed([
        "--summary",
        "--log",
        log,
        ...policy(d),
        "--",
        bin,
        "cases",
        `${d}/in`,
      ], { threads });
      assert.equal(run.code, 0, run.stderr);
      // Recording each call: no pool.
      assert.equal(stats.stats.notified, undefined);
      const refused = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l))
        .filter((e) => e.event === "syscall" && e.decision === "deny" && e.rule === "fs")
        .map((e) => `${e.syscall} ${e.errno}`);
      const summary = run.stderr.split("\n").filter((l) => /^ {2}fs |summary:/.test(l))
        .map((l) => l.replace(/ in [\d.]+ s;/, ";"));
      runs.push({ refused, summary, lines: lines(run.stderr) });
    }
    assert.deepEqual(runs[0], runs[1]);
    assert.equal(runs[0].refused.length, 8, runs[0].refused.join(", "));
    assert.equal(runs[0].lines.length, 3);
    assert.match(runs[0].summary.join("\n"), /8 denied/);
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: the library (supervisor on a Worker, pool on the caller's thread) reports the pool's refusals", async () => {
  const [bin, d] = await Promise.all([tool(), tree()]);
  try {
    await Deno.mkdir(`${d}/many`);
    for (let i = 0; i < 32; i++) await Deno.writeTextFile(`${d}/many/f${i}`, "");
    const driver = `
import { run } from "${ROOT_DIR}/mod.ts";
const flags = { "allow-read": ["${d}/in", "${C_BUILD}"], "deny-read": ["${d}/in/sec*"] };
const s = await run(["${bin}", "cases", "${d}/in"], { flags, reportDenials: true });
console.log("code", s.code, "notified", (s.stats.notified ?? 0) > 0);
// 32 refusals just before the command exits: none lost on this host either.
const m = await run(["${bin}", "deny-many", "${d}/many/f", "32"], { flags, reportDenials: true });
console.log("code", m.code);
`;
    await Deno.writeTextFile(`${d}/driver.ts`, driver);
    const outs = [];
    for (const threads of ["1", "0"]) {
      const r = await native([Deno.execPath(), "run", "-A", "--no-check", `${d}/driver.ts`], {
        env: { JAIL_NOTIFY_THREADS: threads },
        timeoutMs: 60_000,
        cwd: d,
      });
      assert.equal(r.code, 0, r.stderr);
      outs.push(r);
    }
    const [pooled, traced] = outs;
    assert.match(pooled.stdout, /^code 0 notified true$/m, pooled.stdout);
    assert.match(traced.stdout, /^code 0 notified false$/m, traced.stdout);
    assert.equal(
      pooled.stdout.replace(/notified .*/, ""),
      traced.stdout.replace(/notified .*/, ""),
    );
    // The command's output went to the driver's stdout; the reports to its stderr, the same.
    assert.deepEqual(lines(pooled.stderr).sort(), lines(traced.stderr).sort(), pooled.stderr);
    assert.equal(lines(pooled.stderr).length, 3 + 32, pooled.stderr);
    assert.match(pooled.stdout, /^deny-many 32 refused 64$/m);
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});

Deno.test("notify fs: each report line comes whole, before the command's own message about the same refusal", async () => {
  const d = await tree();
  try {
    const files = Array.from({ length: 20 }, (_, i) => `${d}/outside.${i}`);
    for (const f of files) await Deno.writeTextFile(f, "O\n");
    // cat writes "cat: PATH" and ": Permission denied" in two writes: a report line written by
    // another thread once the call was answered lands between them, or after.
    const script = files.map((f) => `cat '${f}'`).join("; ");
    const { run, stats } = await jailed([`--allow-read=${d}/in`, "--", "/bin/sh", "-c", script]);
    assert.ok((stats.stats.notified ?? 0) > 0, "the pool answered nothing");
    const lines = run.stderr.split("\n").filter((l) => l !== "");
    for (const f of files) {
      const report = lines.findIndex((l) => l.startsWith(`jail: denied read of ${f} (pid `));
      const own = lines.indexOf(`cat: ${f}: Permission denied`);
      assert.ok(report >= 0 && own >= 0, `a line is missing or split for ${f}:\n${run.stderr}`);
      assert.ok(report < own, `the report came after cat's message for ${f}:\n${run.stderr}`);
    }
  } finally {
    await Deno.remove(d, { recursive: true });
  }
});
