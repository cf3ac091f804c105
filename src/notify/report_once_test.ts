import assert from "node:assert/strict";
import { claimReport, keyHash, newReportOnceTable, REPORT_ONCE_SLOTS } from "./report_once.ts";

Deno.test("report once: a key is claimed once, by whichever caller comes first", () => {
  const table = new BigInt64Array(newReportOnceTable());
  assert.equal(claimReport(table, "12 read /etc/shadow"), true);
  assert.equal(claimReport(table, "12 read /etc/shadow"), false);
  assert.equal(claimReport(table, "13 read /etc/shadow"), true);
  assert.equal(claimReport(table, "12 write /etc/shadow"), true);
});

Deno.test("report once: distinct keys do not collide, and a full table reports rather than drops", () => {
  const keys = Array.from({ length: REPORT_ONCE_SLOTS }, (_, i) => `${i} read /tmp/f${i}`);
  assert.equal(new Set(keys.map(keyHash)).size, keys.length);
  const table = new BigInt64Array(newReportOnceTable());
  for (const k of keys) assert.equal(claimReport(table, k), true);
  for (const k of keys) assert.equal(claimReport(table, k), false);
  // Every slot is taken: a new key is reported (it cannot be remembered).
  assert.equal(claimReport(table, "a key beyond the table"), true);
});
