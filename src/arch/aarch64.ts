/**
 * aarch64 register layout (`struct user_pt_regs`) and syscall ABI.
 *
 * The general registers move with PTRACE_GETREGSET/SETREGSET of
 * `NT_PRSTATUS`: x0..x30, sp, pc, pstate. The syscall number is not among
 * them: the kernel keeps it in `pt_regs.syscallno`, read and written through
 * the `NT_ARM_SYSTEM_CALL` regset (an int); writing -1 there at a seccomp stop
 * skips the call, and any other number changes it (the kernel runs the
 * filters again on the new call). Arguments are x0..x5, the number's register
 * x8 is only what the program loaded: the kernel copied it at entry and never
 * reads it again, so jail neither trusts nor writes it.
 *
 * x0 holds both the first argument and the result, and ptrace shows no
 * `orig_x0`: {@linkcode Registers.arg}(0) answers from a copy taken at
 * {@linkcode Registers.read} (or set by `setArg`), so the first argument
 * stays readable after `setResult` within one stop.
 *
 * @module
 */

import { addressOf } from "../../ffi/libc.ts";
import { NT_ARM_SYSTEM_CALL, NT_PRSTATUS, PTRACE } from "../../kernel/ptrace.ts";
import { ptraceRegset } from "../../ffi/ptrace.ts";
import { ABIS, AUDIT_ARCH_AARCH64 } from "../../kernel/abi.ts";
import type { SyscallRegisters } from "./registers.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";

/** AUDIT_ARCH_AARCH64, as seen in `seccomp_data.arch`. */
export const AUDIT_ARCH = AUDIT_ARCH_AARCH64;

/** Index of each register in `struct user_pt_regs` (34 × u64). */
export const REG = {
  x0: 0,
  x8: 8,
  x30: 30,
  sp: 31,
  pc: 32,
  pstate: 33,
} as const;

/** Size in bytes of `struct user_pt_regs`. */
export const REGS_SIZE = 34 * 8;

/** Bytes kept free below the stack pointer when jail writes a string there. */
export const RED_ZONE = ABIS.aarch64.redZone;

/** EIO: what {@linkcode Registers.read} answers for a register set that is not AArch64's. */
const EIO = ERRNO_NUMBERS.EIO;

/** Byte offset of the syscall number's int in the backing store, after the registers. */
const NR_OFFSET = REGS_SIZE;
/** Byte offset of the two `struct iovec`s (registers, number) in the backing store. */
const IOV_OFFSET = REGS_SIZE + 8;
const STORE_SIZE = IOV_OFFSET + 32;

