/**
 * An interpreter for seccomp BPF programs, for tests and for explaining
 * decisions without a kernel.
 *
 * It first checks the program the way the kernel does when the filter is
 * installed (`bpf_check_classic` followed by `seccomp_check_filter`), so a
 * program that runs here is also one the kernel would accept, then executes
 * it with 32-bit unsigned arithmetic.
 *
 * @module
 */

import type { Insn } from "./insn.ts";
import * as bpf from "./opcodes.ts";

/** The input of a seccomp filter, `struct seccomp_data`. */
export interface SeccompData {
  /** Syscall number; the kernel stores it as an `int`, the filter sees it as u32. */
  readonly nr: number;
  /** AUDIT_ARCH_* value. */
  readonly arch: number;
  /** Address of the syscall instruction. */
  readonly instructionPointer: bigint;
  /** The six syscall arguments, as unsigned 64-bit values. */
  readonly args: readonly bigint[];
}

/** Counters filled in by {@linkcode runFilter}. */
export interface RunStats {
  /** Instructions executed, including the final `ret`. */
  executed: number;
}

/** Every opcode the kernel's seccomp_check_filter accepts, after its rewrites. */
const ALLOWED = new Set<number>([
  bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS,
  bpf.BPF_LD | bpf.BPF_W | bpf.BPF_LEN,
  bpf.BPF_LDX | bpf.BPF_W | bpf.BPF_LEN,
  bpf.BPF_RET | bpf.BPF_K,
  bpf.BPF_RET | bpf.BPF_A,
  ...[
    bpf.BPF_ADD,
    bpf.BPF_SUB,
    bpf.BPF_MUL,
    bpf.BPF_DIV,
    bpf.BPF_AND,
    bpf.BPF_OR,
    bpf.BPF_XOR,
    bpf.BPF_LSH,
    bpf.BPF_RSH,
  ]
    .flatMap((op) => [bpf.BPF_ALU | op | bpf.BPF_K, bpf.BPF_ALU | op | bpf.BPF_X]),
  bpf.BPF_ALU | bpf.BPF_NEG,
  bpf.BPF_LD | bpf.BPF_IMM,
  bpf.BPF_LDX | bpf.BPF_IMM,
  bpf.BPF_MISC | bpf.BPF_TAX,
  bpf.BPF_MISC | bpf.BPF_TXA,
  bpf.BPF_LD | bpf.BPF_MEM,
  bpf.BPF_LDX | bpf.BPF_MEM,
  bpf.BPF_ST,
  bpf.BPF_STX,
  bpf.BPF_JMP | bpf.BPF_JA,
  ...[bpf.BPF_JEQ, bpf.BPF_JGE, bpf.BPF_JGT, bpf.BPF_JSET]
    .flatMap((op) => [bpf.BPF_JMP | op | bpf.BPF_K, bpf.BPF_JMP | op | bpf.BPF_X]),
]);

/**
 * Checks a program as the kernel does before installing it, and throws the
 * first problem found.
 *
 * @param program The instructions.
 * @throws {Error} If the kernel would refuse the filter with EINVAL.
 */
