/**
 * Capability bindings (`capget`/`capset`, the bounding set) and the
 * constants and buffers the launch needs to reduce the command's
 * capabilities in its process. Raw syscalls through libc's `syscall()`,
 * bound on first use.
 *
 * @module
 */

import { lazySymbols, orThrow } from "./libc.ts";
import { CAP_LAST_FALLBACK, CAP_WORDS, LINUX_CAPABILITY_VERSION_3 } from "../kernel/capability.ts";
import { PR } from "../kernel/prctl.ts";
import { hostNr } from "../kernel/host_syscalls.ts";

const SYMBOLS = {
  // long syscall(SYS_capget / SYS_capset, cap_user_header_t hdr, cap_user_data_t data)
  capcall: { name: "syscall", parameters: ["i64", "buffer", "buffer"], result: "i64" },
  // int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

const SYS_CAPGET = hostNr("capget");
const SYS_CAPSET = hostNr("capset");

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
    last + 1 < CAP_WORDS * 32 && sym.prctl(PR.CAPBSET_READ, BigInt(last + 1), 0n, 0n, 0n) >= 0
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
  orThrow("capget", sym.capcall(SYS_CAPGET, capHeader(tid), data));
  const join = (i: number) => BigInt(data[i]) | (BigInt(data[i + 3]) << 32n);
  return { effective: join(0), permitted: join(1), inheritable: join(2) };
}

/** capset(2) of the calling thread. @throws {ErrnoError} */
export function capSet(sets: CapabilitySets): void {
  const { header, data } = capsetBuffers(sets);
  orThrow(
    "capset",
    sym.capcall(SYS_CAPSET, header as Uint32Array<ArrayBuffer>, data as Uint32Array<ArrayBuffer>),
  );
}

/** True when capability `cap` is in this thread's bounding set. */
export function inBounding(cap: number): boolean {
  return sym.prctl(PR.CAPBSET_READ, BigInt(cap), 0n, 0n, 0n) === 1;
}

/**
 * The buffers `capset(2)` reads to set `sets`: a header for the calling
 * thread and the two-word data, for a call made elsewhere (the launch).
 */
export function capsetBuffers(sets: CapabilitySets): { header: Uint32Array; data: Uint32Array } {
  const data = new Uint32Array(3 * CAP_WORDS);
  const split = (i: number, v: bigint) => {
    data[i] = Number(v & 0xffffffffn);
    data[i + 3] = Number((v >> 32n) & 0xffffffffn);
  };
  split(0, sets.effective);
  split(1, sets.permitted);
  split(2, sets.inheritable);
  return { header: capHeader(), data };
}
