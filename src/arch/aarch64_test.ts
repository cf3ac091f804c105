import assert from "node:assert/strict";
import { MAX_SYSCALL_NR, SYSCALL_NAMES, SYSCALL_NUMBERS } from "../../kernel/aarch64_syscalls.ts";
import {
  AARCH64,
  allSyscallNames,
  ARCHES,
  HOST_ARCH,
  isKnownSyscall,
  syscallNr,
  X86_64,
} from "./arch.ts";
import { REG, Registers, REGS_SIZE } from "./aarch64.ts";
import { NT_ARM_SYSTEM_CALL, NT_PRSTATUS } from "../../kernel/ptrace.ts";
import { ABIS, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, HOST_ABI } from "../../kernel/abi.ts";
import { HOST_SYSCALL_NUMBERS } from "../../kernel/host_syscalls.ts";
import { pathArgs } from "../fs/syscalls.ts";
import { O } from "../../kernel/fcntl.ts";

Deno.test("aarch64 table: the generic numbering, as arm64 builds it", () => {
  assert.equal(SYSCALL_NUMBERS.io_setup, 0);
  assert.equal(SYSCALL_NUMBERS.openat, 56);
  assert.equal(SYSCALL_NUMBERS.read, 63);
  assert.equal(SYSCALL_NUMBERS.exit_group, 94);
  assert.equal(SYSCALL_NUMBERS.kill, 129);
  assert.equal(SYSCALL_NUMBERS.socket, 198);
  assert.equal(SYSCALL_NUMBERS.connect, 203);
  assert.equal(SYSCALL_NUMBERS.clone, 220);
  assert.equal(SYSCALL_NUMBERS.execve, 221);
  assert.equal(SYSCALL_NUMBERS.seccomp, 277);
  // The optional ABIs arm64 selects: renameat, newstat, rlimit, memfd_secret.
  assert.equal(SYSCALL_NUMBERS.renameat, 38);
  assert.equal(SYSCALL_NUMBERS.newfstatat, 79);
  assert.equal(SYSCALL_NUMBERS.fstat, 80);
  assert.equal(SYSCALL_NUMBERS.getrlimit, 163);
  assert.equal(SYSCALL_NUMBERS.memfd_secret, 447);
  // From 424 on the generic and x86_64 numbers agree.
  for (
    const name of ["pidfd_send_signal", "clone3", "openat2", "landlock_create_ruleset", "listns"]
  ) {
    assert.equal(syscallNr(AARCH64, name), syscallNr(X86_64, name), name);
  }
  assert.equal(SYSCALL_NUMBERS.listns, 470);
  assert.equal(MAX_SYSCALL_NR, 470);
});

Deno.test("aarch64 table: no legacy calls, no 32-bit-only calls, holes where the kernel has none", () => {
  const names = SYSCALL_NUMBERS as Record<string, number>;
  for (
    const legacy of [
      "open",
      "creat",
      "stat",
      "lstat",
      "access",
      "fork",
      "vfork",
      "mkdir",
      "rename",
      "unlink",
      "pipe",
      "dup2",
      "poll",
      "select",
      "epoll_wait",
      "socketcall",
      "time",
      "arch_prctl",
    ]
  ) {
    assert.ok(!Object.hasOwn(names, legacy), legacy);
  }
  for (const only32 of ["fcntl64", "statfs64", "mmap2", "clock_gettime64", "futex_time64"]) {
    assert.ok(!Object.hasOwn(names, only32), only32);
  }
  // nfsservctl (42), the per-arch slots (244..259) and 295..423 are unassigned.
  for (const nr of [42, 244, 259, 295, 402, 403, 415, 423]) {
    assert.equal(SYSCALL_NAMES[nr], "", `${nr}`);
  }
  assert.equal(SYSCALL_NAMES.length, MAX_SYSCALL_NR + 1);
  for (const [name, nr] of Object.entries(SYSCALL_NUMBERS)) assert.equal(SYSCALL_NAMES[nr], name);
  // aarch64's names are a subset of x86_64's: a policy for one names only known calls on the other.
  for (const name of Object.keys(SYSCALL_NUMBERS)) {
    assert.ok(Object.hasOwn(X86_64.numbers, name), name);
  }
});

Deno.test("arch: the host is picked by Deno.build.arch, and each arch carries its own ABI", () => {
  assert.equal(HOST_ARCH.name, Deno.build.arch);
  assert.equal(HOST_ABI.name, Deno.build.arch);
  assert.equal(HOST_SYSCALL_NUMBERS.connect, HOST_ARCH.numbers.connect);
  assert.equal(ARCHES.aarch64.auditArch, 0xc00000b7);
  assert.equal(AARCH64.auditArch, AUDIT_ARCH_AARCH64);
  assert.equal(AUDIT_ARCH_ARM, 0x40000028);
  assert.equal(X86_64.auditArch, 0xc000003e);
  assert.deepEqual(AARCH64.syscallInstruction, [0x01, 0x00, 0x00, 0xd4]);
  assert.deepEqual(X86_64.syscallInstruction, [0x0f, 0x05]);
  assert.equal(AARCH64.numbers.connect, 203);
  assert.equal(X86_64.numbers.connect, 42);
  assert.ok(isKnownSyscall("open") && isKnownSyscall("openat") && !isKnownSyscall("opne"));
  assert.equal(new Set(allSyscallNames()).size, allSyscallNames().length);
  assert.ok(HOST_ARCH.newRegisters().buffer.length > 0);
});

