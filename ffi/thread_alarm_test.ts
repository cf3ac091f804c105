import assert from "node:assert/strict";
import { sys } from "./libc.ts";
import { ThreadAlarm, WAKE_SIGNAL } from "./thread_alarm.ts";
import { ERRNO_NUMBERS } from "../kernel/errno.ts";
import { KERNEL_SIGSET_BYTES } from "../kernel/signals.ts";
import { GLIBC_SIGSETXID, KERNEL_SIGACTION, SA_RESTORER } from "../kernel/timer.ts";

function action(sig: number): BigUint64Array {
  const act = new BigUint64Array(KERNEL_SIGACTION.words);
  assert.equal(sys("rt_sigaction", sig, null, act, KERNEL_SIGSET_BYTES), 0);
  return act;
}

Deno.test("thread alarm: interrupts this thread's blocking call, returns from its handler, restores the action", () => {
  const before = action(WAKE_SIGNAL);
  const alarm = new ThreadAlarm(20);
  try {
    const installed = action(WAKE_SIGNAL);
    assert.notEqual(installed[KERNEL_SIGACTION.handler], before[KERNEL_SIGACTION.handler]);
    // Installed by the raw call (no SA_RESTART, no other flag), with the restorer of glibc's own
    // handler where glibc gives its handlers one (x86_64); aarch64's return needs none (the vDSO).
    const glibc = action(GLIBC_SIGSETXID);
    const restorer = glibc[KERNEL_SIGACTION.flags] & BigInt(SA_RESTORER);
    assert.equal(installed[KERNEL_SIGACTION.flags], restorer);
    if (restorer !== 0n) {
      assert.equal(installed[KERNEL_SIGACTION.restorer], glibc[KERNEL_SIGACTION.restorer]);
    }
    if (Deno.build.arch === "x86_64") assert.notEqual(restorer, 0n, "glibc's handler has none");
    for (let round = 0; round < 3; round++) {
      alarm.arm();
      const t0 = performance.now();
      // A 5 s sleep: the alarm ends it with EINTR after about 20 ms, and the handler returns
      // (on x86_64 through the borrowed restorer; a wrong one would end this process).
      const rc = sys("nanosleep", new BigInt64Array([5n, 0n]), null);
      const waited = performance.now() - t0;
      alarm.disarm();
      assert.equal(rc, -ERRNO_NUMBERS.EINTR);
      assert.ok(waited < 2000, `woke after ${waited} ms`);
    }
  } finally {
    alarm.close();
  }
  assert.deepEqual(action(WAKE_SIGNAL), before);
});
