/**
 * Socket calls the network guard makes on a duplicate of a tracee's socket:
 * connect, bind, sendto, sendmsg, listen, options (socket filters,
 * SO_DOMAIN, SO_PROTOCOL), names, and `if_nametoindex`. Only the
 * supervisor's thread binds them. The option numbers are in
 * `kernel/socket.ts`.
 *
 * @module
 */

import { addressOf, cstring, errno, lazySymbols, type SysResult, sysResult } from "./libc.ts";
import { ERRNO_NUMBERS } from "../kernel/errno.ts";
import {
  POLLOUT,
  SO,
  SOCK,
  SOCK_FILTER_SIZE,
  SOCKADDR_STORAGE_SIZE,
  SOL,
} from "../kernel/socket.ts";

const SYMBOLS = {
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
  // int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  // int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
  getsockname: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
  getpeername: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  // int listen(int fd, int backlog)
  listen: { parameters: ["i32", "i32"], result: "i32" },
  // int poll(struct pollfd *fds, nfds_t n, int timeout)
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  // unsigned int if_nametoindex(const char *name)
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/**
 * The address Deno's SIGUSR1 handler binds its inspector to (hard-wired in
 * Deno). jail holds it (ffi/inspector_guard.ts) and lets the tree share it
 * (src/net/act.ts).
 */
export const INSPECTOR_ADDRESS = { hostname: "127.0.0.1", port: 9229 } as const;

/** connect(2); 0 or `-errno`. */
export function connectSocket(fd: number, addr: Uint8Array): SysResult {
  return sym.connect(fd, addr as Uint8Array<ArrayBuffer>, addr.length) === 0 ? 0 : -errno();
}

/** bind(2); 0 or `-errno`. */
export function bindSocket(fd: number, addr: Uint8Array): SysResult {
  return sym.bind(fd, addr as Uint8Array<ArrayBuffer>, addr.length) === 0 ? 0 : -errno();
}

/** sendto(2); bytes sent or `-errno`. */
export function sendTo(
  fd: number,
  data: Uint8Array,
  flags: number,
  addr: Uint8Array | null,
): SysResult {
  return sysResult(
    sym.sendto(
      fd,
      data as Uint8Array<ArrayBuffer>,
      BigInt(data.length),
      flags,
      addr as Uint8Array<ArrayBuffer>,
      addr?.length ?? 0,
    ),
  );
}

/** sendmsg(2) with a prepared `struct msghdr`; bytes sent or `-errno`. */
export function sendMsg(fd: number, msghdr: Uint8Array, flags: number): SysResult {
  return sysResult(sym.sendmsg(fd, msghdr as Uint8Array<ArrayBuffer>, flags));
}

/** listen(2): 0 or `-errno`. */
export function listenSocket(fd: number, backlog: number): SysResult {
  return sym.listen(fd, backlog) === 0 ? 0 : -errno();
}

/** getsockopt of an int option: its value, or `-errno`. */
export function getIntOption(fd: number, level: number, name: number): SysResult {
  const val = new Int32Array(1);
  const len = new Uint32Array([4]);
  if (sym.getsockopt(fd, level, name, val, len) !== 0) return -errno();
  return val[0];
}

/** setsockopt of an int option: 0 or `-errno`. */
export function setIntOption(fd: number, level: number, name: number, value: number): SysResult {
  const val = new Int32Array([value]);
  return sym.setsockopt(fd, level, name, val, 4) === 0 ? 0 : -errno();
}

/**
 * SO_SNDTIMEO in milliseconds (0: none, the default), or `-errno`. The
 * option is a `struct timeval`; a set timeout below a millisecond counts as one.
 */
export function sendTimeoutMs(fd: number): SysResult {
  const tv = new BigInt64Array(2);
  const len = new Uint32Array([16]);
  if (sym.getsockopt(fd, SOL.SOCKET, SO.SNDTIMEO, tv, len) !== 0) return -errno();
  const us = Number(tv[0]) * 1e6 + Number(tv[1]);
  return us === 0 ? 0 : Math.max(1, Math.ceil(us / 1000));
}

/** Whether a poll of `fd` reports it writable now (POLLOUT), without waiting. */
export function writableNow(fd: number): boolean {
  const pfd = new Int32Array([fd, POLLOUT]);
  return sym.poll(pfd, 1n, 0) === 1 && (pfd[1] >>> 16 & POLLOUT) !== 0;
}

/** True when `fd` is a connected stream socket: the kernel ignores (or refuses) a destination on it. */
export function isConnectedStream(fd: number): boolean {
  if (getIntOption(fd, SOL.SOCKET, SO.TYPE) !== SOCK.STREAM) return false;
  const addr = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const alen = new Uint32Array([SOCKADDR_STORAGE_SIZE]);
  return sym.getpeername(fd, addr, alen) === 0;
}

/** getsockname(2): the socket's local address bytes, or `-errno`. */
export function socketName(fd: number): Uint8Array | SysResult {
  const addr = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const len = new Uint32Array([SOCKADDR_STORAGE_SIZE]);
  if (sym.getsockname(fd, addr, len) !== 0) return -errno();
  return addr.subarray(0, Math.min(len[0], SOCKADDR_STORAGE_SIZE));
}

/**
 * SO_ATTACH_FILTER: attaches a classic BPF program (packed 8-byte
 * `struct sock_filter`s) to the socket.
 *
 * @returns 0 or `-errno` (EPERM when a locked filter is already attached).
 */
export function attachFilter(fd: number, program: Uint8Array): SysResult {
  const insns = new Uint8Array(program);
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the pointer at 8.
  const fprog = new BigUint64Array(2);
  new Uint16Array(fprog.buffer)[0] = insns.length / SOCK_FILTER_SIZE;
  fprog[1] = addressOf(insns);
  const rc = sym.setsockopt(fd, SOL.SOCKET, SO.ATTACH_FILTER, fprog, fprog.byteLength);
  return rc === 0 ? 0 : -errno();
}

/**
 * SO_GET_FILTER: the classic BPF program attached to the socket (empty
 * when none), or `-errno`.
 */
export function attachedFilter(fd: number): Uint8Array | SysResult {
  // With a zero length the kernel reports the program's length, in instructions.
  const count = new Uint32Array([0]);
  if (sym.getsockopt(fd, SOL.SOCKET, SO.GET_FILTER, null, count) !== 0) return -errno();
  if (count[0] === 0) return new Uint8Array(0);
  const n = count[0];
  const out = new Uint8Array(n * SOCK_FILTER_SIZE);
  const len = new Uint32Array([n]);
  if (sym.getsockopt(fd, SOL.SOCKET, SO.GET_FILTER, out, len) !== 0) return -errno();
  // A filter replaced between the two calls: report what was read only if the lengths agree.
  return len[0] === n ? out : -EAGAIN;
}

const EAGAIN = ERRNO_NUMBERS.EAGAIN;
const EINTR = ERRNO_NUMBERS.EINTR;
const ETIMEDOUT = ERRNO_NUMBERS.ETIMEDOUT;

/**
 * Waits until a connect started on `fd` completes (POLLOUT), then reads its
 * outcome (SO_ERROR).
 *
 * @returns 0, the connect's `-errno`, or `-ETIMEDOUT` after `ms`.
 */
export function awaitConnection(fd: number, ms: number): SysResult {
  // struct pollfd { int fd; short events; short revents; }
  const pfd = new Int32Array([fd, POLLOUT]);
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) return -ETIMEDOUT;
    const rc = sym.poll(pfd, 1n, left);
    if (rc < 0) {
      const e = errno();
      if (e === EINTR) continue;
      return -e;
    }
    if (rc > 0) break;
  }
  const err = getIntOption(fd, SOL.SOCKET, SO.ERROR);
  return err < 0 ? err : -err;
}

/** if_nametoindex(3): the interface's index, or 0 when there is none. */
export function interfaceIndex(name: string): number {
  return sym.if_nametoindex(cstring(name));
}
