import assert from "node:assert/strict";
import { decodeInstructions, type Insn } from "../bpf/assembler.ts";
import { SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, X32_SYSCALL_BIT } from "../bpf/opcodes.ts";
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";
import { runFilter } from "../bpf/interpreter.ts";
import { SYSCALL_NUMBERS } from "../../kernel/x86_64_syscalls.ts";
import { X86_64 } from "../arch/arch.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { type CompiledPolicy, compilePolicy } from "./compile.ts";
import { explainPolicy } from "./explain.ts";
import { locateJsonError } from "./json_error.ts";
import { mergeFlags } from "./load.ts";
import type { JailConfig, SyscallRule } from "./types.ts";
import { ConfigError, parseConfig, validateConfig } from "./validate.ts";
import { compileFor, errno, filterRunner, SUPERVISOR, traced } from "./_filter_check.ts";

const NR = SYSCALL_NUMBERS;
const E = ERRNO_NUMBERS;
const CLONE_UNTRACED = 0x00800000n;
const SIGCHLD = 17n;

const resolve = (host: string) => host === "db.test" ? ["10.9.8.7", "fd00::7"] : [];

/** x86_64 numbers below, whatever machine runs the tests (aarch64 has its own file). */
const compile = (config: JailConfig = {}, allowAll = false): CompiledPolicy =>
  compileFor(X86_64, config, allowAll, resolve);

/** The instructions of the packed filter, exactly as the kernel gets them. */
function instructions(p: CompiledPolicy): Insn[] {
  return decodeInstructions(p.filter);
}

/** Runs the compiled filter on one call; checks it agrees with the spec's reference decision. */
const run = filterRunner(AUDIT_ARCH_X86_64, 0x401000n);

/** A function rule: the one hook of {@linkcode EVERY_KIND}. */
const hook = () => "deny" as const;

/** One syscalls rule of each kind. */
const EVERY_KIND = {
  getpid: "allow",
  mkdir: "deny",
  rmdir: { deny: "EACCES" },
  unlink: "kill",
  getppid: { return: 42 },
  getuid: { return: -5n },
  chdir: "trace",
  umask: { args: { "0": 0o77, "5": 1n << 40n } },
  lseek: hook,
} satisfies JailConfig["syscalls"];

Deno.test("validateConfig() accepts every rule kind and returns the config", () => {
  const config: JailConfig = {
    net: {
      allow: ["localhost:5432", "10.0.0.0/8", "[::1]:80", "*:443", "unix:/run/*.sock"],
      deny: ["10.0.0.1"],
      errno: "ECONNREFUSED",
      bind: "deny",
      loopback: false,
      unix: true,
    },
    read: { allow: ["/etc/**"] },
    syscalls: { ...EVERY_KIND, clone3: { deny: "ENOSYS" } },
    timeout: "90s",
    grace: 2,
    onRootExit: "wait",
  };
  assert.equal(validateConfig(config, "x.ts"), config);
  assert.deepEqual(validateConfig({}, "x.json"), {});
});

