/**
 * The tree's data flow, kept: each folder imports only from its own layer or
 * the ones below it (kernel facts → libc bindings → architectures and BPF →
 * the shared vocabulary → the file and network checks → the ptrace loop →
 * the launch → the policy → reports → the run → the CLI), and no module
 * imports itself back through others. README's "How it works" draws the same
 * picture.
 */
import assert from "node:assert/strict";
import { ROOT_DIR } from "./_helpers.ts";

/** Lowest first; a module may import from its own layer and the ones before it. */
const LAYERS: readonly (readonly string[])[] = [
  ["kernel/"],
  ["ffi/"],
  ["src/arch/", "src/bpf/"],
  ["src/*.ts"],
  ["src/fs/", "src/net/"],
  ["src/supervisor/", "src/notify/"],
  ["src/launch/"],
  ["src/policy/"],
  ["src/report/"],
  ["src/run/"],
  ["src/cli/"],
  ["mod.ts", "jail.ts", "jail.config.ts"],
];

/** The layer group of a path relative to the root: its folder, or `src/*.ts` for src's own files. */
function group(path: string): string {
  const parts = path.split("/");
  if (parts.length === 1) return path;
  if (parts[0] === "src") return parts.length > 2 ? `src/${parts[1]}/` : "src/*.ts";
  return `${parts[0]}/`;
}

const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*["'](\.\.?\/[^"']+\.ts)["']/g;

/** Every product module (tests and test helpers aside) and the modules it imports. */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const visit = async (dir: string) => {
    for await (const e of Deno.readDir(`${ROOT_DIR}/${dir}`)) {
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (["kernel", "ffi", "src"].includes(path) || /^(src|kernel|ffi)\//.test(path)) {
          await visit(path);
        }
        continue;
      }
      if (!path.endsWith(".ts") || path.endsWith("_test.ts") || e.name.startsWith("_")) continue;
      if (!dir && !["mod.ts", "jail.ts", "jail.config.ts"].includes(path)) continue;
      // Comments hold examples (`import { run } from "./mod.ts"`): not imports.
      const text = (await Deno.readTextFile(`${ROOT_DIR}/${path}`))
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      const base = new URL(path, "file:///r/");
      graph.set(
        path,
        [...text.matchAll(IMPORT)].map((m) => new URL(m[1], base).pathname.slice("/r/".length)),
      );
    }
  };
  await visit("");
  return graph;
}

Deno.test("layers: every import goes to the importer's layer or one below it", async () => {
  const rank = new Map(LAYERS.flatMap((names, i) => names.map((n) => [n, i] as const)));
  const wrong: string[] = [];
  for (const [from, targets] of await importGraph()) {
    const own = rank.get(group(from));
    assert.ok(own !== undefined, `${from}: its folder ${group(from)} is in no layer`);
    for (const to of targets) {
      const theirs = rank.get(group(to));
      if (theirs === undefined || theirs > own) wrong.push(`${from} → ${to}`);
    }
  }
  assert.deepEqual(wrong, []);
});

Deno.test("layers: no module imports itself back through others", async () => {
  const graph = await importGraph();
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const walk = (m: string, path: string[]) => {
    if (state.get(m) === "done") return;
    if (state.get(m) === "open") {
      cycles.push([...path.slice(path.indexOf(m)), m].join(" → "));
      return;
    }
    state.set(m, "open");
    for (const t of graph.get(m) ?? []) walk(t, [...path, m]);
    state.set(m, "done");
  };
  for (const m of graph.keys()) walk(m, []);
  assert.deepEqual(cycles, []);
});

Deno.test("layers: the check sees imports (a control on this very file's own kind of line)", () => {
  const line = `import { a } from "../x/y.ts";\nconst m = await import("./z.ts");`;
  assert.deepEqual([...line.matchAll(IMPORT)].map((m) => m[1]), ["../x/y.ts", "./z.ts"]);
  assert.equal(group("src/run/run.ts"), "src/run/");
  assert.equal(group("src/events.ts"), "src/*.ts");
  assert.equal(group("ffi/libc.ts"), "ffi/");
});
