import assert from "node:assert/strict";
import { SeenKeys } from "./seen_keys.ts";

Deno.test("seen keys: holds what it was given, up to its limit, then forgets the older half", () => {
  const seen = new SeenKeys(8);
  for (let i = 0; i < 8; i++) seen.add(`k${i}`);
  assert.equal(seen.size, 8);
  assert.ok(seen.has("k0") && seen.has("k7"));
  assert.equal(seen.first("k3"), false); // already held: nothing forgotten
  assert.equal(seen.size, 8);
  seen.add("k8");
  assert.equal(seen.size, 5);
  for (let i = 0; i < 4; i++) assert.ok(!seen.has(`k${i}`), `k${i} kept`);
  for (let i = 4; i <= 8; i++) assert.ok(seen.has(`k${i}`), `k${i} forgotten`);
  // A million distinct keys: the size never passes the limit.
  const big = new SeenKeys(1000);
  for (let i = 0; i < 1_000_000; i++) big.add(`/tmp/denied/${i}`);
  assert.ok(big.size <= 1000);
  assert.ok(big.has("/tmp/denied/999999"));
});
