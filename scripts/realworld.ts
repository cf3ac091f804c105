/**
 * Differential run of public projects' own test suites: each suite runs
 * natively and under jail (built-in policy), both inside a loopback-only
 * network namespace, and must give the same pass/fail/skip counts, jailed
 * taking at most `--ratio` times the native time. Suites marked as needing
 * the internet then run in a black-holed namespace (a veth pair holds the
 * default route, so packets vanish): jailed they must fail at least as fast
 * as natively, with `jail: denied` lines saying what they tried to reach.
 *
 *   deno task realworld [--src DIR] [--work DIR] [--logs DIR] [--jail jail.ts]
 *                       [--only a,b] [--clone] [--ratio 1.3] [--timeout 600]
 *                       [--install-timeout 300] [--no-blackhole]
 *
 * The projects and their pinned versions are in `realworld/projects.json`.
 * npm tarballs omit tests, so sources come from each repository at its
 * release tag, one subfolder per project under `--src` (default
 * `realworld/work/src`); when one is missing the script prints the exact
 * `git clone` to run, or runs it with `--clone`. Dependencies are installed
 * from the npm registry (`npm install --ignore-scripts`, bounded) into a copy
 * under `--work` (default `realworld/work/run`); `realworld/work/` is ignored.
 *
 * Needs root (network namespaces), git, node and npm. Not part of CI: it
 * needs the registry and takes a few minutes (see README in realworld/).
 *
 * @module
 */

import { type GroupRun, runGroup } from "./_group_run.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

/** One project of `realworld/projects.json`. */
interface Project {
  name: string;
  version: string;
  repo: string;
  tag: string;
  area: string;
  /**
   * The version in package.json at the tag when it differs from the release
   * (semantic-release writes the version only into the published tarball).
   */
  sourceVersion?: string;
  /** devDependencies dropped before install (linters, coverage, type checks). */
  prune: string[];
  /** Argv of the test suite, run in the project directory. */
  test: string[];
  /** How the suite's output is counted. */
  runner: "mocha" | "tap";
  /**
   * Titles of tests whose outcome depends on the host, not on jail: a
   * difference in these alone is reported, not counted as a failure.
   */
  flaky?: { title: string; why: string }[];
  /** Argv of the project's tests that need the internet. */
  internet?: string[];
}

/** Pass/fail/skip counts of one suite run; undefined fields: not found in its output. */
interface Counts {
  pass?: number;
  fail?: number;
  skip?: number;
}

/** One suite run. */
interface Run extends GroupRun {
  counts: Counts;
  /** Titles of the failing tests, as the runner prints them. */
  failed: string[];
}

interface Options {
  src: string;
  work: string;
  logs: string;
  /** The jail.ts to test (another checkout: compare before and after a change). */
  jail: string;
  only?: string[];
  clone: boolean;
  ratio: number;
  timeoutS: number;
  installTimeoutS: number;
  blackhole: boolean;
}

function usage(msg: string): never {
  console.error(`realworld: ${msg}`);
  console.error(
    "usage: deno task realworld [--src DIR] [--work DIR] [--logs DIR] [--jail jail.ts] " +
      "[--only a,b] [--clone] " +
      "[--ratio 1.3] [--timeout S] [--install-timeout S] [--no-blackhole]",
  );
  Deno.exit(2);
}

function parseArgs(args: string[]): Options {
  const o: Options = {
    src: `${ROOT}/realworld/work/src`,
    work: `${ROOT}/realworld/work/run`,
    logs: `${ROOT}/realworld/work/logs`,
    jail: `${ROOT}/jail.ts`,
    clone: false,
    ratio: 1.3,
    timeoutS: 600,
    installTimeoutS: 300,
    blackhole: true,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!(v > 0)) usage(`${a} needs a positive number`);
      return v;
    };
    if (a === "--src") o.src = value();
    else if (a === "--work") o.work = value();
    else if (a === "--logs") o.logs = value();
    else if (a === "--jail") o.jail = value();
    else if (a === "--only") o.only = value().split(",");
    else if (a === "--clone") o.clone = true;
    else if (a === "--ratio") o.ratio = number();
    else if (a === "--timeout") o.timeoutS = number();
    else if (a === "--install-timeout") o.installTimeoutS = number();
    else if (a === "--no-blackhole") o.blackhole = false;
    else usage(`unknown argument ${a}`);
  }
  return o;
}

/** Env for every suite run: no colours, no update checks going out on their own. */
const ENV = {
  CI: "true",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
  NO_UPDATE_NOTIFIER: "1",
  npm_config_update_notifier: "false",
  npm_config_fund: "false",
  DENO_NO_UPDATE_CHECK: "1",
};

