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

import type { Insn } from "./assembler.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
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
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  SECCOMP_DATA_SIZE,
} from "./opcodes.ts";

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
  BPF_LD | BPF_W | BPF_ABS,
  BPF_LD | BPF_W | BPF_LEN,
  BPF_LDX | BPF_W | BPF_LEN,
  BPF_RET | BPF_K,
  BPF_RET | BPF_A,
  ...[BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_AND, BPF_OR, BPF_XOR, BPF_LSH, BPF_RSH]
    .flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_IMM,
  BPF_LDX | BPF_IMM,
  BPF_MISC | BPF_TAX,
  BPF_MISC | BPF_TXA,
  BPF_LD | BPF_MEM,
  BPF_LDX | BPF_MEM,
  BPF_ST,
  BPF_STX,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET]
    .flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

function isCondJump(code: number): boolean {
  return (code & 0x07) === BPF_JMP && (code & 0xf0) !== BPF_JA;
}

/**
 * Checks a program as the kernel does before installing it, and throws the
 * first problem found.
 *
 * @param program The instructions.
 * @throws {Error} If the kernel would refuse the filter with EINVAL.
 */
export function validateFilter(program: readonly Insn[]): void {
  const n = program.length;
  if (n === 0 || n > BPF_MAXINSNS) {
    throw new Error(`Invalid BPF program length: ${n} (must be 1..${BPF_MAXINSNS})`);
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
    if (code === (BPF_LD | BPF_W | BPF_ABS) && (k >= SECCOMP_DATA_SIZE || k % 4 !== 0)) {
      throw bad(`load offset ${k} is outside seccomp_data or not 4-byte aligned`);
    }
    if (code === (BPF_ALU | BPF_DIV | BPF_K) && k === 0) throw bad("division by constant zero");
    if ((code === (BPF_ALU | BPF_LSH | BPF_K) || code === (BPF_ALU | BPF_RSH | BPF_K)) && k >= 32) {
      throw bad(`shift by ${k}`);
    }
    const cls = code & 0x07;
    const usesMem = ((cls === BPF_LD || cls === BPF_LDX) && (code & 0xe0) === BPF_MEM) ||
      cls === BPF_ST || cls === BPF_STX;
    if (usesMem && k >= BPF_MEMWORDS) throw bad(`scratch memory index ${k}`);
    if (code === (BPF_JMP | BPF_JA) && pc + 1 + k >= n) throw bad(`ja past the end`);
    if (isCondJump(code) && (pc + 1 + jt >= n || pc + 1 + jf >= n)) {
      throw bad(`jump past the end`);
    }
  });
  const lastCode = program[n - 1].code;
  if (lastCode !== (BPF_RET | BPF_K) && lastCode !== (BPF_RET | BPF_A)) {
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
  const all = (1 << BPF_MEMWORDS) - 1;
  const masks = new Array<number>(n).fill(all);
  let valid = 0;
  for (let pc = 0; pc < n; pc++) {
    const { code, jt, jf, k } = program[pc];
    valid &= masks[pc];
    if (code === BPF_ST || code === BPF_STX) {
      valid |= 1 << k;
    } else if (code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM)) {
      if (!(valid & (1 << k))) {
        throw new Error(`Invalid BPF instruction at ${pc}: M[${k}] may be read before written`);
      }
    } else if (code === (BPF_JMP | BPF_JA)) {
      masks[pc + 1 + k] &= valid;
      valid = all;
    } else if (isCondJump(code)) {
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
  const words = new Uint32Array(SECCOMP_DATA_SIZE / 4);
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
  const mem = new Uint32Array(BPF_MEMWORDS);
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
    switch (code & 0x07) {
      case BPF_LD:
        switch (code & 0xe0) {
          case BPF_ABS:
            a = words[k / 4];
            break;
          case BPF_LEN:
            a = SECCOMP_DATA_SIZE;
            break;
          case BPF_IMM:
            a = k;
            break;
          case BPF_MEM:
            a = mem[k];
            break;
        }
        break;
      case BPF_LDX:
        switch (code & 0xe0) {
          case BPF_LEN:
            x = SECCOMP_DATA_SIZE;
            break;
          case BPF_IMM:
            x = k;
            break;
          case BPF_MEM:
            x = mem[k];
            break;
        }
        break;
      case BPF_ST:
        mem[k] = a;
        break;
      case BPF_STX:
        mem[k] = x;
        break;
      case BPF_ALU: {
        const op = code & 0xf0;
        if (op === BPF_NEG) {
          a = -a >>> 0;
          break;
        }
        const src = (code & BPF_X) ? x : k;
        // Classic BPF returns 0 from the filter on division by a zero X.
        if (op === BPF_DIV && src === 0) return finish(0);
        a = alu(op, a, src);
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          pc += k;
          break;
        }
        const src = (code & BPF_X) ? x : k;
        let taken: boolean;
        if (op === BPF_JEQ) taken = a === src;
        else if (op === BPF_JGT) taken = a > src;
        else if (op === BPF_JGE) taken = a >= src;
        else taken = (a & src) !== 0; // BPF_JSET
        pc += taken ? jt : jf;
        break;
      }
      case BPF_RET:
        return finish((code & BPF_A) ? a : k);
      case BPF_MISC:
        if ((code & 0xf8) === BPF_TAX) x = a;
        else if ((code & 0xf8) === BPF_TXA) a = x;
        break;
    }
  }
}

/** One 32-bit ALU operation; the operands are u32, so is the result. */
function alu(op: number, a: number, src: number): number {
  switch (op) {
    case BPF_ADD:
      return (a + src) >>> 0;
    case BPF_SUB:
      return (a - src) >>> 0;
    case BPF_MUL:
      return Math.imul(a, src) >>> 0;
    case BPF_DIV:
      return Math.floor(a / src) >>> 0;
    case BPF_OR:
      return (a | src) >>> 0;
    case BPF_AND:
      return (a & src) >>> 0;
    case BPF_XOR:
      return (a ^ src) >>> 0;
    // The kernel masks the shift count of X shifts to 5 bits, like x86 does;
    // JS's shift operators do the same.
    case BPF_LSH:
      return (a << src) >>> 0;
    case BPF_RSH:
      return a >>> src;
    default:
      throw new Error(`Invalid ALU operation: 0x${op.toString(16)}`);
  }
}