Deno.test("aarch64 open(2) flags: O_NOFOLLOW is x86_64's O_LARGEFILE bit and the other way round", () => {
  assert.equal(ABIS.aarch64.open.NOFOLLOW, 0o100000);
  assert.equal(ABIS.aarch64.open.DIRECTORY, 0o40000);
  assert.equal(ABIS.x86_64.open.NOFOLLOW, 0o400000);
  assert.equal(ABIS.aarch64.open.LARGEFILE, ABIS.x86_64.open.NOFOLLOW);
  assert.equal(O.NOFOLLOW, HOST_ABI.open.NOFOLLOW);
  const r = new Registers();
  const openat = (flags: number) => {
    r.setArg(0, -100);
    r.setArg(1, 0x1000);
    r.setArg(2, flags);
    return pathArgs("openat", r, undefined, ABIS.aarch64.open)[0];
  };
  // The aarch64 bit means "do not follow"; x86_64's bit (O_LARGEFILE there) must not: taken for
  // O_NOFOLLOW, the supervisor would check a symlink while the kernel opens its target.
  assert.equal(openat(0o100000).follow, false);
  assert.equal(openat(0o400000).follow, true);
  assert.equal(openat(0).follow, true);
  r.setArg(2, 0o400000);
  assert.equal(pathArgs("openat", r, undefined, ABIS.x86_64.open)[0].follow, false);
  // struct stat: st_mode at byte 16 on aarch64, 24 on x86_64.
  assert.equal(ABIS.aarch64.statModeOffset, 16);
  assert.equal(ABIS.x86_64.statModeOffset, 24);
});

Deno.test("aarch64 Registers: x0..x5 arguments, x0 result, sp and pc from user_pt_regs", () => {
  const r = new Registers();
  assert.equal(r.buffer.length, REGS_SIZE);
  assert.equal(REGS_SIZE, 272);
  const u64 = new BigUint64Array(r.buffer.buffer, r.buffer.byteOffset, REGS_SIZE / 8);
  for (let i = 0; i < 6; i++) u64[i] = BigInt(0x100 + i);
  u64[REG.x8] = 999n; // What the program loaded: not the number jail trusts.
  u64[REG.sp] = 0x7fff_0000n;
  u64[REG.pc] = 0x40_1004n;
  for (let i = 0; i < 6; i++) assert.equal(r.arg(i), BigInt(0x100 + i));
  assert.equal(r.argInt(2), 0x102);
  assert.equal(r.sp, 0x7fff_0000n);
  assert.equal(r.ip, 0x40_1004n);
  assert.equal(r.result, 0x100n);
  assert.equal(r.nr, 0);
  r.setArg(3, -1);
  assert.equal(r.arg(3), (1n << 64n) - 1n);
  assert.equal(r.argInt(3), -1);
  assert.equal(NT_PRSTATUS, 1n);
  assert.equal(NT_ARM_SYSTEM_CALL, 0x404n);
});

Deno.test("aarch64 Registers: the result shares x0 with the first argument, which stays readable", () => {
  const r = new Registers();
  const u64 = new BigUint64Array(r.buffer.buffer, r.buffer.byteOffset, REGS_SIZE / 8);
  u64[0] = 7n; // fd
  r.setResult(-13);
  assert.equal(u64[0], BigInt.asUintN(64, -13n), "x0 carries the result");
  assert.equal(r.result, -13n);
  assert.equal(r.arg(0), 7n, "arg 0 as the call saw it");
  assert.equal(r.argInt(0), 7);
  r.setResult(1n << 40n);
  assert.equal(r.result, 1n << 40n);
  assert.equal(r.arg(0), 7n);
  // setArg(0) rewrites the argument (x0) for the call the kernel makes.
  const s = new Registers();
  s.setArg(0, 5);
  assert.equal(s.arg(0), 5n);
  assert.equal(new BigUint64Array(s.buffer.buffer, 0, 1)[0], 5n);
});

Deno.test("aarch64 Registers: skip and a new call go to the number, not to x8", () => {
  const r = new Registers();
  const u64 = new BigUint64Array(r.buffer.buffer, r.buffer.byteOffset, REGS_SIZE / 8);
  r.setNr(AARCH64.numbers.sendto);
  assert.equal(r.nr, 206);
  assert.equal(u64[REG.x8], 0n);
  r.skipSyscall();
  assert.equal(r.nr, -1);
  assert.equal(u64[REG.x8], 0n);
});
