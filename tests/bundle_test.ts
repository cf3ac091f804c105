/**
 * `jail.ts` runs `dist/jail.js`, and a policy with function rules runs its
 * supervisor on `dist/worker.js`: both must be the bundles of the sources in
 * the same commit, or every other test here would test other code than the
 * one under src/.
 */

import assert from "node:assert/strict";
import {
  asciiOnly,
  builtinFiltersFresh,
  BUNDLES,
  eagerFunctions,
  eagerLiterals,
  LAZY_MODULES,
  moduleAt,
  moduleStarts,
  staleBundles,
  STARTUP_PROFILE,
  walk,
} from "../scripts/bundle.ts";
import { parse } from "acorn";
import { profiledKeys, ranEnds } from "../scripts/startup_profile.ts";
import { ROOT_DIR } from "./_helpers.ts";

/** A bundle's tree, with its grouping parentheses as nodes (what makes a literal eager). */
// deno-lint-ignore no-explicit-any
function parseWithParens(text: string): any {
  return parse(text, { ecmaVersion: "latest", sourceType: "module", preserveParens: true });
}

/** A function that cannot be put in parentheses: a class member, an accessor, a method left so. */
// deno-lint-ignore no-explicit-any
function isMember(parent: any): boolean {
  return parent?.type === "MethodDefinition" ||
    (parent?.type === "Property" && (parent.method || parent.kind !== "init"));
}

