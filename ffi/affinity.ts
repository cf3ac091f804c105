/**
 * CPU affinity: the launch runs the child on the supervisor thread's CPU
 * while it injects the child's syscalls, so that each of the hundred or so
 * stops is a switch on one CPU instead of two wake-ups across CPUs.
 *
 * @module
 */

import { bindSymbols, errno, ErrnoError, lazySymbols } from "./libc.ts";

const SYMBOLS = {
  // int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *mask)
  sched_getaffinity: { parameters: ["i32", "usize", "buffer"], result: "i32" },
  // int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *mask)
  sched_setaffinity: { parameters: ["i32", "usize", "buffer"], result: "i32" },
  // int sched_getcpu(void)
  sched_getcpu: { parameters: [], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** glibc's `cpu_set_t`: 1024 CPUs. */
const CPU_SET_BYTES = 128;

/** The CPUs `tid` may run on (0: the calling thread). @throws {ErrnoError} */
export function getAffinity(tid: number): Uint8Array {
  const mask = new Uint8Array(CPU_SET_BYTES);
  if (sym.sched_getaffinity(tid, BigInt(CPU_SET_BYTES), mask) !== 0) {
    throw new ErrnoError("sched_getaffinity", errno());
  }
  return mask;
}

/** Sets the CPUs `tid` may run on. @throws {ErrnoError} */
export function setAffinity(tid: number, mask: Uint8Array): void {
  if (sym.sched_setaffinity(tid, BigInt(mask.length), mask as Uint8Array<ArrayBuffer>) !== 0) {
    throw new ErrnoError("sched_setaffinity", errno());
  }
}

/** A mask of the one CPU the calling thread runs on now; undefined when unknown. */
export function currentCpuMask(): Uint8Array | undefined {
  const cpu = sym.sched_getcpu();
  if (cpu < 0 || cpu >= CPU_SET_BYTES * 8) return undefined;
  const mask = new Uint8Array(CPU_SET_BYTES);
  mask[cpu >> 3] = 1 << (cpu & 7);
  return mask;
}

/** Binds every symbol of this module now (see {@linkcode bindSymbols}). */
export function bindAffinityNow(): void {
  bindSymbols(sym);
}
