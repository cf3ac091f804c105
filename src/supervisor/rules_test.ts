import assert from "node:assert/strict";
import { HOST_ARCH } from "../arch/arch.ts";
import type { NetPolicy } from "../net/policy.ts";
import { compilePolicy } from "../policy/compile.ts";
import type { Decision } from "../decision.ts";
import { type HookCaller, RuleEngine, type RuleTable } from "./rules.ts";
import type { SyscallStop } from "./hooks.ts";
import { TargetGuard } from "./target_guard.ts";

const NR = HOST_ARCH.numbers;

/** A stop of this process's thread at rule `data`, with these arguments. */
function stop(data: number, nr: number, ...args: (bigint | number)[]): SyscallStop {
  const regs = HOST_ARCH.newRegisters();
  args.forEach((v, i) => regs.setArg(i, v));
  return { tid: Deno.pid, pid: Deno.pid, nr, data, regs };
}

const TABLE: RuleTable = [
  { syscall: "getppid", decision: { action: "return", value: 7, rule: "syscalls.getppid" } },
  { syscall: "umask", decision: { action: "allow", rule: "syscalls.umask" }, hook: 0 },
  { syscall: "kill", decision: { action: "allow", rule: "signal.group" }, signal: "group" },
  {
    syscall: "prlimit64",
    decision: { action: "allow", rule: "guard.target" },
    target: { kind: "task", arg: 0 },
  },
  { syscall: "setsockopt", decision: { action: "allow", rule: "net" }, net: "setsockopt" },
  { syscall: "openat", decision: { action: "allow", rule: "fs" }, fs: "openat" },
];

/** The default network policy: loopback and unix sockets only. */
const CLOSED_NET: NetPolicy = compilePolicy({}, { supervisorPid: 1, resolve: () => [] }).net!;

Deno.test("RuleEngine: a stop no rule owns is left undecided; a plain rule answers its decision", () => {
  const engine = new RuleEngine(TABLE);
  assert.equal(engine.decide(stop(99, NR.getpid)), undefined);
  assert.deepEqual(engine.decide(stop(0, NR.getppid)), TABLE[0].decision);
});

Deno.test("RuleEngine: a function rule asks the hook caller with its index, the call and the rule", () => {
  const asked: [number, number, string][] = [];
  const answer: Decision = { action: "deny", errno: 1, rule: "syscalls.umask" };
  const hook: HookCaller = (index, call, rule) => {
    asked.push([index, call.nr, rule.syscall]);
    return answer;
  };
  const engine = new RuleEngine(TABLE, undefined, hook);
  assert.equal(engine.decide(stop(1, NR.umask, 0o77)), answer);
  assert.deepEqual(asked, [[0, NR.umask, "umask"]]);
  // Without a hook caller the rule's own decision stands.
  assert.deepEqual(new RuleEngine(TABLE).decide(stop(1, NR.umask)), TABLE[1].decision);
});

Deno.test("RuleEngine: group signals and task targets are refused until the tree is known", () => {
  const engine = new RuleEngine(TABLE);
  assert.deepEqual(engine.decide(stop(2, NR.kill, 0, 0)), {
    action: "deny",
    errno: 1,
    rule: "signal.group",
  });
  assert.deepEqual(engine.decide(stop(3, NR.prlimit64, 1)), {
    action: "deny",
    errno: 1,
    rule: "guard.target",
  });
  // A task of the tree passes the target check: the rule's decision (allow) stands.
  engine.targets = new TargetGuard((tid) => tid === Deno.pid);
  assert.deepEqual(engine.decide(stop(3, NR.prlimit64, Deno.pid)), TABLE[3].decision);
  // Signal 0 to the tree's group: delivered by the supervisor, which sets kill's result.
  engine.treePids = () => [Deno.pid];
  assert.deepEqual(engine.decide(stop(2, NR.kill, 0, 0)), {
    action: "return",
    value: 0,
    rule: "signal.group",
  });
});

Deno.test("RuleEngine: a net rule runs the network check, which reports and decides", () => {
  const denied: string[] = [];
  const engine = new RuleEngine(TABLE, CLOSED_NET, undefined, (_t, _p, d) => {
    denied.push(d.address);
  });
  // SOL_SOCKET/SO_BINDTODEVICE chooses an interface: refused, and reported.
  assert.deepEqual(engine.decide(stop(4, NR.setsockopt, 3, 1, 25)), {
    action: "deny",
    errno: 1,
    rule: "net",
  });
  assert.deepEqual(denied, ["setsockopt SO_BINDTODEVICE"]);
  // SO_KEEPALIVE: the check has nothing to say, so the rule's decision stands.
  assert.deepEqual(engine.decide(stop(4, NR.setsockopt, 3, 1, 9)), TABLE[4].decision);
  // Without a network policy (an open network) a net rule is a plain rule.
  assert.deepEqual(
    new RuleEngine(TABLE).decide(stop(4, NR.setsockopt, 3, 1, 25)),
    TABLE[4].decision,
  );
});

Deno.test("RuleEngine: a file rule without file checks answers its own decision", () => {
  assert.deepEqual(new RuleEngine(TABLE).decide(stop(5, NR.openat)), TABLE[5].decision);
});
