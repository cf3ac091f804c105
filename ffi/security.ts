/**
 * Capability bindings (`capget`/`capset`, the bounding set) and the
 * constants and buffers the launch needs to reduce the command's
 * capabilities in its process. Raw syscalls through libc's `syscall()`,
 * bound on first use.
 *
 * @module
 */

import { ErrnoError, sys } from "./libc.ts";
import { CAP_LAST_FALLBACK, CAP_WORDS, LINUX_CAPABILITY_VERSION_3 } from "../kernel/capability.ts";
import { PR } from "../kernel/prctl.ts";

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
    last + 1 < CAP_WORDS * 32 && sys("prctl", PR.CAPBSET_READ, last + 1) >= 0
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
  const rc = sys("capget", capHeader(tid), data);
  if (rc < 0) throw new ErrnoError("capget", -rc);
  const join = (i: number) => BigInt(data[i]) | (BigInt(data[i + 3]) << 32n);
  return { effective: join(0), permitted: join(1), inheritable: join(2) };
}

/** capset(2) of the calling thread. @throws {ErrnoError} */
export function capSet(sets: CapabilitySets): void {
  const { header, data } = capsetBuffers(sets);
  const rc = sys("capset", header, data);
  if (rc < 0) throw new ErrnoError("capset", -rc);
}

/** True when capability `cap` is in this thread's bounding set. */
export function inBounding(cap: number): boolean {
  return sys("prctl", PR.CAPBSET_READ, cap) === 1;
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
