/**
 * A readable listing of seccomp BPF programs, for `jail --explain` and for
 * debugging the compiler.
 *
 * @example Usage
 * ```ts
 * import { Assembler } from "./assembler.ts";
 * import { SECCOMP_RET_ALLOW } from "./opcodes.ts";
 * import { disassemble } from "./disasm.ts";
 *
 * const a = new Assembler();
 * a.loadNr().jeq(42, "deny").ret(SECCOMP_RET_ALLOW).label("deny").ret(0x00050001);
 * console.log(disassemble(a.assemble().instructions, { syscallName: (nr) => nr === 42 ? "connect" : undefined }));
 * // 0000: ld nr
 * // 0001: jeq #42 (connect) jt 0003 jf 0002
 * // 0002: ret ALLOW
 * // 0003: ret ERRNO(1)
 * ```
 *
 * @module
 */

import type { Insn } from "./insn.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ALU,
  BPF_IMM,
  BPF_JA,
  BPF_JMP,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_NEG,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  bpfClass,
  bpfMiscOp,
  bpfMode,
  bpfOp,
  bpfRval,
  bpfSize,
  bpfSrc,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_ARGS,
  SECCOMP_DATA_IP,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
  X32_SYSCALL_BIT,
} from "./opcodes.ts";
import {
  AUDIT_ARCH_AARCH64,
  AUDIT_ARCH_ARM,
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
} from "../../kernel/abi.ts";

/** Options for {@linkcode disassemble}. */
export interface DisassembleOptions {
  /** Names syscall numbers compared against `seccomp_data.nr`. */
  syscallName?: (nr: number) => string | undefined;
}

const ALU_NAMES: Record<number, string> = {
  0x00: "add",
  0x10: "sub",
  0x20: "mul",
  0x30: "div",
  0x40: "or",
  0x50: "and",
  0x60: "lsh",
  0x70: "rsh",
  0x90: "mod",
  0xa0: "xor",
};

const JUMP_NAMES: Record<number, string> = {
  0x10: "jeq",
  0x20: "jgt",
  0x30: "jge",
  0x40: "jset",
};

/** What the disassembler knows A holds, to annotate the comparisons that follow. */
type Contents = "nr" | "arch" | "other";

/**
 * Renders a program one instruction per line, e.g.
 * `0012: jeq #42 (connect) jt 0014 jf 0013` or `0020: ret ERRNO(13)`.
 * Jump targets are absolute instruction numbers.
 *
 * @param program The instructions.
 * @param opts Optional syscall naming.
 * @returns The listing, each line ending in a newline.
 */
export function disassemble(program: readonly Insn[], opts: DisassembleOptions = {}): string {
  const contents = trackAccumulator(program);
  let out = "";
  program.forEach((insn, pc) => {
    out += `${pad(pc)}: ${render(insn, pc, contents[pc], opts)}\n`;
  });
  return out;
}

/**
 * Finds, for each instruction, whether A is known to hold `nr` or `arch`
 * whichever way it is reached. Jumps only go forward, so one pass in order
 * sees every predecessor before its successor.
 */
function trackAccumulator(program: readonly Insn[]): Contents[] {
  const incoming: (Contents | undefined)[] = new Array(program.length).fill(undefined);
  const merge = (at: number, c: Contents) => {
    if (at >= program.length) return;
    const old = incoming[at];
    incoming[at] = old === undefined || old === c ? c : "other";
  };
  const result: Contents[] = [];
  program.forEach((insn, pc) => {
    const now = incoming[pc] ?? "other";
    result.push(now);
    const { code, jt, jf, k } = insn;
    const cls = bpfClass(code);
    if (cls === BPF_JMP) {
      if (bpfOp(code) === BPF_JA) merge(pc + 1 + k, now);
      else {
        merge(pc + 1 + jt, now);
        merge(pc + 1 + jf, now);
      }
      return;
    }
    if (cls === BPF_RET) return;
    let next = now;
    if (code === (BPF_LD | BPF_W | BPF_ABS)) {
      next = k === SECCOMP_DATA_NR ? "nr" : k === SECCOMP_DATA_ARCH ? "arch" : "other";
    } else if (cls === BPF_LD || cls === BPF_ALU || code === (BPF_MISC | BPF_TXA)) {
      next = "other";
    }
    merge(pc + 1, next);
  });
  return result;
}

