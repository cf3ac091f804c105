import assert from "node:assert/strict";
import { explainSeizeFailure, readHostFacts } from "./host_probe.ts";

const status = (fields: Record<string, string>) =>
  Object.entries({
    Name: "deno",
    Uid: "0\t0\t0\t0",
    TracerPid: "0",
    CapEff: "000001ffffffffff",
    Seccomp: "0",
    ...fields,
  })
    .map(([k, v]) => `${k}:\t${v}`).join("\n") + "\n";

Deno.test("explainSeizeFailure() says jail is being traced before anything else", () => {
  const why = explainSeizeFailure(1, { status: status({ TracerPid: "4242" }), yamaScope: "2" });
  assert.match(why, /jail is itself being traced \(by pid 4242/);
});

Deno.test("explainSeizeFailure() names Yama's scope 3 and scope 2 without CAP_SYS_PTRACE", () => {
  assert.match(
    explainSeizeFailure(1, { status: status({}), yamaScope: "3\n" }),
    /ptrace_scope is 3/,
  );
  const user = status({ Uid: "1000\t1000\t1000\t1000", CapEff: "0000000000000000" });
  assert.match(explainSeizeFailure(1, { status: user, yamaScope: "2\n" }), /ptrace_scope is 2/);
  // Root keeps CAP_SYS_PTRACE, which scope 2 accepts: the cause is elsewhere.
  assert.doesNotMatch(explainSeizeFailure(1, { status: status({}), yamaScope: "2" }), /scope/);
});

Deno.test("explainSeizeFailure() names a seccomp profile and a root without CAP_SYS_PTRACE", () => {
  assert.match(explainSeizeFailure(1, { status: status({ Seccomp: "2" }) }), /seccomp filter/);
  const container = status({ CapEff: "00000000a80425fb" }); // Docker's default set: no bit 19.
  assert.match(explainSeizeFailure(1, { status: container }), /without CAP_SYS_PTRACE/);
  // No Yama at all (no /proc/sys/kernel/yama), nothing else visible: a plain last resort.
  assert.match(explainSeizeFailure(1, { status: status({}) }), /security module/);
  assert.match(explainSeizeFailure(3, { status: status({}) }), /refused/);
});

Deno.test("readHostFacts() reads this process's status", () => {
  const facts = readHostFacts();
  assert.match(facts.status ?? "", /^TracerPid:\s*\d+$/m);
});
