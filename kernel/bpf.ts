/**
 * Classic BPF as the kernel's headers name it: instruction classes, sizes,
 * modes, operations and sources, and the limits of one program
 * (linux/filter.h, linux/bpf_common.h). Used by the seccomp filter and the
 * socket filters alike.
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

/** SKF_NET_OFF: in a socket filter, negative load offsets from here address the network header. */
export const SKF_NET_OFF = -0x100000;

/** The kernel's limit on the number of instructions in one filter (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Number of scratch memory words M[0..15] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;
/** Largest forward distance a conditional jump can encode in `jt`/`jf`. */
export const BPF_MAX_COND_JUMP = 255;
