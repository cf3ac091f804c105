/**
 * One classic BPF instruction (`struct sock_filter`) and its packed form, as
 * the kernel takes it (SECCOMP_SET_MODE_FILTER, SO_ATTACH_FILTER): shared by
 * the seccomp assembler, interpreter and disassembler and the socket filter.
 *
 * @module
 */

/** One `struct sock_filter`. */
export interface Insn {
  /** Opcode: class | size/op | mode/src. */
  readonly code: number;
  /** Forward offset taken when a conditional jump is true (0..255). */
  readonly jt: number;
  /** Forward offset taken when a conditional jump is false (0..255). */
  readonly jf: number;
  /** Generic 32-bit operand, stored unsigned. */
  readonly k: number;
}

/**
 * Packs instructions into the kernel's `struct sock_filter` layout.
 *
 * @param instructions The program.
 * @returns 8 bytes per instruction, little-endian.
 */
export function encodeInstructions(instructions: readonly Insn[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(instructions.length * 8);
  const view = new DataView(out.buffer);
  instructions.forEach((insn, i) => {
    view.setUint16(i * 8, insn.code, true);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k, true);
  });
  return out;
}

/**
 * Unpacks a `struct sock_filter` array: the inverse of {@linkcode encodeInstructions}.
 *
 * @param bytes Packed little-endian instructions, 8 bytes each.
 * @returns The instructions.
 */
export function decodeInstructions(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let at = 0; at + 8 <= bytes.byteLength; at += 8) {
    out.push({
      code: view.getUint16(at, true),
      jt: view.getUint8(at + 2),
      jf: view.getUint8(at + 3),
      k: view.getUint32(at + 4, true),
    });
  }
  return out;
}
