/**
 * A small assembler for the seccomp subset of classic BPF.
 *
 * Jumps name symbolic labels instead of offsets. {@linkcode Assembler.assemble}
 * resolves them in a later pass, and because a conditional jump can only skip
 * 255 instructions (`jt`/`jf` are 8 bits), it routes longer conditional jumps
 * through trampolines placed right after the jump.
 *
 * @example Usage
 * ```ts
 * import { Assembler } from "./assembler.ts";
 * import { SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS } from "./opcodes.ts";
 * import { AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";
 *
 * const a = new Assembler();
 * a.loadArch();
 * a.jeq(AUDIT_ARCH_X86_64, null, "kill");
 * a.ret(SECCOMP_RET_ALLOW);
 * a.label("kill");
 * a.ret(SECCOMP_RET_KILL_PROCESS);
 * const program = a.assemble();
 * program.bytes(); // 32 bytes, ready for SECCOMP_SET_MODE_FILTER
 * ```
 *
 * @module
 */

import { encodeInstructions, type Insn } from "./insn.ts";
import { encodeItem, isRet, type Item, type JumpTarget, layOutTrampolines } from "./layout.ts";
import {
  argHighOffset,
  argLowOffset,
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_AND,
  BPF_IMM,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_MAXINSNS,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_RET,
  BPF_ST,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  bpfClass,
  bpfOp,
  isCondJump,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_DATA_SIZE,
} from "./opcodes.ts";

// The policy compiler and its tests take the instruction codec with the assembler.
export { decodeInstructions, encodeInstructions, type Insn } from "./insn.ts";
export type { JumpTarget };

/** An assembled filter. */
export interface Program {
  /** The instructions, frozen. */
  readonly instructions: readonly Insn[];
  /** The packed little-endian `struct sock_filter[]`, 8 bytes per instruction. */
  bytes(): Uint8Array<ArrayBuffer>;
}

/** Thrown when a program exceeds {@linkcode BPF_MAXINSNS}. */
export class BpfProgramTooLongError extends Error {
  /** How many instructions the program needed. */
  readonly instructionCount: number;

  /**
   * Constructs a new instance.
   *
   * @param instructionCount How many instructions the program needed.
   */
  constructor(instructionCount: number) {
    super(
      `BPF program too long: ${instructionCount} instructions, the kernel allows ${BPF_MAXINSNS}`,
    );
    this.name = "BpfProgramTooLongError";
    this.instructionCount = instructionCount;
  }
}

function u32(k: number, what: string): number {
  if (!Number.isInteger(k) || k < -0x80000000 || k > 0xffffffff) {
    throw new RangeError(`Invalid ${what}: ${k} (must be a 32-bit integer)`);
  }
  return k >>> 0;
}

/**
 * Builds a seccomp BPF program with symbolic, forward-only jump labels.
 *
 * Conditional jumps take a `jt` and a `jf` label; `null` means "the next
 * instruction". Labels may be used before they are bound with
 * {@linkcode Assembler.label}.
 */
export class Assembler {
  #items: Item[] = [];
  /** Label name → index of the instruction it precedes. */
  #labels = new Map<string, number>();
  #nextLabel = 0;

  /** Number of instructions emitted so far (trampolines not included). */
  get length(): number {
    return this.#items.length;
  }

  /**
   * Returns a fresh label name, unique within this assembler.
   *
   * @param hint Readable prefix, for debugging.
   * @returns The label name; bind it later with {@linkcode Assembler.label}.
   */
  newLabel(hint = "L"): string {
    // The leading dot keeps generated names apart from hand-written ones;
    // a clash would still be reported by label().
    return `.${hint}${this.#nextLabel++}`;
  }

