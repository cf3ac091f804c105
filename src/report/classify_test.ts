import assert from "node:assert/strict";
import { decisionOf, resultOf } from "./classify.ts";

Deno.test("decisionOf() tells performed network calls, rewrites and fakes apart by their kind", () => {
  assert.equal(decisionOf({ action: "perform" }), "allow");
  assert.equal(decisionOf({ action: "replace" }), "allow");
  assert.equal(decisionOf({ action: "allow" }), "allow");
  assert.equal(decisionOf({ action: "return" }), "return");
  assert.equal(decisionOf({ action: "args" }), "rewrite");
  assert.equal(decisionOf({ action: "result" }), "result");
  assert.equal(decisionOf({ action: "deny" }), "deny");
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
  assert.deepEqual(resultOf({ action: "perform", value: "0" }), { result: 0 });
  assert.deepEqual(resultOf({ action: "allow" }), {});
  assert.deepEqual(resultOf({ action: "args" }), {});
});

Deno.test("decisionOf(): a call failed as the kernel would (missing file) is no denial", () => {
  assert.equal(decisionOf({ action: "deny", kernel: true }), "allow");
  assert.equal(decisionOf({ action: "deny" }), "deny");
});