/** Namespace setup: loopback only. */
const LOOPBACK_NS = ["ip link set lo up"];
/** Namespace setup: a veth pair holds the default route, so packets to anywhere vanish. */
const BLACKHOLE_NS = [
  "ip link set lo up",
  "ip link add v0 type veth peer name v1",
  "ip addr add 10.99.0.1/24 dev v0",
  "ip link set v0 up",
  "ip link set v1 up",
  "ip route add default dev v0",
];

/** Argv prefix: a fresh network namespace set up by `steps`. */
function netns(steps: string[]): string[] {
  return ["unshare", "-n", "sh", "-c", [...steps, 'exec "$@"'].join(" && "), "sh"];
}

/** Runs argv in its own process group, killed whole at the time limit. */
function run(
  argv: string[],
  opts: { cwd: string; timeoutS: number; env?: Record<string, string> },
): Promise<GroupRun> {
  return runGroup(argv, {
    cwd: opts.cwd,
    timeoutMs: opts.timeoutS * 1000,
    env: { ...ENV, ...opts.env },
  });
}

/** The last number matched by `re` in `text`. */
function last(text: string, re: RegExp): number | undefined {
  let n: number | undefined;
  for (const m of text.matchAll(re)) n = Number(m[1]);
  return n;
}

/** Counts from a runner's summary lines. */
function count(runner: Project["runner"], text: string): Counts {
  // Colour codes, in case a runner ignores NO_COLOR.
  // deno-lint-ignore no-control-regex
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  if (runner === "mocha") {
    const pass = last(plain, /^\s*(\d+) passing/gm);
    return {
      pass,
      fail: last(plain, /^\s*(\d+) failing/gm) ?? (pass !== undefined ? 0 : undefined),
      skip: last(plain, /^\s*(\d+) pending/gm) ?? (pass !== undefined ? 0 : undefined),
    };
  }
  // TAP summary (ava --tap, tape, node --test): "# pass N", "# fail N", "# skip N", "# todo N".
  const pass = last(plain, /^# pass\s+(\d+)/gm);
  if (pass === undefined) return {};
  return {
    pass,
    fail: last(plain, /^# fail\s+(\d+)/gm) ?? 0,
    skip: (last(plain, /^# skip\s+(\d+)/gm) ?? 0) + (last(plain, /^# todo\s+(\d+)/gm) ?? 0),
  };
}

/**
 * Titles of the failing tests: TAP's `not ok N - title`; mocha's numbered
 * list after "N failing" (`  1) suite` and its indented test title line).
 */
function failures(runner: Project["runner"], text: string): string[] {
  const lines = text.split("\n");
  if (runner === "tap") {
    return lines.map((l) => /^not ok \d+ - (.*)$/.exec(l)?.[1]).filter((t) => t !== undefined)
      .sort();
  }
  const start = lines.findLastIndex((l) => /^\s*\d+ failing/.test(l));
  if (start < 0) return [];
  const names: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^ {2}\d+\) (.*)$/.exec(lines[i]);
    if (m) names.push(`${m[1]} > ${(lines[i + 1] ?? "").trim().replace(/:$/, "")}`);
  }
  return names.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Makes sure `src/<name>` holds the pinned release; clones it with `--clone`. */
async function source(p: Project, o: Options): Promise<string | undefined> {
  const dir = `${o.src}/${p.name}`;
  const clone = ["git", "clone", "--quiet", "--depth", "1", "--branch", p.tag];
  const url = `https://github.com/${p.repo}`;
  if (!(await exists(`${dir}/package.json`)) && o.clone) {
    await Deno.mkdir(o.src, { recursive: true });
    const r = await run([...clone, url, dir], { cwd: ROOT, timeoutS: 300 });
    if (r.code !== 0) console.error(`realworld: git clone ${url} failed:\n${r.out}`);
  }
  if (!(await exists(`${dir}/package.json`))) {
    console.error(
      `realworld: no source for ${p.name}@${p.version} in ${dir}; get it with\n` +
        `  ${[...clone, url, dir].join(" ")}\n` +
        `or from a local mirror: mkdir -p ${dir} && ` +
        `git --git-dir=<mirror> archive ${p.tag} | tar x -C ${dir}\n` +
        `or rerun with --clone`,
    );
    return undefined;
  }
  const version = JSON.parse(await Deno.readTextFile(`${dir}/package.json`)).version;
  if (version !== (p.sourceVersion ?? p.version)) {
    console.error(
      `realworld: ${dir} has package.json version ${version}, not the pinned ` +
        `${p.sourceVersion ?? p.version} (${p.name}@${p.version} at ${p.tag})`,
    );
    return undefined;
  }
  return dir;
}

/**
 * Copies the source to the work folder, drops the pruned devDependencies and
 * installs the rest, once per pinned entry (a stamp records what was done).
 */
async function install(p: Project, src: string, o: Options): Promise<string | undefined> {
  const dir = `${o.work}/${p.name}`;
  const stamp = JSON.stringify({ version: p.version, prune: p.prune });
  const stampFile = `${dir}/.realworld-stamp`;
  if (await exists(stampFile) && (await Deno.readTextFile(stampFile)) === stamp) return dir;
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(o.work, { recursive: true });
  const cp = await run(["cp", "-r", src, dir], { cwd: ROOT, timeoutS: 120 });
  if (cp.code !== 0) {
    console.error(`realworld: copy of ${src} failed: ${cp.out}`);
    return undefined;
  }
  const pkg = JSON.parse(await Deno.readTextFile(`${dir}/package.json`));
  for (const d of p.prune) delete pkg.devDependencies?.[d];
  await Deno.writeTextFile(`${dir}/package.json`, JSON.stringify(pkg, null, 2) + "\n");
  console.log(`realworld: npm install for ${p.name}@${p.version} (limit ${o.installTimeoutS} s)`);
  const npm = await run(
    ["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
    { cwd: dir, timeoutS: o.installTimeoutS, env: { npm_config_fetch_retries: "1" } },
  );
  if (npm.code !== 0) {
    console.error(
      `realworld: npm install for ${p.name} ${npm.timedOut ? "timed out" : "failed"}:\n` +
        npm.out.slice(-2000),
    );
    return undefined;
  }
  await Deno.writeTextFile(stampFile, stamp);
  return dir;
}

/** Runs one suite natively or jailed inside a namespace, logging its output. */
async function suite(
  p: Project,
  dir: string,
  argv: string[],
  how: { jail?: string; ns: string[]; log: string; timeoutS: number },
): Promise<Run> {
  const cmd = how.jail
    ? [Deno.execPath(), "run", "-A", "--no-check", how.jail, "--", ...argv]
    : argv;
  const r = await run([...how.ns, ...cmd], { cwd: dir, timeoutS: how.timeoutS });
  await Deno.writeTextFile(how.log, r.out);
  return { ...r, counts: count(p.runner, r.out), failed: failures(p.runner, r.out) };
}

function fmtCounts(c: Counts): string {
  const f = (n?: number) => (n === undefined ? "?" : `${n}`);
  return `${f(c.pass)}/${f(c.fail)}/${f(c.skip)}`;
}

function sameCounts(a: Counts, b: Counts): boolean {
  return a.pass !== undefined && a.pass === b.pass && a.fail === b.fail && a.skip === b.skip;
}

function fmtS(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** A table row: the project, its native and jailed counts and times, `extra`, the verdict. */
function resultRow(p: Project, nat: Run, jl: Run, extra: string, verdict: string[]): string[] {
  return [
    p.name,
    p.version,
    fmtCounts(nat.counts),
    fmtS(nat.ms),
    fmtCounts(jl.counts),
    fmtS(jl.ms),
    extra,
    verdict.length ? `FAIL: ${verdict.join(", ")}` : "ok",
  ];
}

/** Prints rows as a Markdown table. */
function table(head: string[], rows: string[][]): void {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(" | ")} |`;
  console.log(line(head));
  console.log(`| ${w.map((n) => "-".repeat(n)).join(" | ")} |`);
  for (const r of rows) console.log(line(r));
}

/** `jail: denied` lines, each once. */
function denials(stderr: string): string[] {
  return [...new Set(stderr.split("\n").filter((l) => l.startsWith("jail: denied")))];
}

async function main(): Promise<number> {
  const o = parseArgs(Deno.args);
  const list: Project[] = JSON.parse(
    await Deno.readTextFile(`${ROOT}/realworld/projects.json`),
  ).projects;
  const chosen = list.filter((p) => !o.only || o.only.includes(p.name));
  if (chosen.length === 0) usage(`no project named ${o.only?.join(",")}`);
  const logs = o.logs;
  await Deno.mkdir(logs, { recursive: true });
  console.log(`realworld: testing ${o.jail}`);
  const started = performance.now();

  const ready: { p: Project; dir: string }[] = [];
  let missing = false;
  for (const p of chosen) {
    const src = await source(p, o);
    const dir = src && await install(p, src, o);
    if (dir) ready.push({ p, dir });
    else missing = true;
  }
  if (missing) return 2;

  const rows: string[][] = [];
  const problems: string[] = [];
  for (const { p, dir } of ready) {
    const log = (kind: string) => `${logs}/${p.name}.${kind}.log`;
    const base = { ns: netns(LOOPBACK_NS), timeoutS: o.timeoutS };
    console.log(`realworld: ${p.name}@${p.version}: ${p.test.join(" ")}`);
    const nat = await suite(p, dir, p.test, { ...base, log: log("native") });
    // A jailed hang shows up in minutes, not at the full limit.
    const limit = Math.min(o.timeoutS, Math.max(60, (5 * nat.ms) / 1000));
    const jl = await suite(p, dir, p.test, {
      ...base,
      timeoutS: limit,
      jail: o.jail,
      log: log("jailed"),
    });
    const ratio = jl.ms / nat.ms;
    const verdict: string[] = [];
    if (nat.counts.pass === undefined) verdict.push("native counts not found");
    const flaky = new Set((p.flaky ?? []).map((f) => f.title));
    const onlyNative = nat.failed.filter((t) => !jl.failed.includes(t));
    const onlyJailed = jl.failed.filter((t) => !nat.failed.includes(t));
    // A host-dependent test that went one way natively and the other jailed moves one count.
    const shift = (c: Counts, fails: string[], passes: string[]): Counts => {
      const d = fails.filter((t) => flaky.has(t)).length -
        passes.filter((t) => flaky.has(t)).length;
      return c.pass === undefined ? c : { ...c, pass: c.pass + d, fail: (c.fail ?? 0) - d };
    };
    const natAdjusted = shift(nat.counts, onlyNative, onlyJailed);
    if (jl.counts.pass === undefined) verdict.push(`jailed printed no summary (exit ${jl.code})`);
    else if (!sameCounts(natAdjusted, jl.counts)) verdict.push("counts differ");
    if ([...onlyNative, ...onlyJailed].some((t) => !flaky.has(t))) {
      verdict.push("failing tests differ");
    }
    for (const t of [...onlyNative, ...onlyJailed].filter((t) => flaky.has(t))) {
      console.log(`  ${p.name}: host-dependent test differs (not counted): ${t}`);
    }
    for (const t of onlyJailed.filter((t) => !flaky.has(t)).slice(0, 10)) {
      console.log(`  ${p.name}: fails only jailed: ${t}`);
    }
    for (const t of onlyNative.filter((t) => !flaky.has(t)).slice(0, 10)) {
      console.log(`  ${p.name}: fails only natively: ${t}`);
    }
    if (ratio > o.ratio) verdict.push(`slower than ${o.ratio}x`);
    if (jl.timedOut) verdict.push(`jailed killed at ${limit.toFixed(0)} s`);
    if (verdict.length) {
      problems.push(
        `${p.name}: ${verdict.join(", ")} (logs: ${log("native")}, ${log("jailed")})`,
      );
    }
    for (const d of denials(jl.stderr).slice(0, 5)) console.log(`  ${p.name} jailed: ${d}`);
    rows.push(resultRow(p, nat, jl, `${ratio.toFixed(2)}x`, verdict));
  }

  const holeRows: string[][] = [];
  if (o.blackhole) {
    for (const { p, dir } of ready.filter((r) => r.p.internet)) {
      const log = (kind: string) => `${logs}/${p.name}.internet.${kind}.log`;
      const base = { ns: netns(BLACKHOLE_NS), timeoutS: o.timeoutS };
      console.log(`realworld: ${p.name} (black hole): ${p.internet!.join(" ")}`);
      const nat = await suite(p, dir, p.internet!, { ...base, log: log("native") });
      const jl = await suite(p, dir, p.internet!, { ...base, jail: o.jail, log: log("jailed") });
      const denied = denials(jl.stderr);
      const verdict: string[] = [];
      if (!jl.counts.fail) verdict.push("jailed did not fail");
      if (jl.counts.pass) verdict.push("jailed passed some");
      if (jl.ms > nat.ms) verdict.push("jailed slower to fail");
      if (denied.length === 0) verdict.push("no jail: denied line");
      for (const d of denied) console.log(`  ${p.name} jailed: ${d}`);
      if (verdict.length) problems.push(`${p.name} (black hole): ${verdict.join(", ")}`);
      holeRows.push(resultRow(p, nat, jl, `${denied.length}`, verdict));
    }
  }

  console.log("\nLoopback-only namespace (pass/fail/skip):\n");
  table(
    ["project", "version", "native", "native time", "jailed", "jailed time", "ratio", "verdict"],
    rows,
  );
  if (holeRows.length) {
    console.log("\nBlack-holed namespace, tests that need the internet (pass/fail/skip):\n");
    table(
      [
        "project",
        "version",
        "native",
        "native time",
        "jailed",
        "jailed time",
        "denials",
        "verdict",
      ],
      holeRows,
    );
  }
  console.log(`\nrealworld: ${fmtS(performance.now() - started)} in all`);
  for (const m of problems) console.log(`realworld: ${m}`);
  return problems.length ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());
