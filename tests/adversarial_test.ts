/**
 * The adversarial suite: one C attacker per escape route (`c/adv_*.c`), run
 * in the near namespace of a {@linkcode Testbed} under the built-in policy,
 * as root and with jail itself running as an unprivileged uid.
 *
 * A run fails when one byte of the marker reaches far, when any line says
 * `escaped`, when any process of the run outlives it (each run carries a
 * unique token in the attacker's argv; /proc is scanned afterwards), or when
 * jail hangs (hard timeouts). Where it means something, the attacker first
 * runs unjailed as a control and must escape, so that the test can fail.
 *
 * The last test prints a per-route table (pass/FAIL per run and why);
 * `ADV_VERBOSE=1` adds every line each attacker and jail printed.
 *
 * @module
 */

import { buildC, canUnshareNet, jailArgv, native, TIME_SCALE } from "./_helpers.ts";
import { type FarCounters, Testbed } from "./_testbed.ts";

const isRoot = Deno.uid() === 0;
const ignore = !isRoot || !(await canUnshareNet());

function assert(ok: boolean, msg: string): asserts ok {
  if (!ok) throw new Error(msg);
}

/** Who runs the attacker: unjailed, jail as root, jail as nobody. */
type Mode = "control" | "root" | "nobody";
const NOBODY = 65534;

/** A DENO_DIR the unprivileged jail can write (its own cache). */
const DENO_DIR = Deno.makeTempDirSync({ prefix: "jail-adv-deno-" });
Deno.chmodSync(DENO_DIR, 0o777);
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(DENO_DIR, { recursive: true });
  } catch { /* gone */ }
});

/** What one attacker run did. */
interface AttackRun {
  mode: Mode;
  /** Whether the attacker must print "done" (false where jail may end first). */
  requireDone: boolean;
  lines: string[];
  stderr: string;
  code: number | null;
  hung: boolean;
  leftovers: number[];
  far: FarCounters;
}

/** A live run the test talks to. */
interface Live {
  pid: number;
  /** Waits for a stdout line matching `re` (hard limit). */
  waitLine(re: RegExp, ms?: number): Promise<string>;
  write(text: string): Promise<void>;
  /** Lines printed so far. */
  lines(): string[];
}

/** Pids of processes whose argv holds `token` (ours: the token is unique per run). */
function withToken(token: string): number[] {
  const found: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const argv = Deno.readTextFileSync(`/proc/${e.name}/cmdline`);
      if (argv.split("\0").includes(token)) found.push(Number(e.name));
    } catch { /* gone */ }
  }
  return found;
}

/** /proc/keys as `uid` reads it (keys are listed to those who may view them). */
async function keysVisibleTo(uid: number): Promise<string> {
  const argv = uid === 0 ? ["cat", "/proc/keys"] : [
    "setpriv",
    `--reuid=${uid}`,
    `--regid=${uid}`,
    "--clear-groups",
    "cat",
    "/proc/keys",
  ];
  return (await native(argv)).stdout;
}

/** Where each attacker runs: a fresh empty directory any uid can write. */
function freshCwd(): string {
  const dir = Deno.makeTempDirSync({ prefix: "jail-adv-cwd-" });
  Deno.chmodSync(dir, 0o777);
  return dir;
}

/**
 * Runs `bin token ...args` in near, per `mode`, and collects everything. The
 * far counters are reset before and read after the run.
 */
