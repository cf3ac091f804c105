/**
 * Teardown: whatever ends the run (the root's exit, a signal to jail, the
 * timeout, SIGKILL of jail itself), no process of the tree outlives it.
 *
 * The tracees record their own pids in a file (the C fixtures return only
 * once what they leave behind is recorded and running, stopped or blocked);
 * after jail returns, the test checks /proc for each: not even a zombie may
 * remain. Synchronisation is by polling files, output and /proc with a
 * deadline; every run has a hard timeout.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  alive,
  buildC,
  holds,
  inTempDir,
  jail,
  procState,
  spawnJail,
  TIME_SCALE,
  until,
} from "./_helpers.ts";

/** Parent pid of a pid, undefined when it does not exist. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return undefined;
  }
}

/** Asserts that none of the pids exists any more, not even as a zombie. */
function assertGone(pids: number[], when: string): void {
  assert.ok(pids.length > 0, "no pids recorded");
  const left = pids.filter((p) => procState(p) !== undefined).map((p) => `${p}:${procState(p)}`);
  assert.deepEqual(left, [], `processes of the tree still exist ${when}`);
}

/** All integers in a pid file, in order. */
function readNumbers(file: string): number[] {
  try {
    return Deno.readTextFileSync(file).split(/\s+/).filter((w) => /^\d+$/.test(w)).map(Number);
  } catch {
    return [];
  }
}

/** A temporary directory for pid files, removed afterwards. */
const inDir = (fn: (dir: string) => Promise<void>) => inTempDir("jail-teardown-", fn);

/** Shell words that start the three "hard to kill" fixtures, each recording its pids in `file`. */
async function hardToKill(file: string): Promise<string> {
  const [daemon, vfork, stopped] = await Promise.all(
    ["setsid_daemon", "vfork_blocked", "stopped_child"].map((n) => buildC(n)),
  );
  return `${daemon} ${file} && ${vfork} ${file} && ${stopped} ${file}`;
}

Deno.test("teardown: when the root exits, every descendant is killed: setsid daemons ignoring SIGTERM/SIGHUP, stopped processes, a parent blocked in vfork", async () => {
  await inDir(async (dir) => {
    const pids = `${dir}/pids`;
    const script = `${await hardToKill(pids)} && echo $$ >> ${pids}; exit 5`;
    const run = await jail(["--", "sh", "-c", script], { timeoutMs: 30_000 });
    assert.equal(run.code, 5, run.stderr);
    const recorded = readNumbers(pids);
    // The daemon, the vfork parent and child, the stopped child, the root.
    assert.equal(recorded.length, 5, `pid file: ${recorded}`);
    assertGone(recorded, "after jail returned");
  });
});

