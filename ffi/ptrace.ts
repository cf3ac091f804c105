/**
 * ptrace(2) and waitpid(2): the calls of the supervisor's loop, made at
 * every stop. They return {@linkcode SysResult}s (`-errno` on failure) and
 * allocate nothing: ESRCH from a tracee that died is an expected answer here,
 * not an exception. The request numbers are in `kernel/ptrace.ts`.
 *
 * @module
 */

import { addressOf, bindSymbols, errno, lazySymbols, sys, type SysResult } from "./libc.ts";
import { PTRACE } from "../kernel/ptrace.ts";

const SYMBOLS = {
  // long ptrace(enum __ptrace_request req, pid_t pid, void *addr, void *data)
  // Bound once, data as an integer: a signal, options, or a buffer's address (registers, event
  // message, siginfo), read once per buffer (bufferAddress). A second binding for buffers cost
  // about 0.25 ms of every start.
  ptrace: { name: "ptrace", parameters: ["i32", "i32", "u64", "u64"], result: "i32" },
  // pid_t waitpid(pid_t pid, int *status, int options)
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** BigInts for signal numbers and small values: no allocation per request. */
const SMALL = Array.from({ length: 65 }, (_, i) => BigInt(i));

/** ptrace with an integer `data` (signal to inject, options). 0 or `-errno`. */
export function ptrace(request: number, tid: number, addr: number, data: number): SysResult {
  // BigInt arguments keep the call on Deno's fast FFI path (a number for a u64 parameter takes
  // the slow one, about 170 ns more); the common values come from a table, allocating nothing.
  const a = addr === 0 ? 0n : BigInt(addr);
  const d = data >= 0 && data < SMALL.length ? SMALL[data] : BigInt(data);
  if (sym.ptrace(request, tid, a, d) === 0) return 0;
  return -errno();
}

/**
 * PTRACE_CONT with signal `sig` (0: none): the request that ends almost every
 * stop, without the generic wrapper's conversions. 0 or `-errno`.
 */
export function ptraceCont(tid: number, sig: number): SysResult {
  if (sym.ptrace(PTRACE.CONT, tid, 0n, sig === 0 ? 0n : SMALL[sig] ?? BigInt(sig)) === 0) return 0;
  return -errno();
}

/**
 * The address of each buffer handed to ptrace, taken once: the requests of every stop reuse the
 * same few buffers. Taking an address moves a small array's bytes out of the JS heap for good,
 * and a buffer's bytes stay where they are while it lives.
 */
const addresses = new WeakMap<BufferSource, bigint>();

function bufferAddress(buf: BufferSource): bigint {
  let at = addresses.get(buf);
  if (at === undefined) addresses.set(buf, at = addressOf(buf as Uint8Array));
  return at;
}

/** ptrace with a buffer as `data` (registers, event message, siginfo). 0 or `-errno`. */
export function ptraceBuffer(request: number, tid: number, buf: BufferSource): SysResult {
  if (sym.ptrace(request, tid, 0n, bufferAddress(buf)) === 0) return 0;
  return -errno();
}

/**
 * PTRACE_GETREGSET or PTRACE_SETREGSET: `nt` names the register set (NT_*),
 * `iov` is a `struct iovec` pointing at its buffer. 0 or `-errno`.
 */
export function ptraceRegset(
  request: number,
  tid: number,
  nt: bigint,
  iov: BufferSource,
): SysResult {
  if (sym.ptrace(request, tid, nt, bufferAddress(iov)) === 0) return 0;
  return -errno();
}

const statusBuf = new Int32Array(1);
const waitResult: [number, number] = [0, 0];

/**
 * waitpid; returns `[pid, status]` in a reused pair: pid 0 for WNOHANG with
 * nothing ready, or `-errno` (EINTR, ECHILD) as pid.
 */
export function waitpid(pid: number, options: number): [SysResult, number] {
  const rc = sym.waitpid(pid, statusBuf, options);
  waitResult[0] = rc < 0 ? -errno() : rc;
  waitResult[1] = statusBuf[0];
  return waitResult;
}

/** Gives the CPU to another runnable thread of its run queue, if any. */
export function schedYield(): void {
  sys("sched_yield");
}

/** Binds every symbol of this module now (see {@linkcode bindSymbols}). */
export function bindPtraceNow(): void {
  bindSymbols(sym);
}