Deno.test("validateConfig() names the file, the key, the value and what was expected", () => {
  const cases: [unknown, string][] = [
    [[], `f.json: expected an object with keys such as net, syscalls, timeout; got []`],
    [{ syscals: {} }, `f.json: syscals: unknown key: did you mean "syscalls"?`],
    [{ zzz: 1 }, `f.json: zzz: unknown key: expected one of net, read, write`],
    [{ net: { allwo: [] } }, `f.json: net.allwo: unknown key: did you mean "allow"?`],
    [{ net: [] }, `f.json: net: expected an object like { "allow": [...], "deny": [...] }, got []`],
    [{ net: { allow: "x" } }, `f.json: net.allow: expected an array of strings, got "x"`],
    [{ net: { allow: [""] } }, `f.json: net.allow[0]: expected a non-empty string, got ""`],
    [{ net: { deny: ["a/b/c"] } }, `f.json: net.deny[0]: "a/b/c": not a host, address or CIDR`],
    [{ net: { allow: ["1.2.3.4:70000"] } }, `f.json: net.allow[0]: "1.2.3.4:70000": bad port`],
    [{ net: { allow: ["300.1.1.1"] } }, `f.json: net.allow[0]: "300.1.1.1": not an IPv4 address`],
    [
      { net: { errno: "EACESS" } },
      `f.json: net.errno: unknown errno "EACESS": did you mean "EACCES"?`,
    ],
    [
      { net: { bind: "yes" } },
      `f.json: net.bind: expected "guard", "allow" or "deny", got "yes"`,
    ],
    [{ net: { loopback: 1 } }, `f.json: net.loopback: expected true or false, got 1`],
    [
      { timeout: "5x" },
      `f.json: timeout: expected a duration such as "90s", "5m" or a number of seconds, got "5x"`,
    ],
    [{ grace: true }, `f.json: grace: expected a duration`],
    [{ onRootExit: "maybe" }, `f.json: onRootExit: expected "kill" or "wait", got "maybe"`],
    [{ syscalls: [] }, `f.json: syscalls: expected an object of syscall name → rule, got []`],
    [
      { syscalls: { conect: "deny" } },
      `f.json: syscalls.conect: unknown syscall "conect": did you mean "connect"?`,
    ],
    [
      { syscalls: { mkdir: "dney" } },
      `f.json: syscalls.mkdir: unknown rule "dney": did you mean "deny"?`,
    ],
    [
      { syscalls: { mkdir: { deny: "EPREM" } } },
      `f.json: syscalls.mkdir.deny: unknown errno "EPREM": did you mean "EPERM"?`,
    ],
    [
      { syscalls: { mkdir: { deny: 13 } } },
      `f.json: syscalls.mkdir.deny: expected an errno name such as "EACCES", got 13`,
    ],
    [
      { syscalls: { mkdir: { return: 1.5 } } },
      `f.json: syscalls.mkdir.return: expected an integer`,
    ],
    [
      { syscalls: { mkdir: { return: 1e300 } } },
      `f.json: syscalls.mkdir.return: expected an integer`,
    ],
    [
      { syscalls: { mkdir: { return: 1n << 64n } } },
      `f.json: syscalls.mkdir.return: expected an integer`,
    ],
    [
      { syscalls: { mkdir: { args: { "7": 1 } } } },
      `f.json: syscalls.mkdir.args: unknown argument index "7": expected "0" to "5"`,
    ],
    [
      { syscalls: { mkdir: { args: {} } } },
      `f.json: syscalls.mkdir.args: expected an object of argument index (0-5) → integer, got {}`,
    ],
    [
      { syscalls: { mkdir: { args: { "1": "x" } } } },
      `f.json: syscalls.mkdir.args.1: expected an integer`,
    ],
    [
      { syscalls: { mkdir: { deny: "EPERM", return: 1 } } },
      `f.json: syscalls.mkdir: expected "allow"`,
    ],
    [{ syscalls: { mkdir: { allow: true } } }, `f.json: syscalls.mkdir: unknown rule key "allow"`],
    [
      { syscalls: { clone3: "allow" } },
      `f.json: syscalls.clone3: "allow" would let a process leave the supervision`,
    ],
    [
      { syscalls: { clone3: () => "allow" } },
      `f.json: syscalls.clone3: a function would let a process leave`,
    ],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => validateConfig(value, "f.json"),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError, `${JSON.stringify(String(value))}: not a ConfigError`);
        assert.ok(
          e.message.startsWith(message),
          `message ${JSON.stringify(e.message)}\n  does not start with ${JSON.stringify(message)}`,
        );
        assert.ok(!e.message.includes("\n"), "one line");
        return true;
      },
    );
  }
});

