import assert from "node:assert/strict";
import { decodeInstructions } from "../bpf/assembler.ts";
import { SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE } from "../bpf/opcodes.ts";
import { decideReference, encodeAction } from "../bpf/compile.ts";
import { runFilter } from "../bpf/interpreter.ts";
import { SYSCALL_NUMBERS as NR } from "../../kernel/x86_64_syscalls.ts";
import { AUDIT_ARCH } from "../arch/x86_64.ts";
import { X86_64 } from "../arch/arch.ts";
import { type CompiledPolicy, compilePolicy } from "../policy/compile.ts";
import type { JailConfig } from "../policy/types.ts";
import { O } from "../../kernel/fcntl.ts";

function compile(config: JailConfig): CompiledPolicy {
  // x86_64 numbers below, whatever machine runs the tests.
  return compilePolicy(config, { supervisorPid: 4242, resolve: () => [], arch: X86_64 });
}

/** The filter's answer for one call, checked against the spec's reference decision. */
function run(p: CompiledPolicy, nr: number, args: number[] = []): number {
  const program = decodeInstructions(p.filter);
  const data = {
    nr,
    arch: AUDIT_ARCH,
    instructionPointer: 0x401000n,
    args: [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(64, BigInt(args[i] ?? 0))),
  };
  const got = runFilter(program, data);
  assert.equal(got, encodeAction(decideReference(p.spec, data)));
  return got;
}

const traced = (p: CompiledPolicy, v: number) => {
  assert.equal(
    (v & 0xffff0000) >>> 0,
    SECCOMP_RET_TRACE,
    `expected TRACE, got 0x${v.toString(16)}`,
  );
  return p.rules[v & 0xffff];
};
const errno = (n: number) => (SECCOMP_RET_ERRNO | n) >>> 0;
const AT_FDCWD = -100;

Deno.test("compilePolicy() without file rules traces no file call", () => {
  const p = compile({});
  assert.equal(p.fs, undefined);
  assert.equal(p.landlock, undefined);
  for (const nr of [NR.open, NR.openat, NR.unlink, NR.execve, NR.mount]) {
    assert.equal(run(p, nr), SECCOMP_RET_ALLOW);
  }
});

Deno.test("compilePolicy() with only write rules stops writing opens, never read-only ones", () => {
  const p = compile({ write: { allow: ["/tmp"] } });
  assert.equal(run(p, NR.openat, [AT_FDCWD, 0x1000, 0]), SECCOMP_RET_ALLOW);
  assert.equal(run(p, NR.open, [0x1000, 0o200000 /* O_DIRECTORY */]), SECCOMP_RET_ALLOW);
  for (const flags of [O.WRONLY, O.RDWR, O.CREAT, O.TRUNC, O.APPEND]) {
    assert.equal(traced(p, run(p, NR.openat, [AT_FDCWD, 0x1000, flags])).fs, "openat");
    assert.equal(traced(p, run(p, NR.open, [0x1000, flags])).fs, "open");
  }
  assert.equal(traced(p, run(p, NR.openat2)).fs, "openat2");
  for (const name of ["unlink", "renameat2", "mkdir", "symlink", "chmod", "utimensat"] as const) {
    assert.equal(traced(p, run(p, NR[name])).fs, name);
  }
  // Calls newer than Debian 12's headers, known from the kernel table in the repository.
  for (const name of ["fchmodat2", "setxattrat", "removexattrat", "file_setattr"] as const) {
    assert.equal(traced(p, run(p, NR[name])).fs, name);
  }
  assert.equal(run(p, NR.open_tree_attr), errno(1), "a mount call");
  assert.equal(run(p, NR.execve), SECCOMP_RET_ALLOW, "runs are not restricted");
  assert.equal(run(p, NR.mount), errno(1));
  assert.equal(run(p, NR.open_by_handle_at), errno(1));
  assert.equal(run(p, NR.io_uring_setup), errno(38));
});

Deno.test("compilePolicy() with read rules stops every open and exec; redirects stop every open", () => {
  const p = compile({ read: { allow: ["/data"] } });
  assert.equal(traced(p, run(p, NR.openat, [AT_FDCWD, 0x1000, 0])).fs, "openat");
  assert.equal(traced(p, run(p, NR.execve)).fs, "execve");
  assert.equal(run(p, NR.unlink), SECCOMP_RET_ALLOW);
  const r = compile({ redirect: { "/etc/hosts": "/tmp/hosts" } });
  assert.equal(traced(r, run(r, NR.open, [0x1000, 0])).fs, "open");
  assert.equal(run(r, NR.execve), SECCOMP_RET_ALLOW);
  assert.equal(run(r, NR.mount), SECCOMP_RET_ALLOW, "a redirect restricts nothing");
});

Deno.test("compilePolicy() with run rules stops execve and execveat only", () => {
  const p = compile({ run: { deny: ["curl"] } });
  assert.equal(traced(p, run(p, NR.execveat)).fs, "execveat");
  assert.equal(run(p, NR.openat, [AT_FDCWD, 0x1000, O.WRONLY]), SECCOMP_RET_ALLOW);
  assert.ok(p.fs?.run);
  assert.equal(p.landlock, undefined, "a deny list is the ptrace check's alone");
});

Deno.test("compilePolicy() lets a syscalls rule replace the file check of that call", () => {
  const p = compile({ write: { allow: ["/tmp"] }, syscalls: { unlink: "allow" } });
  assert.equal(run(p, NR.unlink), SECCOMP_RET_ALLOW);
  assert.equal(traced(p, run(p, NR.unlinkat)).fs, "unlinkat");
});