/** A reusable register set for PTRACE_GETREGSET / PTRACE_SETREGSET. */
export class Registers implements SyscallRegisters {
  // One explicit ArrayBuffer: its memory stays put, so the iovecs can hold its address.
  readonly #store = new ArrayBuffer(STORE_SIZE);
  /** The raw `user_pt_regs` buffer handed to ptrace. */
  readonly buffer: Uint8Array<ArrayBuffer> = new Uint8Array(this.#store, 0, REGS_SIZE);
  #i32 = new Int32Array(this.#store, 0, REGS_SIZE / 4);
  #u64 = new BigUint64Array(this.#store, 0, REGS_SIZE / 8);
  #nr = new Int32Array(this.#store, NR_OFFSET, 1);
  #iov = new BigUint64Array(this.#store, IOV_OFFSET, 4);
  /** `[regs iovec, number iovec]` as the byte views ptrace takes. */
  #regsIov = new Uint8Array(this.#store, IOV_OFFSET, 16);
  #nrIov = new Uint8Array(this.#store, IOV_OFFSET + 16, 16);
  /** x0 as the call saw it: the first argument, whatever the result set since. */
  #arg0 = 0n;
  #arg0Set = false;
  /** The number changed since the last read: write it back. */
  #nrDirty = false;

  constructor() {
    this.#iov[0] = addressOf(this.buffer);
    this.#iov[2] = addressOf(new Uint8Array(this.#store, NR_OFFSET, 4));
  }

  /** Syscall number (`pt_regs.syscallno`); -1 once skipped. */
  get nr(): number {
    return this.#nr[0];
  }

  /** Argument `i` (0..5) as an unsigned 64-bit value. */
  arg(i: number): bigint {
    if (i === 0 && this.#arg0Set) return this.#arg0;
    return this.#u64[i];
  }

  /** Low 32 bits of argument `i`, as a signed int (what C `int` parameters see). */
  argInt(i: number): number {
    if (i === 0 && this.#arg0Set) return Number(BigInt.asIntN(32, this.#arg0));
    return this.#i32[i * 2];
  }

  /** Sets argument `i`; a negative value is stored in two's complement. */
  setArg(i: number, value: bigint | number): void {
    this.#u64[i] = typeof value === "bigint" ? value : BigInt(value);
    if (i === 0) {
      this.#arg0 = this.#u64[0];
      this.#arg0Set = true;
    }
  }

  /** Return value (x0) as a signed 64-bit number. */
  get result(): bigint {
    return BigInt.asIntN(64, this.#u64[REG.x0]);
  }

  /** Sets x0, e.g. `-errno` or a faked result; `arg(0)` keeps the argument. */
  setResult(value: bigint | number): void {
    if (!this.#arg0Set) {
      this.#arg0 = this.#u64[REG.x0];
      this.#arg0Set = true;
    }
    if (typeof value === "number" && (value | 0) === value) {
      this.#i32[REG.x0 * 2] = value;
      this.#i32[REG.x0 * 2 + 1] = value >> 31;
    } else {
      this.#u64[REG.x0] = typeof value === "bigint" ? value : BigInt(value);
    }
  }

  /** Makes the kernel skip the syscall at a seccomp stop (NT_ARM_SYSTEM_CALL = -1). */
  skipSyscall(): void {
    this.setNr(-1);
  }

  /** Changes the call the kernel makes at a seccomp stop (NT_ARM_SYSTEM_CALL). */
  setNr(nr: number): void {
    this.#nr[0] = nr;
    this.#nrDirty = true;
  }

  /**
   * Sets up an interrupted thread to make syscall `nr` (x8) with `args`
   * (x0..x5) from the `svc` at `ip`; `syscallno` -1, as outside any call.
   */
  setSyscall(ip: bigint, nr: number, args: readonly (bigint | number)[]): void {
    this.skipSyscall();
    for (let i = 0; i < 6; i++) {
      const v = args[i] ?? 0;
      this.#u64[i] = typeof v === "bigint" ? v : BigInt(v);
    }
    this.#arg0Set = false;
    this.#u64[REG.x8] = BigInt(nr);
    this.#u64[REG.pc] = ip;
  }

  /** Stack pointer. */
  get sp(): bigint {
    return this.#u64[REG.sp];
  }

  /** Instruction pointer (pc): the instruction after `svc`, at a syscall stop. */
  get ip(): bigint {
    return this.#u64[REG.pc];
  }

  /**
   * GETREGSET of NT_PRSTATUS and NT_ARM_SYSTEM_CALL. 0 or `-errno`; `-EIO`
   * when the thread runs in AArch32 state (the kernel then hands out the
   * 18-register compat set, shorter than `user_pt_regs`): jail's filter kills
   * such a task at its first syscall, and nothing of it is read or written.
   */
  read(tid: number): number {
    this.#arg0Set = false;
    this.#nrDirty = false;
    this.#iov[1] = BigInt(REGS_SIZE);
    const rc = ptraceRegset(PTRACE.GETREGSET, tid, NT_PRSTATUS, this.#regsIov);
    if (rc !== 0) return rc;
    // The kernel shortens iov_len to the size of the set it wrote.
    if (this.#iov[1] !== BigInt(REGS_SIZE)) return -EIO;
    this.#iov[3] = 4n;
    return ptraceRegset(PTRACE.GETREGSET, tid, NT_ARM_SYSTEM_CALL, this.#nrIov);
  }

  /**
   * SETREGSET of NT_PRSTATUS, then of NT_ARM_SYSTEM_CALL when the number
   * changed (skip or new call). 0 or `-errno`.
   */
  write(tid: number): number {
    this.#iov[1] = BigInt(REGS_SIZE);
    const rc = ptraceRegset(PTRACE.SETREGSET, tid, NT_PRSTATUS, this.#regsIov);
    if (rc !== 0 || !this.#nrDirty) return rc;
    this.#iov[3] = 4n;
    const nrc = ptraceRegset(PTRACE.SETREGSET, tid, NT_ARM_SYSTEM_CALL, this.#nrIov);
    if (nrc === 0) this.#nrDirty = false;
    return nrc;
  }
}
