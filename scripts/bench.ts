/**
 * `deno task bench`: jail against native runs, a minimal C tracer, strace,
 * proot and bubblewrap, all measured in the same run. Prints the median of
 * each measurement and its ratio, next to the target it is held to.
 *
 * Options: `--runs N` (default and minimum 5), `--quick` (smaller workloads),
 * `--only <group,...>` (per-stop, pinned, untraced, startup, churn, parallel,
 * parallel-open, parallel-churn, rss), `--jail <path>` (another checkout's jail.ts, for
 * before/after figures), `--parallel 1,2,4` (the P of the parallel groups;
 * `--cores N` is `--parallel 1,N`).
 *
 * How each figure is taken:
 *
 * - per-stop: `c/bench_getppid.c` times its own loop of N getppid calls with
 *   CLOCK_MONOTONIC; the cost of a stop is (traced loop − native loop) / N.
 *   Start-up and teardown of the tracer are outside the loop, so they are in
 *   no tracer's figure. Measured twice: as the scheduler places the threads,
 *   and with tracer and tracee pinned to CPU 0 (`taskset -c 0`). Unpinned,
 *   every stop is two cross-CPU wake-ups, which cost the same whoever the
 *   tracer is; pinned, the tracer's own work per stop is what differs.
 * - untraced and churn: the workload's own time, measured inside the jail by
 *   `c/bench_time.c` (fork, exec, wait of the workload), so jail's start-up is
 *   not in the ratio. The same wrapper times the native run.
 * - parallel: P loops of 20,000 getppid side by side, each call stopped by a
 *   `{ "return": 7 }` rule: one jail for all P, against P minimal C tracers
 *   (one each) and native. The workload's own time: `c/bench_time.c` times a
 *   shell that starts the P loops and waits for them (inside the jail for
 *   jail). parallel-churn: P shell loops of 300 `/bin/true` the same way.
 *   churn and parallel-churn also run under `c/follow_tracer.c`, a C tracer
 *   that follows the tree as jail does (fork, vfork and clone events, each
 *   new task's first stop, signals) and does nothing else: the least those
 *   stops cost, against which jail's own work at them shows.
 *   A `return` rule is decided by jail's notification pool (src/notify/);
 *   the per-stop and parallel groups also run the same rule with one pool
 *   thread and on ptrace stops (`JAIL_NOTIFY_THREADS=1` and `=0`).
 * - parallel-open: P loops of 20,000 openat + close of an allowed file side
 *   by side under `--allow-read` (every open a file check): one jail whose
 *   pool checks them (its default size, and P threads), the same jail with
 *   every check on ptrace stops (`JAIL_NOTIFY_THREADS=0`), and native; the workload's own time
 *   (`c/bench_time.c`), and the cost of one open, (jail − native) / opens.
 * - startup: wall time of the whole command, from spawn to exit.
 * - rss: VmHWM of the jail process (main thread, supervisor thread, all of
 *   it) once 1,000 tracees are alive.
 *
 * jail runs in an empty directory, so no `jail.config.ts` is discovered: the
 * built-in policy applies unless `--config` says otherwise.
 *
 * @module
 */

import { parseArgs } from "node:util";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");
const BUILD = `${ROOT}/c/build`;
const { values } = parseArgs({
  args: Deno.args,
  options: {
    runs: { type: "string", default: "5" },
    quick: { type: "boolean" },
    only: { type: "string" },
    jail: { type: "string" },
    parallel: { type: "string" },
    cores: { type: "string" },
  },
});
const RUNS = Math.max(5, Number(values.runs) || 5);
const QUICK = Boolean(values.quick);
const STOPS = QUICK ? 20_000 : 100_000;
const UNTRACED = QUICK ? 200_000 : 1_000_000;
const CHURN = QUICK ? 500 : 2000;
const HOLD = 1000;
const PAR_STOPS = QUICK ? 5000 : 20_000;
const PAR_CHURN = QUICK ? 100 : 300;
const PAR_OPENS = QUICK ? 5000 : 20_000;
const PARALLEL = [
  ...new Set(
    (values.parallel ?? (values.cores ? `1,${values.cores}` : "1,2,4")).split(",").map(Number),
  ),
].filter((p) => Number.isInteger(p) && p > 0);
const GROUPS = new Set(
  (values.only ??
    "per-stop,pinned,untraced,startup,churn,parallel,parallel-open,parallel-churn,rss")
    .split(",").map((s) => s.trim()),
);
const JAIL_TS = values.jail ? await Deno.realPath(values.jail) : `${ROOT}/jail.ts`;
const JAIL = [Deno.execPath(), "run", "-A", "--no-check", JAIL_TS];
const PIN = ["taskset", "-c", "0"];
const CWD = await Deno.makeTempDir({ prefix: "jail-bench-" });

