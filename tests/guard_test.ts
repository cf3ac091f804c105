/**
 * Every route from the tree to the supervisor: the rule of a seccomp stop
 * comes from jail's own filter (not from data a filter of the tree's can
 * forge), calls that name another task reach only the tree's, signals reach
 * none of jail's threads with or without Landlock's signal scope
 * (`JAIL_LANDLOCK_ABI=5` takes the supervisor's fallback), setns is refused.
 *
 * The jail's pid is getppid() of the command (the command replaces the exec
 * stage, jail's child); its other threads are in /proc/<pid>/task. The same
 * probe run unjailed aims at the test runner, a Deno process of the same uid
 * with threads too: there every call works (setters write back the values
 * they read, signals are 0).
 *
 * @module
 */

import assert from "node:assert/strict";
import { buildC, jail, keyValues, NEUTRAL_DIR } from "./_helpers.ts";
import { compilePolicy } from "../src/policy/compile.ts";
import { validateConfig } from "../src/policy/validate.ts";
import { ORIGIN_NOT_TRACED, TraceOrigin } from "../src/supervisor/trace_origin.ts";
import { HOST_ARCH, type SyscallRegisters } from "../src/arch/arch.ts";
import { decideReference } from "../src/bpf/compile.ts";
import type { JailConfig } from "../src/policy/types.ts";
import { SCOPE_ABI } from "../kernel/landlock.ts";
import { landlockAbi } from "../ffi/landlock.ts";

const SUPERVISOR = 4242;
const PGRP = 4240;

/** A config with a rule of each traced kind a forger would like to borrow. */
const FORGE_CONFIG = {
  net: { loopback: false },
  syscalls: { mkdir: "kill", getuid: { return: 7 }, uname: "trace" },
};

function compiled(config: unknown, opts: { signalScoped?: boolean; allowAll?: boolean } = {}) {
  return compilePolicy(validateConfig(config, "test.json") as JailConfig, {
    supervisorPid: SUPERVISOR,
    supervisorPgrp: PGRP,
    resolve: () => [],
    ...opts,
  });
}

/** This machine's numbers: the tests run wherever jail does. */
const NR = HOST_ARCH.numbers;

function stopped(nr: number, args: (number | bigint)[] = []): SyscallRegisters {
  const regs = HOST_ARCH.newRegisters();
  regs.setNr(nr);
  args.forEach((a, i) => regs.setArg(i, a));
  return regs;
}

/** Parses `name=result` lines. */
function results(stdout: string): Map<string, string> {
  return new Map(Object.entries(keyValues(stdout, "=")));
}

/** The calls aimed at the parent that reach it unless jail stops them. */
const ATTACKS = [
  "prlimit_get",
  "prlimit_set",
  "prlimit_set_thread",
  "setpriority",
  "setpriority_thread",
  "sched_setaffinity",
  "sched_setaffinity_thread",
  "sched_setparam",
  "sched_setscheduler",
  "sched_setattr",
  "ioprio_set",
  "migrate_pages",
  "move_pages",
  "kill",
  "kill_thread",
  "tkill_thread",
  "tgkill_thread",
  "sigqueue",
  "sigqueue_thread",
  "tgsigqueue_thread",
  "pidfd_open",
  "pidfd_send_signal_procdir",
  "pidfd_send_signal_procdir_info",
];
/**
 * Make the parent (or a thread, or jail's group) the owner of a file's SIGIO.
 * Where Landlock scopes signals the owner may be set, but no signal reaches
 * it (the stop-parent test fires one); without the scope jail refuses them.
 */
const OWNER_ATTACKS = [
  "fsetown",
  "fsetown_thread",
  "fsetown_pgrp",
  "fsetown_ex",
  "fiosetown",
  "siocspgrp",
];
/** Reach every process of the group or the user: jailed only. */
const GROUP_ATTACKS = [
  "setpriority_pgrp",
  "setpriority_user",
  "ioprio_set_pgrp",
  "ioprio_set_user",
];
/** PIDFD_THREAD (Linux 6.9), asked of the kernel: before it, pidfd_open(tid, O_EXCL) is EINVAL. */
const PIDFD_THREAD_KNOWN = (await new Deno.Command("python3", {
  args: ["-c", "import os; os.close(os.pidfd_open(os.getpid(), 0o200))"],
  stderr: "null",
}).output()).success;
if (!PIDFD_THREAD_KNOWN) console.log("guard: no PIDFD_THREAD in this kernel (Linux 6.9+)");

