/**
 * Creating the jailed command's process without a second program: glibc's
 * `clone(fn, stack, flags, arg)` without `CLONE_VM`, a fork-like copy of this
 * process whose only code is `fn`, here libc's `pause`. Every buffer jail
 * prepared sits at the same address in the copy, so the supervisor can make
 * the child's syscalls by ptrace with pointers into them (src/launch/inject.ts).
 * Addresses of libc's own code come from `dlsym`.
 *
 * @module
 */

import { addressOf, bindSymbols, errno, ErrnoError, lazySymbols } from "./libc.ts";
import { CLONE } from "../kernel/clone.ts";
import { LIBC_SIGSET_BYTES, SIG, SIGNALS } from "../kernel/signals.ts";

const SYMBOLS = {
  // int clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *parent_tid, ...)
  // Variadic, but glibc's clone is assembly that reads its registers as they are.
  clone: { parameters: ["pointer", "pointer", "i32", "pointer", "buffer"], result: "i32" },
  // void *dlsym(void *handle, const char *symbol)
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
  // int pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
  pthread_sigmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/**
 * The address of `name` in this process (libc's and the loaded libraries'
 * exports), as `dlsym(RTLD_DEFAULT, name)`.
 *
 * @throws {Error} When the symbol is not found.
 */
export function symbolAddress(name: string): bigint {
  const cname = new TextEncoder().encode(`${name}\0`);
  const p = sym.dlsym(null, cname);
  if (p === null) throw new Error(`dlsym(${name}) found nothing`);
  return BigInt(Deno.UnsafePointer.value(p));
}

/** `length` bytes of this process's own memory at `address` (its code, for instance). */
export function ownMemory(address: bigint, length: number): Uint8Array {
  const p = Deno.UnsafePointer.create(address);
  if (p === null) throw new Error("ownMemory: NULL address");
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, length)).slice();
}

/** A child created by {@linkcode cloneIntoPause}. */
export interface PausedChild {
  /** Its pid. */
  pid: number;
  /** A pidfd of it (close-on-exec). */
  pidfd: number;
}

/**
 * Creates a child, copy of this process, that runs libc's `pause()` on
 * `stack` with every signal blocked: no handler of this process (Deno's) can
 * run in it, and it waits for the tracer. The calling thread's signal mask is
 * blocked around the clone (the child inherits it) and restored after.
 *
 * @param stack The child's stack buffer; kept alive by the caller until the child exec'd.
 * @throws {ErrnoError} When clone fails.
 */
export function cloneIntoPause(stack: Uint8Array): PausedChild {
  const pause = Deno.UnsafePointer.create(symbolAddress("pause"));
  // The stack grows down from its end, 16-byte aligned as the ABI wants at a call.
  const top = Deno.UnsafePointer.create((addressOf(stack) + BigInt(stack.length)) & ~15n);
  const all = new Uint8Array(LIBC_SIGSET_BYTES).fill(0xff);
  const old = new Uint8Array(LIBC_SIGSET_BYTES);
  const pidfd = new Int32Array(1);
  if (sym.pthread_sigmask(SIG.SETMASK, all, old) !== 0) {
    throw new ErrnoError("pthread_sigmask", errno());
  }
  let pid: number;
  let cloneErrno = 0;
  try {
    // SIGCHLD: the exit signal of a child like any fork's; CLONE_PIDFD: its pidfd in `pidfd`.
    pid = sym.clone(pause, top, SIGNALS.SIGCHLD | CLONE.PIDFD, null, pidfd);
    if (pid < 0) cloneErrno = errno();
  } finally {
    sym.pthread_sigmask(SIG.SETMASK, old, null as unknown as Uint8Array<ArrayBuffer>);
  }
  if (pid < 0) throw new ErrnoError("clone", cloneErrno);
  return { pid, pidfd: pidfd[0] };
}

/** Binds every symbol of this module now (see {@linkcode bindSymbols}). */
export function bindCloneNow(): void {
  bindSymbols(sym);
}
