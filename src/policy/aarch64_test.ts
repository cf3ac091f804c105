/**
 * The policy compiled for aarch64, on any machine: the filter's arch check,
 * the generic numbering, the calls aarch64 lacks, and every rule kind, run
 * through the BPF interpreter and checked against the spec's reference
 * decision.
 */

import assert from "node:assert/strict";
import { decodeInstructions } from "../bpf/assembler.ts";
import { SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, X32_SYSCALL_BIT } from "../bpf/opcodes.ts";
import {
  AUDIT_ARCH_AARCH64,
  AUDIT_ARCH_ARM,
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
} from "../../kernel/abi.ts";
import { AARCH64, type Arch, X86_64 } from "../arch/arch.ts";
import { ABIS } from "../../kernel/abi.ts";
import { Registers as Aarch64Registers } from "../arch/aarch64.ts";
import { refusalOf } from "../supervisor/trace_origin.ts";
import { ERRNO_NUMBERS as E } from "../../kernel/errno.ts";
import { explainPolicy } from "./explain.ts";
import type { JailConfig } from "./types.ts";
import { compileFor, errno, filterRunner, SUPERVISOR, traced } from "./_filter_check.ts";

const NR = AARCH64.numbers;
const CLONE_UNTRACED = 0x00800000n;
const SIGCHLD = 17n;
const AT_FDCWD = -100;
const O_WRONLY = 0o1;

const compile = (config: JailConfig = {}, arch: Arch = AARCH64, allowAll = false) =>
  compileFor(arch, config, allowAll);

/** Runs the compiled filter on one call; checks it agrees with the spec's reference decision. */
const run = filterRunner(AUDIT_ARCH_AARCH64, 0x400000n);

Deno.test("aarch64 filter: only AUDIT_ARCH_AARCH64 passes; AArch32, x86_64 and i386 are killed", () => {
  const p = compile();
  assert.equal(p.arch, "aarch64");
  assert.equal(p.spec.arch, AUDIT_ARCH_AARCH64);
  const insns = decodeInstructions(p.filter);
  // The arch check comes first: ld arch, then jeq AUDIT_ARCH_AARCH64.
  assert.equal(insns[1].k, AUDIT_ARCH_AARCH64);
  assert.equal(run(p, NR.getpid), SECCOMP_RET_ALLOW);
  // AArch32 (a 32-bit task under an arm64 kernel with COMPAT): getpid is 20 there.
  assert.equal(run(p, 20, [], AUDIT_ARCH_ARM), SECCOMP_RET_KILL_PROCESS, "AArch32 getpid");
  assert.equal(run(p, NR.getpid, [], AUDIT_ARCH_ARM), SECCOMP_RET_KILL_PROCESS);
  assert.equal(run(p, NR.getpid, [], AUDIT_ARCH_X86_64), SECCOMP_RET_KILL_PROCESS);
  assert.equal(run(p, 20, [], AUDIT_ARCH_I386), SECCOMP_RET_KILL_PROCESS);
  assert.equal(run(p, NR.getpid, [], 0), SECCOMP_RET_KILL_PROCESS, "arch 0");
  // Numbers with bit 30 set exist on no architecture: killed as on x86_64.
  assert.equal(run(p, X32_SYSCALL_BIT | NR.getpid), SECCOMP_RET_KILL_PROCESS);
  assert.equal(run(p, -1), SECCOMP_RET_KILL_PROCESS, "nr -1");
  // And the x86_64 filter kills aarch64's arch value.
  assert.equal(
    run(compile({}, X86_64), X86_64.numbers.getpid, [], AUDIT_ARCH_AARCH64),
    SECCOMP_RET_KILL_PROCESS,
  );
});

