import assert from "node:assert/strict";
import { resolveTraceCalls, TraceCallsError } from "./trace_calls.ts";
import { SYSCALL_CLASSES } from "../arch/syscall_classes.ts";
import { compilePolicy } from "../policy/compile.ts";
import { decideReference } from "../bpf/compile.ts";
import { SYSCALL_NUMBERS } from "../../kernel/x86_64_syscalls.ts";
import { TRACE_ONLY_RULE } from "../decision.ts";

Deno.test("resolveTraceCalls() takes names and classes, each call once, in table order", () => {
  assert.deepEqual(resolveTraceCalls(["connect", "openat", "openat"]), ["connect", "openat"]);
  const net = resolveTraceCalls(["%net"]);
  assert.deepEqual(net, resolveTraceCalls(["%network"]));
  assert.deepEqual(new Set(net), new Set(SYSCALL_CLASSES.network));
  assert.ok(resolveTraceCalls(["%file", "read"]).includes("openat"));
});

Deno.test("resolveTraceCalls() throws a did-you-mean for a misspelt call or class", () => {
  assert.throws(() => resolveTraceCalls(["opnat"]), (e: Error) => {
    assert.ok(e instanceof TraceCallsError);
    assert.match(e.message, /^unknown syscall "opnat": did you mean openat\?/);
    return true;
  });
  assert.throws(
    () => resolveTraceCalls(["%fil"]),
    /unknown class "%fil": did you mean %file\? \(classes: %network, %file/,
  );
});

Deno.test("compilePolicy() traceCalls: allowed calls stop to be traced, checks and refusals stay", () => {
  const p = compilePolicy({}, {
    supervisorPid: 4242,
    resolve: () => [],
    traceCalls: ["openat", "connect", "socket", "ptrace", "read"],
  });
  const at = (name: keyof typeof SYSCALL_NUMBERS, args: bigint[] = []) => {
    const action = decideReference(p.spec, {
      nr: SYSCALL_NUMBERS[name],
      arch: 0xc000003e,
      instructionPointer: 0n,
      args: [0, 1, 2, 3, 4, 5].map((i) => args[i] ?? 0n),
    });
    return action.kind === "trace" ? p.rules[action.data].decision.rule : action.kind;
  };
  assert.equal(at("openat"), TRACE_ONLY_RULE);
  assert.equal(at("read"), TRACE_ONLY_RULE);
  assert.equal(at("connect"), "net", "the network check is kept");
  assert.equal(at("ptrace"), "errno", "a refusal is not turned into a stop");
  assert.equal(at("socket", [17n, 3n]), "errno", "AF_PACKET stays refused in the kernel");
  assert.equal(at("socket", [2n, 1n]), TRACE_ONLY_RULE);
  assert.equal(at("write"), "allow", "calls not chosen stay in the kernel");
  const plain = compilePolicy({}, { supervisorPid: 4242, resolve: () => [] });
  assert.equal(plain.rules.filter((r) => r.decision.rule === TRACE_ONLY_RULE).length, 0);
});
