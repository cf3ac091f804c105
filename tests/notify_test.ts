/**
 * Decisions by seccomp user notification (src/notify/): the rules a
 * notification can decide reach jail's listener and its pool of threads
 * instead of a ptrace stop; under a listener held above jail (EBUSY) the
 * same rules stop at the supervisor. Each test runs real C callers under the
 * real CLI (or the library) and reads jail's counters from
 * `$JAIL_STATS_FILE`: `notified` counts the calls the pool answered, so a
 * test tells which path decided.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RunStats } from "../src/run/run.ts";
import { buildC, inTempDir, jail, type JailRun, keyValues, native, ROOT_DIR } from "./_helpers.ts";
import * as SECCOMP from "../kernel/seccomp.ts";
import { notifSizes } from "../ffi/seccomp_notify.ts";

/** getppid returns 7 (a `return` rule), uname is allowed by a `"trace"` rule. */
const CONFIG = { syscalls: { getppid: { return: 7 }, uname: "trace" } };

/** What jail writes to `$JAIL_STATS_FILE`. */
interface Stats {
  exitCode: number;
  stats: RunStats;
}

/** Runs `argv` under jail with {@linkcode CONFIG}; the run and its counters. */
function jailed(
  argv: string[],
  opts: { prefix?: string[]; env?: Record<string, string>; flags?: string[] } = {},
): Promise<{ run: JailRun; stats: Stats }> {
  return inTempDir("jail-notify-", async (dir) => {
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(CONFIG));
    const statsFile = `${dir}/stats.json`;
    const run = await jail(
      ["--config", `${dir}/config.json`, ...(opts.flags ?? []), "--", ...argv],
      { prefix: opts.prefix, env: { JAIL_STATS_FILE: statsFile, ...opts.env }, timeoutMs: 60_000 },
    );
    const stats = JSON.parse(await Deno.readTextFile(statsFile)) as Stats;
    assert.equal(stats.stats.leftover, 0, `registry not empty at the end; stderr: ${run.stderr}`);
    return { run, stats };
  });
}

const probe = () => buildC("notif_probe");
const holder = () => buildC("notif_holder");