Deno.test("aarch64 filter: the default policy at aarch64's numbers", () => {
  const p = compile();
  // connect is 203 on aarch64; 42, x86_64's connect, is a hole there (nfsservctl, removed).
  assert.equal(NR.connect, 203);
  assert.equal(traced(p, run(p, 203, [3, 0x1000, 16])).net, "connect");
  assert.equal(run(p, 42, [3, 0x1000, 16]), errno(E.ENOSYS), "42 is no call on aarch64");
  for (const name of ["bind", "sendmsg", "sendmmsg"] as const) {
    assert.equal(traced(p, run(p, NR[name], [3, 0x1000, 16])).net, name);
  }
  assert.equal(run(p, NR.sendto, [3, 0x1000, 5, 0, 0, 0]), SECCOMP_RET_ALLOW, "no destination");
  assert.equal(traced(p, run(p, NR.sendto, [3, 0x1000, 5, 0, 0x2000, 16])).net, "sendto");
  assert.equal(run(p, NR.socket, [17, 3, 0]), errno(E.EACCES), "AF_PACKET");
  assert.equal(run(p, NR.socket, [2, 10, 0]), errno(E.EACCES), "SOCK_PACKET");
  // clone3 hides its flags in memory; clone's CLONE_UNTRACED is refused (arm64's clone takes
  // flags in x0 as on x86_64).
  assert.equal(run(p, NR.clone3, [0x1000, 88]), errno(E.ENOSYS));
  assert.equal(run(p, NR.clone, [CLONE_UNTRACED | SIGCHLD]), errno(E.EPERM));
  assert.equal(run(p, NR.clone, [SIGCHLD]), SECCOMP_RET_ALLOW);
  for (const name of ["ptrace", "process_vm_readv", "process_vm_writev", "keyctl"] as const) {
    assert.equal(run(p, NR[name], [16, 1234]), errno(E.EPERM), name);
  }
  assert.equal(run(p, NR.kill, [-1, 9]), errno(E.EPERM), "kill(-1)");
  assert.equal(run(p, NR.kill, [SUPERVISOR, 15]), errno(E.EPERM), "kill(supervisor)");
  assert.equal(traced(p, run(p, NR.kill, [0, 15])).signal, "group");
  assert.equal(run(p, NR.tgkill, [SUPERVISOR, SUPERVISOR, 9]), errno(E.EPERM));
  assert.equal(run(p, NR.ioctl, [0, 0x5412, 0x1000]), errno(E.EPERM), "TIOCSTI");
  assert.equal(run(p, NR.setns, [3, 0]), errno(E.EPERM));
  for (const name of ["io_uring_setup", "io_uring_enter", "io_uring_register"] as const) {
    assert.equal(run(p, NR[name]), errno(E.ENOSYS), name);
  }
  assert.equal(traced(p, run(p, NR.prlimit64, [1234, 7])).target?.kind, "task");
  // Unknown numbers: the arch-specific gap 244..259, the 32-bit-only 403..423, above the table.
  for (const nr of [244, 259, 295, 403, 423, 471, 1000, 0x3fffffff]) {
    assert.equal(run(p, nr), errno(E.ENOSYS), `nr ${nr}`);
  }
  assert.equal(run(p, NR.listns), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.renameat), SECCOMP_RET_ALLOW);
});

Deno.test("aarch64 filter agrees with its spec for every number of both tables", () => {
  for (const config of [{}, { write: { allow: ["/tmp"] } }] as JailConfig[]) {
    const p = compile(config);
    for (let nr = 0; nr <= 520; nr++) run(p, nr, [AT_FDCWD, 0x1000, O_WRONLY, 0, 0, 0]);
  }
});

Deno.test("aarch64 filter: file rules govern the *at calls; calls aarch64 lacks get none", () => {
  const p = compile({ write: { allow: ["/tmp"] }, run: { allow: ["/usr"] } } as JailConfig);
  // openat (56) stops when it writes; a read-only open stays in the kernel.
  assert.equal(traced(p, run(p, NR.openat, [AT_FDCWD, 0x1000, O_WRONLY])).fs, "openat");
  assert.equal(run(p, NR.openat, [AT_FDCWD, 0x1000, 0]), SECCOMP_RET_ALLOW);
  assert.equal(traced(p, run(p, NR.openat2, [AT_FDCWD, 0x1000, 0x2000, 24])).fs, "openat2");
  for (const name of ["mkdirat", "unlinkat", "renameat", "renameat2", "linkat", "fchmodat"]) {
    assert.equal(traced(p, run(p, NR[name], [AT_FDCWD, 0x1000])).fs, name, name);
  }
  assert.equal(traced(p, run(p, NR.execve)).fs, "execve");
  assert.equal(traced(p, run(p, NR.execveat)).fs, "execveat");
  assert.equal(run(p, NR.mount), errno(E.EPERM));
  // open, creat, mkdir, rename... have no number here: no rule names one, and every number a
  // rule keys is one of aarch64's calls.
  for (const name of ["open", "creat", "mkdir", "rename", "unlink", "chmod"]) {
    assert.ok(!Object.hasOwn(NR, name), name);
  }
  for (const [nr, rule] of p.spec.syscalls) {
    assert.notEqual(AARCH64.names[nr] ?? "", "", `rule at ${nr}, no aarch64 call`);
    assert.ok(rule);
  }
  // Nor is a traced rule made for them.
  for (const rule of p.rules) assert.ok(Object.hasOwn(NR, rule.syscall), rule.syscall);
});