export function validateFilter(program: readonly Insn[]): void {
  const n = program.length;
  if (n === 0 || n > bpf.BPF_MAXINSNS) {
    throw new Error(`Invalid BPF program length: ${n} (must be 1..${bpf.BPF_MAXINSNS})`);
  }
  program.forEach((insn, pc) => {
    const { code, jt, jf, k } = insn;
    const bad = (why: string) =>
      new Error(`Invalid BPF instruction at ${pc}: ${why} (code 0x${code.toString(16)})`);
    if (!Number.isInteger(code) || code < 0 || code > 0xffff) throw bad("code is not a u16");
    if (!Number.isInteger(jt) || jt < 0 || jt > 0xff) throw bad("jt is not a u8");
    if (!Number.isInteger(jf) || jf < 0 || jf > 0xff) throw bad("jf is not a u8");
    if (!Number.isInteger(k) || k < 0 || k > 0xffffffff) throw bad("k is not a u32");
    if (!ALLOWED.has(code)) throw bad("opcode not allowed in seccomp filters");
    if (
      code === (bpf.BPF_LD | bpf.BPF_W | bpf.BPF_ABS) && (k >= bpf.SECCOMP_DATA_SIZE || k % 4 !== 0)
    ) {
      throw bad(`load offset ${k} is outside seccomp_data or not 4-byte aligned`);
    }
    if (code === (bpf.BPF_ALU | bpf.BPF_DIV | bpf.BPF_K) && k === 0) {
      throw bad("division by constant zero");
    }
    if (
      (code === (bpf.BPF_ALU | bpf.BPF_LSH | bpf.BPF_K) ||
        code === (bpf.BPF_ALU | bpf.BPF_RSH | bpf.BPF_K)) && k >= 32
    ) {
      throw bad(`shift by ${k}`);
    }
    const cls = bpf.bpfClass(code);
    const usesMem =
      ((cls === bpf.BPF_LD || cls === bpf.BPF_LDX) && bpf.bpfMode(code) === bpf.BPF_MEM) ||
      cls === bpf.BPF_ST || cls === bpf.BPF_STX;
    if (usesMem && k >= bpf.BPF_MEMWORDS) throw bad(`scratch memory index ${k}`);
    if (code === (bpf.BPF_JMP | bpf.BPF_JA) && pc + 1 + k >= n) throw bad(`ja past the end`);
    if (bpf.isCondJump(code) && (pc + 1 + jt >= n || pc + 1 + jf >= n)) {
      throw bad(`jump past the end`);
    }
  });
  const lastCode = program[n - 1].code;
  if (lastCode !== (bpf.BPF_RET | bpf.BPF_K) && lastCode !== (bpf.BPF_RET | bpf.BPF_A)) {
    throw new Error(`Invalid BPF program: the last instruction is not a ret`);
  }
  checkLoadsAndStores(program);
}

/**
 * The kernel's check_load_and_stores: a scratch word may be read only if it
 * was written on every path reaching the read.
 */
function checkLoadsAndStores(program: readonly Insn[]): void {
  const n = program.length;
  const all = (1 << bpf.BPF_MEMWORDS) - 1;
  const masks = new Array<number>(n).fill(all);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    const { code, jt, jf, k } = program[pc];
    valid &= masks[pc];
    if (code === bpf.BPF_ST || code === bpf.BPF_STX) {
      valid |= 1 << k;
    } else if (code === (bpf.BPF_LD | bpf.BPF_MEM) || code === (bpf.BPF_LDX | bpf.BPF_MEM)) {
      if (!(valid & (1 << k))) {
        throw new Error(`Invalid BPF instruction at ${pc}: M[${k}] may be read before written`);
      }
    } else if (code === (bpf.BPF_JMP | bpf.BPF_JA)) {
      masks[pc + 1 + k] &= valid;
      valid = all;
    } else if (bpf.isCondJump(code)) {
      masks[pc + 1 + jt] &= valid;
      masks[pc + 1 + jf] &= valid;
      valid = all;
    }
  }
}

/** Splits `seccomp_data` into the sixteen 32-bit words a filter can load. */
function dataWords(data: SeccompData): Uint32Array {
  if (data.args.length !== 6) {
    throw new Error(`Invalid seccomp_data: expected 6 args, got ${data.args.length}`);
  }
  const words = new Uint32Array(bpf.SECCOMP_DATA_SIZE / 4);
  words[0] = data.nr >>> 0;
  words[1] = data.arch >>> 0;
  const u64s = [data.instructionPointer, ...data.args];
  u64s.forEach((v, i) => {
    const u = BigInt.asUintN(64, v);
    // Little-endian: the low half comes first.
    words[2 + 2 * i] = Number(u & 0xffffffffn);
    words[3 + 2 * i] = Number(u >> 32n);
  });
  return words;
}

/**
 * Runs a seccomp filter on one syscall.
 *
 * @param program The instructions; validated first, as the kernel would.
 * @param data The syscall.
 * @param stats If given, receives the number of instructions executed.
 * @returns The filter's 32-bit return value (a SECCOMP_RET_* action and data).
 * @throws {Error} If the program is not a valid seccomp filter.
 */
