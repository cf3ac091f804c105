import assert from "node:assert/strict";
import { parseDuration } from "./duration.ts";

Deno.test("parseDuration() takes one unit, compounds, and bare seconds", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1h2m3.5s"), 3_723_500);
  assert.equal(parseDuration("2s500ms"), 2_500);
  assert.equal(parseDuration(" 10 "), 10_000);
  assert.equal(parseDuration("1.5"), 1_500);
  assert.equal(parseDuration(2), 2_000, "a number is seconds, as in a config");
  assert.equal(parseDuration("0"), 0);
  assert.equal(parseDuration(0), 0);
});

Deno.test("parseDuration() refuses what nobody means", () => {
  for (const bad of ["", "s", "5x", "-1", "1m 30s", "30s1m", "1m1m", "1e3", "5 m", "ms"]) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
  assert.equal(parseDuration(-1), undefined);
  assert.equal(parseDuration(Infinity), undefined);
});