  /**
   * Binds a label to the next instruction emitted.
   *
   * @param name The label.
   * @returns this, for chaining.
   */
  label(name: string): this {
    if (name === "") throw new Error("Invalid label: the empty string");
    if (this.#labels.has(name)) throw new Error(`Label already defined: ${name}`);
    this.#labels.set(name, this.#items.length);
    return this;
  }

  /**
   * Emits a raw non-jump instruction.
   *
   * @param code Opcode.
   * @param k Operand.
   * @returns this, for chaining.
   */
  emit(code: number, k = 0): this {
    if (bpfClass(code) === BPF_JMP) {
      throw new Error(`Invalid use of emit(): jumps must use labels, got code 0x${hex(code)}`);
    }
    this.#items.push({ code, k: u32(k, "operand"), pos: this.#items.length });
    return this;
  }

  /**
   * A = the 32-bit word at `offset` in `seccomp_data`.
   *
   * @param offset Byte offset, 4-aligned and below 64.
   * @returns this, for chaining.
   */
  loadAbs(offset: number): this {
    if (!Number.isInteger(offset) || offset < 0 || offset >= SECCOMP_DATA_SIZE || offset % 4) {
      throw new RangeError(
        `Invalid seccomp_data offset: ${offset} (must be 4-aligned and below ${SECCOMP_DATA_SIZE})`,
      );
    }
    return this.emit(BPF_LD | BPF_W | BPF_ABS, offset);
  }

  /**
   * A = `seccomp_data.nr`.
   *
   * @returns this, for chaining.
   */
  loadNr(): this {
    return this.loadAbs(SECCOMP_DATA_NR);
  }

  /**
   * A = `seccomp_data.arch`.
   *
   * @returns this, for chaining.
   */
  loadArch(): this {
    return this.loadAbs(SECCOMP_DATA_ARCH);
  }

  /**
   * A = low 32 bits of `seccomp_data.args[i]`.
   *
   * @param i Argument index, 0..5.
   * @returns this, for chaining.
   */
  loadArgLow(i: number): this {
    return this.loadAbs(argLowOffset(i));
  }

  /**
   * A = high 32 bits of `seccomp_data.args[i]`.
   *
   * @param i Argument index, 0..5.
   * @returns this, for chaining.
   */
  loadArgHigh(i: number): this {
    return this.loadAbs(argHighOffset(i));
  }

  /**
   * A = k.
   *
   * @param k The constant.
   * @returns this, for chaining.
   */
  loadImm(k: number): this {
    return this.emit(BPF_LD | BPF_IMM, k);
  }

  /**
   * A = M[i].
   *
   * @param i Scratch word, 0..15.
   * @returns this, for chaining.
   */
  loadMem(i: number): this {
    return this.emit(BPF_LD | BPF_MEM, memIndex(i));
  }

  /**
   * M[i] = A.
   *
   * @param i Scratch word, 0..15.
   * @returns this, for chaining.
   */
  store(i: number): this {
    return this.emit(BPF_ST, memIndex(i));
  }

  /**
   * A = A `op` k, e.g. `alu(BPF_AND, 0xff)`.
   *
   * @param op One of BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_XOR.
   * @param k The constant.
   * @returns this, for chaining.
   */
  alu(op: number, k: number): this {
    return this.emit(BPF_ALU | op | BPF_K, k);
  }

  /**
   * A &= k.
   *
   * @param k The mask.
   * @returns this, for chaining.
   */
  and(k: number): this {
    return this.alu(BPF_AND, k);
  }

  /**
   * X = A.
   *
   * @returns this, for chaining.
   */
  tax(): this {
    return this.emit(BPF_MISC | BPF_TAX);
  }

  /**
   * A = X.
   *
   * @returns this, for chaining.
   */
  txa(): this {
    return this.emit(BPF_MISC | BPF_TXA);
  }

  /**
   * Returns the constant `action` (a SECCOMP_RET_* value) from the filter.
   *
   * @param action The 32-bit seccomp return value.
   * @returns this, for chaining.
   */
  ret(action: number): this {
    return this.emit(BPF_RET | BPF_K, action);
  }

  /**
   * Returns A from the filter.
   *
   * @returns this, for chaining.
   */
  retA(): this {
    return this.emit(BPF_RET | BPF_A);
  }

  /**
   * Jumps unconditionally (32-bit offset, so any forward distance).
   *
   * @param target Label of the destination.
   * @returns this, for chaining.
   */
  ja(target: string): this {
    return this.#jump(BPF_JMP | BPF_JA, 0, target, null);
  }

  /**
   * If A == k go to `jt`, else to `jf`.
   *
   * @param k The constant.
   * @param jt Label when true, or `null` for the next instruction.
   * @param jf Label when false, or `null` for the next instruction.
   * @returns this, for chaining.
   */
  jeq(k: number, jt: JumpTarget, jf: JumpTarget = null): this {
    return this.#jump(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf);
  }

  /**
   * If A >= k (unsigned) go to `jt`, else to `jf`.
   *
   * @param k The constant.
   * @param jt Label when true, or `null` for the next instruction.
   * @param jf Label when false, or `null` for the next instruction.
   * @returns this, for chaining.
   */
  jge(k: number, jt: JumpTarget, jf: JumpTarget = null): this {
    return this.#jump(BPF_JMP | BPF_JGE | BPF_K, k, jt, jf);
  }

  /**
   * If A > k (unsigned) go to `jt`, else to `jf`.
   *
   * @param k The constant.
   * @param jt Label when true, or `null` for the next instruction.
   * @param jf Label when false, or `null` for the next instruction.
   * @returns this, for chaining.
   */
  jgt(k: number, jt: JumpTarget, jf: JumpTarget = null): this {
    return this.#jump(BPF_JMP | BPF_JGT | BPF_K, k, jt, jf);
  }

  /**
   * If (A & k) != 0 go to `jt`, else to `jf`.
   *
   * @param k The mask.
   * @param jt Label when true, or `null` for the next instruction.
   * @param jf Label when false, or `null` for the next instruction.
   * @returns this, for chaining.
   */
  jset(k: number, jt: JumpTarget, jf: JumpTarget = null): this {
    return this.#jump(BPF_JMP | BPF_JSET | BPF_K, k, jt, jf);
  }

  /**
   * Conditional jump comparing A with X, e.g. `jumpX(BPF_JEQ, "same")`.
   *
   * @param op One of BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET.
   * @param jt Label when true, or `null` for the next instruction.
   * @param jf Label when false, or `null` for the next instruction.
   * @returns this, for chaining.
   */
  jumpX(op: number, jt: JumpTarget, jf: JumpTarget = null): this {
    if (op === BPF_JA || (op & ~0xf0) !== 0) {
      throw new Error(`Invalid conditional jump operation: 0x${hex(op)}`);
    }
    return this.#jump(BPF_JMP | op | BPF_X, 0, jt, jf);
  }

  #jump(code: number, k: number, jt: JumpTarget, jf: JumpTarget): this {
    this.#items.push({
      code,
      k: u32(k, "jump operand"),
      pos: this.#items.length,
      jump: { jt, jf },
    });
    return this;
  }

  /**
   * Resolves labels, adds trampolines for conditional jumps longer than 255
   * instructions, and checks the kernel's limits.
   *
   * The assembler can be reused afterwards: assembling does not change what
   * was emitted.
   *
   * @returns The frozen program.
   * @throws {Error} On an undefined label, a backward jump, a label past the
   * end, or a program that does not end in `ret`.
   * @throws {BpfProgramTooLongError} If the result exceeds 4096 instructions.
   */
  assemble(): Program {
    if (this.#items.length === 0) throw new Error("Cannot assemble an empty BPF program");
    if (this.#items.length > BPF_MAXINSNS) {
      // Trampolines only add instructions, so there is no point resolving.
      throw new BpfProgramTooLongError(this.#items.length);
    }
    const last = this.#items[this.#items.length - 1];
    if (!isRet(last.code)) {
      // The kernel rejects such filters (bpf_check_classic), and an
      // interpreter would run off the end.
      throw new Error(
        `BPF program must end with a ret instruction: the last one has code 0x${hex(last.code)}`,
      );
    }
    // Work on copies so assemble() can run again after more emits.
    const items: Item[] = this.#items.map((it) => ({
      ...it,
      jump: it.jump && { jt: it.jump.jt, jf: it.jump.jf },
    }));
    this.#resolve(items);
    layOutTrampolines(items);
    if (items.length > BPF_MAXINSNS) throw new BpfProgramTooLongError(items.length);
    const instructions = Object.freeze(items.map((it) => Object.freeze(encodeItem(it))));
    return {
      instructions,
      bytes: () => encodeInstructions(instructions),
    };
  }

  #resolve(items: Item[]): void {
    const find = (from: Item, name: JumpTarget, what: string): Item => {
      const describe = () => `${mnemonic(from.code)} at instruction ${from.pos} (${what})`;
      if (name === null) {
        // Cannot be the last instruction: that one is a ret.
        return items[from.pos + 1];
      }
      const at = this.#labels.get(name);
      if (at === undefined) throw new Error(`Undefined label: ${name}, used by ${describe()}`);
      if (at <= from.pos) {
        throw new Error(
          `Backward jump to label ${name}: ${describe()} targets instruction ${at}, ` +
            "and BPF only allows forward jumps",
        );
      }
      if (at >= items.length) {
        throw new Error(`Label ${name} is past the last instruction, used by ${describe()}`);
      }
      return items[at];
    };
    for (const item of items) {
      const j = item.jump;
      if (!j) continue;
      if (isCondJump(item.code)) {
        j.dt = find(item, j.jt, "true branch");
        j.df = find(item, j.jf, "false branch");
      } else {
        j.dt = find(item, j.jt, "target");
      }
    }
  }
}

function memIndex(i: number): number {
  if (!Number.isInteger(i) || i < 0 || i >= BPF_MEMWORDS) {
    throw new RangeError(`Invalid scratch memory index: ${i} (must be 0..${BPF_MEMWORDS - 1})`);
  }
  return i;
}

function mnemonic(code: number): string {
  if (bpfClass(code) !== BPF_JMP) return `code 0x${hex(code)}`;
  const names: Record<number, string> = {
    [BPF_JA]: "ja",
    [BPF_JEQ]: "jeq",
    [BPF_JGT]: "jgt",
    [BPF_JGE]: "jge",
    [BPF_JSET]: "jset",
  };
  return names[bpfOp(code)] ?? `jump 0x${hex(code)}`;
}

function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}
