/**
 * ptrace(2) requests, options and stop events, and the ELF note types that
 * name register sets (`PTRACE_GETREGSET`), as the kernel's uapi headers
 * define them. The same on x86_64 and aarch64 except where noted.
 *
 * @module
 */

/** ptrace requests (linux/ptrace.h; GETREGS/SETREGS: asm/ptrace-abi.h, x86_64 only). */
export const PTRACE = {
  /** PTRACE_CONT: resume, with a signal to deliver (0: none). */
  CONT: 7,
  /** PTRACE_KILL. */
  KILL: 8,
  /** PTRACE_SINGLESTEP. */
  SINGLESTEP: 9,
  /** PTRACE_GETREGS (x86_64). */
  GETREGS: 12,
  /** PTRACE_SETREGS (x86_64). */
  SETREGS: 13,
  /** PTRACE_SYSCALL: resume until the next syscall entry or exit. */
  SYSCALL: 24,
  /** PTRACE_SETOPTIONS. */
  SETOPTIONS: 0x4200,
  /** PTRACE_GETEVENTMSG. */
  GETEVENTMSG: 0x4201,
  /** PTRACE_GETSIGINFO. */
  GETSIGINFO: 0x4202,
  /** PTRACE_GETREGSET. */
  GETREGSET: 0x4204,
  /** PTRACE_SETREGSET. */
  SETREGSET: 0x4205,
  /** PTRACE_SEIZE. */
  SEIZE: 0x4206,
  /** PTRACE_INTERRUPT. */
  INTERRUPT: 0x4207,
  /** PTRACE_LISTEN. */
  LISTEN: 0x4208,
} as const;

/** PTRACE_O_* options (linux/ptrace.h). */
export const PTRACE_O = {
  /** PTRACE_O_TRACESYSGOOD: syscall stops report SIGTRAP | 0x80. */
  TRACESYSGOOD: 1,
  /** PTRACE_O_TRACEFORK. */
  TRACEFORK: 1 << 1,
  /** PTRACE_O_TRACEVFORK. */
  TRACEVFORK: 1 << 2,
  /** PTRACE_O_TRACECLONE. */
  TRACECLONE: 1 << 3,
  /** PTRACE_O_TRACEEXEC. */
  TRACEEXEC: 1 << 4,
  /** PTRACE_O_TRACEVFORKDONE. */
  TRACEVFORKDONE: 1 << 5,
  /** PTRACE_O_TRACEEXIT. */
  TRACEEXIT: 1 << 6,
  /** PTRACE_O_TRACESECCOMP: SECCOMP_RET_TRACE stops the tracee. */
  TRACESECCOMP: 1 << 7,
  /** PTRACE_O_EXITKILL: the tracees are killed when the tracer exits. */
  EXITKILL: 1 << 20,
} as const;

/** PTRACE_EVENT_* numbers as they appear in a wait status's `status >> 16` (linux/ptrace.h). */
export const PTRACE_EVENT = {
  /** PTRACE_EVENT_FORK. */
  FORK: 1,
  /** PTRACE_EVENT_VFORK. */
  VFORK: 2,
  /** PTRACE_EVENT_CLONE. */
  CLONE: 3,
  /** PTRACE_EVENT_EXEC. */
  EXEC: 4,
  /** PTRACE_EVENT_VFORK_DONE. */
  VFORK_DONE: 5,
  /** PTRACE_EVENT_EXIT. */
  EXIT: 6,
  /** PTRACE_EVENT_SECCOMP. */
  SECCOMP: 7,
  /** PTRACE_EVENT_STOP: a seized tracee's group-stop, interrupt or first stop. */
  STOP: 128,
} as const;

/** `NT_PRSTATUS`: the general registers (linux/elf.h). */
export const NT_PRSTATUS = 1n;
/** `NT_ARM_SYSTEM_CALL`: the syscall number of the stopped call, arm64 (linux/elf.h). */
export const NT_ARM_SYSTEM_CALL = 0x404n;