/** The caller itself: allowed in the kernel. */
const SELF = ["prlimit_self", "setpriority_self", "open_proc_dir"];

// ------------------------------------------------------------------ the rule of a stop

Deno.test("guard: the rule of a stop comes from jail's filter, whatever data the kernel reports", () => {
  const p = compiled(FORGE_CONFIG);
  const origin = new TraceOrigin(p.spec);
  const index = (pred: (r: (typeof p.rules)[number]) => boolean) => p.rules.findIndex(pred);
  const connect = index((r) => r.net === "connect");
  const group = index((r) => r.signal === "group");
  const target = index((r) => r.syscall === "kill" && r.target !== undefined);
  assert.ok(connect >= 0 && group >= 0 && target >= 0);
  // Calls jail's filter allows: a stop there came from the tree's own filter.
  assert.equal(origin.ruleOf(NR.getpid, stopped(NR.getpid)), ORIGIN_NOT_TRACED);
  assert.equal(origin.ruleOf(NR.read, stopped(NR.read, [0, 0, 0])), ORIGIN_NOT_TRACED);
  // Numbers jail traces unconditionally: one lookup.
  assert.equal(origin.ruleOf(NR.connect, stopped(NR.connect, [3, 0x1000, 16])), connect);
  // Numbers whose rule tests the arguments: evaluated on the registers.
  assert.equal(origin.ruleOf(NR.kill, stopped(NR.kill, [0, 15])), group);
  assert.equal(origin.ruleOf(NR.kill, stopped(NR.kill, [-PGRP, 15])), group);
  assert.equal(origin.ruleOf(NR.kill, stopped(NR.kill, [1234, 15])), target);
  // With Landlock scoping the signals, kill of an ordinary pid is the kernel's: never traced.
  const scoped = new TraceOrigin(compiled(FORGE_CONFIG, { signalScoped: true }).spec);
  assert.equal(scoped.ruleOf(NR.kill, stopped(NR.kill, [1234, 15])), ORIGIN_NOT_TRACED);
  // sendto without a destination is allowed in the kernel, with one it is the net check's.
  const sendto = index((r) => r.net === "sendto");
  assert.equal(origin.ruleOf(NR.sendto, stopped(NR.sendto, [3, 0, 0, 0, 0, 0])), ORIGIN_NOT_TRACED);
  assert.equal(origin.ruleOf(NR.sendto, stopped(NR.sendto, [3, 0, 0, 0, 0x1000, 16])), sendto);
});

Deno.test("guard: the origin table agrees with the filter spec for every syscall number", () => {
  for (const config of [{}, FORGE_CONFIG]) {
    for (const signalScoped of [false, true]) {
      const p = compiled(config, { signalScoped });
      const origin = new TraceOrigin(p.spec);
      const args = [[0, 0, 0, 0, 0, 0], [1234, 1, 0x80, 4, 1, 0]];
      for (let nr = 0; nr < 1100; nr++) {
        for (const a of args) {
          const want = decideReference(p.spec, {
            nr,
            arch: HOST_ARCH.auditArch,
            instructionPointer: 0n,
            args: a.map(BigInt),
          });
          const got = origin.ruleOf(nr, stopped(nr, a));
          const expected = want.kind === "trace" ? want.data : want.kind === "allow" ? -1 : -2;
          assert.equal(got, expected, `nr ${nr} args ${a}`);
        }
      }
    }
  }
});