export function runFilter(program: readonly Insn[], data: SeccompData, stats?: RunStats): number {
  validateFilter(program);
  const words = dataWords(data);
  const mem = new Uint32Array(bpf.BPF_MEMWORDS);
  let a = 0;
  let x = 0;
  let pc = 0;
  let executed = 0;
  const finish = (value: number) => {
    if (stats) stats.executed = executed;
    return value >>> 0;
  };
  // Validation guarantees termination (all jumps go forward) and that every
  // jump lands inside the program; the bounds check below is belt and braces.
  while (true) {
    if (pc >= program.length) throw new Error(`BPF program fell off the end at ${pc}`);
    const { code, jt, jf, k } = program[pc++];
    executed++;
    switch (bpf.bpfClass(code)) {
      case bpf.BPF_LD:
        switch (bpf.bpfMode(code)) {
          case bpf.BPF_ABS:
            a = words[k / 4];
            break;
          case bpf.BPF_LEN:
            a = bpf.SECCOMP_DATA_SIZE;
            break;
          case bpf.BPF_IMM:
            a = k;
            break;
          case bpf.BPF_MEM:
            a = mem[k];
            break;
        }
        break;
      case bpf.BPF_LDX:
        switch (bpf.bpfMode(code)) {
          case bpf.BPF_LEN:
            x = bpf.SECCOMP_DATA_SIZE;
            break;
          case bpf.BPF_IMM:
            x = k;
            break;
          case bpf.BPF_MEM:
            x = mem[k];
            break;
        }
        break;
      case bpf.BPF_ST:
        mem[k] = a;
        break;
      case bpf.BPF_STX:
        mem[k] = x;
        break;
      case bpf.BPF_ALU: {
        const op = bpf.bpfOp(code);
        if (op === bpf.BPF_NEG) {
          a = -a >>> 0;
          break;
        }
        const src = bpf.bpfSrc(code) === bpf.BPF_X ? x : k;
        // Classic BPF returns 0 from the filter on division by a zero X.
        if (op === bpf.BPF_DIV && src === 0) return finish(0);
        a = alu(op, a, src);
        break;
      }
      case bpf.BPF_JMP: {
        const op = bpf.bpfOp(code);
        if (op === bpf.BPF_JA) {
          pc += k;
          break;
        }
        const src = bpf.bpfSrc(code) === bpf.BPF_X ? x : k;
        let taken: boolean;
        if (op === bpf.BPF_JEQ) taken = a === src;
        else if (op === bpf.BPF_JGT) taken = a > src;
        else if (op === bpf.BPF_JGE) taken = a >= src;
        else taken = (a & src) !== 0; // BPF_JSET
        pc += taken ? jt : jf;
        break;
      }
      case bpf.BPF_RET:
        return finish(bpf.bpfRval(code) === bpf.BPF_A ? a : k);
      case bpf.BPF_MISC:
        if (bpf.bpfMiscOp(code) === bpf.BPF_TAX) x = a;
        else if (bpf.bpfMiscOp(code) === bpf.BPF_TXA) a = x;
        break;
    }
  }
}

/** One 32-bit ALU operation; the operands are u32, so is the result. */
function alu(op: number, a: number, src: number): number {
  switch (op) {
    case bpf.BPF_ADD:
      return (a + src) >>> 0;
    case bpf.BPF_SUB:
      return (a - src) >>> 0;
    case bpf.BPF_MUL:
      return Math.imul(a, src) >>> 0;
    case bpf.BPF_DIV:
      return Math.floor(a / src) >>> 0;
    case bpf.BPF_OR:
      return (a | src) >>> 0;
    case bpf.BPF_AND:
      return (a & src) >>> 0;
    case bpf.BPF_XOR:
      return (a ^ src) >>> 0;
    // The kernel masks the shift count of X shifts to 5 bits, like x86 does;
    // JS's shift operators do the same.
    case bpf.BPF_LSH:
      return (a << src) >>> 0;
    case bpf.BPF_RSH:
      return a >>> src;
    default:
      throw new Error(`Invalid ALU operation: 0x${op.toString(16)}`);
  }
}