Deno.test("bundle: dist/ holds the bundles of the sources under src/ (deno task bundle)", async () => {
  const stale = await staleBundles();
  assert.deepEqual(
    stale,
    [],
    `stale: ${stale.join(", ")}: run \`deno task bundle\` and commit dist/`,
  );
  // The built-in policy's programs, prebuilt into the sources the bundles are made of.
  assert.ok(
    await builtinFiltersFresh(),
    "run `deno task bundle`: src/policy/builtin_filter_data.ts",
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

Deno.test("bundle: every bundle is ASCII, so that V8 keeps its source as one-byte text", async () => {
  for (const { out } of BUNDLES) {
    const text = await Deno.readTextFile(`${ROOT_DIR}/dist/${out}`);
    const at = text.search(/[\u0080-\uffff]/);
    assert.equal(
      at,
      -1,
      `${out} has a character outside ASCII: ${JSON.stringify(text.slice(at - 20, at + 20))}`,
    );
  }
  // An escape means the same character in a string, a template and a regular expression.
  const source =
    'const s = "a\u2192b", t = `\u00b5${s}`, r = /\u00d7/; // \u2014 ok\nexport { s, t, r };';
  const escaped = asciiOnly(source);
  assert.equal(escaped.search(/[\u0080-\uffff]/), -1);
  const load = async (code: string) => await import(`data:text/javascript;base64,${btoa(code)}`);
  const mod = await load(escaped);
  assert.equal(mod.s, "a\u2192b");
  assert.equal(mod.t, "\u00b5a\u2192b");
  assert.ok(mod.r.test("\u00d7"));
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
  // With a test, a function it refuses stays a declaration.
  const some = eagerFunctions(module, (fn) => fn.id.name !== "later");
  assert.match(some, /^function later\(x\)/m);
  assert.match(some, /^var named = \(function named\(\)/m);
  assert.equal((await import(`data:text/javascript,${encodeURIComponent(some)}`)).early, 42);
  // The Worker's and the pool's bundles: no declaration left at their top level but the lazy
  // modules' (the CLI's follows its profile: below).
  for (const { out } of BUNDLES.filter((b) => b.out !== "jail.js")) {
    const text = await Deno.readTextFile(`${ROOT_DIR}/dist/${out}`);
    const starts = moduleStarts(text);
    for (const m of text.matchAll(/^(async )?function\*? (\w+)/gm)) {
      const module = moduleAt(starts, m.index!);
      assert.ok(LAZY_MODULES.has(module), `${out}: ${m[2]} (${module}) is still a declaration`);
    }
  }
});

Deno.test("bundle: eager literals put every inner function in parentheses, and change nothing it does", async () => {
  const module = [
    "const init = () => 'outer init';",
    "export const o = { init() { return init(); }, async later(x) { return x; },",
    "  *pair() { yield 1; yield 2; }, 'src/x.ts'() { return this.init(); }, plain: function () {},",
    "  get size() { return 3; }, uses() { return super.toString === Object.prototype.toString; } };",
    "export const add = (x) => (y) => x + y;",
    "export const doubled = [1, 2].map((v) => v * 2).filter(function (w) { return w > 2; });",
    "export class C { m() { return [1].map((q) => q + 1); } }",
    "export const arrow = () => 1;",
  ].join("\n");
  const eager = eagerLiterals(module);
  // A call's parentheses are not grouping ones (V8 compiles such an argument lazily): wrapped.
  assert.match(eager, /\.map\(\(\(v\) => v \* 2\)\)/);
  assert.match(eager, /init: \(function \(\) \{ return init\(\); \}\)/);
  assert.match(eager, /'src\/x\.ts': \(function \(\)/);
  // What cannot be written so stays: an accessor, a method using super, a class's method.
  assert.match(eager, /get size\(\)/);
  assert.match(eager, /uses\(\) \{/);
  assert.match(eager, /class C \{ m\(\) \{/);
  const m = await import(`data:text/javascript,${encodeURIComponent(eager)}`);
  assert.equal(m.o.init(), "outer init", "the method's body still sees the outer init");
  assert.equal(m.o.init.name, "init");
  assert.equal(await m.o.later(5), 5);
  assert.deepEqual([...m.o.pair()], [1, 2]);
  assert.equal(m.o["src/x.ts"](), "outer init");
  assert.equal(m.o.size, 3);
  assert.equal(m.o.uses(), true);
  assert.equal(m.add(2)(3), 5);
  assert.deepEqual(m.doubled, [4]);
  assert.equal(new m.C().m()[0], 2);
  assert.equal(m.arrow.name, "arrow");
  // With a test, a literal it refuses keeps its form.
  const some = eagerLiterals(
    module,
    (fn, text) => !/y|return x;/.test(text.slice(fn.start, fn.end)),
  );
  assert.match(some, /add = \(x\) => \(y\) => x \+ y;/);
  assert.match(some, /init: \(function \(\)/);
  assert.match(some, /async later\(x\)/);
  // The Worker's and the pool's bundles: no function literal outside grouping parentheses but
  // class members, accessors, methods that could not be rewritten, and the modules left lazy.
  for (const { out } of BUNDLES.filter((b) => b.out !== "jail.js")) {
    const text = await Deno.readTextFile(`${ROOT_DIR}/dist/${out}`);
    const starts = moduleStarts(text);
    const ast = parseWithParens(text);
    const lazy: string[] = [];
    walk(ast, (node, parent) => {
      if (parent?.type === "Program" && LAZY_MODULES.has(moduleAt(starts, node.start))) {
        return false;
      }
      const literal = node.type === "ArrowFunctionExpression" || node.type === "FunctionExpression";
      if (literal && !isMember(parent) && parent?.type !== "ParenthesizedExpression") {
        lazy.push(text.slice(node.start, node.start + 60));
      }
    });
    assert.deepEqual(lazy, [], out);
  }
});

Deno.test("bundle: the modules left lazy exist, and the Worker's bundle has those it uses (a renamed one would be eager again)", async () => {
  const text = await Deno.readTextFile(`${ROOT_DIR}/dist/worker.js`);
  const inBundle = new Set(moduleStarts(text).map((s) => s.module));
  for (const module of LAZY_MODULES) {
    assert.ok((await Deno.stat(`${ROOT_DIR}/${module}`)).isFile, module);
  }
  assert.ok(inBundle.has("src/net/check.ts"));
  // Their top-level functions stayed declarations: V8 compiles them at their first call.
  assert.match(text, /^function /m);
});

Deno.test("bundle: what jail -- true runs of the CLI's bundle is compiled with it, and little else", async () => {
  const ends = await ranEnds(`${ROOT_DIR}/jail.ts`, { args: ["--", "true"], status: 0 });
  const text = await Deno.readTextFile(`${ROOT_DIR}/dist/jail.js`);
  const ast = parseWithParens(text);
  const ranLazy: string[] = [];
  let ran = 0;
  let eager = 0;
  let literals = 0;
  walk(ast, (node, parent) => {
    const literal = node.type === "ArrowFunctionExpression" ||
      node.type === "FunctionExpression" || node.type === "FunctionDeclaration";
    if (literal && !isMember(parent)) {
      literals++;
      const parenthesized = parent?.type === "ParenthesizedExpression";
      if (parenthesized) eager++;
      if (ends.has(node.end)) {
        ran++;
        if (!parenthesized) ranLazy.push(text.slice(node.start, node.start + 50));
      }
    }
  });
  assert.ok(ran > 100, `only ${ran} functions ran`);
  // A few may differ with the host (another architecture, no Landlock, not root).
  assert.ok(
    ranLazy.length <= ran / 10,
    `${ranLazy.length} of the ${ran} functions jail -- true ran were compiled at their call, ` +
      `not with the module: run \`deno task profile\`, then \`deno task bundle\`:\n` +
      ranLazy.join("\n"),
  );
  // The profile, not every literal: what no profiled start runs stays lazy.
  assert.ok(eager < literals * 0.6, `${eager} of ${literals} literals are eager`);
});

Deno.test("bundle: the start-up profile holds what jail -- true runs now (deno task profile)", async () => {
  const profile = new Set(
    JSON.parse(await Deno.readTextFile(`${ROOT_DIR}/${STARTUP_PROFILE}`)) as string[],
  );
  const ran = await profiledKeys([{ args: ["--", "true"], status: 0 }]);
  const missing = [...ran].filter((k) => !profile.has(k));
  // A few may differ with the host (another architecture, no Landlock, not root).
  assert.ok(ran.size > 100, `only ${ran.size} functions ran`);
  assert.ok(
    missing.length <= ran.size / 10,
    `${missing.length} of the ${ran.size} functions jail -- true runs are not in ` +
      `${STARTUP_PROFILE}: run \`deno task profile\` and \`deno task bundle\``,
  );
});
