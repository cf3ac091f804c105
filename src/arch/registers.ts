/**
 * What the supervisor needs of a stopped thread's registers, the same on
 * every architecture: the call's number and arguments, its result, and the
 * ways to change them. Each architecture module (`x86_64.ts`, `aarch64.ts`)
 * implements it over its own register layout and ptrace requests.
 *
 * @module
 */

/**
 * A call's arguments, wherever they were read from: a stopped thread's
 * registers, or the `seccomp_data` of a seccomp notification (whose caller
 * has no registers jail can read or change).
 */
export interface SyscallArgs {
  /** Argument `i` (0..5) as an unsigned 64-bit value. */
  arg(i: number): bigint;
  /** Low 32 bits of argument `i`, as a signed int (what C `int` parameters see). */
  argInt(i: number): number;
}

/**
 * A reusable register set of one stopped thread. Load it with
 * {@linkcode SyscallRegisters.read} at a stop, change it, and write it back
 * with {@linkcode SyscallRegisters.write} before resuming.
 *
 * On aarch64 the first argument and the result share `x0`: arguments are read
 * at the seccomp stop, before a result is set; at a syscall-exit stop `arg(0)`
 * is the result. Code that needs an argument after the call captures it at
 * the entry.
 */
export interface SyscallRegisters extends SyscallArgs {
  /** The raw general-purpose register buffer handed to ptrace. */
  readonly buffer: Uint8Array<ArrayBuffer>;
  /** Syscall number; -1 once skipped. */
  readonly nr: number;
  /** Sets argument `i`; a negative value is stored in two's complement. */
  setArg(i: number, value: bigint | number): void;
  /** The return value register, as a signed 64-bit number. */
  readonly result: bigint;
  /** Sets the return value, e.g. `-errno` or a faked result. */
  setResult(value: bigint | number): void;
  /** Makes the kernel skip the syscall at a seccomp stop (number -1). */
  skipSyscall(): void;
  /**
   * Changes the call the kernel makes at a seccomp stop to `nr`, this
   * architecture's number; the kernel runs the filters again on the new call.
   */
  setNr(nr: number): void;
  /**
   * Sets up a stopped thread that is not inside a call (the launch's child,
   * interrupted) to make syscall `nr` with `args` from the syscall
   * instruction at `ip` (`syscallInstruction` in abi.ts) once resumed. Its
   * number register for the kernel stays -1, so that no restart fix-up of an
   * interrupted call (the child's `pause`) moves `ip` or changes the
   * registers.
   */
  setSyscall(ip: bigint, nr: number, args: readonly (bigint | number)[]): void;
  /** Stack pointer. */
  readonly sp: bigint;
  /** Instruction pointer: the instruction after the syscall instruction, at a syscall stop. */
  readonly ip: bigint;
  /**
   * Loads the registers of stopped thread `tid`.
   *
   * @returns 0, or `-errno` (ESRCH when the thread is gone).
   */
  read(tid: number): number;
  /**
   * Writes the registers back to stopped thread `tid`, the syscall number
   * included.
   *
   * @returns 0, or `-errno`.
   */
  write(tid: number): number;
}
