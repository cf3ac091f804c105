/**
 * The numbers of a seccomp filter, as the kernel's headers name them: classic
 * BPF opcodes and limits (linux/filter.h, linux/bpf_common.h), seccomp return
 * actions and the layout of `struct seccomp_data` (linux/seccomp.h). Shared by
 * the assembler, the interpreter, the disassembler and the compiler; imports
 * nothing. The AUDIT_ARCH_* values are in ../arch/abi.ts.
 *
 * @module
 */

// Instruction classes (code & 0x07).
/** Instruction class: load into A. */
export const BPF_LD = 0x00;
/** Instruction class: load into X. */
export const BPF_LDX = 0x01;
/** Instruction class: store A into scratch memory. */
export const BPF_ST = 0x02;
/** Instruction class: store X into scratch memory. */
export const BPF_STX = 0x03;
/** Instruction class: arithmetic on A. */
export const BPF_ALU = 0x04;
/** Instruction class: jumps. */
export const BPF_JMP = 0x05;
/** Instruction class: return. */
export const BPF_RET = 0x06;
/** Instruction class: register transfers (TAX/TXA). */
export const BPF_MISC = 0x07;

// Load sizes (code & 0x18). Seccomp only accepts word loads.
/** Load size: 32-bit word. */
export const BPF_W = 0x00;
/** Load size: 16-bit half word (rejected by seccomp). */
export const BPF_H = 0x08;
/** Load size: byte (rejected by seccomp). */
export const BPF_B = 0x10;

// Load modes (code & 0xe0).
/** Load mode: immediate `k`. */
export const BPF_IMM = 0x00;
/** Load mode: absolute offset `k` into `seccomp_data`. */
export const BPF_ABS = 0x20;
/** Load mode: indirect offset X + k (rejected by seccomp). */
export const BPF_IND = 0x40;
/** Load mode: scratch memory word M[k]. */
export const BPF_MEM = 0x60;
/** Load mode: length of the input (`sizeof(struct seccomp_data)` for seccomp). */
export const BPF_LEN = 0x80;
/** Load mode: IP header length hack (rejected by seccomp). */
export const BPF_MSH = 0xa0;

// ALU operations (code & 0xf0).
/** ALU operation: A += src. */
export const BPF_ADD = 0x00;
/** ALU operation: A -= src. */
export const BPF_SUB = 0x10;
/** ALU operation: A *= src. */
export const BPF_MUL = 0x20;
/** ALU operation: A /= src. */
export const BPF_DIV = 0x30;
/** ALU operation: A |= src. */
export const BPF_OR = 0x40;
/** ALU operation: A &= src. */
export const BPF_AND = 0x50;
/** ALU operation: A <<= src. */
export const BPF_LSH = 0x60;
/** ALU operation: A >>= src. */
export const BPF_RSH = 0x70;
/** ALU operation: A = -A. */
export const BPF_NEG = 0x80;
/** ALU operation: A %= src (rejected by seccomp). */
export const BPF_MOD = 0x90;
/** ALU operation: A ^= src. */
export const BPF_XOR = 0xa0;

// Jump operations (code & 0xf0).
/** Jump: always, by the 32-bit offset `k`. */
export const BPF_JA = 0x00;
/** Jump: A == src. */
export const BPF_JEQ = 0x10;
/** Jump: A > src (unsigned). */
export const BPF_JGT = 0x20;
/** Jump: A >= src (unsigned). */
export const BPF_JGE = 0x30;
/** Jump: (A & src) != 0. */
export const BPF_JSET = 0x40;

// Operand source (code & 0x08), and return value source (code & 0x18).
/** Operand source: the constant `k`. */
export const BPF_K = 0x00;
/** Operand source: the X register. */
export const BPF_X = 0x08;
/** Return value source: the A register. */
export const BPF_A = 0x10;

// MISC operations (code & 0xf8).
/** MISC operation: X = A. */
export const BPF_TAX = 0x00;
/** MISC operation: A = X. */
export const BPF_TXA = 0x80;

