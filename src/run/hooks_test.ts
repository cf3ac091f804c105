import assert from "node:assert/strict";
import { HOOK_BYTES, HOOK_LENGTH, HOOK_STATE } from "./hook_channel.ts";
import type { HookCall } from "./worker_protocol.ts";
import type { SyscallHook } from "../policy/types.ts";
import { HookAnswers } from "./hooks.ts";

const CALL: HookCall = {
  name: "openat",
  nr: 257,
  pid: 10,
  tid: 10,
  args: ["1", "2", "3", "0", "0", "0"],
};

/** A hook channel as the supervisor's thread sees it: the state word and the answer it reads. */
function channel() {
  const buffer = new SharedArrayBuffer(8 + HOOK_BYTES);
  const words = new Int32Array(buffer);
  return {
    buffer,
    /** The answer stored, or undefined when none was; clears the state for the next. */
    take(): unknown {
      if (Atomics.load(words, HOOK_STATE) !== 1) return undefined;
      Atomics.store(words, HOOK_STATE, 0);
      const bytes = new Uint8Array(buffer, 8, Atomics.load(words, HOOK_LENGTH));
      return JSON.parse(new TextDecoder().decode(bytes.slice()));
    },
  };
}

async function answerOf(rule: SyscallHook, call = CALL) {
  const ch = channel();
  const said: string[] = [];
  const hooks = new HookAnswers([rule], ch.buffer, (t) => said.push(t));
  await hooks.answer(0, call);
  return { answer: ch.take(), said };
}

Deno.test("HookAnswers: each answer a rule can give, as a decision on the channel", async () => {
  const rule = "syscalls.openat";
  assert.deepEqual((await answerOf(() => "allow")).answer, { action: "allow", rule });
  assert.deepEqual((await answerOf(() => "deny")).answer, { action: "deny", errno: 1, rule });
  assert.deepEqual((await answerOf(() => "kill")).answer, { action: "kill", rule });
  assert.deepEqual((await answerOf(() => ({ deny: "EACCES" }))).answer, {
    action: "deny",
    errno: 13,
    rule,
  });
  assert.deepEqual((await answerOf(() => Promise.resolve({ return: 5n }))).answer, {
    action: "return",
    value: "5",
    rule,
  });
  assert.deepEqual((await answerOf(() => ({ args: { 1: -1 } }))).answer, {
    action: "args",
    args: { 1: "-1" },
    rule,
  });
});

Deno.test("HookAnswers: the rule sees the call with bigint arguments", async () => {
  let seen: unknown;
  await answerOf((c) => {
    seen = c;
    return "allow";
  });
  assert.deepEqual(seen, { ...CALL, args: [1n, 2n, 3n, 0n, 0n, 0n] });
});

Deno.test("HookAnswers: a bad answer or a throw denies with EPERM and says why", async () => {
  const deny = { action: "deny", errno: 1, rule: "syscalls.openat" };
  const cases: [SyscallHook, string][] = [
    [() => "maybe" as never, `returned "maybe": expected "allow", "deny", "kill"`],
    [() => ({ deny: "ENOPE" }), `returned { deny: "ENOPE" }: unknown errno`],
    [() => ({ return: 1.5 }), "returned return 1.5: expected an integer"],
    [() => ({ return: 1n << 64n }), "returned return 18446744073709551616n: expected an integer"],
    [() => ({ args: { 6: 1 } }) as never, `returned args index "6": expected 0 to 5`],
    [() => {
      throw new Error("boom");
    }, "boom"],
  ];
  for (const [rule, why] of cases) {
    const { answer, said } = await answerOf(rule);
    assert.deepEqual(answer, deny);
    assert.equal(said.length, 1);
    assert.ok(said[0].startsWith(`jail: rule syscalls.openat failed: ${why}`), said[0]);
    assert.ok(said[0].endsWith("; the call is denied with EPERM\n"), said[0]);
  }
});

Deno.test("HookAnswers: a failing rule is said once, every call denied", async () => {
  const ch = channel();
  const said: string[] = [];
  const hooks = new HookAnswers(
    [() => {
      throw new Error("no");
    }],
    ch.buffer,
    (t) => said.push(t),
  );
  for (let i = 0; i < 3; i++) {
    await hooks.answer(0, CALL);
    assert.equal((ch.take() as { action: string }).action, "deny");
  }
  assert.deepEqual(said, [
    "jail: rule syscalls.openat failed: no; the call is denied with EPERM\n",
  ]);
});

Deno.test("HookAnswers: reply() answers a waiting call once; a late rule answers nothing", async () => {
  const ch = channel();
  let settle: (d: "allow") => void = () => {};
  const hooks = new HookAnswers([() => new Promise((r) => settle = r)], ch.buffer);
  hooks.reply({ action: "allow", rule: "x" });
  assert.equal(ch.take(), undefined, "nothing waits: no answer");
  const answered = hooks.answer(0, CALL);
  hooks.reply({ action: "deny", errno: 1, rule: "kill" });
  assert.deepEqual(ch.take(), { action: "deny", errno: 1, rule: "kill" });
  settle("allow");
  await answered;
  assert.equal(ch.take(), undefined, "the rule settled after the kill");
});