Deno.test("parseConfig() parses net entries and durations once, labelled for later errors", () => {
  const parsed = parseConfig({
    net: { allow: ["db.test:5432", "10.0.0.0/8"], deny: ["unix:/run/*.sock"] },
    timeout: "90s",
    grace: 2,
  }, "f.json");
  assert.deepEqual(parsed.net.allow.map((i) => [i.label, i.spec.kind]), [
    ["f.json: net.allow[0]", "host"],
    ["f.json: net.allow[1]", "ip"],
  ]);
  assert.deepEqual(parsed.net.deny.map((i) => [i.label, i.spec.kind]), [
    ["f.json: net.deny[0]", "unix"],
  ]);
  assert.equal(parsed.timeout, 90_000);
  assert.equal(parsed.grace, 2_000);
  // A host name is parsed, not looked up: compile takes it resolved (CompileOptions.net).
  const host = parsed.net.allow[0].spec;
  assert.deepEqual(host.kind === "host" && [host.host, host.ports], ["db.test", [5432, 5432]]);
});

Deno.test("mergeFlags() appends flag lists to the config's and leaves the config unchanged", () => {
  const config: JailConfig = {
    net: { allow: ["localhost:5432"], errno: "ECONNREFUSED" },
    read: { deny: ["/secret"] },
    timeout: "1m",
  };
  const frozen = structuredClone(config);
  const merged = mergeFlags(config, {
    "allow-net": ["10.0.0.0/8"],
    "deny-net": ["10.0.0.1"],
    "allow-read": ["/etc"],
    "allow-write": ["/tmp"],
  });
  assert.deepEqual(merged, {
    net: { allow: ["localhost:5432", "10.0.0.0/8"], deny: ["10.0.0.1"], errno: "ECONNREFUSED" },
    read: { deny: ["/secret"], allow: ["/etc"] },
    write: { allow: ["/tmp"] },
    timeout: "1m",
  });
  assert.deepEqual(config, frozen);
  assert.deepEqual(mergeFlags(config, {}), config);
});

