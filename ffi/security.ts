/**
 * Bindings for the exec stage's kernel walls: seccomp with flags (the
 * listener) and capabilities (`capget`/`capset`, the bounding and ambient
 * sets). Raw syscalls through libc's `syscall()`, bound on first use.
 *
 * @module
 */

import { addressOf, errno, ErrnoError, lazySymbols } from "./libc.ts";
import { hostNr } from "../src/arch/host_syscalls.ts";

const SYMBOLS = {
  // long syscall(SYS_seccomp, unsigned op, unsigned flags, void *args)
  seccomp: { name: "syscall", parameters: ["i64", "u32", "u32", "buffer"], result: "i64" },
  // long syscall(SYS_capget / SYS_capset, cap_user_header_t hdr, cap_user_data_t data)
  capcall: { name: "syscall", parameters: ["i64", "buffer", "buffer"], result: "i64" },
  // int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** Binds every symbol of this module now (see `bindNow` in ffi/libc.ts): for the exec stage's idle wait. */
export function bindSecurityNow(): void {
  for (const name of Object.keys(SYMBOLS) as (keyof typeof SYMBOLS)[]) void sym[name];
}

const SYS_CAPGET = hostNr("capget");
const SYS_CAPSET = hostNr("capset");
const SYS_SECCOMP = hostNr("seccomp");
const SECCOMP_SET_MODE_FILTER = 1;
/** Returns a listener descriptor (close-on-exec) for the filter's USER_NOTIF results. */
const SECCOMP_FILTER_FLAG_NEW_LISTENER = 1 << 3;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const PR_CAPBSET_READ = 23;
const PR_CAPBSET_DROP = 24;
const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_CLEAR_ALL = 4;
/** The highest capability number this kernel knows when /proc cannot say (Linux 5.9+). */
const CAP_LAST_FALLBACK = 40;
/** Capability numbers fit in the two 32-bit words of `_LINUX_CAPABILITY_VERSION_3`. */
const CAP_WORDS = 2;

/** The capability CAP_SETPCAP: needed to drop from the bounding set. */
export const CAP_SETPCAP = 8;

function seccomp(flags: number, program: Uint8Array): number {
  const fprog = new BigUint64Array(2);
  fprog[0] = BigInt(program.length / 8);
  fprog[1] = addressOf(program);
  const rc = Number(
    sym.seccomp(
      SYS_SECCOMP,
      SECCOMP_SET_MODE_FILTER,
      flags,
      fprog as unknown as Uint8Array<ArrayBuffer>,
    ),
  );
  if (rc < 0) throw new ErrnoError("seccomp(SECCOMP_SET_MODE_FILTER)", errno());
  return rc;
}

/**
 * Installs a seccomp filter on the calling thread with
 * `SECCOMP_FILTER_FLAG_NEW_LISTENER`. A filter chain holds at most one
 * listener while that listener's file is open: a later `NEW_LISTENER` in the
 * chain (by anything the thread runs) fails with EBUSY. Needs
 * `PR_SET_NO_NEW_PRIVS` first.
 *
 * @param program packed `struct sock_filter` array.
 * @returns The listener's descriptor, close-on-exec.
 * @throws {ErrnoError} EBUSY when the chain already has a listener; EINVAL before Linux 5.0.
 */
export function installListenerFilter(program: Uint8Array): number {
  return seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER, program);
}

/** The highest capability number of the running kernel. */
export function lastCapability(): number {
  try {
    const n = Number.parseInt(Deno.readTextFileSync("/proc/sys/kernel/cap_last_cap"), 10);
    if (Number.isInteger(n) && n >= 0 && n < CAP_WORDS * 32) return n;
  } catch {
    // No /proc: probe the bounding set below.
  }
  let last = -1;
  while (
    last + 1 < CAP_WORDS * 32 && sym.prctl(PR_CAPBSET_READ, BigInt(last + 1), 0n, 0n, 0n) >= 0
  ) {
    last++;
  }
  return last >= 0 ? last : CAP_LAST_FALLBACK;
}

/** A process's three capability sets, as 64-bit masks. */
export interface CapabilitySets {
  /** Effective. */
  effective: bigint;
  /** Permitted. */
  permitted: bigint;
  /** Inheritable. */
  inheritable: bigint;
}

function capHeader(tid = 0): Uint32Array<ArrayBuffer> {
  return new Uint32Array([LINUX_CAPABILITY_VERSION_3, tid /* 0: this thread */]);
}

/**
 * capget(2) of the calling thread, or of thread `tid`.
 *
 * @throws {ErrnoError}
 */
export function capGet(tid = 0): CapabilitySets {
  // struct __user_cap_data_struct { __u32 effective, permitted, inheritable; } [2]
  const data = new Uint32Array(3 * CAP_WORDS);
  if (Number(sym.capcall(SYS_CAPGET, capHeader(tid), data)) < 0) {
    throw new ErrnoError("capget", errno());
  }
  const join = (i: number) => BigInt(data[i]) | (BigInt(data[i + 3]) << 32n);
  return { effective: join(0), permitted: join(1), inheritable: join(2) };
}

/** capset(2) of the calling thread. @throws {ErrnoError} */
export function capSet(sets: CapabilitySets): void {
  const data = new Uint32Array(3 * CAP_WORDS);
  const split = (i: number, v: bigint) => {
    data[i] = Number(v & 0xffffffffn);
    data[i + 3] = Number((v >> 32n) & 0xffffffffn);
  };
  split(0, sets.effective);
  split(1, sets.permitted);
  split(2, sets.inheritable);
  if (Number(sym.capcall(SYS_CAPSET, capHeader(), data)) < 0) {
    throw new ErrnoError("capset", errno());
  }
}

/** `prctl(PR_CAPBSET_DROP, cap)`: needs CAP_SETPCAP. @throws {ErrnoError} */
export function dropBounding(cap: number): void {
  if (sym.prctl(PR_CAPBSET_DROP, BigInt(cap), 0n, 0n, 0n) !== 0) {
    throw new ErrnoError(`prctl(PR_CAPBSET_DROP, ${cap})`, errno());
  }
}

/** `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)`: needs no privilege. @throws {ErrnoError} */
export function clearAmbient(): void {
  if (sym.prctl(PR_CAP_AMBIENT, BigInt(PR_CAP_AMBIENT_CLEAR_ALL), 0n, 0n, 0n) !== 0) {
    throw new ErrnoError("prctl(PR_CAP_AMBIENT_CLEAR_ALL)", errno());
  }
}
