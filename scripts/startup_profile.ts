/**
 * `deno task profile`: writes `scripts/startup_profile.json`, the function
 * literals of the CLI's bundle that ran in a few typical starts, which
 * `deno task bundle` then makes the ones V8 compiles with the module (see
 * `profiledEager` in scripts/bundle.ts). Rerun it after changing what a start
 * runs: a function it does not list still works, compiled at its first call
 * in each run, and `tests/bundle_test.ts` fails when `jail -- true` runs many
 * it does not list.
 *
 * How: the bundles as the bundler makes them (no rewrite, so that V8's
 * positions are those of that text) run under `deno run --coverage`; each
 * function with a call is matched by its end to the literal acorn finds
 * there, and kept by its key (`functionKey`).
 *
 * Why a profile: the code cache every start reads holds each function
 * compiled with the module. With every function of the modules a start uses
 * compiled (the rewrites' former rule), 288 functions no start ran made
 * 147 KB of its 502 KB; without them `jail -- true` was 1.2 ms faster (40
 * rounds).
 *
 * @module
 */

import { parse } from "acorn";
import { buildRaw, functionKey, STARTUP_PROFILE, walk } from "./bundle.ts";

const ROOT = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");

/**
 * The starts profiled: the plain run, a file allow list (its checks and the
 * notification pool), a network allow list with a name (its parsing and
 * lookup), and a shell whose child exits with a status. Nothing here connects
 * or is denied: the checks and reports of a denial stay lazy, as the
 * explanations of a failure do.
 */
export const PROFILED_STARTS: readonly ProfiledStart[] = [
  { args: ["--", "true"], status: 0 },
  { args: ["--allow-read=/usr,/lib,/etc", "--", "true"], status: 0 },
  { args: ["--allow-net=localhost:5432", "--", "true"], status: 0 },
  { args: ["--", "sh", "-c", "/bin/true; exit 3"], status: 3 },
];

/** One start: jail's arguments, and the exit status it must end with. */
export interface ProfiledStart {
  args: readonly string[];
  status: number;
}

/**
 * Where each function of the CLI's bundle that ran in one start ends (its offset in the bundle's
 * text): `jailTs` run under `deno run --coverage`, in an empty directory (no jail.config.ts to
 * find, as in the bench).
 *
 * @throws {Error} When the start ends with another status than its own.
 */
export async function ranEnds(jailTs: string, start: ProfiledStart): Promise<Set<number>> {
  const dir = await Deno.makeTempDir({ prefix: "jail-coverage-" });
  try {
    const coverage = `${dir}/coverage`;
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", `--coverage=${coverage}`, jailTs, ...start.args],
      cwd: dir,
      env: { DENO_NO_UPDATE_CHECK: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    if (run.code !== start.status) {
      throw new Error(
        `jail ${start.args.join(" ")} exited ${run.code}: ${new TextDecoder().decode(run.stderr)}`,
      );
    }
    const ends = new Set<number>();
    for await (const entry of Deno.readDir(coverage)) {
      const data = JSON.parse(await Deno.readTextFile(`${coverage}/${entry.name}`));
      if (!String(data.url).endsWith("/dist/jail.js")) continue;
      for (const fn of data.functions) {
        if (fn.ranges[0].count > 0) ends.add(fn.ranges[0].endOffset);
      }
    }
    return ends;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The keys of the CLI bundle's function literals that ran in `starts`, each
 * run by `jail.ts` with the bundles unrewritten.
 */
export async function profiledKeys(
  starts: readonly ProfiledStart[] = PROFILED_STARTS,
): Promise<Set<string>> {
  const tmp = await Deno.makeTempDir({ prefix: "jail-profile-" });
  try {
    await Deno.mkdir(`${tmp}/dist`);
    const text = (await buildRaw(`${tmp}/dist`)).get("jail.js")!;
    await Deno.copyFile(`${ROOT}/jail.ts`, `${tmp}/jail.ts`);
    const ends = new Set<number>();
    for (const start of starts) {
      for (const end of await ranEnds(`${tmp}/jail.ts`, start)) ends.add(end);
    }
    const keys = new Set<string>();
    walk(parse(text, { ecmaVersion: "latest", sourceType: "module" }), (node) => {
      if (
        (node.type === "FunctionDeclaration" || node.type === "FunctionExpression" ||
          node.type === "ArrowFunctionExpression") && ends.has(node.end)
      ) {
        keys.add(functionKey(text.slice(node.start, node.end)));
      }
    });
    return keys;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  const keys = [...await profiledKeys()].sort();
  await Deno.writeTextFile(`${ROOT}/${STARTUP_PROFILE}`, JSON.stringify(keys, null, 2) + "\n");
  console.log(`${STARTUP_PROFILE}: ${keys.length} functions`);
}
