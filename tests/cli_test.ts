/**
 * End-to-end tests of the first jailed command: exit statuses, stdio,
 * environment and cwd pass through; exec failures; the seccomp-stop path.
 */

import assert from "node:assert/strict";
import { jail, native, ROOT_DIR, which } from "./_helpers.ts";

Deno.test("jail passes the command's output and exit code through", async () => {
  const r = await jail(["--", "sh", "-c", "echo hi; exit 7"]);
  assert.equal(r.stdout, "hi\n");
  assert.equal(r.code, 7);
});

Deno.test("jail exits 128+N when the command dies of signal N", async () => {
  const r = await jail(["--", "sh", "-c", "kill -TERM $$"]);
  assert.equal(r.code, 143);
  const k = await jail(["--", "sh", "-c", "kill -KILL $$"]);
  assert.equal(k.code, 137);
});

Deno.test("jail exits 127 for a missing command and names it", async () => {
  const r = await jail(["--", "/nonexistent"]);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /^jail: \/nonexistent: No such file or directory$/m);
  const p = await jail(["--", "no-such-command-xyz"]);
  assert.equal(p.code, 127);
  assert.match(p.stderr, /^jail: no-such-command-xyz: command not found$/m);
});

Deno.test("jail exits 126 for a file without the run bit", async () => {
  const f = await Deno.makeTempFile({ suffix: ".sh" });
  try {
    await Deno.writeTextFile(f, "#!/bin/sh\necho nope\n");
    await Deno.chmod(f, 0o644);
    const r = await jail(["--", f]);
    assert.equal(r.code, 126);
    assert.match(r.stderr, /Permission denied/);
    assert.equal(r.stdout, "");
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("jail passes stdin through", async () => {
  const r = await jail(["--", "cat"], { stdin: "x\n" });
  assert.equal(r.stdout, "x\n");
  assert.equal(r.code, 0);
});

Deno.test("jail passes the environment and the cwd through", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await jail(["--", "sh", "-c", 'echo "$JAIL_TEST_VAR"; pwd'], {
      env: { JAIL_TEST_VAR: "value with spaces" },
      cwd: dir,
    });
    assert.equal(r.stdout, `value with spaces\n${await Deno.realPath(dir)}\n`);
    // jail's own exec-stage marker, and the variable that keeps Deno quiet in it, never reach the
    // command (started without it here: `deno task test` sets it for the whole suite).
    const env = await jail(["--", "env"], { prefix: ["env", "-u", "DENO_NO_UPDATE_CHECK"] });
    assert.doesNotMatch(env.stdout, /JAIL_EXEC_STAGE|DENO_NO_UPDATE_CHECK/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jail's command starts with no signal ignored or blocked (Deno ignores SIGPIPE)", async () => {
  const r = await jail(["--", "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"]);
  assert.equal(r.stdout, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
  // With SIGPIPE at its default, `yes` dies of it when head closes the pipe.
  const y = await jail(["--", "sh", "-c", "yes | head -n 1; exit 0"]);
  assert.equal(y.stdout, "y\n");
  assert.equal(y.stderr, "");
});

Deno.test("jail's command runs on the CPUs jail may use (the launch pins it to one only meanwhile)", async () => {
  const read = "grep Cpus_allowed_list /proc/self/status";
  const plain = await native(["sh", "-c", read]);
  const jailed = await jail(["--", "sh", "-c", read]);
  assert.equal(jailed.stdout, plain.stdout, jailed.stderr);
  // Under a narrower mask jail was given, the command gets that one.
  const narrow = await jail(["--", "sh", "-c", read], { prefix: ["taskset", "-c", "0"] });
  assert.equal(narrow.stdout, "Cpus_allowed_list:\t0\n", narrow.stderr);
});

Deno.test("jail loses nothing the command writes", async () => {
  const r = await jail(["--", "sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' a; echo err >&2"]);
  assert.equal(r.stdout.length, 3_000_000);
  assert.equal(r.stderr, "err\n");
});

Deno.test("jail passes exactly the descriptors it was given, none of its own", async () => {
  const script = "ls /proc/$$/fd";
  const plain = await native(["sh", "-c", script]);
  const r = await jail(["--", "sh", "-c", script]);
  const fds = (s: string) => s.trim().split(/\s+/).sort();
  assert.deepEqual(fds(r.stdout), fds(plain.stdout));
});

Deno.test("jail seccomp-stop path: a traced connect is looked at and allowed to loopback", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepted = (async () => {
    const conn = await listener.accept();
    await conn.write(new TextEncoder().encode("hello from server\n"));
    conn.close();
  })();
  try {
    const r = await jail([
      "--",
      "python3",
      "-c",
      `import socket; s = socket.create_connection(("127.0.0.1", ${port})); print(s.recv(100).decode(), end="")`,
    ]);
    assert.equal(r.stdout, "hello from server\n");
    assert.equal(r.code, 0);
    await accepted;
  } finally {
    listener.close();
  }
  // The filter really sends connect to the supervisor: the explained policy says so.
  const explain = await jail(["--explain"]);
  assert.match(explain.stdout, /TRACE\|\d+ {2}connect: net check connect/);
});

Deno.test("jail --help and --version exit 0", async () => {
  const h = await jail(["--help"]);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: jail \[options\] -- <command>/);
  const v = await jail(["-V"]);
  const version = JSON.parse(await Deno.readTextFile(`${ROOT_DIR}/deno.json`)).version;
  assert.equal(v.stdout.trim(), `jail ${version}`);
});

Deno.test("jail without a command is a usage error (125)", async () => {
  const r = await jail([]);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^jail: no command given/m);
});

const hasStrace = await which("strace") !== "";

Deno.test({
  name: "jail under another tracer says it is being traced, not that ptrace is forbidden (125)",
  ignore: !hasStrace,
  fn: async () => {
    const r = await jail(["--", "true"], { prefix: ["strace", "-f", "-o", "/dev/null"] });
    assert.equal(r.code, 125, r.stderr);
    assert.match(
      r.stderr,
      /^jail: cannot trace a child process: .*EPERM.*: jail is itself being traced \(by pid \d+/m,
    );
    assert.doesNotMatch(r.stderr, /ptrace_scope|\n {4}at /);
  },
});

Deno.test("JAIL_TIMING prints each start-up phase once, in order; unset, none", async () => {
  const spawned = Date.now();
  const r = await jail(["--", "sh", "-c", "echo ok"], { env: { JAIL_TIMING: `${spawned}` } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "ok\n");
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("jail timing: "));
  const phases = lines.map((l) => l.split(" ").slice(3).join(" "));
  // One thread: the CLI runs the supervisor's loop itself (src/run/inline.ts).
  const seq = [
    "cli loaded",
    "policy loaded and compiled",
    "start posted",
    "launch done",
    "started received",
    "supervisor loop ended",
    "done received",
    "exit",
  ].map((n) => phases.indexOf(n));
  assert.ok(seq.every((at) => at >= 0), r.stderr);
  assert.deepEqual(seq, [...seq].sort((a, b) => a - b), r.stderr);
  assert.equal(new Set(phases).size, phases.length, r.stderr);
  // Times since the spawn: positive, and never past the moment the run was over.
  const ms = lines.map((l) => Number(l.split(" ")[2]));
  assert.ok(ms.every((t) => t > 0 && t <= Date.now() - spawned), r.stderr);
  const quiet = await jail(["--", "sh", "-c", "echo ok"]);
  assert.equal(quiet.stderr.includes("jail timing"), false, quiet.stderr);
});
