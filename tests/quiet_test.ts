/**
 * jail opens nothing and sends nothing of its own: Deno's SIGUSR1 inspector
 * stays closed to the tree, and Deno's update check never runs.
 *
 * Each test runs in a fresh network namespace (`unshare -n`), so that other
 * runs on the machine (which hold or want 127.0.0.1:9229 too) do not matter,
 * and so that nothing can leave the machine even if a check fails.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  canUnshareNet,
  jailArgv,
  type LiveJail,
  native,
  ROOT_DIR,
  spawnJail,
  spawnLive,
  until,
  which,
} from "./_helpers.ts";

const NETNS = await canUnshareNet();
// Skipped where `unshare -n` is not allowed (it needs root).
const SKIP = !NETNS;

/** Deno installs its SIGUSR1 inspector handler this long after start (Deno 2.9). */
const DENO_INSPECTOR_GRACE_MS = 500;

/** Env of the watched runs: Deno's own update check is not what these tests look for. */
const QUIET_ENV = { DENO_NO_UPDATE_CHECK: "1" };

/** `unshare -n` with loopback up, then the rest of argv. */
const IN_NETNS = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"];

/** Once `ready` is out and Deno's start-up grace (from `started`) is over, SIGUSR1 to the pid. */
async function usr1WhenArmed(live: LiveJail, started: number): Promise<void> {
  await until("ready", () => live.stdout().includes("ready\n"));
  // Deno arms its inspector on SIGUSR1 only after its start-up grace period.
  await until("Deno's grace period", () => Date.now() - started > DENO_INSPECTOR_GRACE_MS + 200);
  Deno.kill(live.pid, "SIGUSR1");
}

/** Python: counts SIGUSR1, waits for a line, then tries Deno's inspector port. */
const PROBE = [
  "import os, signal, socket, sys",
  "got = []",
  "signal.signal(signal.SIGUSR1, lambda s, f: (got.append(s), os.write(1, b'got usr1\\n')))",
  "print('ready', flush=True)",
  "sys.stdin.readline()",
  "s = socket.socket()",
  "try:",
  "    s.connect(('127.0.0.1', 9229))",
  "    print('connected', flush=True)",
  "except OSError as e:",
  "    print('refused' if e.errno == 111 else 'error %d' % e.errno, flush=True)",
  "print('usr1 %d' % len(got), flush=True)",
].join("\n");

Deno.test({
  name:
    "quiet: SIGUSR1 to jail reaches the command once and Deno's inspector cannot be opened: 127.0.0.1:9229 refuses",
  ignore: SKIP,
  fn: async () => {
    const started = Date.now();
    const live = spawnLive([...IN_NETNS, ...jailArgv(["--", "python3", "-c", PROBE])], {
      env: QUIET_ENV,
    });
    try {
      await usr1WhenArmed(live, started); // unshare and sh exec'd: this pid is jail's
      await until("SIGUSR1 at the command", () => live.stdout().includes("got usr1\n"));
      // Deno's own attempt: proof that the signal reached its inspector handler.
      await until(
        "Deno's inspector attempt",
        () => live.stderr().includes("Failed to start inspector"),
      );
      await live.write("\n");
      const run = await live.done;
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "ready\ngot usr1\nrefused\nusr1 1\n");
    } finally {
      await live.stop();
    }
  },
});

Deno.test({
  name: "quiet: control: without the guard, SIGUSR1 opens Deno's inspector on 127.0.0.1:9229",
  ignore: SKIP,
  fn: async () => {
    const script = [
      "Deno.addSignalListener('SIGUSR1', () => {});",
      "console.log('ready');",
      "await Deno.stdin.read(new Uint8Array(1));",
      "try { (await Deno.connect({ hostname: '127.0.0.1', port: 9229 })).close(); console.log('connected'); }",
      "catch (e) { console.log(e.message); }",
      "Deno.exit(0);",
    ].join("\n");
    const started = Date.now();
    const live = spawnLive([...IN_NETNS, Deno.execPath(), "eval", script], { env: QUIET_ENV });
    try {
      await usr1WhenArmed(live, started);
      await until(
        "the inspector",
        () => live.stderr().includes("Debugger listening on ws://127.0.0.1:9229/"),
      );
      await live.write("\n");
      const run = await live.done;
      assert.equal(run.stdout, "ready\nconnected\n");
    } finally {
      await live.stop();
    }
  },
});

