/**
 * libc bindings: the only module that calls `Deno.dlopen` or touches
 * `Deno.UnsafePointer` (`ffi/fs.ts` and `ffi/landlock.ts` declare their
 * symbols and bind them through {@linkcode lazySymbols}). Everything else sees
 * typed functions, numbers and {@linkcode ErrnoError}.
 *
 * Each isolate (the CLI's main thread, the supervisor worker)
 * opens its own handle; errno is thread-local, so each reads its own.
 *
 * @module
 */

import { ERRNO_MESSAGES, ERRNO_NAMES } from "../kernel/errno.ts";
import { hostNr } from "../kernel/host_syscalls.ts";

const SYMBOLS = {
  // long ptrace(enum __ptrace_request req, pid_t pid, void *addr, void *data)
  // Bound three times: data as an integer (signal, options), as a buffer
  // (registers, event message) and addr as an integer with data 0.
  ptrace: { name: "ptrace", parameters: ["i32", "i32", "u64", "u64"], result: "i32" },
  ptrace_buf: { name: "ptrace", parameters: ["i32", "i32", "u64", "buffer"], result: "i32" },
  // pid_t waitpid(pid_t pid, int *status, int options)
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  // ssize_t read(int fd, void *buf, size_t n)
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // ssize_t write(int fd, const void *buf, size_t n)
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32" },
  // int fcntl(int fd, int cmd, long arg)
  fcntl: { parameters: ["i32", "i32", "i64"], result: "i32" },
  // int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  // ssize_t process_vm_readv(pid_t pid, const struct iovec *local, unsigned long liovcnt,
  //                          const struct iovec *remote, unsigned long riovcnt, unsigned long flags)
  process_vm_readv: {
    parameters: ["i32", "buffer", "u64", "buffer", "u64", "u64"],
    result: "isize",
  },
  // ssize_t process_vm_writev(...): same shape as process_vm_readv
  process_vm_writev: {
    parameters: ["i32", "buffer", "u64", "buffer", "u64", "u64"],
    result: "isize",
  },
  // int kill(pid_t pid, int sig)
  kill: { parameters: ["i32", "i32"], result: "i32" },
  // int tgkill(pid_t tgid, pid_t tid, int sig)
  tgkill: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // pid_t getpid(void)
  getpid: { parameters: [], result: "i32" },
  // pid_t getpgrp(void)
  getpgrp: { parameters: [], result: "i32" },
  // long syscall(long nr, long a1, long a2, long a3): pidfd_open, pidfd_getfd
  syscall_int: { name: "syscall", parameters: ["i64", "i64", "i64", "i64"], result: "i64" },
  // int sched_yield(void)
  sched_yield: { parameters: [], result: "i32" },
  // int connect(int fd, const struct sockaddr *addr, socklen_t len)
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int bind(int fd, const struct sockaddr *addr, socklen_t len)
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *addr, socklen_t len)
  sendto: { parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"], result: "isize" },
  // ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  // int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  // int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // int *__errno_location(void)
  __errno_location: { parameters: [], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * A symbol table whose functions are bound on first use.
 *
 * Binding is not free: Deno compiles a call trampoline for each symbol, about
 * 0.25 ms apiece, and every isolate pays for every symbol of the tables it
 * opens. The CLI's thread and the supervisor's thread each
 * call a different handful of the symbols here, so each binds only those: an
 * eager `Deno.dlopen` of this table alone took about 8 ms per isolate. A bound
 * function replaces its getter, so a call costs the same as through an
 * eagerly opened library.
 *
 * @param symbols The library interface, as for `Deno.dlopen`.
 * @param path The library (default libc).
 */
export function lazySymbols<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
  path = "libc.so.6",
): Deno.DynamicLibrary<S>["symbols"] {
  const out = {} as Deno.DynamicLibrary<S>["symbols"];
  for (const name of Object.keys(symbols)) {
    Object.defineProperty(out, name, {
      configurable: true,
      enumerable: true,
      get() {
        const fn = Deno.dlopen(path, { [name]: symbols[name] }).symbols[name];
        Object.defineProperty(out, name, { value: fn, enumerable: true });
        return fn;
      },
    });
  }
  return out;
}

/** The raw symbol table; other modules use the wrappers below. */
const sym = lazySymbols(SYMBOLS);

/**
 * Binds symbols now rather than at their first call: for a thread that has
 * idle time before a step where every millisecond counts (the supervisor's
 * thread before its start message).
 */
export function bindNow(names: readonly (keyof typeof SYMBOLS)[]): void {
  for (const name of names) void sym[name];
}

let errnoView: Deno.UnsafePointerView | undefined;

/** errno of this thread; meaningful only right after a failed call. */
export function errno(): number {
  if (errnoView === undefined) {
    const p = sym.__errno_location();
    if (p === null) throw new Error("__errno_location returned NULL");
    errnoView = new Deno.UnsafePointerView(p);
  }
  return errnoView.getInt32(0);
}

/** The symbolic name of an errno value, such as `ESRCH`. */
export function errnoName(code: number): string {
  return ERRNO_NAMES[code] || `errno ${code}`;
}

/** A failed libc call: which call, and the errno it left. */
export class ErrnoError extends Error {
  /** The call that failed, e.g. `ptrace(PTRACE_GETREGS)`. */
  readonly call: string;
  /** The errno value. */
  readonly errno: number;
  /** The errno's symbolic name, e.g. `ESRCH`. */
  readonly code: string;

  /**
   * @param call The call that failed.
   * @param code The errno value.
   */
  constructor(call: string, code: number) {
    const name = errnoName(code);
    super(`${call} failed: ${name} (${ERRNO_MESSAGES[code] ?? "unknown error"})`);
    this.name = "ErrnoError";
    this.call = call;
    this.errno = code;
    this.code = name;
  }
}

function check(call: string, rc: number | bigint): number {
  if (Number(rc) < 0) throw new ErrnoError(call, errno());
  return Number(rc);
}

/** NUL-terminated UTF-8 copy of a string, for `const char *` parameters. */
export function cstring(s: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/**
 * A NULL-terminated `char *[]`. The returned holder keeps the strings alive:
 * keep it referenced until the call that reads it has returned.
 */
export function cstringArray(strings: readonly string[]): {
  array: BigUint64Array<ArrayBuffer>;
  keep: Uint8Array[];
} {
  const keep = strings.map(cstring);
  const array = new BigUint64Array(keep.length + 1);
  keep.forEach((s, i) => array[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(s))));
  return { array, keep };
}

/** Address of a buffer, for structures that hold pointers. */
export function addressOf(buf: ArrayBufferView): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>)));
}

