/**
 * The everyday CLI defects of issue 13, each proven end to end: a 0 timeout
 * is no limit (CLI, config, library); library numbers are seconds; a list
 * flag followed by a bare word is refused; jail's own PATH search is not
 * reported as the command's denials, and a denied first exec names the
 * command; a rule that throws is reported once; every report file is checked
 * before the command starts.
 */

import assert from "node:assert/strict";
import { jail, type JailRun, native, ROOT_DIR, TIME_SCALE } from "./_helpers.ts";

const MOD = `${ROOT_DIR}/mod.ts`;

/** A scratch directory with `files` (name: [text, mode]); removed by the caller. */
async function scratch(files: Record<string, [string, number]> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "jail-everyday-" });
  for (const [name, [text, mode]] of Object.entries(files)) {
    await Deno.writeTextFile(`${dir}/${name}`, text, { mode });
    await Deno.chmod(`${dir}/${name}`, mode);
  }
  return dir;
}

/** Runs a script that uses the library (mod.ts) in its own process, with a hard timeout. */
function library(code: string): Promise<JailRun> {
  const script = `import { run } from ${JSON.stringify(MOD)};\n${code}`;
  return native([Deno.execPath(), "eval", "--no-check", script], { env: { NO_COLOR: "1" } });
}

// ---------------------------------------------------------------- 1, 2: timeouts

