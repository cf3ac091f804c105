import assert from "node:assert/strict";
import fc from "fast-check";
import { Assembler } from "./assembler.ts";
import * as bpf from "./opcodes.ts";
import { AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";
import { runFilter, type SeccompData, validateFilter } from "./interpreter.ts";
import { data, filler, throwsWith } from "./_test_helpers.ts";

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
    { code: bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, jt: 3, jf: 0, k: 1 },
    { code: bpf.BPF_JMP | bpf.BPF_JGT | bpf.BPF_K, jt: 3, jf: 0, k: 5 },
    { code: bpf.BPF_JMP | bpf.BPF_JGE | bpf.BPF_K, jt: 2, jf: 0, k: 3 },
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
  assert.deepEqual(instructions[1], { code: bpf.BPF_JMP | bpf.BPF_JA, jt: 0, jf: 0, k: 1 });
  assert.deepEqual(runFilter(instructions, data(0)), 7);
});

Deno.test("assembler packs little-endian sock_filter", () => {
  const a = new Assembler();
  a.loadArch().jeq(AUDIT_ARCH_X86_64, null, "kill").ret(bpf.SECCOMP_RET_ALLOW);
  a.label("kill").ret(bpf.SECCOMP_RET_KILL_PROCESS);
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
  a.label("allow").ret(bpf.SECCOMP_RET_ALLOW);
  const { instructions } = a.assemble();
  // Without sharing there would be one trampoline per jump.
  assert.ok(instructions.length <= 1 + 100 + 400 + 2 + 1, `${instructions.length}`);
  for (let j = 0; j < 100; j++) {
    assert.deepEqual(runFilter(instructions, data(j)), bpf.SECCOMP_RET_ALLOW);
  }
  assert.deepEqual(runFilter(instructions, data(100)), 0);
});

Deno.test("assembler enforces the 4096-instruction limit", () => {
  const a = new Assembler();
  filler(a, bpf.BPF_MAXINSNS);
  a.ret(0);
  throwsWith(
    () => a.assemble(),
    Error,
    "BPF program too long: 4097 instructions, the kernel allows 4096",
  );

  // Exactly 4096 before trampolines, 4098 after.
  const b = new Assembler();
  b.loadNr().jeq(1, "x", "y");
  filler(b, bpf.BPF_MAXINSNS - 5);
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
  throwsWith(() => new Assembler().emit(bpf.BPF_JMP | bpf.BPF_JA), Error, "jumps must use labels");
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
        const taken = op.op === bpf.BPF_JEQ
          ? a === op.k
          : op.op === bpf.BPF_JGT
          ? a > op.k
          : op.op === bpf.BPF_JGE
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
        op: fc.constantFrom(bpf.BPF_JEQ, bpf.BPF_JGT, bpf.BPF_JGE, bpf.BPF_JSET),
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
    size(raw) < bpf.BPF_MAXINSNS - 2 * raw.length
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
          if (op.op === bpf.BPF_JEQ) a.jeq(op.k, jt, jf);
          else if (op.op === bpf.BPF_JGT) a.jgt(op.k, jt, jf);
          else if (op.op === bpf.BPF_JGE) a.jge(op.k, jt, jf);
          else a.jset(op.k, jt, jf);
        }
      });
      const { instructions } = a.assemble();
      for (const d of points) assert.equal(runFilter(instructions, d), runOps(ops, d));
    }),
    { numRuns: 500 },
  );
});