// ---------------------------------------------------------------- ptrace

/** ptrace requests used by the supervisor. */
export const PTRACE = {
  CONT: 7,
  KILL: 8,
  GETREGS: 12,
  SETREGS: 13,
  GETREGSET: 0x4204,
  SETREGSET: 0x4205,
  SINGLESTEP: 9,
  SYSCALL: 24,
  SETOPTIONS: 0x4200,
  GETEVENTMSG: 0x4201,
  GETSIGINFO: 0x4202,
  SEIZE: 0x4206,
  INTERRUPT: 0x4207,
  LISTEN: 0x4208,
} as const;

/** PTRACE_O_* options. */
export const PTRACE_O = {
  TRACESYSGOOD: 1,
  TRACEFORK: 1 << 1,
  TRACEVFORK: 1 << 2,
  TRACECLONE: 1 << 3,
  TRACEEXEC: 1 << 4,
  TRACEVFORKDONE: 1 << 5,
  TRACEEXIT: 1 << 6,
  TRACESECCOMP: 1 << 7,
  EXITKILL: 1 << 20,
} as const;

/**
 * ptrace with an integer `data` (signal to inject, options). Returns 0, or
 * `-errno` on failure: on the hot path failures (ESRCH) are expected and are
 * not exceptions.
 */
export function ptrace(request: number, tid: number, addr: number, data: number): number {
  // BigInt arguments keep the call on Deno's fast FFI path (a number for a u64 parameter takes
  // the slow one, about 170 ns more); the common values come from a table, allocating nothing.
  const a = addr === 0 ? 0n : BigInt(addr);
  const d = data >= 0 && data < SMALL.length ? SMALL[data] : BigInt(data);
  if (sym.ptrace(request, tid, a, d) === 0) return 0;
  return -errno();
}

/** BigInts for signal numbers and small values: no allocation per request. */
const SMALL = Array.from({ length: 65 }, (_, i) => BigInt(i));

/**
 * PTRACE_CONT with signal `sig` (0: none): the request that ends almost every
 * stop, without the generic wrapper's conversions. 0 or `-errno`.
 */
export function ptraceCont(tid: number, sig: number): number {
  if (sym.ptrace(PTRACE_CONT, tid, 0n, sig === 0 ? 0n : SMALL[sig] ?? BigInt(sig)) === 0) return 0;
  return -errno();
}
const PTRACE_CONT = 7;

