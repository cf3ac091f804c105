/**
 * `jail.ts` runs `dist/jail.js`, and a policy with function rules runs its
 * supervisor on `dist/worker.js`: both must be the bundles of the sources in
 * the same commit, or every other test here would test other code than the
 * one under src/.
 */

import assert from "node:assert/strict";
import { BUNDLES, eagerFunctions, staleBundles } from "../scripts/bundle.ts";
import { ROOT_DIR } from "./_helpers.ts";

Deno.test("bundle: dist/ holds the bundles of the sources under src/ (deno task bundle)", async () => {
  const stale = await staleBundles();
  assert.deepEqual(
    stale,
    [],
    `stale: ${stale.join(", ")}: run \`deno task bundle\` and commit dist/`,
  );
});

Deno.test("bundle: jail.ts loads the bundle alone, and the bundle imports nothing but itself", async () => {
  assert.match(await Deno.readTextFile(`${ROOT_DIR}/jail.ts`), /^import "\.\/dist\/jail\.js";$/m);
  for (const { out } of BUNDLES) {
    const text = await Deno.readTextFile(`${ROOT_DIR}/dist/${out}`);
    // Static imports would be modules loaded one by one again; dynamic ones are the user's
    // config (an absolute URL) and Node's DNS resolver, loaded only when a name must be resolved.
    const imports = [...text.matchAll(/^\s*import\b.*$/gm)].map((m) => m[0].trim());
    assert.deepEqual(imports, [], `${out} imports: ${imports.join("; ")}`);
    const dynamic = [...text.matchAll(/\bimport\(([^)]*)\)/g)].map((m) => m[1]).sort();
    assert.deepEqual(
      dynamic.filter((d) => d !== "url" && d !== '"node:dns/promises"'),
      [],
      `${out} loads modules at run time: ${dynamic.join(", ")}`,
    );
  }
});

Deno.test("bundle: eager functions keep hoisting, names, async and generator functions", async () => {
  const module = [
    "export const early = later(2);",
    "function later(x) { return x * 21; }",
    "export async function waits() { return await Promise.resolve(named.name); }",
    "function named() {}",
    "export function* counts() { yield 1; yield 2; }",
    "export { named };",
    "const f = function inner() { return 1; };",
    "export const g = f;",
  ].join("\n");
  const eager = eagerFunctions(module);
  // Every top-level declaration became an expression V8 compiles with the module, defined first.
  assert.doesNotMatch(eager, /^(export )?(async )?function/m);
  assert.match(eager, /^var later = \(function later\(x\)/m);
  const m = await import(`data:text/javascript,${encodeURIComponent(eager)}`);
  assert.equal(m.early, 42);
  assert.equal(await m.waits(), "named");
  assert.deepEqual([...m.counts()], [1, 2]);
  assert.equal(m.g(), 1);
  // The bundles themselves: no declaration left at their top level.
  for (const { out } of BUNDLES) {
    const text = await Deno.readTextFile(`${ROOT_DIR}/dist/${out}`);
    assert.doesNotMatch(text, /^(async )?function\*? /m, out);
  }
});
