import assert from "node:assert/strict";
import { registerValue } from "./decision.ts";

Deno.test("registerValue(): a number when 32 bits signed hold it, a bigint otherwise", () => {
  assert.equal(registerValue("7"), 7);
  assert.equal(registerValue("-2147483648"), -2147483648);
  assert.equal(registerValue("2147483648"), 2147483648n);
  assert.equal(registerValue(5n), 5);
  assert.equal(registerValue(-(1n << 40n)), -(1n << 40n));
  assert.equal(registerValue((1n << 64n) - 1n), (1n << 64n) - 1n);
});
