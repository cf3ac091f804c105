/**
 * Socket options and calls the network guard needs on a duplicate of a
 * tracee's socket: `getsockopt`/`setsockopt` (socket filters, SO_DOMAIN,
 * SO_PROTOCOL), `listen`, and `if_nametoindex`. Bound through
 * {@linkcode lazySymbols}: only the supervisor's thread binds them.
 *
 * @module
 */

import { addressOf, cstring, errno, lazySymbols } from "./libc.ts";
import { ERRNO_NUMBERS } from "../kernel/errno.ts";

const SYMBOLS = {
  // int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
  // int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  // int listen(int fd, int backlog)
  listen: { parameters: ["i32", "i32"], result: "i32" },
  // int poll(struct pollfd *fds, nfds_t n, int timeout)
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  // unsigned int if_nametoindex(const char *name)
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** Socket option levels and names used here (x86_64 Linux). */
export const SOL = { SOCKET: 1, IP: 0, IPV6: 41, UDP: 17, TCP: 6 } as const;
/**
 * The address Deno's SIGUSR1 handler binds its inspector to (hard-wired in
 * Deno). jail holds it (ffi/inspector_guard.ts) and lets the tree share it
 * (src/net/act.ts).
 */
export const INSPECTOR_ADDRESS = { hostname: "127.0.0.1", port: 9229 } as const;

/** SOL_SOCKET option names. */
export const SO = {
  TYPE: 3,
  ATTACH_FILTER: 26,
  /** Same number as SO_ATTACH_FILTER, read with getsockopt. */
  GET_FILTER: 26,
  DETACH_FILTER: 27,
  PROTOCOL: 38,
  DOMAIN: 39,
  LOCK_FILTER: 44,
  REUSEPORT: 15,
} as const;
/** IPPROTO_IPV6 IPV6_V6ONLY. */
export const IPV6_V6ONLY = 26;

const SOCK_FILTER_SIZE = 8;

/** getsockopt of an int option: its value, or `-errno`. */
export function getIntOption(fd: number, level: number, name: number): number {
  const val = new Int32Array(1);
  const len = new Uint32Array([4]);
  if (sym.getsockopt(fd, level, name, val, len) !== 0) return -errno();
  return val[0];
}

/** setsockopt of an int option: 0 or `-errno`. */
export function setIntOption(fd: number, level: number, name: number, value: number): number {
  const val = new Int32Array([value]);
  return sym.setsockopt(fd, level, name, val, 4) === 0 ? 0 : -errno();
}

/**
 * SO_ATTACH_FILTER: attaches a classic BPF program (packed 8-byte
 * `struct sock_filter`s) to the socket.
 *
 * @returns 0 or `-errno` (EPERM when a locked filter is already attached).
 */
export function attachFilter(fd: number, program: Uint8Array): number {
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
export function attachedFilter(fd: number): Uint8Array | number {
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

/** listen(2): 0 or `-errno`. */
export function listenSocket(fd: number, backlog: number): number {
  return sym.listen(fd, backlog) === 0 ? 0 : -errno();
}

const POLLOUT = 0x4;
const SO_ERROR = 4;
const EINTR = ERRNO_NUMBERS.EINTR;
const ETIMEDOUT = ERRNO_NUMBERS.ETIMEDOUT;

/**
 * Waits until a connect started on `fd` completes (POLLOUT), then reads its
 * outcome (SO_ERROR).
 *
 * @returns 0, the connect's `-errno`, or `-ETIMEDOUT` after `ms`.
 */
export function awaitConnection(fd: number, ms: number): number {
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
  const err = getIntOption(fd, SOL.SOCKET, SO_ERROR);
  return err < 0 ? err : -err;
}

/** if_nametoindex(3): the interface's index, or 0 when there is none. */
export function interfaceIndex(name: string): number {
  return sym.if_nametoindex(cstring(name));
}