Deno.test("--timeout=0 is no limit, and overrides a config's timeout", async () => {
  const cmd = ["sh", "-c", "sleep 0.3; exit 7"];
  const flag = await jail(["--timeout=0", "--", ...cmd]);
  assert.equal(flag.code, 7, flag.stderr);
  const dir = await scratch({ "jail.config.json": ['{ "timeout": "0.1s" }', 0o644] });
  try {
    // The control: the config's own timeout does cut this command off.
    const control = await jail(["--", ...cmd], { cwd: dir });
    assert.equal(control.code, 124, control.stderr);
    const zero = await jail(["--timeout", "0", "--", ...cmd], { cwd: dir });
    assert.equal(zero.code, 7, zero.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("timeout: 0 in a config is no limit", async () => {
  const dir = await scratch({ "jail.config.json": ['{ "timeout": 0 }', 0o644] });
  try {
    const run = await jail(["--", "sh", "-c", "sleep 0.3; exit 7"], { cwd: dir });
    assert.equal(run.code, 7, run.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("library: a number timeout is seconds, as in a config; 0 is no limit; a bad one throws", async () => {
  const out = await library(`
const cmd = ["sh", "-c", "sleep 0.3; exit 7"];
console.log("one", (await run(cmd, { timeout: ${TIME_SCALE} })).code);
console.log("zero", (await run(cmd, { timeout: 0 })).code);
console.log("zero-over-config", (await run(cmd, { timeout: 0, config: { timeout: "0.1s" } })).code);
console.log("tenth", (await run(["sleep", "5"], { timeout: 0.1 })).code);
console.log("units", (await run(["sleep", "5"], { timeout: "100ms" })).code);
try {
  await run(["true"], { timeout: -1 });
  console.log("negative accepted");
} catch (e) {
  console.log("negative", e.name, e.message);
}
`);
  assert.equal(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split("\n");
  assert.deepEqual(lines.slice(0, 5), [
    "one 7",
    "zero 7",
    "zero-over-config 7",
    "tenth 124",
    "units 124",
  ]);
  assert.match(lines[5], /^negative ConfigError options\.timeout: invalid duration -1: /);
});

// ---------------------------------------------------------------- 3: flags

Deno.test("a list flag followed by a bare word is refused (125) and says how to give the value", async () => {
  const bad = await jail(["--allow-net", "localhost", "--", "true"]);
  assert.equal(bad.code, 125);
  assert.match(bad.stderr, /^jail: --allow-net takes its value with '=': --allow-net=localhost/);
  const read = await jail(["--deny-read", "/etc/shadow", "--", "true"]);
  assert.equal(read.code, 125);
  assert.match(read.stderr, /--deny-read takes its value with '=': --deny-read=\/etc\/shadow/);
  // Without a value before `--`, and with `=`, the flags still work.
  for (
    const args of [
      ["--allow-net", "--", "sh", "-c", "exit 3"],
      ["--allow-net=localhost", "--", "sh", "-c", "exit 3"],
      ["--deny-net", "--allow-read", "--", "sh", "-c", "exit 3"],
      ["-A", "--", "sh", "-c", "exit 3"],
    ]
  ) {
    const ok = await jail(args);
    assert.equal(ok.code, 3, `${args.join(" ")}: ${ok.stderr}`);
  }
});

// ---------------------------------------------------------------- 4: reports

Deno.test("jail's own PATH search is no denial in --summary or --log; the command runs from the first entry", async () => {
  const dir = await scratch();
  try {
    // Three entries that do not exist before the one that has `true`: execvpe under the filter
    // made one supervised execve per entry, reported as denials.
    const env = { PATH: `${dir}/a:${dir}/b:${dir}/c:/usr/bin:/bin` };
    const log = `${dir}/run.jsonl`;
    const run = await jail(["--deny-run=wget", "--summary", `--log=${log}`, "--", "true"], {
      env,
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /; 0 denied, 0 rewritten/);
    const records = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    const denied = records.filter((r) => r.decision === "deny");
    assert.deepEqual(denied, []);
    const execs = records.filter((r) => r.syscall === "execve");
    assert.equal(execs.length, 1, JSON.stringify(execs));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a file that does not exist is not counted as a denial: a shell's own search, cat of a missing file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jail-everyday-" });
  const secret = `${await Deno.realPath(dir)}/secret`;
  await Deno.writeTextFile(secret, "x\n");
  const run = await jail([
    `--deny-read=${secret}`,
    "--deny-run=/usr/bin/wget",
    "--summary",
    "--",
    "sh",
    "-c",
    `cat /nonexistent-jail-file 2>/dev/null; jail-no-such-command 2>/dev/null; cat ${secret}`,
  ]).finally(() => Deno.remove(dir, { recursive: true }));
  assert.equal(run.code, 1, run.stderr);
  // The one real denial, and nothing for the missing files.
  assert.match(run.stderr, /; 1 denied, 0 rewritten/);
  assert.match(run.stderr, /fs\s+deny\s+openat\s+-\s+1\s+cat/);
});

Deno.test("the command is still found as a shell finds it: 127, 126, and a file without #! runs with sh", async () => {
  const dir = await scratch({
    "no-shebang": ["echo fallback ran; exit 4\n", 0o755],
    "not-executable": ["#!/bin/sh\nexit 0\n", 0o644],
  });
  try {
    const env = { PATH: `${dir}/missing:${dir}:/usr/bin:/bin` };
    const script = await jail(["--deny-run=wget", "--", "no-shebang"], { env });
    assert.equal(script.code, 4, script.stderr);
    assert.equal(script.stdout, "fallback ran\n");
    const missing = await jail(["--", "jail-no-such-command"], { env });
    assert.equal(missing.code, 127);
    assert.match(missing.stderr, /jail: jail-no-such-command: command not found/);
    const notExec = await jail(["--", "not-executable"], { env });
    assert.equal(notExec.code, 126);
    assert.match(notExec.stderr, /jail: not-executable: Permission denied/);
    // PATH order: the first entry that has it wins, even when a later one has it too.
    const shadow = await scratch({ "true": ["#!/bin/sh\necho shadowed\n", 0o755] });
    try {
      const first = await jail(["--", "true"], { env: { PATH: `${shadow}:/usr/bin:/bin` } });
      assert.equal(first.stdout, "shadowed\n", first.stderr);
    } finally {
      await Deno.remove(shadow, { recursive: true });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a denied first exec names the command, not jail's launcher (deno)", async () => {
  const run = await jail(["--deny-run=env", "--", "env", "true"]);
  assert.equal(run.code, 126, run.stderr);
  assert.match(run.stderr, /^jail: denied run of \/usr\/bin\/env \(pid \d+ env\)/m);
  assert.doesNotMatch(run.stderr, /deno\)/);
});

// ---------------------------------------------------------------- 5: a rule that throws

Deno.test("a rule that throws is reported once, with its key, and every call it fails for is denied (EPERM)", async () => {
  const dir = await scratch({
    "jail.config.ts": [
      `export default { syscalls: { getsid: () => { throw new Error("rule broke"); } } };\n`,
      0o644,
    ],
  });
  try {
    const probe = `
import os
for _ in range(11):
    try:
        os.getsid(0)
        print("allowed")
    except OSError as e:
        print("errno%d" % e.errno)
`;
    const run = await jail(["--", "python3", "-c", probe], { cwd: dir });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split("\n"), Array(11).fill("errno1"));
    assert.deepEqual(run.stderr.trim().split("\n"), [
      "jail: rule syscalls.getsid failed: rule broke; the call is denied with EPERM",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- 6: report files

Deno.test("every report file is checked before the command starts: --learn, --log, GITHUB_STEP_SUMMARY", async () => {
  const dir = await scratch();
  try {
    const marker = `${dir}/ran`;
    const cmd = ["--", "sh", "-c", `touch ${marker}; echo ran`];
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        ["--learn", "/nonexistent-jail-dir/x.ts"],
        {},
        /^jail: --learn \/nonexistent-jail-dir\/x\.ts: cannot write: directory \/nonexistent-jail-dir: No such file or directory\n$/,
      ],
      [["--log", dir], {}, /^jail: --log .*: cannot write: is a directory\n$/],
      [
        ["--log=/nonexistent-jail-dir/l.jsonl"],
        {},
        /^jail: --log \/nonexistent-jail-dir\/l\.jsonl: cannot write: directory/,
      ],
      [
        ["--summary"],
        { GITHUB_STEP_SUMMARY: "/nonexistent-jail-dir/summary.md" },
        /^jail: --summary: GITHUB_STEP_SUMMARY \/nonexistent-jail-dir\/summary\.md: cannot write/,
      ],
    ];
    for (const [flags, env, message] of cases) {
      const run = await jail([...flags, ...cmd], { env });
      assert.equal(run.code, 125, `${flags.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, "", `${flags.join(" ")}: the command ran`);
      assert.throws(() => Deno.statSync(marker), Deno.errors.NotFound);
    }
    // A writable path: the run happens, the file is written, no probe file is left behind.
    const learned = `${dir}/learned.ts`;
    const ok = await jail(["--learn", learned, ...cmd]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, "ran\n");
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["learned.ts", "ran"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- 8: --trace=<file>

Deno.test("--trace=<file> writes the trace there, apart from the command's stderr; --trace <word> is refused", async () => {
  const dir = await scratch();
  try {
    const script = "for i in 1 2 3 4 5; do echo cmd-line-$i >&2; sh -c true; done";
    // The control: plain --trace shares stderr with the command.
    const mixed = await jail(["--trace", "--", "sh", "-c", script]);
    assert.equal(mixed.code, 0, mixed.stderr);
    assert.match(mixed.stderr, /^\[\d+ sh\] exec /m);
    assert.match(mixed.stderr, /^cmd-line-1$/m);

    const file = `${dir}/trace.txt`;
    await Deno.writeTextFile(file, "stale text from an earlier run\n");
    const apart = await jail([`--trace=${file}`, "--", "sh", "-c", script]);
    assert.equal(apart.code, 0, apart.stderr);
    assert.equal(apart.stderr, [1, 2, 3, 4, 5].map((i) => `cmd-line-${i}\n`).join(""));
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    // Every line is a trace line (truncated first, no colour), one exec per process.
    for (const l of lines) assert.match(l, /^\[\d+(\/\d+)?( [^\]]+)?\] /, l);
    assert.equal(lines.filter((l) => / exec \/usr\/bin\/sh /.test(l)).length, 6, lines.join("\n"));
    assert.ok(!lines.join("\n").includes("\x1b["), "no colour in a file");
    assert.doesNotMatch(lines.join("\n"), /stale|^cmd-line/m);

    const word = await jail(["--trace", "out.txt", "--", "true"]);
    assert.equal(word.code, 125);
    assert.match(word.stderr, /--trace takes its value with '=': --trace=out\.txt/);
    const empty = await jail(["--trace=", "--", "true"]);
    assert.equal(empty.code, 125);
    assert.match(empty.stderr, /--trace: empty file name/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
