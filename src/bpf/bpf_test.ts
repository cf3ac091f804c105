import assert from "node:assert/strict";
import fc from "fast-check";
import { Assembler, type Insn } from "./assembler.ts";
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MAXINSNS,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MUL,
  BPF_NEG,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_TRACE,
  X32_SYSCALL_BIT,
} from "./opcodes.ts";
import { AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";
import { runFilter, type RunStats, type SeccompData, validateFilter } from "./interpreter.ts";
import { actionName, disassemble } from "./disasm.ts";
import {
  type ArgRule,
  type ArgTest,
  compileFilter,
  decideReference,
  encodeAction,
  type FilterSpec,
  type KernelAction,
  syscallRanges,
  type SyscallRule,
  testsOf,
} from "./compile.ts";

const U64_MAX = (1n << 64n) - 1n;

/** Asserts that `fn` throws an instance of `cls` whose message contains `includes`. */
function throwsWith(fn: () => unknown, cls: new (...args: any[]) => Error, includes: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${e}`);
    assert.ok(
      e.message.includes(includes),
      `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(includes)}`,
    );
    return true;
  });
}

function data(
  nr: number,
  args: readonly bigint[] = [],
  arch: number = AUDIT_ARCH_X86_64,
): SeccompData {
  const six = [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6);
  return { nr, arch, instructionPointer: 0x401000n, args: six };
}

const i = (code: number, k = 0, jt = 0, jf = 0): Insn => ({ code, jt, jf, k });
const RET_K = BPF_RET | BPF_K;
const RET_A = BPF_RET | 0x10;

// ---------------------------------------------------------------- assembler

Deno.test("assembler resolves forward labels, including ones bound together", () => {
  const a = new Assembler();
  a.loadNr();
  a.jeq(1, "one");
  a.jgt(5, "big");
  a.jge(3, "other", null);
  a.ret(10);
  a.label("one");
  a.ret(11);
  a.label("big");
  a.label("other");
  a.ret(12);
  const { instructions } = a.assemble();
  assert.deepEqual(instructions.slice(1, 4), [
    { code: BPF_JMP | BPF_JEQ | BPF_K, jt: 3, jf: 0, k: 1 },
    { code: BPF_JMP | BPF_JGT | BPF_K, jt: 3, jf: 0, k: 5 },
    { code: BPF_JMP | BPF_JGE | BPF_K, jt: 2, jf: 0, k: 3 },
  ]);
  assert.equal(runFilter(instructions, data(1)), 11);
  assert.equal(runFilter(instructions, data(2)), 10);
  assert.equal(runFilter(instructions, data(4)), 12);
  assert.equal(runFilter(instructions, data(6)), 12);
  assert.ok(Object.isFrozen(instructions) && Object.isFrozen(instructions[0]));
});

Deno.test("assembler ja and newLabel", () => {
  const a = new Assembler();
  const skip = a.newLabel("skip");
  const other = a.newLabel();
  assert.ok(skip !== other);
  a.loadImm(7).ja(skip).loadImm(8).label(skip).retA();
  const { instructions } = a.assemble();
  assert.deepEqual(instructions[1], { code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: 1 });
  assert.deepEqual(runFilter(instructions, data(0)), 7);
});

Deno.test("assembler packs little-endian sock_filter", () => {
  const a = new Assembler();
  a.loadArch().jeq(AUDIT_ARCH_X86_64, null, "kill").ret(SECCOMP_RET_ALLOW);
  a.label("kill").ret(SECCOMP_RET_KILL_PROCESS);
  const bytes = a.assemble().bytes();
  assert.deepEqual(
    [...bytes],
    [
      [0x20, 0x00, 0, 0, 0x04, 0x00, 0x00, 0x00],
      [0x15, 0x00, 0, 1, 0x3e, 0x00, 0x00, 0xc0],
      [0x06, 0x00, 0, 0, 0x00, 0x00, 0xff, 0x7f],
      [0x06, 0x00, 0, 0, 0x00, 0x00, 0x00, 0x80],
    ].flat(),
  );
});

/** `n` instructions that do not touch A's meaning for the tests (X = A). */
function filler(a: Assembler, n: number): void {
  for (let j = 0; j < n; j++) a.tax();
}

Deno.test("assembler routes conditional jumps over >255 instructions through trampolines", () => {
  for (const gap of [254, 255, 256, 300, 1000]) {
    const a = new Assembler();
    a.loadNr();
    a.jeq(1, "far_ret", null);
    a.jeq(2, "far_code", "far_ret2");
    filler(a, gap);
    a.ret(100);
    a.label("far_ret").ret(101);
    a.label("far_ret2").ret(102);
    a.label("far_code").loadImm(103).retA();
    const { instructions } = a.assemble();
    validateFilter(instructions);
    assert.deepEqual(runFilter(instructions, data(1)), 101, `gap ${gap}`);
    assert.deepEqual(runFilter(instructions, data(2)), 103, `gap ${gap}`);
    assert.deepEqual(runFilter(instructions, data(3)), 102, `gap ${gap}`);
    // Short enough jumps need no trampoline at all.
    const extra = instructions.length - (gap + 8);
    assert.deepEqual(extra, gap + 4 > 255 ? 3 : 0, `gap ${gap}`);
  }
});

Deno.test("assembler shares trampolines between nearby far jumps", () => {
  const a = new Assembler();
  a.loadNr();
  for (let j = 0; j < 100; j++) a.jeq(j, "allow");
  filler(a, 400);
  a.ret(0);
  a.label("allow").ret(SECCOMP_RET_ALLOW);
  const { instructions } = a.assemble();
  // Without sharing there would be one trampoline per jump.
  assert.ok(instructions.length <= 1 + 100 + 400 + 2 + 1, `${instructions.length}`);
  for (let j = 0; j < 100; j++) {
    assert.deepEqual(runFilter(instructions, data(j)), SECCOMP_RET_ALLOW);
  }
  assert.deepEqual(runFilter(instructions, data(100)), 0);
});

Deno.test("assembler enforces the 4096-instruction limit", () => {
  const a = new Assembler();
  filler(a, BPF_MAXINSNS);
  a.ret(0);
  throwsWith(
    () => a.assemble(),
    Error,
    "BPF program too long: 4097 instructions, the kernel allows 4096",
  );

  // Exactly 4096 before trampolines, 4098 after.
  const b = new Assembler();
  b.loadNr().jeq(1, "x", "y");
  filler(b, BPF_MAXINSNS - 5);
  b.ret(0).label("x").ret(1).label("y").ret(2);
  throwsWith(
    () => b.assemble(),
    Error,
    "BPF program too long: 4098 instructions, the kernel allows 4096",
  );
});

Deno.test("assembler rejects bad labels and bad programs", () => {
  const undef = new Assembler().loadNr().jeq(1, "nowhere").ret(0);
  throwsWith(() => undef.assemble(), Error, "Undefined label: nowhere");

  const back = new Assembler().label("top").loadNr().jeq(1, "top").ret(0);
  throwsWith(() => back.assemble(), Error, "Backward jump to label top");

  const self = new Assembler().loadNr().label("here").ja("here").ret(0);
  throwsWith(() => self.assemble(), Error, "Backward jump to label here");

  const end = new Assembler().loadNr().jeq(1, "end").ret(0).label("end");
  throwsWith(() => end.assemble(), Error, "Label end is past the last instruction");

  throwsWith(() => new Assembler().label("a").label("a"), Error, "Label already defined: a");
  throwsWith(() => new Assembler().loadNr().assemble(), Error, "must end with a ret");
  throwsWith(() => new Assembler().assemble(), Error, "empty");
  throwsWith(() => new Assembler().loadArgLow(6), RangeError, "argument index: 6");
  throwsWith(() => new Assembler().loadAbs(2), RangeError, "seccomp_data offset: 2");
  throwsWith(() => new Assembler().emit(BPF_JMP | BPF_JA), Error, "jumps must use labels");
});

// -------------------------------------------------------------- interpreter

Deno.test("interpreter loads seccomp_data words little-endian", () => {
  const d: SeccompData = {
    nr: -1,
    arch: AUDIT_ARCH_I386,
    instructionPointer: 0x1122334455667788n,
    args: [0xaaaabbbbccccddddn, 1n, 2n, 3n, 4n, -1n],
  };
  const load = (k: number) => runFilter([i(BPF_LD | BPF_W | BPF_ABS, k), i(RET_A)], d);
  assert.deepEqual(load(0), 0xffffffff);
  assert.deepEqual(load(4), AUDIT_ARCH_I386);
  assert.deepEqual(load(8), 0x55667788);
  assert.deepEqual(load(12), 0x11223344);
  assert.deepEqual(load(16), 0xccccdddd);
  assert.deepEqual(load(20), 0xaaaabbbb);
  assert.deepEqual(load(24), 1);
  assert.deepEqual(load(56), 0xffffffff); // args[5] = -1 is u64 max
  assert.deepEqual(load(60), 0xffffffff);
  assert.deepEqual(runFilter([i(BPF_LD | BPF_W | BPF_LEN), i(RET_A)], d), 64);
  assert.deepEqual(
    runFilter([i(BPF_LDX | BPF_W | BPF_LEN), i(BPF_MISC | BPF_TXA), i(RET_A)], d),
    64,
  );
});

Deno.test("interpreter does u32 arithmetic", () => {
  const calc = (ops: Insn[], start = 0) =>
    runFilter([i(BPF_LD | BPF_IMM, start), ...ops, i(RET_A)], data(0));
  assert.deepEqual(calc([i(BPF_ALU | BPF_ADD | BPF_K, 1)], 0xffffffff), 0);
  assert.deepEqual(calc([i(BPF_ALU | BPF_SUB | BPF_K, 1)], 0), 0xffffffff);
  assert.deepEqual(calc([i(BPF_ALU | BPF_MUL | BPF_K, 0x10001)], 0x10001), 0x20001);
  assert.deepEqual(calc([i(BPF_ALU | BPF_DIV | BPF_K, 3)], 0xffffffff), 0x55555555);
  assert.deepEqual(calc([i(BPF_ALU | BPF_AND | BPF_K, 0xf0f0f0f0)], 0xffff0000), 0xf0f00000);
  assert.deepEqual(calc([i(BPF_ALU | BPF_LSH | BPF_K, 31)], 3), 0x80000000);
  assert.deepEqual(calc([i(BPF_ALU | BPF_RSH | BPF_K, 31)], 0x80000000), 1);
  assert.deepEqual(calc([i(BPF_ALU | BPF_NEG)], 1), 0xffffffff);
  // X operands, and a division by a zero X makes the filter return 0.
  assert.deepEqual(calc([i(BPF_LDX | BPF_IMM, 5), i(BPF_ALU | BPF_ADD | BPF_X)], 7), 12);
  assert.deepEqual(calc([i(BPF_LDX | BPF_IMM, 0), i(BPF_ALU | BPF_DIV | BPF_X)], 7), 0);
  assert.deepEqual(calc([i(BPF_LDX | BPF_IMM, 33), i(BPF_ALU | BPF_LSH | BPF_X)], 1), 2);
  // Scratch memory.
  assert.deepEqual(calc([i(BPF_ST, 3), i(BPF_LD | BPF_IMM, 0), i(BPF_LD | BPF_MEM, 3)], 42), 42);
});

Deno.test("interpreter compares unsigned and counts instructions", () => {
  const prog = (op: number, k: number) => [
    i(BPF_LD | BPF_IMM, 0xffffffff),
    i(BPF_JMP | op | BPF_K, k, 1, 0),
    i(RET_K, 0),
    i(RET_K, 1),
  ];
  assert.deepEqual(runFilter(prog(BPF_JGT, 1), data(0)), 1);
  assert.deepEqual(runFilter(prog(BPF_JGE, 0xffffffff), data(0)), 1);
  assert.deepEqual(runFilter(prog(BPF_JGT, 0xffffffff), data(0)), 0);
  assert.deepEqual(runFilter(prog(BPF_JEQ, 0xffffffff), data(0)), 1);
  assert.deepEqual(runFilter(prog(BPF_JSET, 0x80000000), data(0)), 1);
  assert.deepEqual(runFilter(prog(BPF_JSET, 0), data(0)), 0);
  const stats: RunStats = { executed: 0 };
  runFilter(prog(BPF_JEQ, 0), data(0), stats);
  assert.deepEqual(stats.executed, 3);
  // X comparisons.
  const x = [
    i(BPF_LDX | BPF_IMM, 9),
    i(BPF_LD | BPF_W | BPF_ABS, 0),
    i(BPF_JMP | BPF_JEQ | BPF_X, 0, 0, 1),
    i(RET_K, 1),
    i(RET_K, 2),
  ];
  assert.deepEqual(runFilter(x, data(9)), 1);
  assert.deepEqual(runFilter(x, data(8)), 2);
});

Deno.test("interpreter rejects what the kernel rejects", () => {
  const reject = (prog: Insn[], msg: string) =>
    throwsWith(() => runFilter(prog, data(0)), Error, msg);
  reject([], "length: 0");
  reject([i(BPF_LD | BPF_W | BPF_ABS, 0)], "last instruction is not a ret");
  reject([i(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), i(RET_K)], "jump past the end");
  reject([i(BPF_JMP | BPF_JA, 1), i(RET_K)], "ja past the end");
  reject([i(BPF_LD | BPF_W | BPF_ABS, 2), i(RET_K)], "not 4-byte aligned");
  reject([i(BPF_LD | BPF_W | BPF_ABS, 64), i(RET_K)], "outside seccomp_data");
  reject([i(BPF_LD | BPF_H | BPF_ABS, 0), i(RET_K)], "not allowed in seccomp");
  reject([i(BPF_ALU | BPF_MOD | BPF_K, 3), i(RET_K)], "not allowed in seccomp");
  reject([i(BPF_RET | BPF_X), i(RET_K)], "not allowed in seccomp");
  reject([i(BPF_ALU | BPF_DIV | BPF_K, 0), i(RET_K)], "division by constant zero");
  reject([i(BPF_ALU | BPF_LSH | BPF_K, 32), i(RET_K)], "shift by 32");
  reject([i(BPF_ST, 16), i(RET_K)], "scratch memory index 16");
  reject([i(BPF_LD | BPF_MEM, 0), i(RET_K)], "M[0] may be read before written");
  // Written on one path only.
  reject(
    [
      i(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
      i(BPF_ST, 1),
      i(BPF_LD | BPF_MEM, 1),
      i(RET_K),
    ],
    "M[1] may be read before written",
  );
  reject([i(RET_K, 0x100000000)], "k is not a u32");
  throwsWith(() => runFilter([i(RET_K)], { ...data(0), args: [] }), Error, "expected 6 args");
});

// ------------------------------------------------------------------- disasm

Deno.test("disassemble renders a small program", () => {
  const a = new Assembler();
  a.loadArch();
  a.jeq(AUDIT_ARCH_X86_64, null, "kill");
  a.loadNr();
  a.jset(X32_SYSCALL_BIT, "kill");
  a.jeq(42, "connect");
  a.jge(400, "trace");
  a.ret(SECCOMP_RET_ALLOW);
  a.label("connect");
  a.loadArgHigh(1).jeq(0, null, "kill");
  a.loadArgLow(1).and(0xff00).jeq(0x5400, "eacces", "kill");
  a.label("trace").ret(SECCOMP_RET_TRACE | 7);
  a.label("eacces").ret(SECCOMP_RET_ERRNO | 13);
  a.label("kill").ret(SECCOMP_RET_KILL_PROCESS);
  const names: Record<number, string> = { 42: "connect", 400: "nope" };
  assert.deepEqual(
    disassemble(a.assemble().instructions, { syscallName: (nr) => names[nr] }),
    `\
0000: ld arch
0001: jeq #0xc000003e (AUDIT_ARCH_X86_64) jt 0002 jf 0014
0002: ld nr
0003: jset #0x40000000 (X32_SYSCALL_BIT) jt 0014 jf 0004
0004: jeq #42 (connect) jt 0007 jf 0005
0005: jge #400 (nope) jt 0012 jf 0006
0006: ret ALLOW
0007: ld args[1].hi
0008: jeq #0 jt 0009 jf 0014
0009: ld args[1].lo
0010: and #0xff00
0011: jeq #0x5400 jt 0013 jf 0014
0012: ret TRACE|7
0013: ret ERRNO(13)
0014: ret KILL_PROCESS
`,
  );
});

Deno.test("disassemble names unknown and odd instructions", () => {
  const text = disassemble([
    i(BPF_LD | BPF_MEM, 2),
    i(BPF_ALU | BPF_ADD | BPF_X),
    i(BPF_MISC | BPF_TAX),
    i(BPF_LD | BPF_H | BPF_ABS, 3),
    i(BPF_JMP | BPF_JA, 0),
    i(RET_A),
    i(RET_K, 0x00030005),
  ]);
  assert.deepEqual(
    text,
    `\
0000: ld M[2]
0001: add x
0002: tax
0003: .insn code=0x0028 jt=0 jf=0 k=0x3
0004: ja 0005
0005: ret A
0006: ret TRAP|5
`,
  );
  assert.deepEqual(actionName(0x7fc00000), "USER_NOTIF");
  assert.deepEqual(actionName(0x12345678), "#0x12345678");
});

// ------------------------------------------------------------------ compile

const ALLOW: KernelAction = { kind: "allow" };
const KILL: KernelAction = { kind: "kill" };
const LOG: KernelAction = { kind: "log" };
const errno = (e: number): KernelAction => ({ kind: "errno", errno: e });
const trace = (d: number): KernelAction => ({ kind: "trace", data: d });
const EPERM = errno(1);
const EACCES = errno(13);
const ENOSYS = errno(38);

const SYS = {
  read: 0,
  write: 1,
  open: 2,
  ioctl: 16,
  socket: 41,
  connect: 42,
  clone: 56,
  execve: 59,
  openat: 257,
} as const;
const TIOCSTI = 0x5412n;
const CLONE_UNTRACED = 0x00800000n;
const AF_INET = 2n;
const AF_PACKET = 17n;

// ioctl's cmd and socket's domain are 32-bit in the kernel, which ignores the
// high half of the register: compare the low 32 bits only, or a caller could
// dodge the rule by setting a high bit.
const INT = 0xffffffffn;

const sampleSpec: FilterSpec = {
  defaultAction: ENOSYS,
  foreignAbi: KILL,
  syscalls: new Map<number, SyscallRule>([
    [SYS.read, ALLOW],
    [SYS.write, ALLOW],
    [SYS.open, trace(2)],
    [SYS.ioctl, {
      rules: [{ test: { op: "masked_eq", arg: 1, mask: INT, value: TIOCSTI }, action: EPERM }],
      otherwise: ALLOW,
    }],
    [SYS.socket, {
      rules: [{ test: { op: "masked_eq", arg: 0, mask: INT, value: AF_PACKET }, action: EACCES }],
      otherwise: ALLOW,
    }],
    [SYS.connect, trace(42)],
    [SYS.clone, {
      rules: [{ test: { op: "any_set", arg: 0, mask: CLONE_UNTRACED }, action: EPERM }],
      otherwise: ALLOW,
    }],
    [SYS.execve, trace(59)],
    [SYS.openat, {
      rules: [
        { test: { op: "eq", arg: 0, value: 0xffffff9cn /* AT_FDCWD as u32 */ }, action: LOG },
        {
          test: { op: "eq", arg: 0, value: U64_MAX - 99n /* AT_FDCWD as u64 */ },
          action: trace(257),
        },
      ],
      otherwise: EACCES,
    }],
  ]),
};

Deno.test("compileFilter decides like the table says", async (t) => {
  const program = compileFilter(sampleSpec);
  const cases: [string, SeccompData, KernelAction][] = [
    ["i386 arch is foreign", data(SYS.read, [], AUDIT_ARCH_I386), KILL],
    ["unknown arch is foreign", data(SYS.read, [], 0), KILL],
    ["x32 read is foreign", data(SYS.read | X32_SYSCALL_BIT), KILL],
    ["nr -1 has the x32 bit set", data(-1), KILL],
    ["read", data(SYS.read), ALLOW],
    ["write", data(SYS.write), ALLOW],
    ["open traced", data(SYS.open), trace(2)],
    ["unlisted 3", data(3), ENOSYS],
    ["unlisted in a gap", data(50), ENOSYS],
    ["unlisted after the last", data(400), ENOSYS],
    ["unlisted 0x80000000", data(0x80000000 | 0), ENOSYS],
    ["ioctl TIOCSTI", data(SYS.ioctl, [0n, TIOCSTI]), EPERM],
    ["ioctl TIOCSTI with high bits", data(SYS.ioctl, [0n, (1n << 32n) | TIOCSTI]), EPERM],
    ["ioctl TCGETS", data(SYS.ioctl, [0n, 0x5401n]), ALLOW],
    ["ioctl TIOCSTI in the wrong arg", data(SYS.ioctl, [TIOCSTI, 0n]), ALLOW],
    ["clone untraced", data(SYS.clone, [CLONE_UNTRACED | 0x11n]), EPERM],
    ["clone plain", data(SYS.clone, [0x11n]), ALLOW],
    ["clone high bits only", data(SYS.clone, [1n << 40n]), ALLOW],
    ["socket AF_PACKET", data(SYS.socket, [AF_PACKET, 3n]), EACCES],
    ["socket AF_PACKET high bits", data(SYS.socket, [(7n << 32n) | AF_PACKET]), EACCES],
    ["socket AF_INET", data(SYS.socket, [AF_INET, 1n]), ALLOW],
    ["openat AT_FDCWD u32", data(SYS.openat, [0xffffff9cn]), LOG],
    ["openat AT_FDCWD u64", data(SYS.openat, [U64_MAX - 99n]), trace(257)],
    ["openat other high word", data(SYS.openat, [(1n << 32n) | 0xffffff9cn]), EACCES],
    ["openat fd 3", data(SYS.openat, [3n]), EACCES],
  ];
  for (const [name, d, want] of cases) {
    await t.step(name, () => {
      assert.deepEqual(decideReference(sampleSpec, d), want);
      assert.deepEqual(
        actionName(runFilter(program.instructions, d)),
        actionName(encodeAction(want)),
      );
    });
  }
});

Deno.test("compileFilter merges ranges and shares rets", () => {
  const sameRules: SyscallRule = {
    rules: [{ test: { op: "eq", arg: 0, value: 1n }, action: EPERM }],
    otherwise: ALLOW,
  };
  const spec: FilterSpec = {
    defaultAction: ALLOW,
    foreignAbi: KILL,
    syscalls: new Map<number, SyscallRule>([
      [10, EPERM],
      [11, EPERM],
      [12, EPERM],
      [14, EPERM],
      [20, ALLOW], // Same as the default: merges with the gaps around it.
      [30, sameRules],
      [31, { ...sameRules }],
    ]),
  };
  const ranges = syscallRanges(spec);
  assert.deepEqual(ranges.map((r) => [r.first, r.last]), [
    [0, 9],
    [10, 12],
    [13, 13],
    [14, 14],
    [15, 29],
    [30, 31],
    [32, 0xffffffff],
  ]);
  const text = disassemble(compileFilter(spec).instructions);
  assert.equal(text.match(/ret ALLOW/g)?.length, 2, text); // Shared, plus the rules' otherwise.
  assert.equal(text.match(/ret ERRNO\(1\)/g)?.length, 1, text);
  assert.equal(text.match(/ld args\[0\]\.hi/g)?.length, 1, text);
});

Deno.test("compileFilter handles trivial specs", () => {
  const everything: FilterSpec = { defaultAction: LOG, foreignAbi: KILL, syscalls: new Map() };
  const p = compileFilter(everything);
  assert.deepEqual(runFilter(p.instructions, data(5)), encodeAction(LOG));
  assert.deepEqual(runFilter(p.instructions, data(5, [], 3)), encodeAction(KILL));
  // One rule applying to all numbers, as the only range.
  const allRules: FilterSpec = {
    defaultAction: ALLOW,
    foreignAbi: KILL,
    syscalls: new Map<number, SyscallRule>([[0, ALLOW]]),
  };
  assert.deepEqual(runFilter(compileFilter(allRules).instructions, data(0)), SECCOMP_RET_ALLOW);
  // Rules that can never or always hold are simplified away.
  const never: SyscallRule = {
    rules: [
      { test: { op: "any_set", arg: 0, mask: 0n }, action: KILL },
      { test: { op: "masked_eq", arg: 0, mask: 0xffn, value: 0x100n }, action: KILL },
    ],
    otherwise: EPERM,
  };
  const always: SyscallRule = {
    rules: [{ test: { op: "masked_eq", arg: 2, mask: 0n, value: 0n }, action: EPERM }],
    otherwise: KILL,
  };
  const s: FilterSpec = {
    defaultAction: ALLOW,
    foreignAbi: KILL,
    syscalls: new Map([[1, never], [2, always]]),
  };
  assert.deepEqual(syscallRanges(s).map((r) => [r.first, r.last, r.rule]), [
    [0, 0, ALLOW],
    [1, 2, EPERM],
    [3, 0xffffffff, ALLOW],
  ]);
});

Deno.test("compileFilter rejects invalid specs", () => {
  const bad = (syscalls: Map<number, SyscallRule>, msg: string, extra: Partial<FilterSpec> = {}) =>
    throwsWith(
      () => compileFilter({ defaultAction: ALLOW, foreignAbi: KILL, syscalls, ...extra }),
      Error,
      msg,
    );
  bad(new Map([[-1, ALLOW]]), "Invalid syscall number in filter spec: -1");
  bad(new Map([[X32_SYSCALL_BIT, ALLOW]]), "Invalid syscall number");
  bad(new Map([[1, errno(4096)]]), "Invalid errno in action: 4096");
  bad(new Map([[1, trace(0x10000)]]), "Invalid trace data in action: 65536");
  bad(new Map(), "Invalid errno", { defaultAction: errno(-1) });
  bad(
    new Map<number, SyscallRule>([[1, {
      rules: [{ test: { op: "eq", arg: 6, value: 0n }, action: KILL }],
      otherwise: ALLOW,
    }]]),
    "Invalid filter spec for syscall 1: Invalid argument index: 6",
  );
  bad(
    new Map<number, SyscallRule>([[1, {
      rules: [{ test: { op: "eq", arg: 0, value: 1n << 64n }, action: KILL }],
      otherwise: ALLOW,
    }]]),
    "Invalid value",
  );
});

/** The longest run through the filter over the given syscalls, in instructions. */
function longestPath(spec: FilterSpec, nrs: Iterable<number>): number {
  const { instructions } = compileFilter(spec);
  const stats: RunStats = { executed: 0 };
  let longest = 0;
  for (const nr of nrs) {
    const d = data(nr);
    assert.deepEqual(runFilter(instructions, d, stats), encodeAction(decideReference(spec, d)));
    longest = Math.max(longest, stats.executed);
  }
  return longest;
}

/** Distinct actions for neighbours, so nothing merges. */
const cycle = (n: number): KernelAction => [ALLOW, EPERM, trace(n), LOG, EACCES][n % 5];

Deno.test("compileFilter keeps a 300-rule spec small and shallow", () => {
  const syscalls = new Map<number, SyscallRule>();
  for (let nr = 0; nr < 300; nr++) {
    syscalls.set(
      nr,
      nr % 10 === 5
        ? {
          rules: [
            { test: { op: "masked_eq", arg: 0, mask: INT, value: BigInt(nr) }, action: EPERM },
            { test: { op: "any_set", arg: 1, mask: 0x3n }, action: KILL },
          ],
          otherwise: ALLOW,
        }
        : cycle(nr),
    );
  }
  const spec: FilterSpec = { defaultAction: KILL, foreignAbi: KILL, syscalls };
  const count = compileFilter(spec).instructions.length;
  const ranges = syscallRanges(spec).length;
  const all = [...syscalls.keys(), 300, 1000];
  const plainDepth = longestPath(spec, all.filter((nr) => nr % 10 !== 5));
  const depth = longestPath(spec, all);
  const bound = 2 * Math.ceil(Math.log2(ranges)) + 5;
  console.log(
    `300-rule spec (30 with 2 arg rules): ${count} instructions, ${ranges} ranges, ` +
      `longest path ${plainDepth} (${depth} through arg rules)`,
  );
  assert.ok(count < 1000, `${count} instructions`);
  assert.ok(plainDepth <= bound, `longest path ${plainDepth} > ${bound}`);
  // The rules add at most 2 × 4 instructions and a ret.
  assert.ok(depth <= bound + 9, `longest path ${depth} > ${bound + 9}`);
});

Deno.test("compileFilter fits every syscall, some with arg rules, in one program", () => {
  const syscalls = new Map<number, SyscallRule>();
  for (let nr = 0; nr < 470; nr++) {
    syscalls.set(
      nr,
      nr % 10 === 0
        ? {
          rules: [
            { test: { op: "masked_eq", arg: 1, mask: INT, value: BigInt(nr) }, action: EPERM },
            { test: { op: "any_set", arg: 0, mask: CLONE_UNTRACED }, action: EACCES },
            { test: { op: "eq", arg: 2, value: 1n << 33n }, action: trace(nr) },
          ],
          otherwise: cycle(nr + 1),
        }
        : cycle(nr),
    );
  }
  const spec: FilterSpec = { defaultAction: KILL, foreignAbi: KILL, syscalls };
  const count = compileFilter(spec).instructions.length;
  const ranges = syscallRanges(spec).length;
  const plainDepth = longestPath(spec, [...syscalls.keys()].filter((nr) => nr % 10 !== 0));
  console.log(
    `all-syscalls spec (47 with 3 arg rules): ${count} instructions, ${ranges} ranges, ` +
      `longest plain path ${plainDepth}`,
  );
  assert.ok(count <= BPF_MAXINSNS);
  assert.ok(plainDepth <= 2 * Math.ceil(Math.log2(ranges)) + 5);
});

Deno.test("compileFilter reports specs that do not fit", () => {
  const syscalls = new Map<number, SyscallRule>();
  for (let nr = 0; nr < 470; nr++) {
    syscalls.set(nr, {
      rules: [1n, 2n, 3n].map((v): ArgRule => ({
        test: { op: "eq", arg: 0, value: v + BigInt(nr) },
        action: trace(nr),
      })),
      otherwise: EPERM,
    });
  }
  throwsWith(
    () => compileFilter({ defaultAction: KILL, foreignAbi: KILL, syscalls }),
    Error,
    "Filter spec does not fit in one seccomp program: 471 syscall ranges and 1410 argument rules",
  );
});

// ----------------------------------------------------------- property test

const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: U64_MAX }),
  fc.bigInt({ min: 0n, max: 0xffffffffn }),
  fc.integer({ min: 0, max: 63 }).map((b) => 1n << BigInt(b)),
  fc.constantFrom(0n, 1n, 0xffffffffn, 1n << 32n, U64_MAX, TIOCSTI, CLONE_UNTRACED),
);

const actionArb: fc.Arbitrary<KernelAction> = fc.oneof(
  // A few common actions, so neighbours often agree and ranges merge.
  { weight: 4, arbitrary: fc.constantFrom(ALLOW, KILL, LOG, EPERM, EACCES) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4095 }).map(errno) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }).map(trace) },
);

const argTestArb: fc.Arbitrary<ArgTest> = fc.oneof(
  fc.record({ op: fc.constant("eq" as const), arg: fc.nat(5), value: u64 }),
  fc.tuple(fc.nat(5), u64, u64, fc.boolean()).map(([arg, mask, value, fit]): ArgTest => ({
    op: "masked_eq",
    arg,
    mask,
    // Usually satisfiable; sometimes not, which must simply never match.
    value: fit ? value & mask : value,
  })),
  fc.record({ op: fc.constant("any_set" as const), arg: fc.nat(5), mask: u64 }),
);

const ruleArb = (maxRules: number): fc.Arbitrary<SyscallRule> =>
  fc.oneof(
    { weight: 3, arbitrary: actionArb },
    {
      weight: 1,
      arbitrary: fc.record({
        rules: fc.array(
          fc.record({
            // One test, or a conjunction of two or three (a setsockopt level and name).
            test: fc.oneof(
              { weight: 3, arbitrary: argTestArb },
              { weight: 1, arbitrary: fc.array(argTestArb, { minLength: 2, maxLength: 3 }) },
            ),
            action: actionArb,
          }),
          {
            minLength: 1,
            maxLength: maxRules,
          },
        ),
        otherwise: actionArb,
      }),
    },
  );

const specArb = (minSyscalls: number, maxSyscalls: number, maxRules: number) =>
  fc.record({
    defaultAction: actionArb,
    foreignAbi: actionArb,
    entries: fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 470 }), ruleArb(maxRules)), {
      selector: ([nr]) => nr,
      minLength: minSyscalls,
      maxLength: maxSyscalls,
    }),
    // Cut points of up to three unlisted ranges (sorted, disjoint), and their actions.
    cuts: fc.uniqueArray(fc.integer({ min: 0, max: 520 }), { maxLength: 6 }),
    unlistedActions: fc.array(actionArb, { minLength: 3, maxLength: 3 }),
  }).map(({ defaultAction, foreignAbi, entries, cuts, unlistedActions }): FilterSpec => {
    const points = [...cuts].sort((a, b) => a - b);
    const unlisted = [];
    for (let i = 0; i + 1 < points.length; i += 2) {
      unlisted.push({ first: points[i], last: points[i + 1], action: unlistedActions[i >> 1] });
    }
    return {
      defaultAction,
      foreignAbi,
      syscalls: new Map(entries),
      ...(unlisted.length ? { unlisted } : {}),
    };
  });

/** Syscalls aimed at the spec: its numbers and their neighbours, its rule values. */
function dataArb(spec: FilterSpec): fc.Arbitrary<SeccompData> {
  const listed = [...spec.syscalls.keys()];
  const near = listed.flatMap((nr) => [nr - 1, nr, nr + 1]).filter((nr) => nr >= 0);
  const nr = fc.oneof(
    { weight: 6, arbitrary: near.length ? fc.constantFrom(...near) : fc.nat(471) },
    { weight: 2, arbitrary: fc.nat(471) },
    { weight: 1, arbitrary: fc.nat(471).map((n) => n | X32_SYSCALL_BIT) },
    { weight: 1, arbitrary: fc.integer({ min: -0x80000000, max: 0x7fffffff }) },
  );
  const arch = fc.oneof(
    { weight: 10, arbitrary: fc.constant(AUDIT_ARCH_X86_64) },
    { weight: 1, arbitrary: fc.constant(AUDIT_ARCH_I386) },
    { weight: 1, arbitrary: fc.nat(0xffffffff) },
  );
  const pairs: [bigint, bigint][] = [];
  for (const rule of spec.syscalls.values()) {
    if (!("rules" in rule)) continue;
    for (const t of rule.rules.flatMap(testsOf)) {
      const value = t.op === "any_set" ? 0n : t.value;
      const mask = t.op === "eq" ? U64_MAX : t.mask;
      pairs.push([value, mask]);
      // Differs only in the high or the low half.
      pairs.push([value ^ (1n << 32n), U64_MAX], [value ^ 1n, U64_MAX], [mask, U64_MAX]);
    }
  }
  const arg = pairs.length
    ? fc.oneof(
      u64,
      // A rule's value, with random bits wherever its mask does not look.
      fc.tuple(fc.constantFrom(...pairs), u64).map(([[v, m], r]) => (v & m) | (r & ~m & U64_MAX)),
    )
    : u64;
  return fc.record({
    nr,
    arch,
    instructionPointer: u64,
    args: fc.array(arg, { minLength: 6, maxLength: 6 }),
  });
}

/** Checks the compiled filter against the reference; returns the program length. */
function checkAgreement(spec: FilterSpec, points: readonly SeccompData[]): number {
  const { instructions } = compileFilter(spec);
  for (const d of points) {
    const want = encodeAction(decideReference(spec, d));
    const got = runFilter(instructions, d);
    if (got !== want) {
      throw new Error(
        `Filter returned ${actionName(got)}, reference says ${actionName(want)} for ` +
          `nr ${d.nr} arch 0x${(d.arch >>> 0).toString(16)} args ${d.args.join(",")}\n` +
          disassemble(instructions),
      );
    }
  }
  return instructions.length;
}

Deno.test("compileFilter agrees with decideReference on random specs", () => {
  let cases = 0;
  fc.assert(
    fc.property(
      specArb(0, 40, 4).chain((spec) =>
        fc.tuple(fc.constant(spec), fc.array(dataArb(spec), { minLength: 50, maxLength: 50 }))
      ),
      ([spec, points]) => {
        checkAgreement(spec, points);
        cases += points.length;
      },
    ),
    { numRuns: 200 },
  );
  assert.ok(cases >= 10_000, `${cases}`);
});

Deno.test("compileFilter agrees with decideReference on large specs (trampolines)", () => {
  let longest = 0;
  fc.assert(
    fc.property(
      specArb(200, 470, 2).chain((spec) =>
        fc.tuple(fc.constant(spec), fc.array(dataArb(spec), { minLength: 50, maxLength: 50 }))
      ),
      ([spec, points]) => {
        longest = Math.max(longest, checkAgreement(spec, points));
      },
    ),
    { numRuns: 20 },
  );
  assert.ok(longest > 2 * 255, `programs were too short to need trampolines: ${longest}`);
});

/** A symbolic program for the assembler fuzz test: jump targets are op indices. */
type Op =
  | { t: "fill"; n: number }
  | { t: "ld"; off: number }
  | { t: "j"; op: number; k: number; jt: number | null; jf: number | null }
  | { t: "ja"; to: number }
  | { t: "ret"; k: number };

/** Runs the symbolic program directly, as the meaning the assembly must keep. */
function runOps(ops: readonly Op[], d: SeccompData): number {
  const word = (off: number) =>
    off === 0 ? d.nr : Number((d.args[0] >> (off === 16 ? 0n : 32n)) & 0xffffffffn);
  let a = 0;
  for (let pc = 0;;) {
    const op = ops[pc];
    switch (op.t) {
      case "fill":
        pc++;
        break;
      case "ld":
        a = word(op.off);
        pc++;
        break;
      case "ja":
        pc = op.to;
        break;
      case "ret":
        return op.k;
      case "j": {
        const taken = op.op === BPF_JEQ
          ? a === op.k
          : op.op === BPF_JGT
          ? a > op.k
          : op.op === BPF_JGE
          ? a >= op.k
          : (a & op.k) !== 0;
        const to = taken ? op.jt : op.jf;
        pc = to ?? pc + 1;
        break;
      }
    }
  }
}

Deno.test("assembler keeps the meaning of random programs with long jumps", () => {
  // Relative targets, made absolute below so that every jump goes forward.
  const opArb = fc.oneof(
    {
      weight: 2,
      // Runs just short of and just past the 255 limit find off-by-ones.
      arbitrary: fc.record({
        t: fc.constant("fill"),
        n: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 248, max: 256 })),
      }),
    },
    { weight: 2, arbitrary: fc.record({ t: fc.constant("ld"), off: fc.constantFrom(0, 16, 20) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        t: fc.constant("j"),
        op: fc.constantFrom(BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET),
        k: fc.nat(3),
        jt: fc.option(fc.nat(30)),
        jf: fc.option(fc.nat(30)),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("ja"), to: fc.nat(30) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant("ret"), k: fc.nat(1000) }) },
  );
  const size = (raw: readonly { t: string; n?: number }[]) =>
    raw.reduce((sum, o) => sum + (o.n ?? 1), 1);
  const programArb = fc.array(opArb, { minLength: 1, maxLength: 40 }).filter((raw) =>
    // Leave room for trampolines under the kernel's limit.
    size(raw) < BPF_MAXINSNS - 2 * raw.length
  ).map((raw) => {
    const end = raw.length; // The index of the final ret.
    const abs = (at: number, rel: number) => Math.min(at + 1 + rel, end);
    const ops = raw.map((o, at): Op =>
      o.t === "j"
        ? {
          ...o,
          jt: o.jt === null ? null : abs(at, o.jt),
          jf: o.jf === null ? null : abs(at, o.jf),
        }
        : o.t === "ja"
        ? { t: "ja", to: abs(at, o.to) }
        : o as Op
    );
    ops.push({ t: "ret", k: 7777 });
    return ops;
  });
  const dataPoint = fc.tuple(fc.nat(4), fc.nat(4), fc.nat(4)).map(([nr, lo, hi]) =>
    data(nr, [(BigInt(hi) << 32n) | BigInt(lo)])
  );
  fc.assert(
    fc.property(programArb, fc.array(dataPoint, { minLength: 4, maxLength: 4 }), (ops, points) => {
      const a = new Assembler();
      const at = (i: number) => `op${i}`;
      ops.forEach((op, i) => {
        a.label(at(i));
        if (op.t === "fill") filler(a, op.n);
        else if (op.t === "ld") a.loadAbs(op.off);
        else if (op.t === "ret") a.ret(op.k);
        else if (op.t === "ja") a.ja(at(op.to));
        else {
          const jt = op.jt === null ? null : at(op.jt);
          const jf = op.jf === null ? null : at(op.jf);
          if (op.op === BPF_JEQ) a.jeq(op.k, jt, jf);
          else if (op.op === BPF_JGT) a.jgt(op.k, jt, jf);
          else if (op.op === BPF_JGE) a.jge(op.k, jt, jf);
          else a.jset(op.k, jt, jf);
        }
      });
      const { instructions } = a.assemble();
      for (const d of points) assert.equal(runFilter(instructions, d), runOps(ops, d));
    }),
    { numRuns: 500 },
  );
});
