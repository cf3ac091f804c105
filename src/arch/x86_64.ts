/**
 * x86_64 register layout (`struct user_regs_struct`) and syscall ABI.
 *
 * One `Registers` object is allocated per supervisor and reused for every
 * stop: reads and writes go through 32-bit views so the hot path creates no
 * BigInt unless a caller asks for a whole 64-bit value.
 *
 * @module
 */

import { PTRACE } from "../../kernel/ptrace.ts";
import { ptraceBuffer } from "../../ffi/ptrace.ts";
import { ABIS, AUDIT_ARCH_X86_64 } from "../../kernel/abi.ts";
import type { SyscallRegisters } from "./registers.ts";

/** AUDIT_ARCH_X86_64, as seen in `seccomp_data.arch`. */
export const AUDIT_ARCH = AUDIT_ARCH_X86_64;

/** Index of each register in `user_regs_struct` (27 × u64). */
export const REG = {
  r15: 0,
  r14: 1,
  r13: 2,
  r12: 3,
  rbp: 4,
  rbx: 5,
  r11: 6,
  r10: 7,
  r9: 8,
  r8: 9,
  rax: 10,
  rcx: 11,
  rdx: 12,
  rsi: 13,
  rdi: 14,
  orig_rax: 15,
  rip: 16,
  cs: 17,
  eflags: 18,
  rsp: 19,
  ss: 20,
  fs_base: 21,
  gs_base: 22,
  ds: 23,
  es: 24,
  fs: 25,
  gs: 26,
} as const;

/** Registers holding syscall arguments 0..5. */
export const ARG_REGS = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9] as const;

/** Size in bytes of `struct user_regs_struct`. */
export const REGS_SIZE = 27 * 8;

/** Bytes below the stack pointer that a leaf function may use (System V ABI). */
export const RED_ZONE = ABIS.x86_64.redZone;

/**
 * A reusable register buffer for PTRACE_GETREGS / PTRACE_SETREGS: one request
 * moves the whole set, the syscall number (`orig_rax`) included.
 */
export class Registers implements SyscallRegisters {
  /** The raw buffer handed to ptrace. */
  readonly buffer: Uint8Array<ArrayBuffer> = new Uint8Array(REGS_SIZE);
  #u32 = new Uint32Array(this.buffer.buffer);
  #i32 = new Int32Array(this.buffer.buffer);
  #u64 = new BigUint64Array(this.buffer.buffer);

  /** Syscall number (orig_rax); -1 once skipped. */
  get nr(): number {
    return this.#i32[REG.orig_rax * 2 + 1] === -1 ? -1 : this.#u32[REG.orig_rax * 2];
  }

  /** Argument `i` (0..5) as an unsigned 64-bit value. */
  arg(i: number): bigint {
    return this.#u64[ARG_REGS[i]];
  }

  /** Low 32 bits of argument `i`, as a signed int (what C `int` parameters see). */
  argInt(i: number): number {
    return this.#i32[ARG_REGS[i] * 2];
  }

  /** Sets argument `i`; a negative value is stored in two's complement. */
  setArg(i: number, value: bigint | number): void {
    // A BigUint64Array store wraps modulo 2^64 by itself: no BigInt.asUintN copy.
    this.#u64[ARG_REGS[i]] = typeof value === "bigint" ? value : BigInt(value);
  }

  /** Return value (rax) as a signed 64-bit number. */
  get result(): bigint {
    return BigInt.asIntN(64, this.#u64[REG.rax]);
  }

  /**
   * Sets rax, e.g. `-errno` or a faked result. A 32-bit integer (every errno,
   * most results) is written as two 32-bit halves, allocating nothing; a
   * bigint is stored as is (the store wraps modulo 2^64).
   */
  setResult(value: bigint | number): void {
    if (typeof value === "number" && (value | 0) === value) {
      this.#i32[REG.rax * 2] = value;
      this.#i32[REG.rax * 2 + 1] = value >> 31;
    } else {
      this.#u64[REG.rax] = typeof value === "bigint" ? value : BigInt(value);
    }
  }

  /** Makes the kernel skip the syscall at a seccomp stop (orig_rax = -1). */
  skipSyscall(): void {
    this.#i32[REG.orig_rax * 2] = -1;
    this.#i32[REG.orig_rax * 2 + 1] = -1;
  }

  /** Changes the call the kernel makes at a seccomp stop (orig_rax). */
  setNr(nr: number): void {
    this.#i32[REG.orig_rax * 2] = nr;
    this.#i32[REG.orig_rax * 2 + 1] = nr >> 31;
  }

  /**
   * Sets up a stopped thread to run syscall `nr` with `args` from the
   * `syscall` instruction at `ip` (`syscallInstruction` in abi.ts).
   * orig_rax is -1: the thread is not in a syscall, so no restart fix-up of
   * an interrupted one (its `pause`) may move `ip` or change rax.
   */
  setSyscall(ip: bigint, nr: number, args: readonly (bigint | number)[]): void {
    this.skipSyscall();
    this.setResult(nr);
    for (let i = 0; i < ARG_REGS.length; i++) this.setArg(i, args[i] ?? 0);
    this.#u64[REG.rip] = ip;
  }

  /** Stack pointer. */
  get sp(): bigint {
    return this.#u64[REG.rsp];
  }

  /** Instruction pointer. */
  get ip(): bigint {
    return this.#u64[REG.rip];
  }

  /** PTRACE_GETREGS. 0 or `-errno`. */
  read(tid: number): number {
    return ptraceBuffer(PTRACE.GETREGS, tid, this.buffer);
  }

  /** PTRACE_SETREGS. 0 or `-errno`. */
  write(tid: number): number {
    return ptraceBuffer(PTRACE.SETREGS, tid, this.buffer);
  }
}
