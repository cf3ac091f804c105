/**
 * File-rule benchmark: a file-heavy workload (`find` and `cat` over 10,000
 * small files in a fresh temp dir) native, under jail with no file rules,
 * with a write-restricting policy (`--allow-write=<tmpdir>`), and with a
 * read-restricting one (`--allow-read=<tmpdir>`: every open stops at the
 * supervisor), and the write-restricting one without its Landlock layer. Prints medians of the workload's own time (measured inside,
 * by the shell that runs it) and of the whole command (jail's start-up
 * included).
 *
 * `deno run -A scripts/bench_fs.ts [--runs N] [--files N]`
 *
 * @module
 */

import { parseArgs } from "node:util";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");
const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string", default: "7" }, files: { type: "string", default: "10000" } },
});
const RUNS = Math.max(1, Number(values.runs));
const FILES = Math.max(1, Number(values.files));
const JAIL = [Deno.execPath(), "run", "-A", "--no-check", `${ROOT}/jail.ts`, "--no-config"];

/** One run: `[whole command ms, workload ms as the workload measured itself]`. */
async function once(argv: string[], env: Record<string, string> = {}): Promise<[number, number]> {
  const t = performance.now();
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t;
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return [ms, Number(new TextDecoder().decode(out.stdout).trim()) / 1e6];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Medians of each command over RUNS rounds, after one warm-up round. Rounds
 * interleave the commands, so a busy machine slows them alike.
 */
async function measure(
  commands: [string[], Record<string, string>?][],
): Promise<[number, number][]> {
  const times = commands.map(() => [[], []] as [number[], number[]]);
  for (let round = 0; round <= RUNS; round++) {
    for (const [i, [argv, env]] of commands.entries()) {
      const [whole, inner] = await once(argv, env);
      if (round === 0) continue;
      times[i][0].push(whole);
      times[i][1].push(inner);
    }
  }
  return times.map(([w, n]) => [median(w), median(n)]);
}

const dir = await Deno.makeTempDir({ prefix: "jail_bench_fs_" });
try {
  for (let i = 0; i < FILES; i++) {
    const sub = `${dir}/d${Math.floor(i / 100)}`;
    if (i % 100 === 0) await Deno.mkdir(sub);
    await Deno.writeTextFile(`${sub}/f${i}.txt`, `file ${i}\n`);
  }
  // Lists every file into the allowed tree, then reads every file; prints its own time in ns.
  const work = [
    "sh",
    "-c",
    `t0=$(date +%s%N)
     find "$0" -type f > "$0/list"
     find "$0" -type f -name '*.txt' -exec cat {} + > /dev/null
     echo $(( $(date +%s%N) - t0 ))`,
    dir,
  ];
  const rows: [string, string[], Record<string, string>?][] = [
    ["native", work],
    ["jail, no file rules", [...JAIL, "--", ...work]],
    ["jail --allow-write=<tmpdir>", [...JAIL, `--allow-write=${dir}`, "--", ...work]],
    [
      "jail --allow-write=<tmpdir>, ptrace check alone",
      [...JAIL, `--allow-write=${dir}`, "--", ...work],
      { JAIL_NO_LANDLOCK: "1" },
    ],
    [
      "jail --allow-read=<tmpdir> --allow-write=<tmpdir>",
      [...JAIL, `--allow-read=${dir}`, `--allow-write=${dir}`, "--", ...work],
    ],
  ];
  const results = await measure(rows.map(([, argv, env]) => [argv, env]));
  const [, nativeWork] = results[0];
  console.log(`${FILES} files, medians of ${RUNS} rounds; workload = find + cat, timed inside`);
  console.log(
    `${"".padEnd(50)} ${"workload".padStart(10)} ${"".padStart(7)} ${"whole".padStart(9)}`,
  );
  for (const [i, [what]] of rows.entries()) {
    const [whole, inner] = results[i];
    console.log(
      `${what.padEnd(50)} ${inner.toFixed(1).padStart(7)} ms ${
        (inner / nativeWork).toFixed(2).padStart(6)
      }x ${whole.toFixed(1).padStart(6)} ms`,
    );
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
