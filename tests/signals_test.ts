/**
 * Signals from outside: every catchable signal sent to jail reaches the root
 * once, none is acted on by jail itself (SIGUSR2 and SIGALRM used to end it),
 * and the exit status stays the command's.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  buildC,
  jail,
  jailArgv,
  native,
  shellQuote,
  spawnJail,
  TIME_SCALE,
  until,
} from "./_helpers.ts";
import { PASSED_SIGNALS as PASSED } from "../src/run/signals.ts";

const SIGNAL_NUMBERS: Record<string, number> = {
  SIGINT: 2,
  SIGTERM: 15,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGALRM: 14,
  SIGWINCH: 28,
  SIGCONT: 18,
  SIGPWR: 30,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGURG: 23,
  SIGIO: 29,
  SIGSTKFLT: 16,
};

/** The `count <sig> <n>` lines sig_count prints at its end, as a map. */
function counts(stdout: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of stdout.matchAll(/^count (\d+) (\d+)$/gm)) out.set(Number(m[1]), Number(m[2]));
  return out;
}

function occurrences(text: string, line: string): number {
  return text.split("\n").filter((l) => l === line).length;
}

/** kill(2) with a signal number (Deno.kill takes names only, and no real-time ones). */
async function killNumber(pid: number, sig: number): Promise<void> {
  const out = await new Deno.Command("kill", { args: [`-${sig}`, String(pid)] }).output();
  assert.ok(out.success, `kill -${sig} ${pid} failed`);
}

Deno.test("signals: each forwarded signal sent to jail reaches the root exactly once, none ends jail, the exit status is the command's", async () => {
  const bin = await buildC("sig_count");
  const live = spawnJail(["--", bin]);
  try {
    await until("ready", () => /^ready \d+$/m.test(live.stdout()));
    for (const sig of PASSED) {
      Deno.kill(live.pid, sig);
      const line = `got ${SIGNAL_NUMBERS[sig]}`;
      await until(`${sig} at the root`, () => occurrences(live.stdout(), line) >= 1);
    }
    await live.write("end\n");
    const run = await live.done;
    assert.equal(run.code, 7, `jail did not exit with the command's status: ${run.stderr}`);
    const got = counts(run.stdout);
    for (const sig of PASSED) assert.equal(got.get(SIGNAL_NUMBERS[sig]), 1, `${sig} count`);
    assert.equal(got.size, PASSED.length, `unexpected signals: ${run.stdout}`);
    // Deno's own line when SIGUSR1 lands after its start-up grace period (a slow machine): its
    // inspector cannot bind 127.0.0.1:9229, which jail holds (tests/quiet_test.ts proves it).
    assert.equal(run.stderr.replace(/^Failed to start inspector server.*\n/m, ""), "");
  } finally {
    await live.stop();
  }
});

Deno.test("signals: control: SIGUSR2 and SIGALRM end a Deno process that does not forward them", async () => {
  for (const sig of ["SIGUSR2", "SIGALRM"] as const) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", "console.log('ready'); await Deno.stdin.read(new Uint8Array(1));"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
      env: { DENO_NO_UPDATE_CHECK: "1" },
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // "ready": its runtime is up
    Deno.kill(child.pid, sig);
    const status = await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    await child.stdin.close().catch(() => {});
    assert.equal(status.signal, sig, `${sig} did not end plain deno`);
  }
});

Deno.test("signals: SIGTERM to jail reaches a python3 handler once; jail exits with the handler's status", async () => {
  const script = [
    "import signal, sys, time",
    "def on(sig, frame):",
    "    print('handler', sig, flush=True)",
    "    time.sleep(0.3)  # cleaning up",
    "    sys.exit(3)",
    "signal.signal(signal.SIGTERM, on)",
    "print('ready', flush=True)",
    "sys.stdin.readline()",
  ].join("\n");
  const live = spawnJail(["--", "python3", "-c", script]);
  try {
    await until("ready", () => live.stdout().includes("ready\n"));
    Deno.kill(live.pid, "SIGTERM");
    const run = await live.done;
    assert.equal(run.code, 3, run.stderr);
    assert.equal(run.stdout, "ready\nhandler 15\n");
  } finally {
    await live.stop();
  }
});

