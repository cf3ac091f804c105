/**
 * The constants of each architecture's user ABI that jail depends on beyond
 * syscall numbers: the `seccomp_data.arch` value, open(2) flag bits that
 * differ, the `struct stat` layout, the stack's red zone, the syscall
 * instruction. Plain data without imports, so `ffi/` modules can use it.
 *
 * @module
 */

/** An architecture jail runs on: the values `Deno.build.arch` takes on Linux. */
export type ArchName = "x86_64" | "aarch64";

/** The open(2) flags whose bits differ between the architectures. */
export interface ArchOpenFlags {
  /** O_DIRECT. */
  readonly DIRECT: number;
  /** O_LARGEFILE: forced on by the kernel for 64-bit callers, so it changes nothing there. */
  readonly LARGEFILE: number;
  /** O_DIRECTORY (part of O_TMPFILE). */
  readonly DIRECTORY: number;
  /** O_NOFOLLOW. */
  readonly NOFOLLOW: number;
}

/** One architecture's ABI constants. */
export interface ArchAbi {
  /** The architecture. */
  readonly name: ArchName;
  /** AUDIT_ARCH_* of its native 64-bit ABI, as `seccomp_data.arch` holds it. */
  readonly auditArch: number;
  /** open(2) flags that differ between architectures. */
  readonly open: ArchOpenFlags;
  /** Byte offset of `st_mode` in `struct stat`. */
  readonly statModeOffset: number;
  /** Size of `struct stat`. */
  readonly statSize: number;
  /** Bytes below the stack pointer that the interrupted code may still use. */
  readonly redZone: number;
  /** The machine code of the syscall instruction. */
  readonly syscallInstruction: readonly number[];
  /**
   * After a seccomp trace stop the kernel runs the filters again on the call
   * as the tracer left it. True where that re-check reads argument 0 from the
   * registers ptrace writes (x86_64); false on arm64, where it reads the
   * saved `orig_x0`, which no register set ptrace offers can change.
   */
  readonly recheckSeesArg0: boolean;
}

/** AUDIT_ARCH_X86_64: EM_X86_64 (62) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
/** AUDIT_ARCH_AARCH64: EM_AARCH64 (183) | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
/** AUDIT_ARCH_I386: `int 0x80` from an x86_64 process. */
export const AUDIT_ARCH_I386 = 0x40000003;
/** AUDIT_ARCH_ARM: a 32-bit (AArch32, compat) task under an arm64 kernel. */
export const AUDIT_ARCH_ARM = 0x40000028;

/** The ABI constants of each architecture, from the kernel's uapi headers. */
export const ABIS: Readonly<Record<ArchName, ArchAbi>> = {
  x86_64: {
    name: "x86_64",
    auditArch: AUDIT_ARCH_X86_64,
    // asm-generic/fcntl.h.
    open: { DIRECT: 0o40000, LARGEFILE: 0o100000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000 },
    // arch/x86/include/uapi/asm/stat.h: st_dev, st_ino, st_nlink (u64), then st_mode.
    statModeOffset: 24,
    statSize: 144,
    // The System V ABI lets a leaf function use 128 bytes below %rsp.
    redZone: 128,
    syscallInstruction: [0x0f, 0x05], // syscall
    recheckSeesArg0: true,
  },
  aarch64: {
    name: "aarch64",
    auditArch: AUDIT_ARCH_AARCH64,
    // arch/arm64/include/uapi/asm/fcntl.h swaps these four against the generic values (AArch32's).
    open: { DIRECTORY: 0o40000, NOFOLLOW: 0o100000, DIRECT: 0o200000, LARGEFILE: 0o400000 },
    // asm-generic/stat.h: st_dev, st_ino (u64), then st_mode (u32), st_nlink (u32).
    statModeOffset: 16,
    statSize: 128,
    // AAPCS64 has no red zone; 128 bytes are kept anyway, as on x86_64, against signal-frame
    // or stack-probe code that a compiler might still place below sp.
    redZone: 128,
    syscallInstruction: [0x01, 0x00, 0x00, 0xd4], // svc #0, little-endian
    recheckSeesArg0: false,
  },
};

/**
 * The ABI of `Deno.build.arch`.
 *
 * @throws {Error} On an architecture jail does not support.
 */
export function abiOf(arch: string): ArchAbi {
  if (arch === "x86_64" || arch === "aarch64") return ABIS[arch];
  throw new Error(`unsupported architecture: ${arch} (jail runs on x86_64 and aarch64)`);
}

/** This machine's ABI. */
export const HOST_ABI: ArchAbi = abiOf(Deno.build.arch);
