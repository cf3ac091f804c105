/**
 * `--trace` end to end: the exact decoded lines and the results each call
 * returned (c/trace_probe.c prints what its calls returned natively, to
 * compare), `--trace-calls`, threads, calls that never return, untorn
 * output, and no syscall-exit-stop without `--trace`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { buildC, jail, type JailRun } from "./_helpers.ts";

const T = { sanitizeResources: true, sanitizeOps: true };

/** The trace lines of syscalls, with pointers as `<ptr>` and the bracket as `[<pid>]`/`[<pid>/<tid>]`. */
function calls(stderr: string): string[] {
  return stderr.split("\n")
    .filter((l) => /^\[\d+(\/\d+)?( [^\]]*)?\] \w+\(/.test(l))
    .map((l) => l.replace(/0x[0-9a-f]{6,}/g, "<ptr>"));
}

/** A line without its bracket. */
const body = (line: string) => line.replace(/^\[[^\]]*\] /, "");

async function withTempDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "jail-trace-" });
  try {
    return await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test(
  "trace: openat of an existing and a missing file, read and close show decoded arguments and real results",
  T,
  async () => {
    const probe = await buildC("trace_probe");
    await withTempDir(async (dir) => {
      const existing = `${dir}/exists.txt`;
      await Deno.writeTextFile(existing, "abcdefgh");
      const missing = `${dir}/missing "quoted"\n.txt`;
      const run = await jail([
        "--trace-calls=openat,read,close",
        "--",
        probe,
        "files",
        existing,
        missing,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "openat 3\nopenat -2\nread 4\nclose 0\n");
      const lines = calls(run.stderr).map(body);
      const at = lines.indexOf(`openat(AT_FDCWD, "${existing}", O_RDONLY|O_CLOEXEC) = 3`);
      assert.ok(at >= 0, run.stderr);
      assert.deepEqual(lines.slice(at, at + 4), [
        `openat(AT_FDCWD, "${existing}", O_RDONLY|O_CLOEXEC) = 3`,
        `openat(AT_FDCWD, "${dir}/missing \\"quoted\\"\\n.txt", O_RDONLY) = -1 ENOENT (No such file or directory)`,
        "read(3, <ptr>, 4) = 4",
        "close(3) = 0",
      ]);
    });
  },
);

Deno.test(
  "trace: socket, a denied connect and an allowed loopback connect show what the caller got",
  T,
  async () => {
    const probe = await buildC("trace_probe");
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = listener.addr.port;
      const run = await jail([
        "--deny-net=127.0.0.7",
        "--trace-calls=socket,connect",
        "--",
        probe,
        "net",
        String(port),
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "socket 3\nconnect -13\nconnect 0\n");
      assert.deepEqual(calls(run.stderr).map(body), [
        "socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3",
        "connect(3, {AF_INET, 127.0.0.7:80}, 16) = -1 EACCES (Permission denied)  deny by net",
        `connect(3, {AF_INET, 127.0.0.1:${port}}, 16) = 0  allow by net`,
      ]);
    } finally {
      listener.close();
    }
  },
);

Deno.test(
  "trace: --trace-calls shows only the chosen calls, even those jail stops for its checks",
  T,
  async () => {
    const probe = await buildC("trace_probe");
    const run = await jail([
      "--trace-calls=socket",
      "--deny-net=127.0.0.7",
      "--",
      probe,
      "net",
      "9",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(calls(run.stderr).map(body), ["socket(AF_INET, SOCK_STREAM, IPPROTO_IP) = 3"]);
    // The denied connect still stopped and was refused, only not traced.
    assert.match(run.stderr, /jail: denied connect to 127\.0\.0\.7:80/);
    assert.equal(run.stdout.split("\n")[1], "connect -13");
  },
);

Deno.test("trace: --trace-calls takes a class, %net, and its members alone", T, async () => {
  const probe = await buildC("trace_probe");
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "x");
    const net = await jail(["--trace-calls=%net", "--", probe, "net", "9"]);
    assert.equal(net.code, 0, net.stderr);
    const names = calls(net.stderr).map((l) => body(l).split("(")[0]);
    assert.deepEqual(names, ["socket", "connect", "connect"]);
    const files = await jail(["--trace-calls=%file", "--", probe, "files", `${dir}/f`, `${dir}/g`]);
    assert.equal(files.code, 0, files.stderr);
    const fileNames = new Set(calls(files.stderr).map((l) => body(l).split("(")[0]));
    assert.ok(fileNames.has("openat") && fileNames.has("execve"), [...fileNames].join(" "));
    assert.ok(!fileNames.has("read") && !fileNames.has("close"), "read and close are %desc");
  });
});

Deno.test(
  "trace: a misspelt --trace-calls name exits 125 with the flag, the value and a suggestion",
  T,
  async () => {
    const bad = async (value: string): Promise<JailRun> => {
      const run = await jail([`--trace-calls=${value}`, "--", "true"]);
      assert.equal(run.code, 125, run.stderr);
      assert.equal(run.stdout, "");
      return run;
    };
    assert.match(
      (await bad("openat,opnat")).stderr,
      /^jail: --trace-calls: unknown syscall "opnat": did you mean openat\?/,
    );
    assert.match(
      (await bad("%fil")).stderr,
      /^jail: --trace-calls: unknown class "%fil": did you mean %file\?/,
    );
  },
);

Deno.test("trace: two threads calling at once each get their own results", T, async () => {
  const probe = await buildC("trace_probe");
  const rounds = 200;
  await withTempDir(async (dir) => {
    const path = `${dir}/p`;
    await Deno.writeTextFile(path, "x");
    const run = await jail(["--trace-calls=openat", "--", probe, "threads", path, String(rounds)]);
    assert.equal(run.code, 0, run.stderr);
    const found = calls(run.stderr).filter((l) => l.includes(`"${path}`));
    const present = found.filter((l) => l.includes(`"${path}"`));
    const absent = found.filter((l) => l.includes(`"${path}.missing"`));
    assert.equal(present.length, rounds);
    assert.equal(absent.length, rounds);
    for (const l of present) assert.match(l, /\) = [3-9]\d*$/, l);
    for (const l of absent) assert.match(l, /\) = -1 ENOENT \(No such file or directory\)$/, l);
    const tid = (l: string) => l.match(/^\[(\d+(?:\/\d+)?)/)![1];
    assert.equal(new Set(present.map(tid)).size, 1, "one thread opened the file");
    assert.equal(new Set(absent.map(tid)).size, 1, "the other the missing one");
    assert.notEqual(tid(present[0]), tid(absent[0]));
  });
});