Deno.test("compilePolicy() default: the filter traces the net calls and closes the escape routes", () => {
  const p = compile();
  // The basics of an x86_64 call.
  assert.equal(run(p, NR.getpid), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.read, [0, 0x1000, 10]), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.execve), SECCOMP_RET_ALLOW);
  // Net calls stop at the supervisor, each at its own check.
  for (const name of ["connect", "bind", "sendmsg", "sendmmsg"] as const) {
    const rule = traced(p, run(p, NR[name], [3, 0x1000, 16]));
    assert.equal(rule.net, name);
    assert.equal(rule.syscall, name);
  }
  assert.equal(run(p, NR.sendto, [3, 0x1000, 5, 0, 0, 0]), SECCOMP_RET_ALLOW, "no destination");
  assert.equal(traced(p, run(p, NR.sendto, [3, 0x1000, 5, 0, 0x2000, 16])).net, "sendto");
  // Sockets: AF_PACKET denied in the kernel, SOCK_RAW checked, the rest allowed.
  assert.equal(run(p, NR.socket, [17, 3, 0]), errno(E.EACCES));
  assert.equal(traced(p, run(p, NR.socket, [2, 3 | 0x80000, 1])).net, "socket");
  assert.equal(run(p, NR.socket, [2, 1, 0]), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.socket, [1, 1 | 0x80000, 0]), SECCOMP_RET_ALLOW);
  // clone3 hides its flags in memory: ENOSYS, so libc falls back to clone.
  assert.equal(run(p, NR.clone3, [0x1000, 88]), errno(E.ENOSYS));
  assert.equal(run(p, NR.clone, [CLONE_UNTRACED | SIGCHLD]), errno(E.EPERM));
  assert.equal(run(p, NR.clone, [CLONE_UNTRACED | 0xffff_ffff_0000_0000n]), errno(E.EPERM));
  assert.equal(run(p, NR.clone, [SIGCHLD]), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.clone, [0x3d0f00n]), SECCOMP_RET_ALLOW, "pthread_create's flags");
  assert.equal(run(p, NR.fork), SECCOMP_RET_ALLOW);
  // Reaching outside the tree.
  for (const name of ["ptrace", "process_vm_readv", "process_vm_writev"] as const) {
    assert.equal(run(p, NR[name], [16, 1234]), errno(E.EPERM), name);
  }
  assert.equal(run(p, NR.kill, [-1, 9]), errno(E.EPERM), "kill(-1)");
  assert.equal(run(p, NR.kill, [0xffff_ffffn, 9]), errno(E.EPERM), "kill(-1) as a u32");
  assert.equal(run(p, NR.kill, [SUPERVISOR, 15]), errno(E.EPERM), "kill(supervisor)");
  // Without Landlock's signal scope, another pid may be one of jail's threads: the supervisor
  // lets only the tree's through.
  assert.equal(traced(p, run(p, NR.kill, [SUPERVISOR + 1, 15])).target?.kind, "task");
  // The tree shares jail's process group: kill(0) is delivered by the supervisor, to the tree only.
  assert.equal(traced(p, run(p, NR.kill, [0, 15])).signal, "group", "own process group");
  assert.equal(run(p, NR.tgkill, [SUPERVISOR, SUPERVISOR, 9]), errno(E.EPERM));
  assert.equal(run(p, NR.tkill, [SUPERVISOR, 9]), errno(E.EPERM));
  assert.equal(run(p, NR.pidfd_open, [SUPERVISOR, 0]), errno(E.EPERM));
  assert.equal(run(p, NR.ioctl, [0, 0x5412, 0x1000]), errno(E.EPERM), "TIOCSTI");
  assert.equal(run(p, NR.ioctl, [0, 0x541c, 0x1000]), errno(E.EPERM), "TIOCLINUX");
  assert.equal(run(p, NR.ioctl, [0, 0x5401, 0x1000]), SECCOMP_RET_ALLOW, "TCGETS");
  for (const name of ["io_uring_setup", "io_uring_enter", "io_uring_register"] as const) {
    assert.equal(run(p, NR[name]), errno(E.ENOSYS), name);
  }
  // Other ABIs: x32 numbers and i386 (int 0x80) are killed before anything else.
  assert.equal(run(p, X32_SYSCALL_BIT | NR.getpid), SECCOMP_RET_KILL_PROCESS);
  assert.equal(run(p, X32_SYSCALL_BIT | 512), SECCOMP_RET_KILL_PROCESS);
  assert.equal(run(p, 20, [], AUDIT_ARCH_I386), SECCOMP_RET_KILL_PROCESS, "i386 getpid");
  assert.equal(run(p, NR.getpid, [], 0), SECCOMP_RET_KILL_PROCESS, "arch 0");
  assert.equal(run(p, -1), SECCOMP_RET_KILL_PROCESS, "nr -1 has the x32 bit set as a u32");
  // setsockopt stops only for the options that choose a route, matched by level and name
  // together: SO_KEEPALIVE (SOL_SOCKET, 9) stays in the kernel, IPV6_NEXTHOP (IPV6, 9) stops.
  assert.equal(run(p, NR.setsockopt, [3, 1, 9]), SECCOMP_RET_ALLOW, "SO_KEEPALIVE");
  assert.equal(run(p, NR.setsockopt, [3, 6, 4]), SECCOMP_RET_ALLOW, "TCP_KEEPIDLE");
  assert.equal(traced(p, run(p, NR.setsockopt, [3, 41, 9])).net, "setsockopt", "IPV6_NEXTHOP");
  assert.equal(traced(p, run(p, NR.setsockopt, [3, 1, 25])).net, "setsockopt", "BINDTODEVICE");
  assert.equal(traced(p, run(p, NR.setsockopt, [3, 0, 4])).net, "setsockopt", "IP_OPTIONS");
  // Numbers the table does not know fail as on a kernel without them: above the table, a hole
  // in it, and far out. Known calls without a rule run.
  assert.equal(run(p, 1000), errno(E.ENOSYS), "above the table");
  assert.equal(run(p, 500), errno(E.ENOSYS), "above the table");
  assert.equal(run(p, 400), errno(E.ENOSYS), "the hole 337..423");
  assert.equal(run(p, 0x3fffffff), errno(E.ENOSYS));
  assert.equal(run(p, NR.listns), SECCOMP_RET_ALLOW, "the table's last call");
  assert.equal(run(p, NR.read), SECCOMP_RET_ALLOW);
  assert.equal(run(compile({ unknownSyscalls: "allow" }), 500), SECCOMP_RET_ALLOW, "allowed");
  assert.deepEqual(p.hooks, []);
  assert.ok(p.net);
  assert.equal(p.net.errno, E.EACCES);
  assert.equal(p.net.loopback, true);
  assert.equal(p.net.wildcardBind, "guard");
});

