/**
 * Creating the jailed command's process without a second program: glibc's
 * `clone(fn, stack, flags, arg)` without `CLONE_VM`, a fork-like copy of this
 * process whose only code is `fn`, here libc's `pause`. Every buffer jail
 * prepared sits at the same address in the copy, so the supervisor can make
 * the child's syscalls by ptrace with pointers into them (src/launch/inject.ts).
 * Addresses of libc's own code are its symbols read as statics (an address
 * each, with no call binding to make).
 *
 * @module
 */

import { addressOf, bindSymbols, errno, ErrnoError, lazySymbols } from "./libc.ts";
import { setThreadSignalMask, signalSet } from "./signal_mask.ts";
import { CLONE } from "../kernel/clone.ts";
import { KERNEL_SIGSET_BYTES, SIG, SIGNALS } from "../kernel/signals.ts";

const SYMBOLS = {
  // int clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *parent_tid, ...)
  // Variadic, but glibc's clone is assembly that reads its registers as they are.
  clone: { parameters: ["pointer", "pointer", "i32", "pointer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/**
 * The address of libc's `name` in this process. A symbol opened as a static of
 * type "pointer" is its address, and needs no call trampoline (about 0.02 ms
 * against 0.25 ms for a binding of `dlsym`, measured).
 *
 * @throws {Error} When libc has no such symbol.
 */
export function symbolAddress(name: string): bigint {
  let address = addresses.get(name);
  if (address === undefined) {
    const lib = Deno.dlopen("libc.so.6", { [name]: { type: "pointer" } });
    const p = lib.symbols[name] as Deno.PointerValue;
    if (p === null) throw new Error(`libc's ${name} is at NULL`);
    addresses.set(name, address = BigInt(Deno.UnsafePointer.value(p)));
  }
  return address;
}

/** Addresses already read, one library handle each (a run reads `pause` and `abs`). */
const addresses = new Map<string, bigint>();

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
  const old = new Uint8Array(KERNEL_SIGSET_BYTES);
  const pidfd = new Int32Array(1);
  const masked = setThreadSignalMask(SIG.SETMASK, signalSet("all"), old);
  if (masked < 0) throw new ErrnoError("rt_sigprocmask", -masked);
  let pid: number;
  let cloneErrno = 0;
  try {
    // SIGCHLD: the exit signal of a child like any fork's; CLONE_PIDFD: its pidfd in `pidfd`.
    pid = sym.clone(pause, top, SIGNALS.SIGCHLD | CLONE.PIDFD, null, pidfd);
    if (pid < 0) cloneErrno = errno();
  } finally {
    setThreadSignalMask(SIG.SETMASK, old, null);
  }
  if (pid < 0) throw new ErrnoError("clone", cloneErrno);
  return { pid, pidfd: pidfd[0] };
}

/** Binds every symbol of this module now (see {@linkcode bindSymbols}). */
export function bindCloneNow(): void {
  bindSymbols(sym);
}