async function attack(
  bed: Testbed,
  bin: string,
  args: string[],
  mode: Mode,
  opts: {
    timeoutMs?: number;
    requireDone?: boolean;
    interact?: (live: Live) => Promise<string[] | void>;
  } = {},
): Promise<AttackRun> {
  await bed.reset();
  const token = `adv-${crypto.randomUUID()}`;
  const jailed = jailArgv(["--"]);
  const drop = [
    "setpriv",
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    "--clear-groups",
    "--inh-caps=-all",
  ];
  const argv = [
    ...bed.near,
    ...(mode === "nobody" ? drop : []),
    // Unjailed, a shell stands in for jail as the attacker's parent: attacks on
    // "jail's pid" (getppid) then hit a same-uid process, never the test runner.
    ...(mode === "control" ? ["sh", "-c", '"$@"; exit $?', "sh"] : jailed),
    bin,
    token,
    ...args,
  ];
  const cwd = freshCwd();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      // With a fresh DENO_DIR, Deno's update check sends DNS for dl.deno.land
      // from jail's own process (not the tree): off here, it is not an escape.
      env: { NO_COLOR: "1", DENO_DIR, HOME: cwd, DENO_NO_UPDATE_CHECK: "1" },
    }).spawn();
  } catch (e) {
    Deno.removeSync(cwd, { recursive: true });
    throw e;
  }
  let stdout = "";
  let stderr = "";
  const waiters: (() => void)[] = [];
  const pump = async (s: ReadableStream<Uint8Array>, into: (t: string) => void) => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of s) {
        into(dec.decode(chunk, { stream: true }));
        for (const w of waiters.splice(0)) w();
      }
    } catch { /* cancelled */ }
  };
  const pumps = [
    pump(child.stdout, (t) => stdout += t),
    pump(child.stderr, (t) => stderr += t),
  ];
  const writer = child.stdin.getWriter();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, (opts.timeoutMs ?? 20_000) * TIME_SCALE);
  const live: Live = {
    pid: child.pid,
    write: (t) => writer.write(new TextEncoder().encode(t)),
    lines: () => stdout.split("\n").filter((l) => l),
    waitLine: async (re, ms = 5_000) => {
      const deadline = Date.now() + ms * TIME_SCALE;
      for (;;) {
        const hit = stdout.split("\n").find((l) => re.test(l));
        if (hit !== undefined) return hit;
        if (Date.now() > deadline || hung) throw new Error(`no line ${re} in: ${stdout}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
    },
  };
  let interactError: unknown;
  let extra: string[] = [];
  if (opts.interact) {
    try {
      extra = (await opts.interact(live)) ?? [];
    } catch (e) {
      interactError = e;
    }
  }
  await writer.close().catch(() => {});
  const status = await child.status;
  clearTimeout(timer);
  // A survivor holding the pipes would keep the pumps open: it is found below.
  await Promise.race([Promise.all(pumps), new Promise((r) => setTimeout(r, 500))]);
  const leftovers = withToken(token);
  const keys = await keysVisibleTo(mode === "nobody" ? NOBODY : 0);
  if (keys.includes(token)) {
    stdout += `\nescaped keyring: a key the tree added outlives the run, visible outside the tree`;
  }
  for (const pid of leftovers) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  Deno.removeSync(cwd, { recursive: true });
  const far = await bed.counters();
  if (interactError) {
    stdout += `\ninteract-error ${String(interactError).split("\n")[0]}`;
  }
  return {
    mode,
    requireDone: opts.requireDone ?? true,
    lines: [...stdout.split("\n").filter((l) => l), ...extra],
    stderr,
    code: status.code,
    hung,
    leftovers,
    far,
  };
}

/** Every way a jailed run can show an escape, one line each. */
function escapes(run: AttackRun): string[] {
  const bad = run.lines.filter((l) => /^(escaped|interact-error)\b/.test(l));
  if (run.far.marker > 0) bad.push(`far saw the marker ${run.far.marker}x: ${run.far.routes}`);
  if (run.far.tcp > 0) bad.push(`far accepted ${run.far.tcp} TCP connection(s)`);
  if (run.far.udp > 0) bad.push(`far received ${run.far.udp} UDP datagram(s)`);
  if (run.far.frames > 0) {
    bad.push(`far saw ${run.far.frames} frame(s) from near: ${run.far.samples.join(" ")}`);
  }
  if (run.mode !== "control" && run.requireDone && !run.lines.includes("done")) {
    bad.push(`the attacker did not finish (exit ${run.code}): ${run.stderr.trim().split("\n")[0]}`);
  }
  if (run.hung) bad.push("jail hung (hard timeout)");
  if (run.leftovers.length) bad.push(`processes outlived the run: ${run.leftovers}`);
  return bad;
}

/**
 * A process outside the tree in jail's process group (the test runner's:
 * jail is spawned without a session or group of its own, like under a shell
 * pipeline): counts the SIGURGs it gets.
 */
class Canary {
  private constructor(
    readonly child: Deno.ChildProcess,
    readonly reader: ReadableStreamDefaultReader<Uint8Array>,
  ) {}

  static async start(): Promise<Canary> {
    const child = new Deno.Command("python3", {
      args: [
        "-c",
        "import signal, sys\nn = [0]\nsignal.signal(signal.SIGURG, lambda *a: n.__setitem__(0, n[0] + 1))\n" +
        "print('ready', flush=True)\nsys.stdin.read()\nprint(n[0], flush=True)",
      ],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const c = new Canary(child, child.stdout.getReader());
    const first = await c.#read();
    if (!first.startsWith("ready")) throw new Error(`canary did not start: ${first}`);
    return c;
  }

  async #read(): Promise<string> {
    let text = "";
    const dec = new TextDecoder();
    while (!text.includes("\n")) {
      const { value, done } = await this.reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
    return text;
  }

  /** Ends the canary; returns how many SIGURGs it got. */
  async stop(): Promise<number> {
    await this.child.stdin.close();
    const n = Number((await this.#read()).trim());
    await this.reader.cancel().catch(() => {});
    await this.child.status;
    return n;
  }
}

/** Per-route outcome for the final table. */
const table: string[] = [];

function record(name: string, run: AttackRun): void {
  const bad = escapes(run);
  table.push(
    `${name} [${run.mode}] ${bad.length ? "FAIL" : "pass"} (exit ${run.code}${
      run.hung ? ", hung" : ""
    })`,
  );
  for (const b of bad) table.push(`    ${b}`);
  if (Deno.env.get("ADV_VERBOSE")) {
    for (const l of [...run.lines, ...run.stderr.split("\n").filter((l) => l)]) {
      table.push(`      | ${l}`);
    }
  }
}

/** Runs the control (must escape) and both jailed modes (must not). */
async function suite(
  t: Deno.TestContext,
  name: string,
  args: string[] | ((bed: Testbed, mode: Mode) => string[]) = [],
  opts: {
    control?: boolean;
    /** Start a canary in jail's process group (outside the tree) first. */
    canary?: boolean;
    /** False where jail may end before the attacker does (fail closed). */
    requireDone?: boolean;
    modes?: Mode[];
    timeoutMs?: number;
    interact?: (live: Live, bed: Testbed, mode: Mode) => Promise<string[] | void>;
  } = {},
): Promise<void> {
  const bin = await buildC(name);
  const failures: string[] = [];
  for (const mode of opts.modes ?? (["control", "root", "nobody"] as Mode[])) {
    if (mode === "control" && opts.control === false) continue;
    await t.step(mode, async () => {
      // A fresh bed per run: the kernel keeps retransmitting for a closed
      // socket of an earlier run, and that must not count against this one.
      await using bed = await Testbed.open();
      const argv = typeof args === "function" ? args(bed, mode) : args;
      const canary = opts.canary ? await Canary.start() : undefined;
      const run = await attack(bed, bin, argv, mode, {
        requireDone: opts.requireDone,
        timeoutMs: opts.timeoutMs,
        interact: opts.interact ? (live) => opts.interact!(live, bed, mode) : undefined,
      });
      if (canary) {
        const got = await canary.stop();
        run.lines.push(
          `${got > 0 ? "escaped" : "blocked"} signal-outside-tree: a process in jail's ` +
            `process group (not in the tree) got SIGURG ${got} time(s)`,
        );
      }
      record(name, run);
      const shown = run.lines.join("\n  ");
      if (mode === "control") {
        assert(
          escapes(run).length > 0,
          `control did not escape, so this test cannot fail:\n  ${shown}`,
        );
        return;
      }
      const bad = escapes(run);
      if (bad.length) {
        failures.push(`${mode}: ${bad.join("; ")}`);
        throw new Error(`${name} as ${mode}:\n  ${bad.join("\n  ")}\nout:\n  ${shown}`);
      }
    });
  }
}