Deno.test("compilePolicy() turns each rule kind into a kernel action or a traced rule", () => {
  const p = compile({ syscalls: EVERY_KIND });
  assert.equal(run(p, NR.getpid), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.mkdir), errno(E.EPERM));
  assert.equal(run(p, NR.rmdir), errno(E.EACCES));
  assert.deepEqual(traced(p, run(p, NR.unlink)), {
    syscall: "unlink",
    decision: { action: "kill", rule: "syscalls.unlink" },
  });
  const ret = traced(p, run(p, NR.getppid)).decision;
  assert.equal(ret.action, "return");
  assert.equal(BigInt(ret.action === "return" ? ret.value : 0), 42n);
  const neg = traced(p, run(p, NR.getuid)).decision;
  assert.equal(BigInt(neg.action === "return" ? neg.value : 0), -5n);
  assert.deepEqual(traced(p, run(p, NR.chdir)).decision, {
    action: "allow",
    rule: "syscalls.chdir",
  });
  const args = traced(p, run(p, NR.umask)).decision;
  assert.equal(args.action, "args");
  if (args.action === "args") {
    assert.deepEqual(
      Object.entries(args.args).map(([i, v]) => [i, BigInt(v)]),
      [["0", 0o77n], ["5", 1n << 40n]],
    );
  }
  const fn = traced(p, run(p, NR.lseek));
  assert.equal(fn.hook, 0);
  assert.equal(p.hooks[0], hook);
  // Every traced rule crosses to the supervisor's thread: plain data only.
  assert.deepEqual(structuredClone(p.rules), p.rules);
  // --explain lists them.
  const text = explainPolicy(p);
  assert.match(text, /TRACE\|\d+ {2}getppid: return \(syscalls\.getppid\)/);
  assert.match(text, /TRACE\|\d+ {2}lseek: function rule \(syscalls\.lseek\)/);
  assert.match(text, /seccomp filter \(\d+ instructions\):\n0000: ld arch/);
});