Deno.test("signals: a real-time signal to jail neither ends it nor the tree; the command keeps the default dispositions", async () => {
  const bin = await buildC("sig_count");
  const live = spawnJail(["--", bin]);
  const rt = 34 + 3; // SIGRTMIN+3
  try {
    await until("ready", () => /^ready \d+$/m.test(live.stdout()));
    await killNumber(live.pid, rt);
    // An ignored signal is discarded when sent: once kill returned, a still running jail kept it.
    await live.write("end\n");
    const run = await live.done;
    assert.equal(run.code, 7, `jail ended by SIGRTMIN+3? ${run.stderr}`);
    assert.equal(counts(run.stdout).size, 0, "Deno cannot listen to it, so jail cannot forward it");
  } finally {
    await live.stop();
  }
  // The launch restores the default action of what jail ignores.
  const run = await jail(["--", "sh", "-c", "grep SigIgn /proc/self/status"]);
  assert.equal(run.code, 0, run.stderr);
  const ignored = BigInt(`0x${run.stdout.trim().split(/\s+/)[1]}`);
  assert.equal(
    ignored >> 31n,
    0n,
    `the command inherited ignored real-time signals: ${run.stdout}`,
  );
});

Deno.test("signals: the command starts with every action at its default and an empty mask, as natively, whatever jail inherited", async () => {
  const bin = await buildC("sig_start");
  const clean = "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n";
  // What a login shell's command sees (no native start from here can show it: Deno ignores
  // signals 32 and 33, which glibc's sigaction, env's and python's too, refuses to reset).
  // jail started with a signal blocked and two ignored, catching its forwarded ones and
  // ignoring SIGPIPE and real-time signals itself: none of it reaches the command.
  const inherited = ["env", "--default-signal", "--block-signal=USR1", "--ignore-signal=PIPE,HUP"];
  const jailed = await jail(["--", bin], { prefix: inherited });
  assert.equal(jailed.code, 0, jailed.stderr);
  assert.equal(jailed.stdout, clean);
  // Control: the same start without jail hands all of it on (the program sees inheritance).
  const control = await native([...inherited, bin]);
  const mask = (name: string) =>
    BigInt(`0x${control.stdout.match(new RegExp(`${name}:\\t(\\w+)`))?.[1] ?? "0"}`);
  assert.equal(mask("SigBlk") & (1n << 9n), 1n << 9n, control.stdout); // SIGUSR1
  assert.equal(mask("SigIgn") & 0x1001n, 0x1001n, control.stdout); // SIGHUP, SIGPIPE
});

Deno.test("signals: control: a real-time signal ends a plain Deno process", async () => {
  // Deno cannot even report such a status (child.status rejects): a shell reports it.
  const script = "console.log('ready'); setInterval(() => {}, 1e9);";
  const child = new Deno.Command("sh", {
    args: ["-c", '"$0" eval "$1" & echo $!; wait $!; echo status $?', Deno.execPath(), script],
    stdout: "piped",
    stderr: "null",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const reader = child.stdout.getReader();
  const timer = setTimeout(() => reader.cancel(), 10_000);
  let pid = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (!pid && /^\d+\nready\n/.test(text)) {
        pid = Number(text.split("\n")[0]);
        await killNumber(pid, 34 + 3);
      }
    }
  } finally {
    clearTimeout(timer);
    if (pid) await killNumber(pid, 9).catch(() => {});
    await child.status;
  }
  assert.match(text, new RegExp(`status ${128 + 37}\n$`));
});

/**
 * Python lines shared by the terminal drivers: an interactive bash on a new
 * pty (prompt `PROMPT$ `), and `expect(pat)`, which waits (20 s at most) for
 * `pat` in its output and keeps what came before in `seen`.
 */
const BASH_ON_PTY = [
  "pid, fd = pty.fork()",
  "if pid == 0:",
  "    os.environ['PS1'] = 'PROMPT$ '",
  "    os.execvp('bash', ['bash', '--norc', '--noprofile', '-i'])",
  "buf = b''",
  "seen = b''",
  "def expect(pat):",
  "    global buf, seen",
  "    end = time.time() + 20 * float(os.environ.get('JAIL_TEST_TIME_SCALE') or 1)",
  "    while pat.encode() not in buf:",
  "        r, _, _ = select.select([fd], [], [], max(0, end - time.time()))",
  "        if not r: sys.exit('timed out waiting for %r: %r' % (pat, buf))",
  "        buf += os.read(fd, 4096)",
  "    i = buf.index(pat.encode()) + len(pat)",
  "    seen += buf[:i]",
  "    buf = buf[i:]",
];