Deno.test("teardown: --wait waits for the rest of the tree instead of killing it", async () => {
  await inDir(async (dir) => {
    const pids = `${dir}/pids`;
    const fifo = `${dir}/fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    // A background job that outlives the root, blocked until the test opens the FIFO.
    const script = `(read x < ${fifo}; echo late) & echo $! >> ${pids}; echo $$ >> ${pids}; exit 3`;
    const live = spawnJail(["--wait", "--", "sh", "-c", script]);
    try {
      await until("both pids", () => readNumbers(pids).length === 2);
      const [job, root] = readNumbers(pids);
      await until("the root's exit", () => !alive(root));
      // The root is gone; jail keeps waiting while the job lives.
      await holds(() => {
        assert.ok(alive(job), "the background job was killed");
        assert.ok(!live.finished(), "jail returned before the tree was done");
      });
      await Deno.writeTextFile(fifo, "x\n");
      const run = await live.done;
      assert.equal(run.code, 3, run.stderr);
      assert.equal(run.stdout, "late\n");
      assertGone([job, root], "after jail returned");
    } finally {
      await live.stop();
    }
  });
});

Deno.test("teardown: without --wait the same background job is killed when the root exits", async () => {
  await inDir(async (dir) => {
    const pids = `${dir}/pids`;
    const fifo = `${dir}/fifo`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    const script = `(read x < ${fifo}; echo late) & echo $! >> ${pids}; echo $$ >> ${pids}; exit 3`;
    const run = await jail(["--", "sh", "-c", script], { timeoutMs: 30_000 });
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, "");
    assertGone(readNumbers(pids), "after jail returned");
  });
});

Deno.test("teardown: orphans are reparented to jail and reaped while it runs: no zombie remains", async () => {
  const bin = await buildC("orphan_maker");
  await inDir(async (dir) => {
    const file = `${dir}/pids`;
    const live = spawnJail(["--", bin, file]);
    try {
      await until("orphans ready", () => live.stdout().includes("orphans ready\n"));
      const text = await Deno.readTextFile(file);
      const jailPid = Number(/^jail (\d+)$/m.exec(text)?.[1]);
      const late = /^late (\d+) (\d+)$/m.exec(text);
      const early = Number(/^early (\d+)$/m.exec(text)?.[1]);
      assert.ok(jailPid > 0 && late && early > 0, text);
      // PR_SET_CHILD_SUBREAPER: the orphan's new parent is jail, not init.
      assert.equal(Number(late[2]), jailPid, "the orphan was reparented elsewhere");
      const orphans = [Number(late[1]), early];
      await until("the orphans reaped", () => {
        for (const pid of orphans) {
          const parent = parentOf(pid);
          assert.ok(parent === undefined || parent === jailPid, `${pid} has parent ${parent}`);
        }
        return orphans.every((pid) => procState(pid) === undefined);
      }, 5_000);
      assert.ok(!live.finished(), "reaped while jail still runs");
      await live.write("\n");
      const run = await live.done;
      assert.equal(run.code, 0, run.stderr);
    } finally {
      await live.stop();
    }
  });
});

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;

Deno.test("teardown: SIGTERM, SIGINT and SIGHUP to jail go to the root; jail exits with the root's status and the tree is killed", async () => {
  const bin = await buildC("signal_root");
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    await inDir(async (dir) => {
      const file = `${dir}/pids`;
      const live = spawnJail(["--", bin, file, "exit"]);
      try {
        await until("ready", () => live.stdout().includes("ready\n"));
        Deno.kill(live.pid, sig);
        const run = await live.done;
        assert.equal(run.code, 64 + SIGNAL_NUMBERS[sig], `${sig}: ${run.stderr}`);
        assert.equal(run.stdout, `ready\nroot got ${sig}\n`);
        // Root, jail (its parent), and the child that ignores all three signals.
        const [root, parent, child] = readNumbers(file);
        assert.equal(parent, live.pid);
        assertGone([root, child], `after jail returned (${sig})`);
      } finally {
        await live.stop();
      }
    });
  }
});

Deno.test("teardown: a root that ignores the signal is SIGKILLed with its tree after the grace period", async () => {
  const bin = await buildC("signal_root");
  await inDir(async (dir) => {
    const file = `${dir}/pids`;
    const live = spawnJail(["--grace", "300ms", "--", bin, file, "ignore"]);
    try {
      await until("ready", () => live.stdout().includes("ready\n"));
      const sent = Date.now();
      Deno.kill(live.pid, "SIGTERM");
      const run = await live.done;
      const elapsed = Date.now() - sent;
      assert.equal(run.code, 128 + 9, run.stderr);
      assert.ok(elapsed >= 300, `killed after ${elapsed} ms, before the grace period`);
      const [root, , child] = readNumbers(file);
      assertGone([root, child], "after jail returned");
    } finally {
      await live.stop();
    }
  });
});

Deno.test("teardown: with --wait, the grace period after a forwarded signal ends in SIGKILL of the whole tree", async () => {
  const bin = await buildC("signal_root");
  await inDir(async (dir) => {
    const file = `${dir}/pids`;
    const live = spawnJail(["--wait", "--grace", "1s", "--", bin, file, "exit"]);
    try {
      await until("ready", () => live.stdout().includes("ready\n"));
      const [root, , child] = readNumbers(file);
      const sent = Date.now();
      Deno.kill(live.pid, "SIGTERM");
      await until("the root's exit", () => !alive(root));
      assert.ok(alive(child), "the child was killed at the root's exit despite --wait");
      const run = await live.done;
      const elapsed = Date.now() - sent;
      assert.equal(run.code, 64 + 15, run.stderr);
      assert.ok(elapsed >= 1000, `tree killed after ${elapsed} ms, before the grace period`);
      assertGone([root, child], "after jail returned");
    } finally {
      await live.stop();
    }
  });
});

Deno.test("teardown: --timeout kills the tree and exits 124", async () => {
  await inDir(async (dir) => {
    const pids = `${dir}/pids`;
    const script = `${await hardToKill(pids)} && echo $$ >> ${pids} && exec sleep 600`;
    const started = Date.now();
    // 1 s, longer on an emulated machine, where the five processes take longer to start.
    const limit = 1000 * TIME_SCALE;
    const run = await jail(["--timeout", `${limit}ms`, "--", "sh", "-c", script], {
      timeoutMs: 30_000,
    });
    const elapsed = Date.now() - started;
    assert.equal(run.code, 124, run.stderr);
    assert.match(run.stderr, /timed out/);
    assert.ok(elapsed >= limit, `returned after ${elapsed} ms`);
    const recorded = readNumbers(pids);
    assert.equal(recorded.length, 5, `pid file: ${recorded}`);
    assertGone(recorded, "after jail returned");
  });
});

Deno.test("teardown: if the supervisor is SIGKILLed, PTRACE_O_EXITKILL kills every tracee", async () => {
  const [reaper, root] = await Promise.all([buildC("reaper"), buildC("signal_root")]);
  await inDir(async (dir) => {
    const pids = `${dir}/pids`;
    const script = `${await hardToKill(pids)} && exec ${root} ${pids} ignore`;
    // The reaper is a subreaper: the tracees that EXITKILL kills are reaped there, not by init.
    const live = spawnJail(["--", "sh", "-c", script], { prefix: [reaper] });
    try {
      await until("ready", () => live.stdout().includes("ready\n"));
      const numbers = readNumbers(pids);
      assert.equal(numbers.length, 7, `pid file: ${numbers}`);
      // Daemon, vfork parent and child, stopped child; then the root, its parent (jail), its child.
      const jailPid = numbers[5];
      assert.notEqual(jailPid, live.pid);
      assert.match(Deno.readTextFileSync(`/proc/${jailPid}/cmdline`), /jail\.ts/);
      const tracees = numbers.filter((_, i) => i !== 5);
      assert.ok(tracees.every(alive), "the tree is up");
      Deno.kill(jailPid, "SIGKILL");
      // The reaper exits once it has reaped every descendant: all are dead.
      const run = await live.done;
      assert.equal(run.code, 128 + 9, run.stderr);
      assertGone([jailPid, ...tracees], "after the supervisor was killed");
    } finally {
      await live.stop();
    }
  });
});

Deno.test("teardown: kill 0 and kill -STOP 0 reach the tree's process group, never jail itself", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // The tree shares jail's process group; SIGSTOP to "my group" must not freeze the supervisor.
    // In a session of its own: were the guard broken, SIGSTOP would freeze jail, not this runner.
    const live = spawnJail([
      "--",
      "sh",
      "-c",
      `echo $$ > ${dir}/pid; kill -STOP 0; echo resumed; sleep 30 & kill -TERM 0; echo notreached`,
    ], { prefix: ["setsid"], timeoutMs: 20_000 });
    try {
      await until("the shell to write its pid", () => readNumbers(`${dir}/pid`).length === 1);
      const sh = readNumbers(`${dir}/pid`)[0];
      await until("the shell to stop", () => /^[Tt]$/.test(procState(sh) ?? ""));
      // jail is still running (not stopped), and nothing after the stop was printed.
      assert.match(procState(live.pid) ?? "gone", /^[RS]$/);
      assert.equal(live.stdout(), "");
      // A SIGCONT that arrives while the SIGSTOP sits in its signal-delivery-stop (state t too,
      // before jail lets it stop the group) is consumed first: under ptrace, as under strace, the
      // stop then still happens. Send it again until the shell goes on (bounded).
      for (let i = 0; i < 20 && !live.stdout().includes("resumed"); i++) {
        Deno.kill(sh, "SIGCONT");
        await until("the shell to resume", () => live.stdout().includes("resumed"), 500).catch(
          () => {},
        );
      }
      const r = await live.done;
      assert.equal(r.stdout, "resumed\n");
      assert.equal(r.code, 143, "the shell died of its own group's SIGTERM; jail reports it");
    } catch (e) {
      await live.stop();
      throw e;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