Deno.test("guard: a tracee's own TRACE filter with forged data changes none of jail's decisions", async () => {
  const bin = await buildC("guard_forge");
  const p = compiled(FORGE_CONFIG);
  // Every rule index as forged data, and two past the end.
  const count = p.rules.length + 2;
  const dir = await Deno.makeTempDir({ prefix: "jail-guard-" });
  try {
    const config = `${dir}/jail.config.json`;
    await Deno.writeTextFile(config, JSON.stringify(FORGE_CONFIG));
    // Port 1 on loopback: nothing listens; unjailed that is ECONNREFUSED, jailed the policy's EACCES.
    const r = await jail(["--config", config, "--", bin, "1", String(count)], {
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.at(-1), `forge done ${count}`);
    const connects = lines.filter((l) => l.includes(": connect "));
    assert.equal(connects.length, count);
    for (const l of connects) assert.match(l, /connect EACCES$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ------------------------------------------------------------------ calls naming another task

Deno.test("guard: unjailed, every probe reaches the parent (the control)", async () => {
  const bin = await buildC("guard_probe", ["-pthread"]);
  const out = await new Deno.Command(bin, { args: ["parent-safe"], cwd: NEUTRAL_DIR }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const got = results(text);
  for (const name of [...ATTACKS, ...OWNER_ATTACKS, ...SELF]) {
    assert.equal(got.get(name), "ok", `${name}: ${text}`);
  }
});

for (const abi of [undefined, "5"]) {
  const label = abi ? `JAIL_LANDLOCK_ABI=${abi}` : "default Landlock";
  const env = abi ? { JAIL_LANDLOCK_ABI: abi } : undefined;
  // Without LANDLOCK_SCOPE_SIGNAL (ABI 6, Linux 6.12) the kernel's own Landlock takes the
  // supervisor's fallback too: the same results as JAIL_LANDLOCK_ABI=5.
  const fallback = abi !== undefined || landlockAbi() < SCOPE_ABI;
  if (!abi && fallback) {
    console.log(`guard: Landlock ABI ${landlockAbi()} here: "${label}" expects the fallback`);
  }

  Deno.test(`guard (${label}): jailed, no probe reaches jail; the caller itself still can`, async () => {
    const bin = await buildC("guard_probe", ["-pthread"]);
    const r = await jail(["--", bin, "parent"], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const got = results(r.stdout);
    for (const name of [...ATTACKS, ...GROUP_ATTACKS]) {
      assert.equal(got.get(name), "EPERM", `${name}: ${r.stdout}`);
    }
    for (const name of SELF) assert.equal(got.get(name), "ok", `${name}: ${r.stdout}`);
    for (const name of OWNER_ATTACKS) {
      assert.equal(got.get(name), fallback ? "EPERM" : "ok", `${name}: ${r.stdout}`);
    }
    // A pidfd of one of jail's threads: refused by the supervisor without the signal scope; with
    // it the pidfd may exist, but no signal goes through it.
    if (fallback) assert.equal(got.get("pidfd_open_thread"), "EPERM");
    else assert.notEqual(got.get("pidfd_send_signal_thread"), "ok");
  });

  Deno.test(`guard (${label}): jailed, the same calls aimed at the tree's own tasks work`, async () => {
    const bin = await buildC("guard_probe", ["-pthread"]);
    const r = await jail(["--", bin, "tree"], { env, timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const got = results(r.stdout);
    const thread = ["pidfd_open_thread", "pidfd_send_signal_thread"];
    const names = [...ATTACKS, ...SELF, ...(PIDFD_THREAD_KNOWN ? thread : [])];
    for (const name of names) assert.equal(got.get(name), "ok", `${name}: ${r.stdout}`);
    // Before Linux 6.9 the kernel itself refuses the flag: jail let the call through to it.
    if (!PIDFD_THREAD_KNOWN) assert.equal(got.get("pidfd_open_thread"), "EINVAL");
    // Real signals through a pidfd and a /proc/<pid> directory, performed by the supervisor on
    // its duplicate of the descriptor where it decides: the child died of them.
    for (const name of ["deliver_pidfd", "deliver_procdir", "deliver_procdir_info"]) {
      assert.equal(got.get(name), "ok", `${name}: ${r.stdout}`);
    }
    // The process-group flag and the owner forms jail cannot check from the registers: refused
    // where jail decides.
    for (const name of ["pidfd_send_signal_pgrp", ...OWNER_ATTACKS.slice(3)]) {
      assert.equal(got.get(name), fallback ? "EPERM" : "ok", `${name}: ${r.stdout}`);
    }
    // The tree's own group as an owner: jail is not in it.
    for (const name of ["fsetown", "fsetown_thread", "fsetown_pgrp"]) {
      assert.equal(got.get(name), "ok", name);
    }
  });

  Deno.test(`guard (${label}): SIGSTOP to jail's threads (kill, tkill, pidfd, SIGIO) and RLIMIT_NOFILE 0 on jail fail; the run ends`, async () => {
    const bin = await buildC("guard_probe", ["-pthread"]);
    // Were a SIGSTOP to get through, jail would freeze: the hard timeout fails the test.
    const r = await jail(["--", bin, "stop-parent"], { env, timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    const got = results(r.stdout);
    for (
      const name of [
        "kill_thread_stop",
        "tkill_thread_stop",
        "pidfd_send_signal_procdir_stop",
        "prlimit_nofile_zero",
      ]
    ) {
      assert.equal(got.get(name), "EPERM", `${name}: ${r.stdout}`);
    }
    // With the scope, the owner is set but the SIGSTOP it fires never arrives (the run ended).
    assert.equal(got.get("fsetown_stop"), fallback ? "EPERM" : "ok");
  });
}

Deno.test("guard: under -A the limits and scheduling of jail stay out of reach", async () => {
  const bin = await buildC("guard_probe", ["-pthread"]);
  const r = await jail(["-A", "--", bin, "parent"], {
    env: { JAIL_LANDLOCK_ABI: "5" },
    timeoutMs: 60_000,
  });
  assert.equal(r.code, 0, r.stderr);
  const got = results(r.stdout);
  for (const name of ATTACKS.filter((n) => !/kill|sigqueue|pidfd/.test(n))) {
    assert.equal(got.get(name), "EPERM", `${name}: ${r.stdout}`);
  }
  for (const name of GROUP_ATTACKS) assert.equal(got.get(name), "EPERM", `${name}: ${r.stdout}`);
});

// ------------------------------------------------------------------ setns

Deno.test("guard: setns is refused, with and without -A; unshare is left to the kernel", async () => {
  const bin = await buildC("guard_probe", ["-pthread"]);
  const control = await new Deno.Command(bin, { args: ["setns"] }).output();
  assert.equal(new TextDecoder().decode(control.stdout).trim(), "setns=ok");
  for (const flags of [[], ["-A"]]) {
    const r = await jail([...flags, "--", bin, "setns"], { timeoutMs: 60_000 });
    assert.equal(r.stdout.trim(), "setns=EPERM", `${flags}: ${r.stderr}`);
  }
  for (const allowAll of [false, true]) {
    const spec = compiled({}, { allowAll }).spec;
    const data = (nr: number) => ({
      nr,
      arch: HOST_ARCH.auditArch,
      instructionPointer: 0n,
      args: [0x40000000n, 0n, 0n, 0n, 0n, 0n],
    });
    assert.deepEqual(decideReference(spec, data(NR.setns)), { kind: "errno", errno: 1 });
    assert.deepEqual(decideReference(spec, data(NR.unshare)), { kind: "allow" });
  }
});

// ------------------------------------------------------------------ config rules

Deno.test("guard: a config rule for a guarded call runs behind the supervisor's check, a refusal replaces it", () => {
  const p = compiled({ syscalls: { prlimit64: "allow", tkill: "trace", kill: "deny" } });
  const origin = new TraceOrigin(p.spec);
  const rule = (nr: number, args: number[]) => p.rules[origin.ruleOf(nr, stopped(nr, args))];
  // prlimit64 of another task still stops at the target check; of the caller, the config's allow.
  assert.equal(rule(NR.prlimit64, [1234, 7, 0, 0])?.target?.kind, "task");
  assert.equal(origin.ruleOf(NR.prlimit64, stopped(NR.prlimit64, [0, 7, 0, 0])), ORIGIN_NOT_TRACED);
  assert.equal(rule(NR.tkill, [1234, 0])?.target?.kind, "task");
  // kill: "deny" is stricter than every check: it replaces them (the pid checks stay in front).
  const kill = (args: number[]) =>
    decideReference(p.spec, {
      nr: NR.kill,
      arch: HOST_ARCH.auditArch,
      instructionPointer: 0n,
      args: args.map(BigInt),
    });
  assert.deepEqual(kill([1234, 0]), { kind: "errno", errno: 1 });
  assert.deepEqual(kill([0, 15]), { kind: "errno", errno: 1 });
});