/** ptrace with a buffer as `data` (registers, event message, siginfo). 0 or `-errno`. */
export function ptraceBuffer(request: number, tid: number, buf: BufferSource): number {
  if (sym.ptrace_buf(request, tid, 0n, buf as Uint8Array<ArrayBuffer>) === 0) return 0;
  return -errno();
}

/**
 * PTRACE_GETREGSET or PTRACE_SETREGSET: `nt` names the register set (NT_*),
 * `iov` is a `struct iovec` pointing at its buffer. 0 or `-errno`.
 */
export function ptraceRegset(request: number, tid: number, nt: bigint, iov: BufferSource): number {
  if (sym.ptrace_buf(request, tid, nt, iov as Uint8Array<ArrayBuffer>) === 0) return 0;
  return -errno();
}

// ---------------------------------------------------------------- wait

/** waitpid options. */
export const WAIT = { WNOHANG: 1, WUNTRACED: 2, WALL: 0x40000000 } as const;

const statusBuf = new Int32Array(1);

/**
 * waitpid; returns `[pid, status]` in a reused pair, pid 0 for WNOHANG with
 * nothing ready, or `-errno` (EINTR, ECHILD) as pid.
 */
export function waitpid(pid: number, options: number): [number, number] {
  const rc = sym.waitpid(pid, statusBuf, options);
  waitResult[0] = rc < 0 ? -errno() : rc;
  waitResult[1] = statusBuf[0];
  return waitResult;
}
const waitResult: [number, number] = [0, 0];

/** Gives the CPU to another runnable thread of its run queue, if any. */
export function schedYield(): void {
  sym.sched_yield();
}

// ---------------------------------------------------------------- processes

/** Signals by name (x86_64). */
export const SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPWR: 30,
  SIGSYS: 31,
} as const;

/** Name of a signal number, `SIG?N` when unknown (real-time signals). */
export function signalName(sig: number): string {
  for (const [name, n] of Object.entries(SIGNALS)) if (n === sig) return name;
  return sig >= 34 && sig <= 64 ? `SIGRTMIN+${sig - 34}` : `SIG?${sig}`;
}

/** kill(2); 0 or `-errno`. */
export function kill(pid: number, sig: number): number {
  return sym.kill(pid, sig) === 0 ? 0 : -errno();
}

/** tgkill(2); 0 or `-errno`. */
export function tgkill(tgid: number, tid: number, sig: number): number {
  return sym.tgkill(tgid, tid, sig) === 0 ? 0 : -errno();
}

/** getpid(2). */
export function getpid(): number {
  return sym.getpid();
}

/** getpgrp(2). */
export function getpgrp(): number {
  return sym.getpgrp();
}

// ---------------------------------------------------------------- descriptors

/** read(2), retrying EINTR; returns bytes read (0 at EOF). */
export function read(fd: number, buf: Uint8Array): number {
  for (;;) {
    const rc = Number(sym.read(fd, buf as Uint8Array<ArrayBuffer>, BigInt(buf.length)));
    if (rc >= 0) return rc;
    const e = errno();
    if (e !== 4 /* EINTR */) throw new ErrnoError("read", e);
  }
}

/** write(2) of the whole buffer, retrying EINTR and short writes. */
export function writeAll(fd: number, data: Uint8Array): void {
  let at = 0;
  while (at < data.length) {
    const part = data.subarray(at) as Uint8Array<ArrayBuffer>;
    const rc = Number(sym.write(fd, part, BigInt(part.length)));
    if (rc < 0) {
      const e = errno();
      if (e === 4) continue;
      throw new ErrnoError("write", e);
    }
    at += rc;
  }
}

/** close(2), ignoring errors: used on descriptors this process owns. */
export function close(fd: number): void {
  sym.close(fd);
}

// ---------------------------------------------------------------- process setup

/** prctl options used here. */
export const PR = {
  SET_DUMPABLE: 4,
  SET_CHILD_SUBREAPER: 36,
  SET_NO_NEW_PRIVS: 38,
} as const;

/** prctl(2). @throws {ErrnoError} */
export function prctl(option: number, arg2 = 0): void {
  check(`prctl(${option})`, sym.prctl(option, BigInt(arg2), 0n, 0n, 0n));
}

// ---------------------------------------------------------------- tracee memory

const localIov = new BigUint64Array(2);
const remoteIov = new BigUint64Array(2);

/**
 * Reads tracee memory into `buf`; returns bytes read or `-errno`. A short
 * read means the range crossed into unmapped memory.
 */
