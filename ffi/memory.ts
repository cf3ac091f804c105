/**
 * A tracee's memory: process_vm_readv and process_vm_writev, made at stops
 * that read a path or a socket address. {@linkcode SysResult} returns, and
 * the iovecs are reused: nothing is allocated per call.
 *
 * @module
 */

import { addressOf, bindSymbols, errno, lazySymbols, type SysResult } from "./libc.ts";

const VM_CALL = {
  parameters: ["i32", "buffer", "u64", "buffer", "u64", "u64"],
  result: "isize",
} as const;

const SYMBOLS = {
  // ssize_t process_vm_readv(pid_t pid, const struct iovec *local, unsigned long liovcnt,
  //                          const struct iovec *remote, unsigned long riovcnt, unsigned long flags)
  process_vm_readv: VM_CALL,
  // ssize_t process_vm_writev(...): same shape as process_vm_readv
  process_vm_writev: VM_CALL,
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** Binds process_vm_readv now (see {@linkcode bindSymbols}). */
export function bindMemoryReadNow(): void {
  bindSymbols(sym, ["process_vm_readv"]);
}

const localIov = new BigUint64Array(2);
const remoteIov = new BigUint64Array(2);

/** One iovec each side: `buf` here, `address` in the tracee. */
function setIovecs(address: bigint, buf: Uint8Array): void {
  localIov[0] = addressOf(buf);
  localIov[1] = BigInt(buf.length);
  remoteIov[0] = address;
  remoteIov[1] = BigInt(buf.length);
}

// Each wrapper calls its symbol directly: a call through a function-valued parameter would be
// one polymorphic call site, which keeps V8 from Deno's fast FFI path.

/**
 * Reads tracee memory into `buf`; returns bytes read or `-errno`. A short
 * read means the range crossed into unmapped memory.
 */
export function readMemory(pid: number, address: bigint, buf: Uint8Array): SysResult {
  setIovecs(address, buf);
  const rc = Number(sym.process_vm_readv(pid, localIov, 1n, remoteIov, 1n, 0n));
  return rc < 0 ? -errno() : rc;
}

/** Writes `buf` into tracee memory; returns bytes written or `-errno`. */
export function writeMemory(pid: number, address: bigint, buf: Uint8Array): SysResult {
  setIovecs(address, buf);
  const rc = Number(sym.process_vm_writev(pid, localIov, 1n, remoteIov, 1n, 0n));
  return rc < 0 ? -errno() : rc;
}