Deno.test("compilePolicy() keeps the escape-route argument checks in front of a rule for the same syscall", () => {
  const p = compile({
    syscalls: { clone: "trace", ioctl: { return: 0 }, kill: "trace", socket: "deny" },
  });
  assert.equal(run(p, NR.clone, [CLONE_UNTRACED | SIGCHLD]), errno(E.EPERM));
  assert.equal(traced(p, run(p, NR.clone, [SIGCHLD])).decision.rule, "syscalls.clone");
  assert.equal(run(p, NR.ioctl, [0, 0x5412]), errno(E.EPERM));
  assert.equal(traced(p, run(p, NR.ioctl, [0, 0x5401])).decision.action, "return");
  assert.equal(run(p, NR.kill, [-1, 9]), errno(E.EPERM));
  assert.equal(run(p, NR.kill, [SUPERVISOR, 9]), errno(E.EPERM));
  assert.equal(traced(p, run(p, NR.kill, [77, 9])).syscall, "kill");
  assert.equal(run(p, NR.socket, [17, 3]), errno(E.EACCES), "AF_PACKET keeps the net errno");
  assert.equal(run(p, NR.socket, [2, 1]), errno(E.EPERM));
  assert.equal(run(p, NR.socket, [2, 3]), errno(E.EPERM), "the raw check went with the rule");
  // A plain built-in action is replaced outright.
  const q = compile({ syscalls: { ptrace: "allow", connect: "allow", sendto: "deny" } });
  assert.equal(run(q, NR.ptrace), SECCOMP_RET_ALLOW);
  assert.equal(run(q, NR.connect), SECCOMP_RET_ALLOW);
  assert.equal(run(q, NR.sendto, [3, 0, 0, 0, 0, 0]), errno(E.EPERM), "no allow left in front");
});

Deno.test("compilePolicy() with -A observes only, but keeps the tree traced and deny lists", () => {
  const p = compile({}, true);
  assert.equal(p.net, undefined);
  // Only the checks of calls that name another task (jail's limits and scheduling) are traced.
  assert.ok(p.rules.every((r) => r.target?.kind === "task"), JSON.stringify(p.rules));
  assert.equal(run(p, NR.prlimit64, [0, 7, 0, 0x1000]), SECCOMP_RET_ALLOW, "prlimit64 of itself");
  assert.equal(traced(p, run(p, NR.prlimit64, [SUPERVISOR, 7, 0x1000])).target?.kind, "task");
  assert.equal(run(p, NR.setns, [3, 0]), errno(E.EPERM));
  for (const name of ["connect", "bind", "sendmsg", "ptrace", "process_vm_writev"] as const) {
    assert.equal(run(p, NR[name], [3, 0x1000, 16]), SECCOMP_RET_ALLOW, name);
  }
  assert.equal(run(p, NR.kill, [-1, 9]), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.ioctl, [0, 0x5412]), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.socket, [17, 3]), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.io_uring_setup), SECCOMP_RET_ALLOW);
  // Leaving the supervision stays closed.
  assert.equal(run(p, NR.clone3), errno(E.ENOSYS));
  assert.equal(run(p, NR.clone, [CLONE_UNTRACED | SIGCHLD]), errno(E.EPERM));
  assert.equal(run(p, X32_SYSCALL_BIT | NR.getpid), SECCOMP_RET_KILL_PROCESS);

  const denied = compile({ net: { deny: ["10.0.0.0/8"] } }, true);
  assert.ok(denied.net);
  assert.equal(traced(denied, run(denied, NR.connect)).net, "connect");
  assert.equal(run(denied, NR.io_uring_setup), errno(E.ENOSYS));
  assert.equal(run(denied, NR.ptrace), SECCOMP_RET_ALLOW);
  assert.ok(denied.net.allow.some((e) => e.kind === "any"));
});

Deno.test("compilePolicy() resolves host names through the injected resolver", () => {
  const p = compile({ net: { allow: ["db.test:5432"], errno: "ECONNREFUSED" } });
  assert.ok(p.net);
  assert.deepEqual(
    p.net.allow.map((e) => e.kind === "ip" ? [e.host, e.prefix, e.ports] : e.kind),
    [["db.test", 32, [5432, 5432]], ["db.test", 128, [5432, 5432]]],
  );
  assert.equal(p.net.errno, E.ECONNREFUSED);
  assert.throws(
    () => compile({ net: { allow: ["nowhere.test"] } }),
    /net\.allow\[0\]: "nowhere\.test": host nowhere\.test does not resolve/,
  );
});