export function readMemory(pid: number, address: bigint, buf: Uint8Array): number {
  localIov[0] = addressOf(buf);
  localIov[1] = BigInt(buf.length);
  remoteIov[0] = address;
  remoteIov[1] = BigInt(buf.length);
  const rc = Number(sym.process_vm_readv(pid, localIov, 1n, remoteIov, 1n, 0n));
  return rc < 0 ? -errno() : rc;
}

/** Writes `buf` into tracee memory; returns bytes written or `-errno`. */
export function writeMemory(pid: number, address: bigint, buf: Uint8Array): number {
  localIov[0] = addressOf(buf);
  localIov[1] = BigInt(buf.length);
  remoteIov[0] = address;
  remoteIov[1] = BigInt(buf.length);
  const rc = Number(sym.process_vm_writev(pid, localIov, 1n, remoteIov, 1n, 0n));
  return rc < 0 ? -errno() : rc;
}

// ---------------------------------------------------------------- acting for a tracee

const SYS_PIDFD_OPEN = hostNr("pidfd_open");
const SYS_PIDFD_GETFD = hostNr("pidfd_getfd");
const F_GETFL = 3;
const F_SETFL = 4;
/** O_NONBLOCK file status flag. */
export const O_NONBLOCK = 0o4000;

/** pidfd_open(2); the pidfd or `-errno`. */
export function pidfdOpen(pid: number): number {
  const rc = Number(sym.syscall_int(SYS_PIDFD_OPEN, BigInt(pid), 0n, 0n));
  return rc < 0 ? -errno() : rc;
}

/** pidfd_getfd(2): a duplicate (close-on-exec) of another process's descriptor, or `-errno`. */
export function pidfdGetfd(pidfd: number, fd: number): number {
  const rc = Number(sym.syscall_int(SYS_PIDFD_GETFD, BigInt(pidfd), BigInt(fd), 0n));
  return rc < 0 ? -errno() : rc;
}

/** fcntl(F_GETFL); flags or `-errno`. */
export function getFileFlags(fd: number): number {
  const rc = sym.fcntl(fd, F_GETFL, 0n);
  return rc < 0 ? -errno() : rc;
}

/** fcntl(F_SETFL); 0 or `-errno`. */
export function setFileFlags(fd: number, flags: number): number {
  return sym.fcntl(fd, F_SETFL, BigInt(flags)) < 0 ? -errno() : 0;
}

/** connect(2); 0 or `-errno`. */
export function connectSocket(fd: number, addr: Uint8Array): number {
  return sym.connect(fd, addr as Uint8Array<ArrayBuffer>, addr.length) === 0 ? 0 : -errno();
}

/** bind(2); 0 or `-errno`. */
export function bindSocket(fd: number, addr: Uint8Array): number {
  return sym.bind(fd, addr as Uint8Array<ArrayBuffer>, addr.length) === 0 ? 0 : -errno();
}

/** sendto(2); bytes sent or `-errno`. */
export function sendTo(
  fd: number,
  data: Uint8Array,
  flags: number,
  addr: Uint8Array | null,
): number {
  const rc = Number(
    sym.sendto(
      fd,
      data as Uint8Array<ArrayBuffer>,
      BigInt(data.length),
      flags,
      addr as Uint8Array<ArrayBuffer>,
      addr?.length ?? 0,
    ),
  );
  return rc < 0 ? -errno() : rc;
}

/** sendmsg(2) with a prepared `struct msghdr`; bytes sent or `-errno`. */
export function sendMsg(fd: number, msghdr: Uint8Array, flags: number): number {
  const rc = Number(sym.sendmsg(fd, msghdr as Uint8Array<ArrayBuffer>, flags));
  return rc < 0 ? -errno() : rc;
}

/** True when `fd` is a connected stream socket: the kernel ignores (or refuses) a destination on it. */
export function isConnectedStream(fd: number): boolean {
  const val = new Int32Array(1);
  const len = new Uint32Array([4]);
  if (sym.getsockopt(fd, 1, /* SOL_SOCKET */ 3, /* SO_TYPE */ val, len) !== 0) return false;
  if (val[0] !== 1 /* SOCK_STREAM */) return false;
  const addr = new Uint8Array(128);
  const alen = new Uint32Array([128]);
  return sym.getpeername(fd, addr, alen) === 0;
}

/** getsockname(2): the socket's local address bytes, or `-errno`. */
export function socketName(fd: number): Uint8Array | number {
  const addr = new Uint8Array(128);
  const len = new Uint32Array([128]);
  if (sym.getsockname(fd, addr, len) !== 0) return -errno();
  return addr.subarray(0, Math.min(len[0], 128));
}
