/**
 * Creating the jailed command's process without a second program: glibc's
 * `clone(fn, stack, flags, arg)`, whose only code is `fn`, here libc's
 * `syscall()` making one call that blocks. Every buffer jail prepared sits at
 * the same address in the child (its memory shared, or a fork-like copy), so
 * the supervisor can make the child's syscalls by ptrace with pointers into
 * them (src/launch/inject.ts).
 * Addresses of libc's own code are its symbols read as statics (an address
 * each, with no call binding to make).
 *
 * @module
 */

import { addressOf, errno, ErrnoError, lazySymbols, symbolAddress, sys } from "./libc.ts";
import { setThreadSignalMask, signalSet } from "./signal_mask.ts";
import { CLONE } from "../kernel/clone.ts";
import { KERNEL_SIGSET_BYTES, SIG, SIGNALS } from "../kernel/signals.ts";
import { SYSCALL_NUMBERS as AARCH64_NUMBERS } from "../kernel/aarch64_syscalls.ts";
import { SYSCALL_NUMBERS as X86_64_NUMBERS } from "../kernel/x86_64_syscalls.ts";

const SYMBOLS = {
  // int clone(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *parent_tid, void *tls,
  // pid_t *child_tid): variadic, but glibc's clone is assembly that reads its registers as they
  // are.
  clone: {
    parameters: ["pointer", "pointer", "i32", "pointer", "pointer", "pointer", "pointer"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** `length` bytes of this process's own memory at `address` (its code, for instance). */
export function ownMemory(address: bigint, length: number): Uint8Array {
  const p = Deno.UnsafePointer.create(address);
  if (p === null) throw new Error("ownMemory: NULL address");
  return new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(p, length)).slice();
}

/** A child created by {@linkcode cloneParked}. */
export interface ParkedChild {
  /** Its pid. */
  pid: number;
  /** A pidfd of it (close-on-exec). */
  pidfd: number;
}

/**
 * The blocking call the child makes as `syscall(nr)`: `pause` where the
 * architecture has one (x86_64, where `syscall()` hands the call whatever
 * the other registers hold, and `pause` reads none); arm64 has none, so
 * `ppoll`, whose arguments are then glibc clone's registers `x1..x4`: the
 * child's stack (no descriptor is read), `parent_tid`, `tls` and
 * `child_tid`, all NULL here: no descriptors, no timeout, no mask. Either
 * blocks until a signal handler runs, and every signal stays blocked.
 */
const PARKING_CALL = Deno.build.arch === "aarch64" ? AARCH64_NUMBERS.ppoll : X86_64_NUMBERS.pause;

/**
 * Creates a child that blocks in a syscall with every signal blocked,
 * waiting for the tracer: no handler of this process (Deno's) can run in it.
 * Its only code is glibc's clone and `syscall()` wrapper (the parked call,
 * {@linkcode PARKING_CALL}), which touch nothing but registers and the first
 * bytes of `stack`: no thread-local data, no errno. The calling thread's
 * signal mask is blocked around the clone (the child inherits it) and
 * restored after.
 *
 * With `shareMemory` the child shares this process's memory (`CLONE_VM`, as
 * vfork and posix_spawn do) until it execs: nothing is copied, neither at the
 * clone (page tables, about 1 ms for a Deno process) nor after it (each page
 * this process writes while the copy lives), nor torn down by the exec. Every
 * buffer the child reads (the stack, execve's arrays) must then stay alive
 * and unchanged until it has exec'd or died. Without it, a fork-like copy:
 * buffers may go as soon as this returns.
 *
 * @param stack The child's stack; with `shareMemory`, kept alive until the child exec'd.
 * @throws {ErrnoError} When clone or pidfd_open fails.
 */
export function cloneParked(stack: Uint8Array, shareMemory = false): ParkedChild {
  const park = Deno.UnsafePointer.create(symbolAddress("syscall"));
  // The stack grows down from its end, 16-byte aligned as the ABI wants at a call.
  const top = Deno.UnsafePointer.create((addressOf(stack) + BigInt(stack.length)) & ~15n);
  const old = new Uint8Array(KERNEL_SIGSET_BYTES);
  const masked = setThreadSignalMask(SIG.SETMASK, signalSet("all"), old);
  if (masked < 0) throw new ErrnoError("rt_sigprocmask", -masked);
  let pid: number;
  let cloneErrno = 0;
  try {
    // SIGCHLD: the exit signal of a child like any fork's. parent_tid, tls, child_tid: NULL,
    // which arm64's parked call reads as its arguments (so no CLONE_PIDFD: pidfd_open below).
    const flags = SIGNALS.SIGCHLD | (shareMemory ? CLONE.VM : 0);
    pid = sym.clone(
      park,
      top,
      flags,
      Deno.UnsafePointer.create(BigInt(PARKING_CALL)),
      null,
      null,
      null,
    );
    if (pid < 0) cloneErrno = errno();
  } finally {
    setThreadSignalMask(SIG.SETMASK, old, null);
  }
  if (pid < 0) throw new ErrnoError("clone", cloneErrno);
  // Cannot race: the child waits for the tracer, and only its parent may reap it.
  const pidfd = sys("pidfd_open", pid, 0);
  if (pidfd < 0) {
    sys("kill", pid, SIGNALS.SIGKILL);
    sys("wait4", pid, null, 0, null);
    throw new ErrnoError("pidfd_open", -pidfd);
  }
  return { pid, pidfd };
}
