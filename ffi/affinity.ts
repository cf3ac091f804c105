/**
 * CPU affinity: the launch runs the child on the supervisor thread's CPU
 * while it injects the child's syscalls, so that each of the hundred or so
 * stops is a switch on one CPU instead of two wake-ups across CPUs.
 *
 * @module
 */

import { ErrnoError, sys } from "./libc.ts";

/** glibc's `cpu_set_t`: 1024 CPUs. */
const CPU_SET_BYTES = 128;

/** The CPUs `tid` may run on (0: the calling thread). @throws {ErrnoError} */
export function getAffinity(tid: number): Uint8Array {
  const mask = new Uint8Array(CPU_SET_BYTES);
  // The raw call returns the size it wrote, where glibc's wrapper returns 0.
  const rc = sys("sched_getaffinity", tid, CPU_SET_BYTES, mask);
  if (rc < 0) throw new ErrnoError("sched_getaffinity", -rc);
  return mask;
}

/** Sets the CPUs `tid` may run on. @throws {ErrnoError} */
export function setAffinity(tid: number, mask: Uint8Array): void {
  const rc = sys("sched_setaffinity", tid, mask.length, mask);
  if (rc < 0) throw new ErrnoError("sched_setaffinity", -rc);
}

/** A mask of the one CPU the calling thread runs on now; undefined when unknown. */
export function currentCpuMask(): Uint8Array | undefined {
  const got = new Uint32Array(1);
  if (sys("getcpu", got, null, null) < 0) return undefined;
  const cpu = got[0];
  if (cpu >= CPU_SET_BYTES * 8) return undefined;
  const mask = new Uint8Array(CPU_SET_BYTES);
  mask[cpu >> 3] = 1 << (cpu & 7);
  return mask;
}
