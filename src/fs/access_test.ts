import assert from "node:assert/strict";
import { AccessChecker, type FsPolicy } from "./access.ts";

const e = (pattern: string, source = pattern) => ({ pattern, source });

const POLICY: FsPolicy = {
  read: { allow: [e("/data")], deny: [e("/data/secret"), e("/etc/shadow")], base: [e("/etc")] },
  write: { deny: [e("/data/**/*.lock", "*.lock")], base: [] },
  redirect: [],
  errno: 13,
};

Deno.test("AccessChecker.refusal() allows the allow list and the base", () => {
  const c = new AccessChecker(POLICY);
  assert.equal(c.refusal("read", "/data/a.txt"), undefined);
  assert.equal(c.refusal("read", "/etc/hosts"), undefined);
  assert.deepEqual(c.refusal("read", "/home/ann/.ssh/id_rsa"), {});
});

Deno.test("AccessChecker.refusal() lets deny win over allow and over the base", () => {
  const c = new AccessChecker(POLICY);
  assert.deepEqual(c.refusal("read", "/data/secret/key"), { deniedBy: "/data/secret" });
  assert.deepEqual(c.refusal("read", "/etc/shadow"), { deniedBy: "/etc/shadow" });
});

Deno.test("AccessChecker.refusal() with only a deny list denies just those", () => {
  const c = new AccessChecker(POLICY);
  assert.equal(c.refusal("write", "/anywhere/file"), undefined);
  assert.deepEqual(c.refusal("write", "/data/x/y.lock"), { deniedBy: "*.lock" });
});

Deno.test("AccessChecker.refusal() without rules of a kind allows it", () => {
  const c = new AccessChecker(POLICY);
  assert.ok(!c.restricts("run"));
  assert.equal(c.refusal("run", "/usr/bin/curl"), undefined);
  assert.ok(c.restricts("read") && c.restricts("write"));
});