Deno.test({
  name: "quiet: jail runs when 127.0.0.1:9229 is already taken by someone else",
  ignore: SKIP,
  fn: async () => {
    // A listener on 9229 in the namespace, started before jail, dying with it (PR_SET_PDEATHSIG).
    const holder = [
      "import ctypes, socket, sys",
      "ctypes.CDLL(None).prctl(1, 9)",
      "s = socket.socket(); s.bind(('127.0.0.1', 9229)); s.listen()",
      "print('held', flush=True)",
      "sys.stdin.read()",
    ].join("\n");
    const prefix = [
      "unshare",
      "-n",
      "bash",
      "-c",
      'ip link set lo up && coproc H { exec python3 -c "$0"; } && read -r line <&"${H[0]}" && exec "$@"',
      holder,
    ];
    const live = spawnJail(["--", "sh", "-c", "echo ran"], { prefix });
    try {
      const run = await live.done;
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "ran\n");
      assert.equal(run.stderr, "");
    } finally {
      await live.stop();
    }
  },
});

Deno.test({
  name: "quiet: jail refuses to run when Deno's inspector is on (NODE_OPTIONS=--inspect)",
  ignore: SKIP,
  fn: async () => {
    const child = new Deno.Command(IN_NETNS[0], {
      args: [...IN_NETNS.slice(1), ...jailArgv(["--", "true"])],
      stdout: "piped",
      stderr: "piped",
      env: { NODE_OPTIONS: "--inspect", DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      cwd: ROOT_DIR,
    });
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 125, stderr);
    assert.match(stderr, /jail: Deno's inspector is on/);
  },
});

/**
 * Counts the frames that appear on an interface until its stdin closes;
 * prints "ready" once capturing, creates the file `seen` at the first frame,
 * and prints the count at the end.
 */
const SNIFFER = [
  "import os, select, socket, sys",
  "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL",
  "s.bind((sys.argv[1], 0))",
  "print('ready', flush=True)",
  "n = 0",
  "while True:",
  "    r, _, _ = select.select([s, sys.stdin], [], [])",
  "    if s in r:",
  "        s.recv(65535)",
  "        n += 1",
  "        if n == 1: open(sys.argv[2], 'w').close()",
  "    if sys.stdin in r and not os.read(0, 1): break",
  "print(n, flush=True)",
].join("\n");

/**
 * Runs `cmd` under a pseudo-terminal (`script`: Deno checks for updates only
 * when stderr is a terminal) with a fresh DENO_DIR (so a check is due), in a
 * fresh network namespace whose default route leads into a veth pair with a
 * sniffer on the far end. Nothing can leave the namespace.
 *
 * @returns The frames seen, and the command's output.
 */
async function framesSent(cmd: string, dir: string): Promise<{ frames: number; log: string }> {
  const setup = [
    "set -e",
    "ip link set lo up",
    // No IPv6 router solicitations or address probes of its own on the link.
    "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6",
    "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6",
    "ip link add v0 type veth peer name v1",
    "ip addr add 10.200.0.1/24 dev v0",
    "ip link set v1 up && ip link set v0 up",
    "ip route add default dev v0",
    'coproc SNIFF { exec python3 -c "$SNIFFER" v1 "$DIR/seen"; }',
    'read -r ready <&"${SNIFF[0]}"',
    // Fresh, so the update check is due; with the npm packages deno.json names already cached,
    // as after any first run (a fresh checkout's first run downloads them).
    'export DENO_DIR="$DIR/deno_dir"',
    'rm -rf "$DENO_DIR" && mkdir -p "$DENO_DIR"',
    'if [ -d "$NPM_CACHE" ]; then cp -r "$NPM_CACHE" "$DENO_DIR/npm"; fi',
    "unset DENO_NO_UPDATE_CHECK",
    'script -qec "$CMD" /dev/null > "$DIR/log" 2>&1 || echo "exit $?" >> "$DIR/log"',
    "exec {SNIFF[1]}>&-",
    'read -r frames <&"${SNIFF[0]}"',
    'echo "$frames"',
  ].join("\n");
  const out = await new Deno.Command("unshare", {
    args: ["-n", "bash", "-c", setup],
    cwd: ROOT_DIR,
    env: { SNIFFER, DIR: dir, CMD: cmd, NPM_CACHE: await npmCache() },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const log = await Deno.readTextFile(`${dir}/log`).catch(() => "");
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.ok(out.success, `setup failed: ${new TextDecoder().decode(out.stderr)} ${log}`);
  return { frames: Number(text), log };
}

/** Deno's update check fires about 0.6 s after start (measured): a jail run this long would make it. */
const WINDOW = "sleep 3";

Deno.test({
  name:
    "quiet: no documented way of running jail sends a packet (Deno's update check is off); control: plain deno run does",
  ignore: SKIP || !(await hasScript()),
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "jail-quiet-" });
    try {
      // Lives until the sniffer saw a frame (or 10 s): the control ends as soon as it has proved its point.
      await Deno.writeTextFile(
        `${dir}/control.ts`,
        `for (let i = 0; i < 1000; i++) {
          try { Deno.statSync(${JSON.stringify(`${dir}/seen`)}); break; } catch { /* not yet */ }
          await new Promise((r) => setTimeout(r, 10));
        }`,
      );
      await Deno.writeTextFile(
        `${dir}/library.ts`,
        `import { run } from ${JSON.stringify(`${ROOT_DIR}/mod.ts`)};
        const r = await run(["sh", "-c", ${JSON.stringify(WINDOW)}]);
        Deno.exit(r.code);`,
      );
      const forms: [string, string][] = [
        ["deno task jail", `deno task jail -- ${WINDOW}`],
        ["the README command", `DENO_NO_UPDATE_CHECK=1 deno run -A jail.ts -- ${WINDOW}`],
        ["the shebang", `./jail.ts -- ${WINDOW}`],
        ["a library script", `DENO_NO_UPDATE_CHECK=1 deno run -A ${dir}/library.ts`],
      ];
      for (const [what, cmd] of forms) {
        const { frames, log } = await framesSent(cmd, dir);
        assert.doesNotMatch(log, /exit \d+/, `${what} failed: ${log}`);
        assert.equal(frames, 0, `${what} sent ${frames} frames: ${log}`);
      }
      const control = await framesSent(`deno run -A ${dir}/control.ts`, dir);
      assert.ok(
        control.frames > 0,
        `plain deno run sent nothing: the test cannot fail (${control.log})`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

async function hasScript(): Promise<boolean> {
  try {
    return (await new Deno.Command("script", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

/** The npm cache of the DENO_DIR this test runs with. */
async function npmCache(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).npmCache ?? "";
}

const hasNode = await which("node") !== "";

Deno.test({
  // Found by the differential suite (execa's own tests): jail's hold on Deno's inspector address
  // made `node --inspect` in the tree fail with "address already in use".
  name: "quiet: a program of the tree can still listen on 127.0.0.1:9229 (node --inspect)",
  ignore: SKIP || !hasNode,
  fn: async () => {
    const script = "setTimeout(() => console.log('node ran'), 100)";
    const out = await native(
      [...IN_NETNS, ...jailArgv(["--", "node", "--inspect=127.0.0.1:9229", "-e", script])],
      { env: { DENO_NO_UPDATE_CHECK: "1" } },
    );
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /Debugger listening on ws:\/\/127\.0\.0\.1:9229\//);
    assert.equal(out.stdout, "node ran\n");
  },
});
