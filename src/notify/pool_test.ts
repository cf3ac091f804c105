import assert from "node:assert/strict";
import { poolSize } from "./pool.ts";

Deno.test("poolSize: one thread below 4 CPUs, two from 4 on, whatever the CPU count; $JAIL_NOTIFY_THREADS decides when a number", () => {
  assert.deepEqual([1, 2, 3, 4, 16, 128].map((cpus) => poolSize(cpus, undefined)), [
    1,
    1,
    1,
    2,
    2,
    2,
  ]);
  assert.equal(poolSize(16, "0"), 0);
  assert.equal(poolSize(2, "8"), 8);
  assert.equal(poolSize(16, "99"), 16);
  // Not a number: the default.
  assert.equal(poolSize(16, "many"), 2);
  assert.equal(poolSize(16, "-1"), 2);
});