function render(insn: Insn, pc: number, a: Contents, opts: DisassembleOptions): string {
  const { code, jt, jf, k } = insn;
  const cls = bpfClass(code);
  switch (cls) {
    case BPF_LD:
    case BPF_LDX: {
      const op = cls === BPF_LD ? "ld" : "ldx";
      const mode = bpfMode(code);
      if (mode === BPF_ABS && cls === BPF_LD && bpfSize(code) === BPF_W) return `ld ${field(k)}`;
      if (mode === BPF_IMM) return `${op} #${num(k)}`;
      if (mode === BPF_MEM) return `${op} M[${k}]`;
      if (mode === BPF_LEN) return `${op} len`;
      break;
    }
    case BPF_ST:
      return `st M[${k}]`;
    case BPF_STX:
      return `stx M[${k}]`;
    case BPF_ALU: {
      const op = bpfOp(code);
      if (op === BPF_NEG) return "neg";
      const name = ALU_NAMES[op];
      if (name) return `${name} ${bpfSrc(code) === BPF_X ? "x" : `#${num(k)}`}`;
      break;
    }
    case BPF_JMP: {
      const op = bpfOp(code);
      if (op === BPF_JA) return `ja ${pad(pc + 1 + k)}`;
      const name = JUMP_NAMES[op];
      if (!name) break;
      const targets = `jt ${pad(pc + 1 + jt)} jf ${pad(pc + 1 + jf)}`;
      if (bpfSrc(code) === BPF_X) return `${name} x ${targets}`;
      return `${name} #${operand(k, a, name, opts)} ${targets}`;
    }
    case BPF_RET:
      return bpfRval(code) === BPF_A ? "ret A" : `ret ${actionName(k)}`;
    case BPF_MISC:
      if (bpfMiscOp(code) === BPF_TAX) return "tax";
      if (bpfMiscOp(code) === BPF_TXA) return "txa";
      break;
  }
  return `.insn code=0x${code.toString(16).padStart(4, "0")} jt=${jt} jf=${jf} k=0x${
    k.toString(16)
  }`;
}

/** Names a 32-bit word of `seccomp_data`. */
function field(k: number): string {
  if (k === SECCOMP_DATA_NR) return "nr";
  if (k === SECCOMP_DATA_ARCH) return "arch";
  if (k === SECCOMP_DATA_IP) return "ip.lo";
  if (k === SECCOMP_DATA_IP + 4) return "ip.hi";
  if (k >= SECCOMP_DATA_ARGS && k < SECCOMP_DATA_ARGS + 48 && k % 4 === 0) {
    const i = (k - SECCOMP_DATA_ARGS) >> 3;
    return `args[${i}].${k % 8 === 0 ? "lo" : "hi"}`;
  }
  return `[${k}]`;
}

/** Formats a jump operand, naming it when A holds nr or arch. */
function operand(k: number, a: Contents, op: string, opts: DisassembleOptions): string {
  if (a === "nr") {
    if (op === "jset" && k === X32_SYSCALL_BIT) return `${num(k)} (X32_SYSCALL_BIT)`;
    const name = op === "jset" ? undefined : opts.syscallName?.(k);
    return name === undefined ? `${k}` : `${k} (${name})`;
  }
  if (a === "arch") {
    if (k === AUDIT_ARCH_X86_64) return `${num(k)} (AUDIT_ARCH_X86_64)`;
    if (k === AUDIT_ARCH_I386) return `${num(k)} (AUDIT_ARCH_I386)`;
    if (k === AUDIT_ARCH_AARCH64) return `${num(k)} (AUDIT_ARCH_AARCH64)`;
    if (k === AUDIT_ARCH_ARM) return `${num(k)} (AUDIT_ARCH_ARM)`;
  }
  return num(k);
}

/**
 * Names a seccomp return value, e.g. `ALLOW`, `ERRNO(13)`, `TRACE|7`.
 *
 * @param value The 32-bit value a filter returns.
 * @returns A short readable form.
 */
export function actionName(value: number): string {
  const action = (value & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = value & SECCOMP_RET_DATA;
  const withData = (name: string) => data ? `${name}|${data}` : name;
  switch (action) {
    case SECCOMP_RET_KILL_PROCESS:
      return withData("KILL_PROCESS");
    case SECCOMP_RET_KILL_THREAD:
      return withData("KILL_THREAD");
    case SECCOMP_RET_TRAP:
      return withData("TRAP");
    case SECCOMP_RET_ERRNO:
      return `ERRNO(${data})`;
    case SECCOMP_RET_USER_NOTIF:
      return withData("USER_NOTIF");
    case SECCOMP_RET_TRACE:
      return withData("TRACE");
    case SECCOMP_RET_LOG:
      return withData("LOG");
    case SECCOMP_RET_ALLOW:
      return withData("ALLOW");
  }
  return `#0x${(value >>> 0).toString(16)}`;
}

/** Small constants read best in decimal, masks and magic numbers in hex. */
function num(k: number): string {
  return k < 0x1000 ? `${k}` : `0x${k.toString(16)}`;
}

function pad(n: number): string {
  return n.toString().padStart(4, "0");
}