const opts = { ignore, sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "adversarial: network routes from loopback to far (bind to device, pktinfo, headers)",
  ...opts,
  fn: (t) => suite(t, "adv_net_route"),
});

Deno.test({
  name: "adversarial: packet and raw sockets (SOCK_PACKET, AF_PACKET, raw IP, ping sockets)",
  ...opts,
  fn: (t) => suite(t, "adv_packet"),
});

Deno.test({
  name: "adversarial: address races (msg_name flipped under sendmsg MSG_FASTOPEN, sockaddr flips)",
  ...opts,
  fn: (t) => suite(t, "adv_tfo_race"),
});

/** Probes every socket the attacker announced, from far; lists jail's own sockets. */
async function probeListeners(live: Live, bed: Testbed): Promise<string[]> {
  await live.waitLine(/^ready$/, 10_000);
  const lines: string[] = [];
  const all = live.lines();
  for (const l of all) {
    const m = /^listen (tcp|udp) ([46]) (\d+) (\S+)/.exec(l);
    if (!m) continue;
    const fams: (4 | 6)[] = m[2] === "6" ? [6, 4] : [4];
    for (const fam of fams) {
      const r = await bed.probeFromFar(m[1] as "tcp" | "udp", fam, Number(m[3]));
      lines.push(
        `${r === "open" ? "escaped" : "info"} probe-from-far ${m[4]} v${fam} port ${m[3]}: ${r}`,
      );
    }
  }
  lines.push(...await jailSockets(bed, live.pid));
  return lines;
}