Deno.test("aarch64 filter: a config rule for a call only x86_64 has is left out and said so", () => {
  const config = { syscalls: { open: "deny", mkdir: "kill", openat: { deny: "EROFS" } } };
  const p = compile(config as JailConfig);
  assert.deepEqual(p.skippedSyscalls, ["open", "mkdir"]);
  assert.equal(run(p, NR.openat, [AT_FDCWD, 0x1000, 0]), errno(E.EROFS));
  // x86_64's numbers of open (2) and mkdir (83) are other calls on aarch64: untouched.
  assert.equal(run(p, 2), SECCOMP_RET_ALLOW, "io_submit");
  assert.equal(run(p, 83), SECCOMP_RET_ALLOW, "fdatasync");
  assert.match(explainPolicy(p), /not on aarch64, rules left out: open, mkdir/);
  assert.match(explainPolicy(p), /AUDIT_ARCH_AARCH64/);
  assert.match(explainPolicy(p), /\(openat\)/);
  // The same file on x86_64 keeps both rules.
  const x = compile(config as JailConfig, X86_64);
  assert.deepEqual(x.skippedSyscalls, []);
  assert.equal(run(x, X86_64.numbers.open, [], AUDIT_ARCH_X86_64), errno(E.EPERM));
  // A name no architecture knows is still a typo.
  assert.throws(() => compile({ syscalls: { opne: "deny" } } as JailConfig), /did you mean "open"/);
});

Deno.test("aarch64 filter: every rule kind at aarch64's numbers", () => {
  const p = compile({
    syscalls: {
      getppid: { return: 1 },
      uname: "trace",
      getuid: "kill",
      umask: { args: { 0: 0o22 } },
      sync: "deny",
      lseek: () => ({ action: "allow" }),
    },
  } as unknown as JailConfig);
  assert.equal(traced(p, run(p, NR.getppid)).decision.action, "return");
  assert.equal(traced(p, run(p, NR.uname)).decision.action, "allow");
  assert.equal(traced(p, run(p, NR.getuid)).decision.action, "kill");
  assert.equal(traced(p, run(p, NR.umask)).decision.action, "args");
  assert.equal(run(p, NR.sync), errno(E.EPERM));
  assert.equal(traced(p, run(p, NR.lseek)).hook, 0);
  // Under -A, the tree's integrity rules stay.
  const all = compile({}, AARCH64, true);
  assert.equal(run(all, NR.clone3), errno(E.ENOSYS));
  assert.equal(run(all, NR.clone, [CLONE_UNTRACED]), errno(E.EPERM));
  assert.equal(run(all, NR.connect, [3, 0x1000, 16]), SECCOMP_RET_ALLOW);
  assert.equal(run(all, 20, [], AUDIT_ARCH_ARM), SECCOMP_RET_KILL_PROCESS);
});

Deno.test("refusalOf() judges a rewritten first argument, which arm64's re-check cannot see", () => {
  const p = compile({ syscalls: { kill: { args: { 0: -1 } } } } as unknown as JailConfig);
  // The rule stops kill, which then runs with argument 0 rewritten. On arm64 the kernel's
  // re-check after the stop reads orig_x0 (the original pid), so jail judges the rewrite itself.
  assert.equal(ABIS.aarch64.recheckSeesArg0, false);
  assert.equal(ABIS.x86_64.recheckSeesArg0, true);
  const regs = new Aarch64Registers();
  regs.setNr(NR.kill);
  regs.setArg(0, 1234);
  regs.setArg(1, 15);
  assert.equal(refusalOf(p.spec, NR.kill, regs), undefined, "another pid: traced, not refused");
  regs.setArg(0, -1);
  assert.deepEqual(refusalOf(p.spec, NR.kill, regs), { kind: "errno", errno: E.EPERM });
  regs.setArg(0, SUPERVISOR);
  assert.deepEqual(refusalOf(p.spec, NR.kill, regs), { kind: "errno", errno: E.EPERM });
  // A refused call counts; an allowed one does not.
  const denying = compile({ syscalls: { getuid: "deny" } } as JailConfig);
  regs.setArg(0, 0);
  assert.deepEqual(refusalOf(denying.spec, NR.getuid, regs), { kind: "errno", errno: E.EPERM });
  assert.equal(refusalOf(denying.spec, NR.getpid, regs), undefined);
});