Deno.test("notify: a return rule's value reaches every caller through the pool, each answered once", async () => {
  const bin = await probe();
  // 4 processes of 8 threads, 2,000 calls each, all at once, 4 pool threads: a lost answer hangs
  // a caller (the hard timeout), a doubled or wrong one shows in `bad` or in the count.
  const { run, stats } = await jailed([bin, "4", "8", "2000"], {
    env: { JAIL_NOTIFY_THREADS: "4" },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "procs 4 threads 8 calls 2000 bad 0 uname Linux");
  // Every getppid and every uname (CONTINUE: the kernel's own answer) went through the pool.
  assert.equal(stats.stats.notified, 4 * 8 * 2000 + 4 * 8);
});

Deno.test("notify: under a listener held above jail (EBUSY) the same rules stop at the supervisor, same results", async () => {
  const [bin, hold] = await Promise.all([probe(), holder()]);
  const pooled = await jailed([bin, "2", "4", "500"]);
  const traced = await jailed([bin, "2", "4", "500"], { prefix: [hold] });
  const several = await jailed([bin, "2", "4", "500"], { env: { JAIL_NOTIFY_THREADS: "3" } });
  assert.equal(several.run.stdout, pooled.run.stdout);
  assert.equal(traced.run.code, 0, traced.run.stderr);
  assert.equal(traced.run.stdout, pooled.run.stdout);
  assert.equal(traced.run.stdout.trim(), "procs 2 threads 4 calls 500 bad 0 uname Linux");
  assert.equal(pooled.stats.stats.notified, 2 * 4 * 500 + 2 * 4);
  // No listener of jail's: nothing was notified (a USER_NOTIF return would have failed the
  // calls with ENOSYS, which `bad` counts).
  assert.equal(traced.stats.stats.notified, 0);
});

Deno.test("notify: as on a kernel before 6.6, one thread polls before each RECV and leaves at POLLHUP", async () => {
  const bin = await probe();
  const { run, stats } = await jailed([bin, "2", "4", "500"], {
    env: { JAIL_NOTIFY_POLL: "1", JAIL_NOTIFY_THREADS: "3" },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "procs 2 threads 4 calls 500 bad 0 uname Linux");
  assert.equal(stats.stats.notified, 2 * 4 * 500 + 2 * 4);
});

Deno.test("notify: per-call reporting keeps every rule on ptrace stops", async () => {
  const bin = await probe();
  const { run, stats } = await jailed([bin, "1", "1", "3"], { flags: ["--trace"] });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.trim(), "procs 1 threads 1 calls 3 bad 0 uname Linux");
  assert.equal(stats.stats.notified, undefined, "a pool started under --trace");
  assert.equal(run.stderr.match(/getppid\(\) = 7/g)?.length, 3, run.stderr);
});

Deno.test("notify: JAIL_NOTIFY_THREADS=0 leaves every rule on ptrace stops", async () => {
  const bin = await probe();
  const { run, stats } = await jailed([bin, "1", "2", "100"], {
    env: { JAIL_NOTIFY_THREADS: "0" },
  });
  assert.equal(run.stdout.trim(), "procs 1 threads 2 calls 100 bad 0 uname Linux");
  assert.equal(stats.stats.notified, undefined);
});

Deno.test("notify: callers killed while their calls wait for an answer", async () => {
  // 50 rounds: a child whose 8 threads loop in getppid is SIGKILLed by its parent; calls taken
  // by the pool but not yet answered get ENOENT from SEND, which must neither fail nor hang it.
  const bin = await buildC("esrch_dying");
  const { run, stats } = await jailed([bin, "50", "8"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^rounds 50 threads 8 bad 0$/m);
  assert.ok((stats.stats.notified ?? 0) > 0, "the pool answered nothing");
  assert.equal(stats.stats.processes, 51);
});

Deno.test("notify: SIGSTOP and SIGCONT while calls wait for answers", async () => {
  // Each stop interrupts the calls waiting in the kernel (their answers then get ENOENT) and the
  // supervisor parks the job; each call restarts after SIGCONT and is answered again.
  const bin = await probe();
  const { run, stats } = await jailed([bin, "1", "4", "50000", "20"], {
    env: { JAIL_NOTIFY_THREADS: "2" },
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, "stopped 20\nprocs 1 threads 4 calls 50000 bad 0 uname Linux\n");
  assert.ok(stats.stats.quirks.listens > 0, "no group-stop was parked");
  assert.ok((stats.stats.notified ?? 0) >= 4 * 50000 + 4);
});

Deno.test("notify: the tree still cannot add a listener when jail's filter holds it", async () => {
  const bin = await buildC("wall_listener");
  const { run } = await jailed([bin]);
  assert.equal(run.stdout.trim(), "listener=EBUSY", run.stderr);
  assert.equal(run.code, 1);
});

Deno.test("notify: a filter of the tree's own cannot steer a notified call to the real one", async () => {
  const [bin, hold] = await Promise.all([buildC("notif_forge"), holder()]);
  // A forged TRACE: jail's USER_NOTIF outranks it (the pool answers), and under the fallback the
  // supervisor takes the rule from jail's spec, not from the forged data.
  assert.equal((await jailed([bin, "trace"])).run.stdout.trim(), "getppid=7");
  assert.equal((await jailed([bin, "trace"], { prefix: [hold] })).run.stdout.trim(), "getppid=7");
  // A USER_NOTIF of its own, without a listener: the call fails, it does not run.
  assert.equal((await jailed([bin, "notif"])).run.stdout.trim(), "getppid=ENOSYS");
  // A filter that refuses the call outranks jail's notification: the tree refuses its own call.
  const own = await jailed([await buildC("wall_own_filter")]);
  assert.equal(own.run.stdout.trim(), "getppid=EPERM ok", own.run.stderr);
});

Deno.test("notify: the tree never holds jail's listener (close-on-exec, nothing injected after the filter)", async () => {
  const look = [
    "sh",
    "-c",
    'for f in /proc/$$/fd/*; do case "$(readlink "$f")" in *seccomp*) exit 3;; esac; done; exit 0',
  ];
  const { run, stats } = await jailed(look);
  assert.equal(run.code, 0, "the tree holds a seccomp listener");
  // The pool ran (dash's own getppid for $PPID went through it): jail's filter held the listener.
  assert.ok(
    (stats.stats.notified ?? 0) > 0,
    "no pool answered: the listener was not jail's filter's",
  );
});

Deno.test("notify: the library runs twice in one process, ends, and leaves no thread behind", async () => {
  const bin = await probe();
  const driver = `
import { run } from "${ROOT_DIR}/mod.ts";
// Deno names a Worker's thread "worker-<n>" (the supervisor's and the pool's); its own runtime
// threads (tokio, V8) come and go on their own schedule and are not counted.
const workers = () => [...Deno.readDirSync("/proc/self/task")].filter((t) => {
  try { return Deno.readTextFileSync("/proc/self/task/" + t.name + "/comm").startsWith("worker-"); } catch { return false; }
}).length;
const listeners = () => [...Deno.readDirSync("/proc/self/fd")]
  .filter((e) => { try { return Deno.readLinkSync("/proc/self/fd/" + e.name).includes("seccomp"); } catch { return false; } }).length;
const before = workers();
const config = ${JSON.stringify(CONFIG)};
const out = [];
for (let i = 0; i < 2; i++) {
  const r = await run(["${bin}", "2", "2", "300"], { config });
  out.push(r.code + " " + r.stats.notified);
}
// Terminated Workers' threads exit shortly after; the pool's must not stay blocked in the kernel.
const deadline = Date.now() + 5000;
while (workers() > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
console.log(out.join(","), workers() <= before ? "threads back" : "threads left " + (workers() - before), "listeners " + listeners());
`;
  await inTempDir("jail-notify-lib-", async (dir) => {
    await Deno.writeTextFile(`${dir}/driver.ts`, driver);
    // The driver ends on its own: a pool thread or timer left behind would keep it running.
    const r = await native([Deno.execPath(), "run", "-A", "--no-check", `${dir}/driver.ts`], {
      timeoutMs: 60_000,
      cwd: dir,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.trim().split("\n").at(-1),
      `0 ${2 * 2 * 300 + 4},0 ${2 * 2 * 300 + 4} threads back listeners 0`,
    );
  });
});

Deno.test("notify: spawnNow creates every pool thread at once; without a listener they leave", async () => {
  // An owner that will block its event loop (a supervisor loop on its own thread) creates the
  // workers before it does; the launch then says it has no listener (-1): nothing is served.
  const driver = `
import { attachListener, detachListener, startNotifyPool } from "${ROOT_DIR}/src/notify/pool.ts";
import { loadPolicy } from "${ROOT_DIR}/src/policy/load.ts";
const workers = () => [...Deno.readDirSync("/proc/self/task")].filter((t) =>
  Deno.readTextFileSync("/proc/self/task/" + t.name + "/comm").startsWith("worker-")).length;
const { compiled } = await loadPolicy({ value: ${JSON.stringify(CONFIG)}, noConfig: true });
const pool = startNotifyPool(compiled)!;
pool.spawnNow();
const made = workers();
attachListener(pool.shared, -1);
const { answered, free } = detachListener(pool.shared);
pool.end();
const deadline = Date.now() + 5000;
while (workers() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
console.log(made, answered, free, workers());
`;
  await inTempDir("jail-notify-spawn-", async (dir) => {
    await Deno.writeTextFile(`${dir}/driver.ts`, driver);
    const r = await native([Deno.execPath(), "run", "-A", "--no-check", `${dir}/driver.ts`], {
      env: { JAIL_NOTIFY_THREADS: "3" },
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "3 0 true 0");
  });
});

Deno.test("kernel/seccomp.ts: the notification structures and ioctls as the C headers and the kernel have them", async () => {
  const abi = keyValues((await native([await buildC("notif_abi")])).stdout);
  const n = SECCOMP.SECCOMP_NOTIF, r = SECCOMP.SECCOMP_NOTIF_RESP;
  assert.deepEqual(abi, {
    "notif.size": `${n.size}`,
    "notif.id": `${n.id}`,
    "notif.pid": `${n.pid}`,
    "notif.flags": `${n.flags}`,
    "notif.data": `${n.data}`,
    "resp.size": `${r.size}`,
    "resp.id": `${r.id}`,
    "resp.val": `${r.val}`,
    "resp.error": `${r.error}`,
    "resp.flags": `${r.flags}`,
    "sizes.size": `${SECCOMP.SECCOMP_NOTIF_SIZES_BYTES}`,
    RECV: `${SECCOMP.SECCOMP_IOCTL_NOTIF_RECV}`,
    SEND: `${SECCOMP.SECCOMP_IOCTL_NOTIF_SEND}`,
    ID_VALID: `${SECCOMP.SECCOMP_IOCTL_NOTIF_ID_VALID}`,
    SET_FLAGS: `${SECCOMP.SECCOMP_IOCTL_NOTIF_SET_FLAGS}`,
    GET_NOTIF_SIZES: `${SECCOMP.SECCOMP_GET_NOTIF_SIZES}`,
    FLAG_CONTINUE: `${SECCOMP.SECCOMP_USER_NOTIF_FLAG_CONTINUE}`,
    FD_SYNC_WAKE_UP: `${SECCOMP.SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP}`,
    RET_USER_NOTIF: `${SECCOMP.SECCOMP_RET_USER_NOTIF}`,
  });
  // The running kernel's own sizes (SECCOMP_GET_NOTIF_SIZES), which the pool reads too.
  assert.deepEqual(notifSizes(), { notif: n.size, resp: r.size, data: SECCOMP.SECCOMP_DATA_SIZE });
});