// The fields of an opcode, as linux/bpf_common.h's macros read them.
/** The instruction class, BPF_LD to BPF_MISC (BPF_CLASS). */
export function bpfClass(code: number): number {
  return code & 0x07;
}
/** The load size, BPF_W, BPF_H or BPF_B (BPF_SIZE). */
export function bpfSize(code: number): number {
  return code & 0x18;
}
/** The load mode, BPF_IMM to BPF_MSH (BPF_MODE). */
export function bpfMode(code: number): number {
  return code & 0xe0;
}
/** The ALU or jump operation (BPF_OP). */
export function bpfOp(code: number): number {
  return code & 0xf0;
}
/** The operand source, BPF_K or BPF_X (BPF_SRC). */
export function bpfSrc(code: number): number {
  return code & 0x08;
}
/** A ret's value source, BPF_K or BPF_A (BPF_RVAL). */
export function bpfRval(code: number): number {
  return code & 0x18;
}
/** The MISC operation, BPF_TAX or BPF_TXA (BPF_MISCOP). */
export function bpfMiscOp(code: number): number {
  return code & 0xf8;
}
/** True for a jump that reads `jt` and `jf`: every BPF_JMP but BPF_JA. */
export function isCondJump(code: number): boolean {
  return bpfClass(code) === BPF_JMP && bpfOp(code) !== BPF_JA;
}

/** The kernel's limit on the number of instructions in one filter (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Number of scratch memory words M[0..15] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;
/** Largest forward distance a conditional jump can encode in `jt`/`jf`. */
export const BPF_MAX_COND_JUMP = 255;

/** Seccomp action: kill the whole process. */
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
/** Seccomp action: kill the calling thread. */
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
/** Seccomp action: send SIGSYS; the low 16 bits go to `si_errno`. */
export const SECCOMP_RET_TRAP = 0x00030000;
/** Seccomp action: fail the syscall with the errno in the low 16 bits. */
export const SECCOMP_RET_ERRNO = 0x00050000;
/** Seccomp action: notify a user-space supervisor through the listener fd. */
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
/** Seccomp action: stop for the ptrace tracer; the low 16 bits are the event message. */
export const SECCOMP_RET_TRACE = 0x7ff00000;
/** Seccomp action: allow and log. */
export const SECCOMP_RET_LOG = 0x7ffc0000;
/** Seccomp action: allow. */
export const SECCOMP_RET_ALLOW = 0x7fff0000;
/** Mask selecting the action part of a seccomp return value. */
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
/** Mask selecting the data part of a seccomp return value. */
export const SECCOMP_RET_DATA = 0x0000ffff;

/**
 * Bit set in `seccomp_data.nr` for x32 syscalls (__X32_SYSCALL_BIT). No
 * aarch64 call has it either: the filter treats it alike on both.
 */
export const X32_SYSCALL_BIT = 0x40000000;

/** Offset of `seccomp_data.nr` (int). */
export const SECCOMP_DATA_NR = 0;
/** Offset of `seccomp_data.arch` (u32). */
export const SECCOMP_DATA_ARCH = 4;
/** Offset of `seccomp_data.instruction_pointer` (u64). */
export const SECCOMP_DATA_IP = 8;
/** Offset of `seccomp_data.args[0]` (u64 each). */
export const SECCOMP_DATA_ARGS = 16;
/** `sizeof(struct seccomp_data)`. */
export const SECCOMP_DATA_SIZE = 64;

/**
 * Offset of the low 32 bits of `seccomp_data.args[i]` (x86_64 is little-endian).
 *
 * @param i Argument index, 0..5.
 * @returns Byte offset into `seccomp_data`.
 */
export function argLowOffset(i: number): number {
  checkArgIndex(i);
  return SECCOMP_DATA_ARGS + 8 * i;
}

/**
 * Offset of the high 32 bits of `seccomp_data.args[i]`.
 *
 * @param i Argument index, 0..5.
 * @returns Byte offset into `seccomp_data`.
 */
export function argHighOffset(i: number): number {
  checkArgIndex(i);
  return SECCOMP_DATA_ARGS + 8 * i + 4;
}

function checkArgIndex(i: number): void {
  if (!Number.isInteger(i) || i < 0 || i > 5) {
    throw new RangeError(`Invalid syscall argument index: ${i} (must be 0..5)`);
  }
}