Deno.test("compilePolicy() takes the net lists parsed and resolved at load as they are", () => {
  const allow = [{ kind: "port" as const, source: "*:443", ports: [443, 443] as [number, number] }];
  const p = compilePolicy({ net: { allow: ["unparsed.test"] } }, {
    supervisorPid: SUPERVISOR,
    resolve: () => assert.fail("nothing is parsed or resolved again"),
    net: { allow, deny: [] },
    arch: X86_64,
  });
  assert.deepEqual(p.net?.allow, allow);
});

Deno.test("compilePolicy() fits 300 syscall rules of mixed kinds in a short filter", () => {
  const kinds: SyscallRule[] = [
    "allow",
    "deny",
    { deny: "EACCES" },
    "kill",
    { return: 1 },
    "trace",
    { args: { "2": 0 } },
  ];
  const names = Object.keys(NR).filter((n) => n !== "clone3").slice(0, 300);
  assert.equal(names.length, 300);
  const syscalls = Object.fromEntries(names.map((n, i) => [n, kinds[i % kinds.length]]));
  const p = compile({ syscalls });
  const count = p.filter.length / 8;
  // A binary search over ~300 ranges (one jump each) plus one ret per distinct action:
  // 616 instructions when written, 735 with the argument checks of the calls that name another
  // task: far below the kernel's 4096.
  assert.ok(count < 800, `${count} instructions`);
  for (const [i, name] of names.entries()) {
    const v = run(p, NR[name as keyof typeof NR], [0, 0, 0, 0, 0, 0]);
    const kind = kinds[i % kinds.length];
    if (kind === "allow") assert.equal(v, SECCOMP_RET_ALLOW, name);
    else if (kind === "deny") assert.equal(v, errno(E.EPERM), name);
    else if (typeof kind === "object" && "deny" in kind) assert.equal(v, errno(E.EACCES), name);
    else assert.equal(traced(p, v).syscall, name);
  }
  // Nothing the policy does not name changes, however long the search.
  const stats = { executed: 0 };
  runFilter(instructions(p), {
    nr: NR.getpid,
    arch: AUDIT_ARCH_X86_64,
    instructionPointer: 0n,
    args: [0n, 0n, 0n, 0n, 0n, 0n],
  }, stats);
  assert.ok(stats.executed <= 16, `${stats.executed} instructions executed for one call`);
});

Deno.test("locateJsonError() gives the line and column of the first error", () => {
  const cases: [string, number, number, string][] = [
    ['{"a": [1,]}', 1, 10, 'expected a value, found "]" (JSON allows no trailing comma)'],
    [
      '{\n  "a": 1,\n}',
      3,
      1,
      `expected a property name in double quotes, found "}" (JSON allows no trailing comma)`,
    ],
    ["{\n  a: 1\n}", 2, 3, `expected a property name in double quotes, found "a"`],
    ['{"a" 1}', 1, 6, `expected ':' after the property name, found "1"`],
    ['{"a": 1 "b": 2}', 1, 9, `expected ',' or '}', found "\\""`],
    ['{"a": tru}', 1, 7, `expected a value, found "t"`],
    ['{"a": "x', 1, 9, `expected a closing '"', found the end of the text`],
    ['{"a": 1}}', 1, 9, `expected the end of the text, found "}"`],
    ["", 1, 1, "expected a value, found the end of the text"],
    ['{"a": "\\q"}', 1, 9, `expected an escape such as \\n, \\" or \\\\, found "q"`],
    ["[01]", 1, 3, `expected ',' or ']', found "1"`],
  ];
  for (const [text, line, column, message] of cases) {
    assert.throws(() => JSON.parse(text));
    assert.deepEqual(
      (({ line, column, message }) => ({ line, column, message }))(locateJsonError(text)!),
      { line, column, message },
      text,
    );
  }
  for (const ok of ['{"a": [1, 2.5e-3, -0, true, null, "\\u00e9\\n"], "b": {}}', " [ ] ", '"x"']) {
    JSON.parse(ok);
    assert.equal(locateJsonError(ok), undefined, ok);
  }
});
