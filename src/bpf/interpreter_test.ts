import assert from "node:assert/strict";
import type { Insn } from "./insn.ts";
import * as bpf from "./opcodes.ts";
import { AUDIT_ARCH_I386 } from "../../kernel/abi.ts";
import { runFilter, type RunStats, type SeccompData } from "./interpreter.ts";
import { data, i, RET_A, RET_K, throwsWith } from "./_test_helpers.ts";

Deno.test("interpreter loads seccomp_data words little-endian", () => {
  const d: SeccompData = {
    nr: -1,
    arch: AUDIT_ARCH_I386,
    instructionPointer: 0x1122334455667788n,
    args: [0xaaaabbbbccccddddn, 1n, 2n, 3n, 4n, -1n],
  };
  const load = (k: number) => runFilter([i(bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, k), i(RET_A)], d);
  assert.deepEqual(load(0), 0xffffffff);
  assert.deepEqual(load(4), AUDIT_ARCH_I386);
  assert.deepEqual(load(8), 0x55667788);
  assert.deepEqual(load(12), 0x11223344);
  assert.deepEqual(load(16), 0xccccdddd);
  assert.deepEqual(load(20), 0xaaaabbbb);
  assert.deepEqual(load(24), 1);
  assert.deepEqual(load(56), 0xffffffff); // args[5] = -1 is u64 max
  assert.deepEqual(load(60), 0xffffffff);
  assert.deepEqual(runFilter([i(bpf.BPF_LD | bpf.BPF_W | bpf.BPF_LEN), i(RET_A)], d), 64);
  assert.deepEqual(
    runFilter(
      [i(bpf.BPF_LDX | bpf.BPF_W | bpf.BPF_LEN), i(bpf.BPF_MISC | bpf.BPF_TXA), i(RET_A)],
      d,
    ),
    64,
  );
});

Deno.test("interpreter does u32 arithmetic", () => {
  const calc = (ops: Insn[], start = 0) =>
    runFilter([i(bpf.BPF_LD | bpf.BPF_IMM, start), ...ops, i(RET_A)], data(0));
  assert.deepEqual(calc([i(bpf.BPF_ALU | bpf.BPF_ADD | bpf.BPF_K, 1)], 0xffffffff), 0);
  assert.deepEqual(calc([i(bpf.BPF_ALU | bpf.BPF_SUB | bpf.BPF_K, 1)], 0), 0xffffffff);
  assert.deepEqual(calc([i(bpf.BPF_ALU | bpf.BPF_MUL | bpf.BPF_K, 0x10001)], 0x10001), 0x20001);
  assert.deepEqual(calc([i(bpf.BPF_ALU | bpf.BPF_DIV | bpf.BPF_K, 3)], 0xffffffff), 0x55555555);
  assert.deepEqual(
    calc([i(bpf.BPF_ALU | bpf.BPF_AND | bpf.BPF_K, 0xf0f0f0f0)], 0xffff0000),
    0xf0f00000,
  );
  assert.deepEqual(calc([i(bpf.BPF_ALU | bpf.BPF_LSH | bpf.BPF_K, 31)], 3), 0x80000000);
  assert.deepEqual(calc([i(bpf.BPF_ALU | bpf.BPF_RSH | bpf.BPF_K, 31)], 0x80000000), 1);
  assert.deepEqual(calc([i(bpf.BPF_ALU | bpf.BPF_NEG)], 1), 0xffffffff);
  // X operands, and a division by a zero X makes the filter return 0.
  assert.deepEqual(
    calc([i(bpf.BPF_LDX | bpf.BPF_IMM, 5), i(bpf.BPF_ALU | bpf.BPF_ADD | bpf.BPF_X)], 7),
    12,
  );
  assert.deepEqual(
    calc([i(bpf.BPF_LDX | bpf.BPF_IMM, 0), i(bpf.BPF_ALU | bpf.BPF_DIV | bpf.BPF_X)], 7),
    0,
  );
  assert.deepEqual(
    calc([i(bpf.BPF_LDX | bpf.BPF_IMM, 33), i(bpf.BPF_ALU | bpf.BPF_LSH | bpf.BPF_X)], 1),
    2,
  );
  // Scratch memory.
  assert.deepEqual(
    calc([i(bpf.BPF_ST, 3), i(bpf.BPF_LD | bpf.BPF_IMM, 0), i(bpf.BPF_LD | bpf.BPF_MEM, 3)], 42),
    42,
  );
});