/** Sockets jail's own process holds (listening TCP/UDP, unix), from outside. */
async function jailSockets(bed: Testbed, pid: number): Promise<string[]> {
  const lines: string[] = [];
  for (const flags of ["-xlpn", "-ltnup", "-xpn"]) {
    const out = await new Deno.Command(bed.near[0], {
      args: [...bed.near.slice(1), "ss", flags],
      stdout: "piped",
      stderr: "null",
    }).output();
    for (const l of new TextDecoder().decode(out.stdout).split("\n")) {
      if (l.includes(`pid=${pid},`)) {
        const listening = flags !== "-xpn";
        lines.push(
          `${listening ? "escaped" : "info"} jail-own-socket (${flags}) ${l.replace(/\s+/g, " ")}`,
        );
      }
    }
  }
  return lines;
}

Deno.test({
  name: "adversarial: servers reachable from far (wildcard binds, unbound listen, auto-bound UDP)",
  ...opts,
  fn: (t) => suite(t, "adv_listen", [], { interact: probeListeners }),
});

Deno.test({
  name: "adversarial: prlimit(jail, RLIMIT_NOFILE 0) then unbound listen and auto-bound UDP",
  ...opts,
  fn: (t) => suite(t, "adv_listen", ["prlimit"], { interact: probeListeners }),
});

Deno.test({
  name: "adversarial: supervisor's memory, fds, pidfd_getfd, process_vm, ptrace, scheduling",
  ...opts,
  fn: (t) => suite(t, "adv_super"),
});

Deno.test({
  name:
    "adversarial: signals to jail and each of its threads (kill, tkill, tgkill, sigqueue, pidfd)",
  ...opts,
  // Unjailed, kill(-1) would reach every process of the machine: jailed runs only.
  fn: (t) =>
    suite(t, "adv_signal", (_bed, mode) => mode === "control" ? [] : ["all"], { canary: true }),
});

Deno.test({
  name: "adversarial: SIGSTOP to jail does not hang the run",
  ...opts,
  // No control: unjailed, the stopped stand-in parent would hang by design.
  fn: (t) => suite(t, "adv_signal", ["stop"], { control: false, timeoutMs: 15_000 }),
});

Deno.test({
  name: "adversarial: Deno's inspector (SIGUSR1 from inside, then 127.0.0.1:9229)",
  ...opts,
  // No control: the stand-in parent (sh) has no inspector to open.
  fn: (t) => suite(t, "adv_signal", ["usr1"], { control: false, requireDone: false }),
});

Deno.test({
  name: "adversarial: Deno's inspector (SIGUSR1 from outside, then 127.0.0.1:9229 from inside)",
  ...opts,
  fn: (t) =>
    suite(t, "adv_signal", ["outside"], {
      control: false,
      requireDone: false,
      interact: async (live, bed) => {
        await live.waitLine(/^ready$/, 10_000);
        try {
          Deno.kill(live.pid, "SIGUSR1");
        } catch { /* jail already gone */ }
        const own = await jailSockets(bed, live.pid);
        await live.write("go\n").catch(() => {});
        return own;
      },
    }),
});

Deno.test({
  name: "adversarial: the tree's own seccomp filters (user-notif listener, forged RET_TRACE data)",
  ...opts,
  fn: (t) => suite(t, "adv_seccomp"),
});

Deno.test({
  name: "adversarial: namespaces and interfaces (setns far/host, tun, rtnetlink, userns)",
  ...opts,
  fn: (t) => suite(t, "adv_ns", (bed) => [bed.farNsPath]),
});

Deno.test({
  name: "adversarial: io_uring, i386/x32, CLONE_UNTRACED, sibling ptrace, handles, keyring, bpf",
  ...opts,
  fn: (t) => suite(t, "adv_misc"),
});

Deno.test({
  name: "adversarial: peer pidfd of a unix connection jail made for the tree",
  ...opts,
  // No control: unjailed nobody connects on the tree's behalf.
  fn: (t) => suite(t, "adv_peerpidfd", [], { control: false }),
});

Deno.test({
  name:
    "adversarial: capability laundering through calls jail performs (rtnetlink, SCM_CREDENTIALS)",
  ...opts,
  // No control: unjailed, nothing performs calls for the tree with other credentials.
  fn: (t) => suite(t, "adv_launder", [], { control: false }),
});

Deno.test({
  name: "adversarial: per-route table",
  ...opts,
  fn: () => {
    console.log("\n" + table.join("\n"));
  },
});
