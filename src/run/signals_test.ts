import assert from "node:assert/strict";
import { SIGNALS } from "../../kernel/signals.ts";
import { FORWARDED_SIGNALS, PASSED_SIGNALS, SignalRelay, TEARDOWN_SIGNALS } from "./signals.ts";

function relay(grace = 60_000) {
  const sent: [number, number][] = [];
  let kills = 0;
  const r = new SignalRelay(undefined, grace, () => kills++, (pid, sig) => sent.push([pid, sig]));
  return { r, sent, kills: () => kills };
}

Deno.test("FORWARDED_SIGNALS: the teardown signals, then those passed on", () => {
  assert.deepEqual(FORWARDED_SIGNALS, [...TEARDOWN_SIGNALS, ...PASSED_SIGNALS]);
  assert.equal(new Set(FORWARDED_SIGNALS).size, FORWARDED_SIGNALS.length);
});

Deno.test("SignalRelay: before the root is traced, signals wait; then go to its group", () => {
  const { r, sent } = relay();
  r.forward("SIGUSR1");
  assert.deepEqual(sent, []);
  r.started(42);
  assert.deepEqual(sent, [[-42, SIGNALS.SIGUSR1]]);
  r.forward("SIGWINCH");
  assert.deepEqual(sent[1], [-42, SIGNALS.SIGWINCH]);
  r.end();
});

Deno.test("SignalRelay: the same signal twice in a row is forwarded once", () => {
  const { r, sent } = relay();
  r.started(7);
  r.forward("SIGUSR2");
  r.forward("SIGUSR2");
  r.forward("SIGALRM");
  assert.deepEqual(sent, [[-7, SIGNALS.SIGUSR2], [-7, SIGNALS.SIGALRM]]);
  r.end();
});

Deno.test("SignalRelay: a teardown signal arms the grace period; a second kills at once", () => {
  const { r, sent, kills } = relay();
  r.started(7);
  r.forward("SIGTERM");
  assert.equal(kills(), 0);
  r.forward("SIGINT");
  assert.equal(kills(), 1);
  assert.deepEqual(sent, [[-7, SIGNALS.SIGTERM], [-7, SIGNALS.SIGINT]]);
  r.end(); // Disarms the grace timer (the test would leak it otherwise).
});

Deno.test("SignalRelay: the grace period ends in a kill of the tree", async () => {
  const { r, kills } = relay(10);
  r.started(7);
  r.forward("SIGHUP");
  await new Promise((done) => setTimeout(done, 50));
  assert.equal(kills(), 1);
  r.end();
});