/** Python lines that end a driver: bash prints `status <$?>` and exits; everything read goes out. */
const BASH_STATUS_AND_EXIT = [
  "os.write(fd, b'echo status $?\\n')",
  "expect('PROMPT$ ')",
  "os.write(fd, b'exit\\n')",
  "os.waitpid(pid, 0)",
  "sys.stdout.write(seen.decode(errors='replace').replace('\\r', ''))",
];

/**
 * Drives an interactive bash on a pseudo-terminal: runs jail there, resizes
 * the terminal, types ^Z, `fg`, ^C, then a line that ends sig_count (read
 * from the terminal after `fg`). Prints everything it read, then
 * `status <jail's exit status>`.
 */
const TERMINAL_DRIVER = [
  "import fcntl, os, pty, select, struct, sys, termios, time",
  ...BASH_ON_PTY,
  "expect('PROMPT$ ')",
  "os.write(fd, (' '.join(sys.argv[1:]) + '\\n').encode())",
  "expect('ready')",
  "fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 30, 100, 0, 0))",
  "expect('got 28')",
  "os.write(fd, b'\\x1a')",
  "expect('Stopped')",
  "expect('PROMPT$ ')",
  "os.write(fd, b'fg\\n')",
  "expect('got 18')", // fg continued jail, which handed on the terminal and continued the tree
  "os.write(fd, b'\\x03')",
  "expect('got 2')",
  "os.write(fd, b'end\\n')",
  "expect('PROMPT$ ')",
  ...BASH_STATUS_AND_EXIT,
].join("\n");

/** Without bash's terminal escapes (bracketed paste mode). */
function plain(bytes: Uint8Array): string {
  // deno-lint-ignore no-control-regex
  return new TextDecoder().decode(bytes).replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "");
}

/** What a pty driver saw: its output without terminal escapes, and its stderr. */
interface Session {
  success: boolean;
  text: string;
  stderr: string;
}