Deno.test("interpreter compares unsigned and counts instructions", () => {
  const prog = (op: number, k: number) => [
    i(bpf.BPF_LD | bpf.BPF_IMM, 0xffffffff),
    i(bpf.BPF_JMP | op | bpf.BPF_K, k, 1, 0),
    i(RET_K, 0),
    i(RET_K, 1),
  ];
  assert.deepEqual(runFilter(prog(bpf.BPF_JGT, 1), data(0)), 1);
  assert.deepEqual(runFilter(prog(bpf.BPF_JGE, 0xffffffff), data(0)), 1);
  assert.deepEqual(runFilter(prog(bpf.BPF_JGT, 0xffffffff), data(0)), 0);
  assert.deepEqual(runFilter(prog(bpf.BPF_JEQ, 0xffffffff), data(0)), 1);
  assert.deepEqual(runFilter(prog(bpf.BPF_JSET, 0x80000000), data(0)), 1);
  assert.deepEqual(runFilter(prog(bpf.BPF_JSET, 0), data(0)), 0);
  const stats: RunStats = { executed: 0 };
  runFilter(prog(bpf.BPF_JEQ, 0), data(0), stats);
  assert.deepEqual(stats.executed, 3);
  // X comparisons.
  const x = [
    i(bpf.BPF_LDX | bpf.BPF_IMM, 9),
    i(bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, 0),
    i(bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_X, 0, 0, 1),
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
  reject([i(bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, 0)], "last instruction is not a ret");
  reject([i(bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, 0, 0, 1), i(RET_K)], "jump past the end");
  reject([i(bpf.BPF_JMP | bpf.BPF_JA, 1), i(RET_K)], "ja past the end");
  reject([i(bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, 2), i(RET_K)], "not 4-byte aligned");
  reject([i(bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS, 64), i(RET_K)], "outside seccomp_data");
  reject([i(bpf.BPF_LD | bpf.BPF_H | bpf.BPF_ABS, 0), i(RET_K)], "not allowed in seccomp");
  reject([i(bpf.BPF_ALU | bpf.BPF_MOD | bpf.BPF_K, 3), i(RET_K)], "not allowed in seccomp");
  reject([i(bpf.BPF_RET | bpf.BPF_X), i(RET_K)], "not allowed in seccomp");
  reject([i(bpf.BPF_ALU | bpf.BPF_DIV | bpf.BPF_K, 0), i(RET_K)], "division by constant zero");
  reject([i(bpf.BPF_ALU | bpf.BPF_LSH | bpf.BPF_K, 32), i(RET_K)], "shift by 32");
  reject([i(bpf.BPF_ST, 16), i(RET_K)], "scratch memory index 16");
  reject([i(bpf.BPF_LD | bpf.BPF_MEM, 0), i(RET_K)], "M[0] may be read before written");
  // Written on one path only.
  reject(
    [
      i(bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, 0, 0, 1),
      i(bpf.BPF_ST, 1),
      i(bpf.BPF_LD | bpf.BPF_MEM, 1),
      i(RET_K),
    ],
    "M[1] may be read before written",
  );
  reject([i(RET_K, 0x100000000)], "k is not a u32");
  throwsWith(() => runFilter([i(RET_K)], { ...data(0), args: [] }), Error, "expected 6 args");
});
