import assert from "node:assert/strict";
import { GlobSet, globToRegExp, hasGlob, normalizePath, staticPrefix } from "./glob.ts";

const matches = (pattern: string, path: string) => globToRegExp(pattern).test(path);

Deno.test("globToRegExp() matches a plain path, what it holds, and nothing beside it", () => {
  for (const p of ["/etc", "/etc/passwd", "/etc/ssl/certs/ca.pem"]) {
    assert.ok(matches("/etc", p), p);
  }
  for (const p of ["/et", "/etcx", "/etc-old/passwd", "/", "/usr/etc"]) {
    assert.ok(!matches("/etc", p), p);
  }
});

Deno.test("globToRegExp() keeps * and ? within one segment", () => {
  assert.ok(matches("/tmp/*.txt", "/tmp/a.txt"));
  assert.ok(matches("/tmp/*.txt", "/tmp/.hidden.txt"));
  assert.ok(matches("/tmp/*.txt", "/tmp/dir.txt/inner"), "a matching directory holds its tree");
  assert.ok(!matches("/tmp/*.txt", "/tmp/a/b.txt"));
  assert.ok(!matches("/tmp/*.txt", "/tmp/a.txt.bak"));
  assert.ok(matches("/home/*/.ssh", "/home/ann/.ssh/id_rsa"));
  assert.ok(!matches("/home/*/.ssh", "/home/ann/x/.ssh"));
  assert.ok(matches("/tmp/f?", "/tmp/f1"));
  assert.ok(!matches("/tmp/f?", "/tmp/f/"));
  assert.ok(!matches("/tmp/f?", "/tmp/f12"));
});

Deno.test("globToRegExp() lets ** span any number of segments, none included", () => {
  assert.ok(matches("/src/**/*.ts", "/src/a.ts"));
  assert.ok(matches("/src/**/*.ts", "/src/x/y/z/a.ts"));
  assert.ok(!matches("/src/**/*.ts", "/srcx/a.ts"));
  assert.ok(!matches("/src/**/*.ts", "/src/a.js"));
  assert.ok(matches("/**/id_rsa", "/home/ann/.ssh/id_rsa"));
  assert.ok(matches("/**/id_rsa", "/id_rsa"));
  assert.ok(!matches("/**/id_rsa", "/home/ann/id_rsa.pub"));
  assert.ok(matches("/data/**", "/data"));
  assert.ok(matches("/data/**", "/data/a/b"));
  assert.ok(!matches("/data/**", "/database"));
});

Deno.test("globToRegExp() supports classes, alternatives and escapes", () => {
  assert.ok(matches("/v/[ab]", "/v/a"));
  assert.ok(!matches("/v/[ab]", "/v/c"));
  assert.ok(matches("/v/[!ab]", "/v/c"));
  assert.ok(!matches("/v/[!ab]", "/v/a"));
  assert.ok(matches("/v/[0-9]x", "/v/7x"));
  assert.ok(matches("/v/*.{js,ts}", "/v/a.ts"));
  assert.ok(matches("/v/*.{js,ts}", "/v/a.js"));
  assert.ok(!matches("/v/*.{js,ts}", "/v/a.rs"));
  assert.ok(matches("/v/a\\*b", "/v/a*b"));
  assert.ok(!matches("/v/a\\*b", "/v/axxb"));
  assert.ok(matches("/v/a.b", "/v/a.b"), "regex characters are literal");
  assert.ok(!matches("/v/a.b", "/v/axb"));
  assert.ok(matches("/v/(x)+", "/v/(x)+"));
});

Deno.test("globToRegExp() of / matches every path", () => {
  for (const p of ["/", "/etc", "/a/b/c"]) assert.ok(matches("/", p), p);
});

Deno.test("staticPrefix() stops at the first segment with a wildcard", () => {
  assert.equal(staticPrefix("/home/*/.cache/**"), "/home");
  assert.equal(staticPrefix("/etc/hosts"), "/etc/hosts");
  assert.equal(staticPrefix("/**/id_rsa"), "/");
  assert.equal(staticPrefix("/a/b[0-9]/c"), "/a");
  assert.equal(staticPrefix("/a/x\\*y/z"), "/a/x*y/z", "an escaped star is a literal character");
});

Deno.test("hasGlob() and normalizePath()", () => {
  assert.ok(hasGlob("*.ts"));
  assert.ok(hasGlob("a{b,c}"));
  assert.ok(!hasGlob("a\\*b"));
  assert.ok(!hasGlob("/plain/path"));
  assert.equal(normalizePath("/a//b/./c/../d/"), "/a/b/d");
  assert.equal(normalizePath("/../../etc"), "/etc");
  assert.equal(normalizePath("/"), "/");
});

Deno.test("GlobSet.match() returns the entry of the first match", () => {
  const set = new GlobSet([
    { pattern: "/etc/ssl", source: "/etc/ssl" },
    { pattern: "/home/ann/**/*.key", source: "~/**/*.key" },
  ]);
  assert.equal(set.size, 2);
  assert.equal(set.match("/etc/ssl/certs"), "/etc/ssl");
  assert.equal(set.match("/home/ann/x/y.key"), "~/**/*.key");
  assert.equal(set.match("/etc/passwd"), undefined);
});