/** Runs a python pty driver (one of the `*_DRIVER` scripts) with `args`, for 60 s (scaled) at most. */
async function drive(driver: string, args: string[]): Promise<Session> {
  const out = await new Deno.Command("python3", {
    args: ["-c", driver, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
    signal: AbortSignal.timeout(60_000 * TIME_SCALE),
  }).output();
  return {
    success: out.success,
    text: plain(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Asserts that a pty session ended well; its text. */
function succeeded(s: Session): string {
  assert.ok(s.success, `${s.text} ${s.stderr}`);
  return s.text;
}

/** jail as a shell command line, as typed at a terminal. */
const JAIL_SH = shellQuote(jailArgv([]));

Deno.test("signals: on a terminal, a resize, ^Z, fg and ^C each reach the command once; ^Z stops it and fg resumes it reading the terminal", async () => {
  const bin = await buildC("sig_count");
  // 20: SIGTSTP keeps its default action, so ^Z stops the command (and jail, for the shell).
  const session = () => drive(TERMINAL_DRIVER, jailArgv(["--", bin, "20"]));
  // Once in a full suite on the 2-core machine the SIGCONT of `fg` did not reach the command
  // within 20 s (not reproduced in 20 runs alone or under a CPU hog): one second session, said
  // aloud, so that a loss that always happens still fails and a rare one is seen in the log.
  let first = await session();
  if (!first.success) {
    console.log(`  first terminal session failed, once more: ${first.stderr}`);
    first = await session();
  }
  const text = succeeded(first);
  assert.match(text, /^status 7$/m, text);
  const got = counts(text);
  // SIGWINCH, SIGCONT from fg (sent on by jail once), SIGINT; SIGTSTP stopped it uncaught.
  for (const sig of [28, 18, 2]) assert.equal(got.get(sig), 1, `signal ${sig}: ${text}`);
  assert.equal(got.size, 3, text);
});

/**
 * An interactive bash runs jail in the background; the command reads the
 * terminal, so the kernel stops its group with SIGTTIN; jail stops with the
 * same signal and bash says so. `fg` continues jail, which hands the
 * terminal to the tree's group and continues it: the read then gets a line.
 */
const BACKGROUND_DRIVER = [
  "import os, pty, select, sys, time",
  ...BASH_ON_PTY,
  "expect('PROMPT$ ')",
  // set -b: bash reports the stop at once, not at its next prompt.
  "os.write(fd, ('set -b; ' + sys.argv[1] + ' &\\n').encode())",
  "expect('Stopped')",
  "os.write(fd, b'fg\\n')",
  "expect('line:$x')", // bash echoes the job it brings to the foreground
  "os.write(fd, b'hello\\n')",
  "expect('PROMPT$ ')",
  ...BASH_STATUS_AND_EXIT,
].join("\n");

Deno.test("signals: on a terminal, a command that reads from the background stops (SIGTTIN) with jail, and fg lets it read", async () => {
  // Its read stops it in the background; after fg the same read gets the line.
  const command = `sh -c 'read x; echo "line:$x"'`;
  const text = succeeded(await drive(BACKGROUND_DRIVER, [`${JAIL_SH} -- ${command}`]));
  assert.match(text, /^line:hello$/m, text);
  assert.match(text, /^status 0$/m, text);
});

/**
 * A session whose shell does no job control (`sh -c`, the pty's session
 * leader): after each jail run, however it ended, the terminal must be the
 * shell's again, or the shell's own `read` fails (EIO: its group is orphaned).
 */
const RETURN_DRIVER = [
  "import os, pty, select, sys, time",
  "pid, fd = pty.fork()",
  "if pid == 0:",
  "    os.execvp('sh', ['sh', '-c', sys.argv[1]])",
  "buf = b''",
  "end = time.time() + 50 * float(os.environ.get('JAIL_TEST_TIME_SCALE') or 1)",
  "wrote = False",
  "while True:",
  "    r, _, _ = select.select([fd], [], [], max(0, end - time.time()))",
  "    if not r: sys.exit('timed out: %r' % buf)",
  "    try:",
  "        data = os.read(fd, 4096)",
  "    except OSError:",
  "        break",
  "    if not data: break",
  "    buf += data",
  "    if not wrote and b'READ NOW' in buf:",
  "        os.write(fd, b'hello\\n')",
  "        wrote = True",
  "os.waitpid(pid, 0)",
  "sys.stdout.write(buf.decode(errors='replace').replace('\\r', ''))",
].join("\n");

Deno.test("signals: on a terminal the tree's group gets it, and the shell's group gets it back however the run ends", async () => {
  const jailCmd = JAIL_SH;
  const fg = `python3 -c 'import os; print("fg", os.tcgetpgrp(0) == os.getpgrp())'`;
  const script = [
    // The command holds the terminal: its group is the foreground, not the shell's.
    `${jailCmd} -- python3 -c 'import os; print("tree", os.tcgetpgrp(0) == os.getpgrp(), os.getpgrp() == os.getpid())'`,
    fg,
    `${jailCmd} -- sh -c 'kill -9 $$'; echo "killed $?"`,
    fg,
    `${jailCmd} --timeout=1 -- sleep 30; echo "timeout $?"`,
    fg,
    `${jailCmd} -- /nonexistent/x; echo "missing $?"`,
    fg,
    // The shell's group is orphaned (its parent is in another session): no one could continue a
    // stopped jail, so jail continues the tree at once, as the kernel discards ^Z for such a group.
    `${jailCmd} -- sh -c 'kill -TSTP $$; echo after'; echo "self-stopped $?"`,
    fg,
    "echo READ NOW",
    `read line; echo "read:$line"`,
  ].join("\n");
  const text = succeeded(await drive(RETURN_DRIVER, [script]));
  assert.match(text, /^tree True True$/m, text);
  assert.match(text, /^killed 137$/m, text);
  assert.match(text, /^timeout 124$/m, text);
  assert.match(text, /^missing 127$/m, text);
  assert.match(text, /^after\nself-stopped 0$/m, text);
  assert.equal(occurrences(text, "fg True"), 5, text);
  assert.match(text, /^read:hello$/m, text);
});

const INT_HANDLER = [
  "import signal, sys, time",
  "def on(sig, frame):",
  "    print('handler', sig, flush=True)",
  "    time.sleep(0.3)  # cleaning up",
  "    sys.exit(3)",
  "signal.signal(signal.SIGINT, on)",
  "print('ready', flush=True)",
  "sys.stdin.readline()",
].join("\n");

Deno.test("signals: the tree runs in a process group of its own, led by the root", async () => {
  const run = await jail(["--", "sh", "-c", "echo $$ $(ps -o pgid= $$) $(ps -o pgid= $PPID)"]);
  assert.equal(run.code, 0, run.stderr);
  const [pid, pgid, jailPgid] = run.stdout.trim().split(/\s+/).map(Number);
  assert.equal(pgid, pid, run.stdout);
  assert.notEqual(jailPgid, pgid, run.stdout);
});

Deno.test("signals: SIGINT to jail's pid, then to its process group, reaches the handler once", async () => {
  // `setsid` makes jail the leader of a group of its own, as a shell's job or GNU timeout does.
  for (let i = 0; i < 5; i++) {
    const live = spawnJail(["--", "python3", "-c", INT_HANDLER], { prefix: ["setsid"] });
    try {
      await until("ready", () => live.stdout().includes("ready\n"));
      Deno.kill(live.pid, "SIGINT");
      Deno.kill(-live.pid, "SIGINT");
      const run = await live.done;
      assert.equal(run.code, 3, `run ${i}: ${run.stdout} ${run.stderr}`);
      assert.equal(run.stdout, "ready\nhandler 2\n", `run ${i}`);
    } finally {
      await live.stop();
    }
  }
});

Deno.test("signals: a signal to jail's process group alone reaches the command once", async () => {
  const live = spawnJail(["--", "python3", "-c", INT_HANDLER], { prefix: ["setsid"] });
  try {
    await until("ready", () => live.stdout().includes("ready\n"));
    Deno.kill(-live.pid, "SIGINT");
    const run = await live.done;
    assert.equal(run.code, 3, `${run.stdout} ${run.stderr}`);
    assert.equal(run.stdout, "ready\nhandler 2\n");
  } finally {
    await live.stop();
  }
  // A C handler counts every delivery (python's may merge two close ones): before, the tree
  // shared jail's group and got the group's signal from the kernel and jail's forward.
  const bin = await buildC("sig_count");
  const counted = spawnJail(["--", bin], { prefix: ["setsid"] });
  try {
    await until("ready", () => /^ready \d+$/m.test(counted.stdout()));
    Deno.kill(-counted.pid, "SIGUSR2");
    await until("SIGUSR2 at the root", () => counted.stdout().includes("got 12\n"));
    // A later signal to jail alone, forwarded after any duplicate jail would have sent.
    Deno.kill(counted.pid, "SIGPWR");
    await until("SIGPWR at the root", () => counted.stdout().includes("got 30\n"));
    await counted.write("end\n");
    const run = await counted.done;
    assert.equal(run.code, 7, run.stderr);
    assert.equal(counts(run.stdout).get(12), 1, run.stdout);
  } finally {
    await counted.stop();
  }
});

/**
 * GNU timeout signals its child's pid, then (without --foreground) its own
 * process group, which jail shares. The tree's group is not that group, so
 * the handler runs once, as natively. The limit leaves jail's start-up time
 * on a loaded machine; --preserve-status gives the command's status, not 124.
 */
Deno.test("signals: timeout -s INT (the child's pid, then its process group) reaches the handler once", async () => {
  for (let i = 0; i < 3; i++) {
    const live = spawnJail(["--", "python3", "-c", INT_HANDLER], {
      prefix: ["timeout", "--preserve-status", "-s", "INT", String(3 * TIME_SCALE)],
    });
    try {
      const run = await live.done;
      assert.equal(run.code, 3, `run ${i}: ${run.stdout} ${run.stderr}`);
      assert.equal(run.stdout, "ready\nhandler 2\n");
    } finally {
      await live.stop();
    }
  }
});
