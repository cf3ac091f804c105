/**
 * `deno task bench`: jail against native runs, a minimal C tracer, strace,
 * proot and bubblewrap, measured in the same run. Prints medians and ratios.
 *
 * Options: `--runs N` (default 5), `--quick` (smaller workloads).
 *
 * @module
 */

import { parseArgs } from "node:util";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");
const BUILD = `${ROOT}/c/build`;
const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "5" }, quick: { type: "boolean" } },
});
const RUNS = Math.max(5, Number(values.runs));
const QUICK = Boolean(values.quick);
const STOPS = QUICK ? 20_000 : 100_000;
const UNTRACED = QUICK ? 200_000 : 1_000_000;
const CHURN = QUICK ? 500 : 2000;
const JAIL = [Deno.execPath(), "run", "-A", "--no-check", `${ROOT}/jail.ts`];

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

/** Median wall time in ms of `argv` over RUNS runs (after one warm-up). */
async function time(argv: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i <= RUNS; i++) {
    const t = performance.now();
    const out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdout: "null",
      stderr: "piped",
    }).output();
    const ms = performance.now() - t;
    if (!out.success) {
      throw new Error(
        `${argv.join(" ")} failed (${out.code}): ${
          new TextDecoder().decode(out.stderr).slice(0, 300)
        }`,
      );
    }
    if (i > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const rows: string[][] = [];
function row(group: string, what: string, ms: number, base?: number, target?: string) {
  rows.push([group, what, ms.toFixed(1), base ? (ms / base).toFixed(2) + "×" : "", target ?? ""]);
  console.error(`  ${group}: ${what} ${ms.toFixed(1)} ms`);
}

const getppid = await build("bench_getppid");
const minTracer = await build("min_tracer");
const hold = await build("bench_hold");
const config = await Deno.makeTempFile({ suffix: ".json" });
await Deno.writeTextFile(config, JSON.stringify({ syscalls: { getppid: { return: 7 } } }));
const empty = await Deno.makeTempFile({ suffix: ".ts" });

console.error(`jail bench: ${RUNS} runs each, median wall time`);

// Per-stop cost: every getppid stops at the tracer, which fakes the result.
{
  const native = await time([getppid, String(STOPS)]);
  const c = await time([minTracer, "7", getppid, String(STOPS)]);
  const jail = await time([...JAIL, "--config", config, "--", getppid, String(STOPS)]);
  const perStop = (ms: number) => ((ms - native) * 1000 / STOPS).toFixed(2);
  row("per-stop", `native (${STOPS} getppid)`, native);
  row("per-stop", `min C tracer (${perStop(c)} µs/stop)`, c, c);
  row("per-stop", `jail {return} rule (${perStop(jail)} µs/stop)`, jail, c, "≤ 1.3× C tracer");
  if (which("strace")) {
    const s = await time([
      "strace",
      "-f",
      "-qq",
      "-o",
      "/dev/null",
      "--seccomp-bpf",
      "-e",
      "trace=getppid",
      getppid,
      String(STOPS),
    ]);
    row("per-stop", `strace -f --seccomp-bpf (${perStop(s)} µs/stop)`, s, c);
  }
  if (which("proot")) row("per-stop", "proot", await time(["proot", getppid, String(STOPS)]), c);
}

// Untraced overhead: syscalls the filter allows in the kernel.
{
  const native = await time([getppid, String(UNTRACED)]);
  row("untraced", `native ${UNTRACED} getppid`, native);
  row(
    "untraced",
    "jail default policy",
    await time([...JAIL, "--", getppid, String(UNTRACED)]),
    native,
    "≤ 1.03× native",
  );
  const find = ["find", "/usr", "-xdev"];
  const nativeFind = await time(find);
  row("untraced", "native find /usr", nativeFind);
  row(
    "untraced",
    "jail find /usr",
    await time([...JAIL, "--", ...find]),
    nativeFind,
    "≤ 1.03× native",
  );
}

// Startup.
{
  const t = await time(["true"]);
  const deno = await time([Deno.execPath(), "run", "-A", empty]);
  row("startup", "true", t);
  row("startup", "deno run (empty script)", deno);
  row("startup", "jail -- true", await time([...JAIL, "--", "true"]), deno, "≤ 1.5× deno run");
  if (which("bwrap")) {
    row(
      "startup",
      "bwrap --dev-bind / / true",
      await time(["bwrap", "--dev-bind", "/", "/", "true"]),
      deno,
    );
  }
  if (which("strace")) {
    row(
      "startup",
      "strace -f true",
      await time(["strace", "-f", "-qq", "-o", "/dev/null", "true"]),
      deno,
    );
  }
  if (which("proot")) row("startup", "proot true", await time(["proot", "true"]), deno);
}

// Fork/exec churn.
{
  const script = `i=0; while [ $i -lt ${CHURN} ]; do /bin/true; i=$((i+1)); done`;
  const native = await time(["sh", "-c", script]);
  row("churn", `native ${CHURN} × /bin/true`, native);
  row("churn", "jail", await time([...JAIL, "--", "sh", "-c", script]), native, "≤ 2× native");
  if (which("strace")) {
    row(
      "churn",
      "strace -f",
      await time(["strace", "-f", "-qq", "-o", "/dev/null", "sh", "-c", script]),
      native,
    );
  }
}

// Supervisor peak RSS with 1,000 live tracees.
{
  const child = new Deno.Command(JAIL[0], {
    args: [...JAIL.slice(1), "--", hold, "1000"],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read(); // "ready": all 1,000 are alive and traced.
  const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
  const kb = Number(/VmHWM:\s*(\d+)/.exec(status)?.[1] ?? 0);
  await child.stdin.close();
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
  rows.push([
    "rss",
    "jail peak RSS, 1,000 live tracees",
    (kb / 1024).toFixed(1) + " MB",
    "",
    "≤ 100 MB",
  ]);
}

await Deno.remove(config);
await Deno.remove(empty);

const header = ["workload", "what", "median ms", "ratio", "target"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
console.log(line(header));
console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
for (const r of rows) console.log(line(r));