async function build(name: string): Promise<string> {
  await Deno.mkdir(BUILD, { recursive: true });
  const out = await new Deno.Command("cc", {
    args: ["-O2", "-o", `${BUILD}/${name}`, `${ROOT}/c/${name}.c`, "-lpthread"],
  }).output();
  if (!out.success) throw new Error(`cc ${name}.c failed`);
  return `${BUILD}/${name}`;
}

function which(cmd: string): boolean {
  try {
    return new Deno.Command("sh", { args: ["-c", `command -v ${cmd}`], stdout: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** One run: wall ms, and the ns a benchmark helper reported on stderr (when asked for). */
async function once(argv: string[], inner?: string): Promise<{ wall: number; inner: number }> {
  const t = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: CWD,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  const wall = performance.now() - t;
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed (${out.code}): ${err.slice(0, 400)}`);
  }
  let ns = NaN;
  if (inner) {
    const m = [...err.matchAll(new RegExp(`^${inner} (\\d+)$`, "gm"))].at(-1);
    if (!m) {
      throw new Error(`${argv.join(" ")}: no "${inner}" line on stderr: ${err.slice(0, 400)}`);
    }
    ns = Number(m[1]);
  }
  return { wall, inner: ns };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

interface Subject {
  name: string;
  argv: string[];
  /** Name of the helper's stderr figure to collect. */
  inner?: string;
}

/**
 * Runs every subject RUNS times, interleaved (round r runs each subject once),
 * so that a slow patch of the machine hits all of them alike. Returns the
 * median wall ms and median inner ns of each.
 */
async function measure(
  group: string,
  subjects: Subject[],
  warmup = true,
): Promise<Map<string, { wall: number; inner: number }>> {
  const samples = new Map(
    subjects.map((s) => [s.name, { wall: [] as number[], inner: [] as number[] }]),
  );
  for (let r = warmup ? -1 : 0; r < RUNS; r++) {
    for (const s of subjects) {
      const m = await once(s.argv, s.inner);
      if (r < 0) continue;
      samples.get(s.name)!.wall.push(m.wall);
      samples.get(s.name)!.inner.push(m.inner);
    }
    if (r >= 0) console.error(`  ${group}: round ${r + 1}/${RUNS}`);
  }
  return new Map(
    [...samples].map(([k, v]) => [k, { wall: median(v.wall), inner: median(v.inner) }]),
  );
}

const rows: string[][] = [];
function row(
  group: string,
  what: string,
  value: string,
  ratio?: number,
  target?: { max: number; text: string },
) {
  rows.push([
    group,
    what,
    value,
    ratio === undefined ? "" : `${ratio.toFixed(2)}×`,
    target?.text ?? "",
    target && ratio !== undefined ? (ratio <= target.max ? "yes" : "no") : "",
  ]);
}

const ms = (ns: number) => `${(ns / 1e6).toFixed(1)} ms`;
const wallMs = (t: number) => `${t.toFixed(1)} ms`;

const getppid = await build("bench_getppid");
const minTracer = await build("min_tracer");
const hold = await build("bench_hold");
const timer = await build("bench_time");
const seccomp = await build("bench_seccomp");
const oneTracer = await build("bench_one_tracer");
const followTracer = await build("follow_tracer");
const notif = await build("bench_notif");
const fsNotify = await build("fs_notify");
const config = `${CWD}/return.json`;
await Deno.writeTextFile(config, JSON.stringify({ syscalls: { getppid: { return: 7 } } }));
const empty = `${CWD}/empty.ts`;
await Deno.writeTextFile(empty, "");
// The least any jail built like this one can take: a Deno start that starts a worker (with an
// empty module) and waits for it. The launch before (an exec stage) added a second Deno start
// (an empty script): that floor is measured too, for comparison.
const floorWorker = `${CWD}/floor_worker.ts`;
await Deno.writeTextFile(floorWorker, `self.onmessage = () => self.postMessage("ready");\n`);
const floor = `${CWD}/floor.ts`;
await Deno.writeTextFile(
  floor,
  `const worker = new Worker(${JSON.stringify(`file://${floorWorker}`)}, { type: "module" });
await new Promise((resolve) => {
  worker.onmessage = resolve;
  worker.postMessage("start");
});
Deno.exit(0);
`,
);
const floorStage = `${CWD}/floor_stage.ts`;
await Deno.writeTextFile(
  floorStage,
  `const stage = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", "-q", "--no-check", "--no-config", "--no-lock", ${JSON.stringify(empty)}],
}).spawn();
const worker = new Worker(${JSON.stringify(`file://${floorWorker}`)}, { type: "module" });
await new Promise((resolve) => {
  worker.onmessage = resolve;
  worker.postMessage("start");
});
await stage.status;
Deno.exit(0);
`,
);
const hasStrace = which("strace");
const hasProot = which("proot");
const hasBwrap = which("bwrap");

console.error(
  `jail bench: ${JAIL_TS}, ${RUNS} runs each (interleaved), medians; ${navigator.hardwareConcurrency} CPUs`,
);
// Fill Deno's module cache for jail before anything is timed.
await once([...JAIL, "--", "true"]);

// Per-stop cost: every getppid stops at the tracer, which fakes the result.
for (const pinned of [false, true]) {
  const group = pinned ? "pinned" : "per-stop";
  if (!GROUPS.has(group)) continue;
  const pin = pinned ? PIN : [];
  const n = String(STOPS);
  const subjects: Subject[] = [
    { name: "native", argv: [getppid, n], inner: "bench_loop_ns" },
    { name: "c", argv: [...pin, minTracer, "7", getppid, n], inner: "bench_loop_ns" },
    {
      name: "jail",
      argv: [...pin, ...JAIL, "--config", config, "--", getppid, n],
      inner: "bench_loop_ns",
    },
    // The same rule answered by one notification thread, and by ptrace stops (no pool).
    {
      name: "jail 1",
      argv: [...pin, ...notifyThreads(1), ...JAIL, "--config", config, "--", getppid, n],
      inner: "bench_loop_ns",
    },
    {
      name: "jail ptrace",
      argv: [...pin, ...notifyThreads(0), ...JAIL, "--config", config, "--", getppid, n],
      inner: "bench_loop_ns",
    },
  ];
  if (hasStrace) {
    subjects.push({
      name: "strace",
      argv: [
        ...pin,
        "strace",
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "--seccomp-bpf",
        "-e",
        "trace=getppid",
        getppid,
        n,
      ],
      inner: "bench_loop_ns",
    });
  }
  if (hasProot) {
    subjects.push({ name: "proot", argv: [...pin, "proot", getppid, n], inner: "bench_loop_ns" });
  }
  const m = await measure(group, subjects, false);
  const native = m.get("native")!.inner;
  const perStop = (name: string) => (m.get(name)!.inner - native) / STOPS / 1000;
  const c = perStop("c");
  const where = pinned ? ", pinned to CPU 0" : "";
  row(group, `native loop of ${STOPS} getppid`, ms(native));
  row(group, `min C tracer: GETREGS, SETREGS, CONT${where}`, `${c.toFixed(2)} µs/stop`, 1);
  row(
    group,
    `jail, { "return": 7 } rule${where}`,
    `${perStop("jail").toFixed(2)} µs/stop`,
    perStop("jail") / c,
    { max: 1.3, text: "≤ 1.3× C tracer" },
  );
  row(
    group,
    `jail, the same, one notification thread${where}`,
    `${perStop("jail 1").toFixed(2)} µs/stop`,
    perStop("jail 1") / c,
  );
  row(
    group,
    `jail, the same on ptrace stops (no pool)${where}`,
    `${perStop("jail ptrace").toFixed(2)} µs/stop`,
    perStop("jail ptrace") / c,
  );
  if (hasStrace) {
    row(
      group,
      `strace -f --seccomp-bpf -e trace=getppid${where}`,
      `${perStop("strace").toFixed(2)} µs/stop`,
      perStop("strace") / c,
    );
  }
  if (hasProot) {
    row(group, `proot${where}`, `${perStop("proot").toFixed(2)} µs/stop`, perStop("proot") / c);
  }
}

// Untraced overhead: syscalls the filter allows in the kernel (the built-in policy).
if (GROUPS.has("untraced")) {
  const n = String(UNTRACED);
  const find = ["find", "/usr", "-xdev"];
  const m = await measure("untraced", [
    { name: "native", argv: [getppid, n], inner: "bench_loop_ns" },
    { name: "seccomp", argv: [seccomp, getppid, n], inner: "bench_loop_ns" },
    { name: "jail", argv: [...JAIL, "--", getppid, n], inner: "bench_loop_ns" },
    { name: "native find", argv: [timer, ...find], inner: "bench_time_ns" },
    { name: "seccomp find", argv: [timer, seccomp, ...find], inner: "bench_time_ns" },
    { name: "jail find", argv: [...JAIL, "--", timer, ...find], inner: "bench_time_ns" },
  ]);
  const g = (k: string) => m.get(k)!.inner;
  const target = { max: 1.03, text: "≤ 1.03× native" };
  const filterOnly = "reference: native under a 1-instruction allow-all seccomp filter";
  row("untraced", `native: ${UNTRACED} getppid (loop, timed inside)`, ms(g("native")));
  row("untraced", filterOnly, ms(g("seccomp")), g("seccomp") / g("native"));
  row("untraced", "jail, built-in policy", ms(g("jail")), g("jail") / g("native"), target);
  row("untraced", "native: find /usr -xdev (timed by bench_time)", ms(g("native find")));
  row("untraced", filterOnly, ms(g("seccomp find")), g("seccomp find") / g("native find"));
  row(
    "untraced",
    "jail, built-in policy",
    ms(g("jail find")),
    g("jail find") / g("native find"),
    target,
  );
}

// Startup: the whole command, wall time.
if (GROUPS.has("startup")) {
  const subjects: Subject[] = [
    { name: "true", argv: ["true"] },
    { name: "deno", argv: [Deno.execPath(), "run", "-A", empty] },
    { name: "floor", argv: [Deno.execPath(), "run", "-A", floor] },
    { name: "floor stage", argv: [Deno.execPath(), "run", "-A", floorStage] },
    { name: "jail", argv: [...JAIL, "--", "true"] },
  ];
  if (hasBwrap) subjects.push({ name: "bwrap", argv: ["bwrap", "--dev-bind", "/", "/", "true"] });
  if (hasStrace) {
    subjects.push({ name: "strace", argv: ["strace", "-f", "-qq", "-o", "/dev/null", "true"] });
  }
  if (hasProot) subjects.push({ name: "proot", argv: ["proot", "true"] });
  const m = await measure("startup", subjects);
  const w = (k: string) => m.get(k)!.wall;
  const deno = w("deno");
  row("startup", "true", wallMs(w("true")));
  row("startup", "deno run (empty script)", wallMs(deno), 1);
  row(
    "startup",
    "reference: deno run that starts an empty worker",
    wallMs(w("floor")),
    w("floor") / deno,
  );
  row(
    "startup",
    "reference: the same and a 2nd deno run (the floor of the exec stage launch)",
    wallMs(w("floor stage")),
    w("floor stage") / deno,
  );
  row("startup", "jail -- true", wallMs(w("jail")), w("jail") / deno, {
    max: 1.5,
    text: "≤ 1.5× deno run",
  });
  if (hasBwrap) row("startup", "bwrap --dev-bind / / true", wallMs(w("bwrap")), w("bwrap") / deno);
  if (hasStrace) row("startup", "strace -f true", wallMs(w("strace")), w("strace") / deno);
  if (hasProot) row("startup", "proot true", wallMs(w("proot")), w("proot") / deno);
}

// Fork/exec churn: a shell that runs /bin/true CHURN times.
if (GROUPS.has("churn")) {
  const script = `i=0; while [ $i -lt ${CHURN} ]; do /bin/true; i=$((i+1)); done`;
  const work = [timer, "sh", "-c", script];
  const subjects: Subject[] = [
    { name: "native", argv: work, inner: "bench_time_ns" },
    { name: "jail", argv: [...JAIL, "--", ...work], inner: "bench_time_ns" },
    { name: "follow", argv: [followTracer, ...work], inner: "bench_time_ns" },
  ];
  if (hasStrace) {
    subjects.push({
      name: "strace",
      argv: ["strace", "-f", "-qq", "-o", "/dev/null", ...work],
      inner: "bench_time_ns",
    });
  }
  const m = await measure("churn", subjects);
  const g = (k: string) => m.get(k)!.inner;
  row(
    "churn",
    `native: ${CHURN} × fork+exec /bin/true from sh (timed by bench_time)`,
    ms(g("native")),
  );
  row("churn", "jail, built-in policy", ms(g("jail")), g("jail") / g("native"), {
    max: 2,
    text: "≤ 2× native",
  });
  row(
    "churn",
    "C tracer following the tree (c/follow_tracer.c: the same stops, nothing done at them)",
    ms(g("follow")),
    g("follow") / g("native"),
  );
  if (hasStrace) row("churn", "strace -f", ms(g("strace")), g("strace") / g("native"));
}

/** `sh -c` running `p` copies of a command line side by side and waiting for all of them. */
/** The prefix that sizes jail's notification pool (0: every rule on ptrace stops, as before it). */
function notifyThreads(n: number): string[] {
  return ["env", `JAIL_NOTIFY_THREADS=${n}`];
}

function sideBySide(p: number, cmd: string): string[] {
  return ["sh", "-c", `${Array(p).fill(`${cmd} &`).join(" ")} wait`];
}

// Decisions in parallel: P loops stopped by a return rule, in one jail against P C tracers.
if (GROUPS.has("parallel")) {
  const loop = `${getppid} ${PAR_STOPS}`;
  for (const p of PARALLEL) {
    const m = await measure(
      `parallel P=${p}`,
      [
        { name: "native", argv: [timer, ...sideBySide(p, loop)], inner: "bench_time_ns" },
        {
          name: "c",
          argv: [timer, ...sideBySide(p, `${minTracer} 7 ${loop}`)],
          inner: "bench_time_ns",
        },
        {
          name: "jail",
          argv: [...JAIL, "--config", config, "--", timer, ...sideBySide(p, loop)],
          inner: "bench_time_ns",
        },
        {
          name: "jail ptrace",
          argv: [
            ...notifyThreads(0),
            ...JAIL,
            "--config",
            config,
            "--",
            timer,
            ...sideBySide(p, loop),
          ],
          inner: "bench_time_ns",
        },
        // References that separate the loop's structure from Deno: one C tracer for all P loops.
        { name: "one block", argv: [timer, oneTracer, "block", String(p), ...loop.split(" ")] },
        { name: "one poll", argv: [timer, oneTracer, "poll", String(p), ...loop.split(" ")] },
        // And the other design: a seccomp user-notification listener served by P threads.
        { name: "notif", argv: [timer, notif, String(p), String(p), ...loop.split(" ")] },
      ].map((s) => ({ inner: "bench_time_ns", ...s })),
    );
    const g = (k: string) => m.get(k)!.inner;
    const over = p > navigator.hardwareConcurrency
      ? `, ${p} loops on ${navigator.hardwareConcurrency} CPUs`
      : "";
    const c = g("c");
    row("parallel", `P=${p}: native, ${p} × ${PAR_STOPS} getppid side by side`, ms(g("native")));
    row("parallel", `P=${p}: ${p} min C tracer${p > 1 ? "s" : ""}, one a loop${over}`, ms(c), 1);
    row("parallel", `P=${p}: one jail, { "return": 7 } rule${over}`, ms(g("jail")), g("jail") / c, {
      max: 1.5,
      text: "≤ 1.5× C tracers",
    });
    row(
      "parallel",
      `P=${p}: one jail, the same on ptrace stops (no pool)`,
      ms(g("jail ptrace")),
      g("jail ptrace") / c,
    );
    const one = "reference: one C tracer for all loops, jail's loop";
    row("parallel", `P=${p}: ${one}, sleeping in waitpid`, ms(g("one block")), g("one block") / c);
    row("parallel", `P=${p}: ${one}, polling 50 µs first`, ms(g("one poll")), g("one poll") / c);
    row(
      "parallel",
      `P=${p}: reference: seccomp user notifications, ${p} serving thread${p > 1 ? "s" : ""}`,
      ms(g("notif")),
      g("notif") / c,
    );
  }
}

// File checks in parallel: P loops of openat + close of an allowed file, each open checked.
if (GROUPS.has("parallel-open")) {
  const file = `${CWD}/open-me`;
  await Deno.writeTextFile(file, "");
  const allow = `--allow-read=${CWD},${BUILD}`;
  const loop = `${fsNotify} loop ${file} ${PAR_OPENS}`;
  for (const p of PARALLEL) {
    const m = await measure(`parallel-open P=${p}`, [
      { name: "native", argv: [timer, ...sideBySide(p, loop)], inner: "bench_time_ns" },
      {
        name: "jail",
        argv: [...JAIL, allow, "--", timer, ...sideBySide(p, loop)],
        inner: "bench_time_ns",
      },
      {
        name: "jail ptrace",
        argv: [...notifyThreads(0), ...JAIL, allow, "--", timer, ...sideBySide(p, loop)],
        inner: "bench_time_ns",
      },
      // A pool of P threads, one a loop (the default is one per two CPUs).
      {
        name: "jail P",
        argv: [...notifyThreads(p), ...JAIL, allow, "--", timer, ...sideBySide(p, loop)],
        inner: "bench_time_ns",
      },
    ]);
    const g = (k: string) => m.get(k)!.inner;
    const over = p > navigator.hardwareConcurrency
      ? `, on ${navigator.hardwareConcurrency} CPUs`
      : "";
    // The extra time of each open, from the loop's point of view: side by side, P opens share it.
    const perOpen = (k: string) => `${((g(k) - g("native")) / PAR_OPENS / 1e3).toFixed(2)} µs/open`;
    row(
      "parallel-open",
      `P=${p}: native, ${p} × ${PAR_OPENS} openat+close side by side${over}`,
      ms(g("native")),
    );
    row(
      "parallel-open",
      `P=${p}: one jail, --allow-read, checked by the pool (${perOpen("jail")})`,
      ms(g("jail")),
      g("jail") / g("native"),
    );
    row(
      "parallel-open",
      `P=${p}: one jail, a pool of ${p} thread${p > 1 ? "s" : ""} (${perOpen("jail P")})`,
      ms(g("jail P")),
      g("jail P") / g("native"),
    );
    row(
      "parallel-open",
      `P=${p}: one jail, the same on ptrace stops (${perOpen("jail ptrace")})`,
      ms(g("jail ptrace")),
      g("jail ptrace") / g("native"),
    );
  }
}

// Exec churn in parallel: P shells that each run /bin/true PAR_CHURN times.
if (GROUPS.has("parallel-churn")) {
  const script = `i=0; while [ $i -lt ${PAR_CHURN} ]; do /bin/true; i=$((i+1)); done`;
  const loop = `sh -c '${script}'`;
  for (const p of PARALLEL) {
    const m = await measure(`parallel-churn P=${p}`, [
      { name: "native", argv: [timer, ...sideBySide(p, loop)], inner: "bench_time_ns" },
      {
        name: "jail",
        argv: [...JAIL, "--", timer, ...sideBySide(p, loop)],
        inner: "bench_time_ns",
      },
      {
        name: "follow",
        argv: [followTracer, timer, ...sideBySide(p, loop)],
        inner: "bench_time_ns",
      },
    ]);
    const g = (k: string) => m.get(k)!.inner;
    const over = p > navigator.hardwareConcurrency
      ? `, on ${navigator.hardwareConcurrency} CPUs`
      : "";
    row(
      "parallel-churn",
      `P=${p}: native, ${p} × ${PAR_CHURN} fork+exec /bin/true from sh${over}`,
      ms(g("native")),
    );
    row("parallel-churn", `P=${p}: jail, built-in policy`, ms(g("jail")), g("jail") / g("native"), {
      max: 1.3,
      text: "≤ 1.3× native",
    });
    row(
      "parallel-churn",
      `P=${p}: one C tracer following the tree (c/follow_tracer.c)`,
      ms(g("follow")),
      g("follow") / g("native"),
    );
  }
}

// Supervisor peak RSS with 1,000 live tracees.
if (GROUPS.has("rss")) {
  const peaks: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const child = new Deno.Command(JAIL[0], {
      args: [...JAIL.slice(1), "--", hold, String(HOLD)],
      cwd: CWD,
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // "ready": all 1,000 are alive and traced.
    const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
    peaks.push(Number(/VmHWM:\s*(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    await child.stdin.close();
    reader.releaseLock();
    await child.stdout.cancel();
    await child.status;
  }
  const mb = median(peaks);
  rows.push([
    "rss",
    `jail peak RSS (VmHWM), ${HOLD} live tracees`,
    `${mb.toFixed(1)} MB`,
    "",
    "≤ 100 MB",
    mb <= 100 ? "yes" : "no",
  ]);
  console.error(`  rss: ${RUNS} runs`);
}

await Deno.remove(CWD, { recursive: true });

const header = ["workload", "what", "median", "ratio", "target", "met"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
console.log(line(header));
console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
for (const r of rows) console.log(line(r));
console.log(
  `\n${RUNS} runs each, interleaved; per-stop = (traced loop − native loop) / ${STOPS}, timed inside ` +
    `the workload; untraced and churn: the workload's own time, timed inside the jail by ` +
    `c/bench_time.c; startup: wall time of the whole command. Ratios: per-stop to the C tracer, ` +
    `untraced and churn to native, startup to deno run; parallel: P loops in one jail to P C ` +
    `tracers, parallel-open and parallel-churn to native, the workload's own time (bench_time).`,
);