Deno.test(
  "trace: a call the thread never returns from shows = ? (exit_group, SIGKILL)",
  T,
  async () => {
    const probe = await buildC("trace_probe");
    const exit = await jail(["--trace-calls=exit_group", "--", probe, "exit", "3"]);
    assert.equal(exit.code, 3, exit.stderr);
    const exitLines = exit.stderr.split("\n").filter((l) => / exit_group\(|\] exit \d/.test(l));
    assert.deepEqual(exitLines.map(body), ["exit_group(3) = ?", "exit 3"]);
    const killed = await jail(["--trace-calls=kill", "--", probe, "killed"]);
    assert.equal(killed.code, 128 + 9, killed.stderr);
    const killLines = killed.stderr.split("\n").filter((l) => / kill\(|killed by/.test(l));
    assert.equal(killLines.length, 2, killed.stderr);
    // Below Landlock ABI 6 a kill stops at the signal guard, which the line names.
    assert.match(body(killLines[0]), /^kill\(\d+, SIGKILL\) = \?( {2}allow by signal\.target)?$/);
    assert.equal(body(killLines[1]), "killed by SIGKILL");
  },
);

Deno.test("trace: execve shows its failure, and its success after the exec", T, async () => {
  const probe = await buildC("trace_probe");
  const run = await jail(["--trace-calls=execve", "--", probe, "exec", "/bin/true"]);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stderr.split("\n").filter((l) => / execve\(| exec \//.test(l)).map((l) =>
    body(l).replace(/0x[0-9a-f]+/g, "<ptr>")
  );
  assert.deepEqual(lines, [
    `exec ${probe} ["${probe}", "exec", "/bin/true"]`,
    `execve("${probe}", <ptr>, <ptr>) = 0`,
    'execve("/nonexistent/trace-probe", <ptr>, <ptr>) = -1 ENOENT (No such file or directory)',
    'exec /bin/true ["/bin/true"]',
    'execve("/bin/true", <ptr>, <ptr>) = 0',
  ]);
});

Deno.test(
  "trace: on a shared stderr every trace line and every line of the command stays whole",
  T,
  async () => {
    const probe = await buildC("trace_probe");
    const n = 300;
    const run = await jail(["--trace-calls=openat", "--", probe, "stderr", String(n)]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.trimEnd().split("\n");
    const own = lines.filter((l) => l.startsWith("command line "));
    const opens = lines.filter((l) => l.endsWith(' openat(AT_FDCWD, "/dev/null", O_RDONLY) = 3'));
    assert.equal(own.length, n);
    own.forEach((l, i) =>
      assert.equal(l, `command line ${i} of ${n}: the command's own stderr, whole`)
    );
    assert.equal(opens.length, n);
    for (const l of lines) {
      assert.ok(l.startsWith("command line ") || /^\[\d+[^\]]*\] /.test(l), `torn line: ${l}`);
    }
  },
);

Deno.test(
  "trace: --trace=FILE appends, so a command appending to the same file loses nothing",
  T,
  async () => {
    const probe = await buildC("trace_probe");
    await withTempDir(async (dir) => {
      const file = `${dir}/trace.txt`;
      await Deno.writeTextFile(file, "left from an earlier run\n");
      const n = 100;
      const run = await jail([
        `--trace=${file}`,
        "--trace-calls=openat",
        "--",
        "sh",
        "-c",
        `exec "$0" stderr ${n} 2>>"$1"`,
        probe,
        file,
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(
        run.stderr,
        "",
        "nothing on stderr: the trace and the command's lines went to the file",
      );
      const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
      assert.ok(!lines.includes("left from an earlier run"), "the file was emptied first");
      assert.equal(lines.filter((l) => l.startsWith("command line ")).length, n);
      assert.equal(lines.filter((l) => l.includes('openat(AT_FDCWD, "/dev/null"')).length, n);
      for (const l of lines) {
        assert.ok(l.startsWith("command line ") || /^\[\d+[^\]]*\] /.test(l), `torn line: ${l}`);
      }
    });
  },
);

Deno.test(
  "trace: without --trace no call costs a syscall-exit-stop; with it each traced call does",
  T,
  async () => {
    const loop = await buildC("policy_getppid_loop");
    await withTempDir(async (dir) => {
      const config = `${dir}/getppid.json`;
      await Deno.writeTextFile(config, JSON.stringify({ syscalls: { getppid: "trace" } }));
      const exits = async (flags: string[]): Promise<number> => {
        const statsFile = `${dir}/stats.json`;
        const run = await jail([...flags, "--config", config, "--", loop, "500"], {
          env: { JAIL_STATS_FILE: statsFile },
        });
        assert.equal(run.code, 0, run.stderr);
        return JSON.parse(await Deno.readTextFile(statsFile)).stats.quirks.syscallExits;
      };
      assert.equal(await exits([]), 0);
      assert.equal(await exits(["--log", `${dir}/log.jsonl`]), 0, "a log alone needs no results");
      assert.ok(await exits([`--trace=${dir}/t.txt`]) >= 500);
    });
  },
);

Deno.test(
  "trace: the ptrace quirk tracees run unchanged under --trace, every traced call ending with a result or ?",
  T,
  async () => {
    // name, arguments, exit status, stdout (as tests/quirks_test.ts expects them untraced).
    const cases: [string, string[], number, RegExp][] = [
      ["esrch_dying", ["30", "8"], 0, /^rounds 30 threads 8 bad 0$/m],
      ["exit_group_seccomp", ["50", "16"], 42, /^rounds 50 threads 16 bad 0$/m],
      ["stale_event", ["50"], 0, /^rounds 50 bad 0$/m],
      ["exec_non_leader", ["20", "4"], 0, /^rounds 20 bad 0$/m],
      ["vanish_threads", ["20", "4"], 33, /^rounds 20 bad 0$/m],
      ["vfork_exec", ["50"], 0, /^rounds 50 bad 0$/m],
      ["vfork_exit", ["50"], 0, /^rounds 50 bad 0$/m],
    ];
    await withTempDir(async (dir) => {
      const config = `${dir}/getppid.json`;
      await Deno.writeTextFile(config, JSON.stringify({ syscalls: { getppid: "trace" } }));
      for (const [name, args, code, stdout] of cases) {
        const bin = await buildC(name);
        const file = `${dir}/${name}.trace`;
        const statsFile = `${dir}/${name}.json`;
        const run = await jail([
          "--config",
          config,
          `--trace=${file}`,
          "--trace-calls=getppid,%process,execve",
          "--",
          bin,
          ...args,
        ], { env: { JAIL_STATS_FILE: statsFile }, timeoutMs: 60_000 });
        assert.equal(run.code, code, `${name}: ${run.stderr}`);
        assert.match(run.stdout, stdout, name);
        const stats = JSON.parse(await Deno.readTextFile(statsFile)).stats;
        assert.equal(stats.leftover, 0, name);
        const lines = calls(await Deno.readTextFile(file));
        assert.ok(lines.length > 0, name);
        for (const l of lines) {
          assert.match(l, /\) = (\?|-?\d+|-1 E\w+ \(.*\))( {2}.*)?$/, `${name}: ${l}`);
        }
        assert.ok(stats.quirks.syscallExits > 0, name);
      }
    });
  },
);
