import assert from "node:assert/strict";
import { decisionOf, resultOf } from "./classify.ts";

Deno.test("decisionOf() tells performed network calls, rewrites and fakes apart", () => {
  assert.equal(decisionOf({ action: "return", rule: "net" }), "allow");
  assert.equal(decisionOf({ action: "allow", rule: "net" }), "allow");
  assert.equal(decisionOf({ action: "return", rule: "net.bind" }), "rewrite");
  assert.equal(decisionOf({ action: "return", rule: "syscalls.getppid" }), "return");
  assert.equal(decisionOf({ action: "args", rule: "syscalls.mkdir" }), "rewrite");
  assert.equal(decisionOf({ action: "result" }), "result");
  assert.equal(decisionOf({ action: "deny", rule: "net" }), "deny");
  assert.equal(decisionOf({ action: "kill" }), "kill");
});

Deno.test("resultOf() gives -1 and the errno name for failures, the value otherwise", () => {
  assert.deepEqual(resultOf({ action: "deny", errno: 13 }), { result: -1, errno: "EACCES" });
  assert.deepEqual(resultOf({ action: "return", value: "-111" }), {
    result: -1,
    errno: "ECONNREFUSED",
  });
  assert.deepEqual(resultOf({ action: "return", value: "7" }), { result: 7 });
  assert.deepEqual(resultOf({ action: "return", value: "-5000" }), { result: -5000 });
  assert.deepEqual(resultOf({ action: "result", value: "18446744073709551615" }), {
    result: "18446744073709551615",
  });
  assert.deepEqual(resultOf({ action: "allow" }), {});
  assert.deepEqual(resultOf({ action: "args" }), {});
});

Deno.test("decisionOf(): a file call failed as the kernel would (missing file) is no denial; EACCES is", () => {
  for (const errno of [2, 20, 40, 9, 14]) {
    assert.equal(decisionOf({ action: "deny", rule: "fs", errno }), "allow", `errno ${errno}`);
  }
  assert.equal(decisionOf({ action: "deny", rule: "fs", errno: 13 }), "deny");
  // Only the file checks answer for the kernel: a network or a config rule's ENOENT is a denial.
  assert.equal(decisionOf({ action: "deny", rule: "net", errno: 2 }), "deny");
  assert.equal(decisionOf({ action: "deny", rule: "syscalls.openat", errno: 2 }), "deny");
});
