/**
 * Network calls performed by the supervisor on the tracee's behalf.
 *
 * Checking a `sockaddr` in tracee memory and then letting the kernel read it
 * again leaves a window: a sibling thread (or another process sharing the
 * memory) can rewrite the address after the check. So an allowed call is not
 * resumed: the supervisor takes a duplicate of the tracee's socket with
 * `pidfd_getfd`, performs the call itself with the address bytes it checked
 * (its own copy), and the tracee's syscall is skipped with that result.
 *
 * A blocking TCP connect keeps its blocking semantics without blocking the
 * supervisor: it is started here non-blocking, and the tracee's call is turned
 * into `sendto(fd, NULL, 0, MSG_NOSIGNAL, NULL, 0)`, which waits for that
 * connection to be established or to fail exactly as a blocking connect
 * would (same SO_SNDTIMEO, same signals, same error), sends nothing, and
 * carries no address. Letting the tracee's own connect wait instead is not
 * safe: the kernel ignores its address only while the socket is marked
 * "connecting", and a sibling's `shutdown()` on a socket still in SYN_SENT
 * clears that mark, so the resumed connect would start over towards whatever
 * address is in memory by then (c/net_race.c, tcp-shutdown mode).
 * Two visible differences remain: a connect that runs out of SO_SNDTIMEO
 * fails with EAGAIN rather than EINPROGRESS (socket(7) allows both for a
 * timeout), and a second connect on the established socket returns 0
 * rather than EISCONN, as it does after a non-blocking connect.
 *
 * @module
 */

import {
  addressOf,
  bindSocket,
  close,
  connectSocket,
  getFileFlags,
  isConnectedStream,
  O_NONBLOCK,
  pidfdGetfd,
  pidfdOpen,
  readMemory,
  sendMsg,
  sendTo,
  setFileFlags,
  socketName,
  writeMemory,
} from "../../ffi/libc.ts";
import { AF, loopbackLike } from "./sockaddr.ts";
import type { Decision } from "../decision.ts";
import { REG, type Registers } from "../arch/x86_64.ts";

const EINPROGRESS = 115;
const EAGAIN = 11;
const EFAULT = 14;
const EMSGSIZE = 90;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const SYS_SENDTO = 44n;
const AF_INET = 2;
const AF_INET6 = 10;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MAX_PAYLOAD = 4 << 20;
const MAX_IOV = 1024;
const MAX_CONTROL = 64 << 10;

/** The result a skipped syscall returns to the tracee. */
function result(rc: number, rule: string): Decision {
  return { action: "return", value: rc, rule };
}

/** A duplicate of a tracee's descriptor, held for one call. */
class Borrowed {
  readonly fd: number;
  readonly #pidfd: number;
  readonly error: number;

  constructor(pid: number, fd: number) {
    this.#pidfd = pidfdOpen(pid);
    if (this.#pidfd < 0) {
      this.fd = -1;
      this.error = this.#pidfd;
      return;
    }
    this.fd = pidfdGetfd(this.#pidfd, fd);
    this.error = this.fd < 0 ? this.fd : 0;
  }

  [Symbol.dispose](): void {
    if (this.fd >= 0) close(this.fd);
    if (this.#pidfd >= 0) close(this.#pidfd);
  }
}

/**
 * Turns the stopped connect into `sendto(fd, NULL, 0, MSG_NOSIGNAL, NULL, 0)`:
 * it blocks until the connection started here is established (returns 0) or
 * fails (returns its error), and names no destination. The supervisor applies
 * an `args` decision by writing back this same register set, so the new
 * syscall number goes with the arguments.
 */
function waitForConnection(regs: Registers, rule: string): Decision {
  new BigUint64Array(regs.buffer.buffer)[REG.orig_rax] = SYS_SENDTO;
  return { action: "args", args: { 1: 0n, 2: 0n, 3: MSG_NOSIGNAL, 4: 0n, 5: 0n }, rule };
}

/**
 * Connects the tracee's socket `fd` to `addr` (bytes already checked).
 *
 * @param regs The stopped call's registers: a blocking TCP connect is turned
 *   into a wait for the connection started here (see {@linkcode waitForConnection}).
 * @returns A decision: skip with the result, or (blocking TCP) wait without an address.
 */
export function actConnect(
  pid: number,
  fd: number,
  addr: Uint8Array,
  rule: string,
  regs: Registers,
): Decision {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, rule);
  const flags = getFileFlags(sock.fd);
  if (flags < 0) return result(flags, rule);
  const blocking = (flags & O_NONBLOCK) === 0;
  if (blocking) setFileFlags(sock.fd, flags | O_NONBLOCK);
  let rc = connectSocket(sock.fd, addr);
  if (blocking) setFileFlags(sock.fd, flags);
  if (rc === -EINPROGRESS && blocking) {
    const family = addr[0] | (addr[1] << 8);
    if (family === AF_INET || family === AF_INET6) return waitForConnection(regs, rule);
    // Other families (vsock…) accept no other family's address: their own connect can wait.
    return { action: "allow", rule };
  }
  if (rc === -EAGAIN && blocking) {
    // A unix listener with a full backlog: a blocking caller expects to wait for it.
    rc = connectSocket(sock.fd, addr);
  }
  return result(rc, rule);
}

/**
 * Before `listen`: an IP socket that was never bound would be bound by the
 * kernel to the wildcard address, exposed. Bind it to loopback first (or
 * refuse), as an explicit wildcard bind would be.
 */
export function actListenGuard(
  pid: number,
  fd: number,
  wildcardBind: "rewrite" | "allow" | "deny",
  errno: number,
): Decision | undefined {
  if (wildcardBind === "allow") return undefined;
  using sock = new Borrowed(pid, fd);
  if (sock.error) return undefined; // listen itself reports EBADF or ENOTSOCK
  const name = socketName(sock.fd);
  if (typeof name === "number" || name.length < 4) return undefined;
  const family = name[0] | (name[1] << 8);
  const port = (name[2] << 8) | name[3];
  if ((family !== AF.INET && family !== AF.INET6) || port !== 0) return undefined;
  if (wildcardBind === "deny") return { action: "deny", errno, rule: "net.bind" };
  const rc = bindSocket(sock.fd, loopbackLike(name));
  return rc === 0 ? undefined : result(rc, "net.bind");
}

/** True when the tracee's `fd` is a connected stream socket. */
export function connectedStream(pid: number, fd: number): boolean {
  using sock = new Borrowed(pid, fd);
  return sock.error === 0 && isConnectedStream(sock.fd);
}

/** Binds the tracee's socket `fd` to `addr` (checked, possibly rewritten to loopback). */
export function actBind(pid: number, fd: number, addr: Uint8Array, rule: string): Decision {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, rule);
  return result(bindSocket(sock.fd, addr), rule);
}

/** Sends with an explicit destination, with the tracee's flags; waits only if the socket is blocking. */
function sendBlockingAware(fd: number, flags: number, send: (flags: number) => number): number {
  const fileFlags = getFileFlags(fd);
  let rc = send(flags | MSG_DONTWAIT);
  if (
    rc === -EAGAIN && fileFlags >= 0 && (fileFlags & O_NONBLOCK) === 0 &&
    (flags & MSG_DONTWAIT) === 0
  ) {
    rc = send(flags);
  }
  return rc;
}

/** sendto with a destination, performed here. */
export function actSendto(
  tid: number,
  pid: number,
  fd: number,
  buf: bigint,
  len: number,
  flags: number,
  addr: Uint8Array,
  rule: string,
): Decision {
  if (len > MAX_PAYLOAD) return result(-EMSGSIZE, rule);
  const data = new Uint8Array(len);
  if (len > 0 && readMemory(tid, buf, data) !== len) return result(-EFAULT, rule);
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, rule);
  return result(sendBlockingAware(sock.fd, flags, (f) => sendTo(sock.fd, data, f, addr)), rule);
}

/** One message of a sendmsg/sendmmsg, copied out of the tracee. */
interface CopiedMessage {
  msghdr: Uint8Array<ArrayBuffer>;
  /** Buffers the msghdr points into: kept alive for the call. */
  keep: Uint8Array[];
  /** Descriptors borrowed for SCM_RIGHTS: closed after the call. */
  borrowed: number[];
}

function u64(view: DataView, at: number): bigint {
  return view.getBigUint64(at, true);
}

/**
 * Copies one `struct msghdr` at `ptr` and everything it points to, with the
 * checked destination `addr` in place of the tracee's, and SCM_RIGHTS
 * descriptors translated into duplicates in this process.
 */
function copyMessage(
  tid: number,
  pidfd: number,
  ptr: bigint,
  addr: Uint8Array | null,
): CopiedMessage | number {
  const raw = new Uint8Array(56);
  if (readMemory(tid, ptr, raw) !== 56) return -EFAULT;
  const v = new DataView(raw.buffer);
  const iovPtr = u64(v, 16);
  const iovLen = Number(u64(v, 24));
  const ctlPtr = u64(v, 32);
  const ctlLen = Number(u64(v, 40));
  if (iovLen > MAX_IOV) return -22; // EINVAL, as the kernel says for msg_iovlen > UIO_MAXIOV
  const iovs = new Uint8Array(16 * iovLen);
  if (iovLen && readMemory(tid, iovPtr, iovs) !== iovs.length) return -EFAULT;
  const iv = new DataView(iovs.buffer);
  let total = 0;
  for (let i = 0; i < iovLen; i++) total += Number(u64(iv, 16 * i + 8));
  if (total > MAX_PAYLOAD) return -EMSGSIZE;
  const data = new Uint8Array(total);
  let at = 0;
  for (let i = 0; i < iovLen; i++) {
    const base = u64(iv, 16 * i);
    const n = Number(u64(iv, 16 * i + 8));
    if (n && readMemory(tid, base, data.subarray(at, at + n)) !== n) return -EFAULT;
    at += n;
  }
  const control = new Uint8Array(Math.min(ctlLen, MAX_CONTROL));
  if (control.length && readMemory(tid, ctlPtr, control) !== control.length) return -EFAULT;
  const borrowed: number[] = [];
  // Walk the cmsghdrs: { u64 len; i32 level; i32 type; data }, each aligned to 8.
  const cv = new DataView(control.buffer);
  for (let off = 0; off + 16 <= control.length;) {
    const len = Number(u64(cv, off));
    if (len < 16 || off + len > control.length) break;
    if (cv.getInt32(off + 8, true) === SOL_SOCKET && cv.getInt32(off + 12, true) === SCM_RIGHTS) {
      for (let p = off + 16; p + 4 <= off + len; p += 4) {
        const dup = pidfdGetfd(pidfd, cv.getInt32(p, true));
        if (dup < 0) {
          for (const fd of borrowed) close(fd);
          return dup;
        }
        borrowed.push(dup);
        cv.setInt32(p, dup, true);
      }
    }
    off += (len + 7) & ~7;
  }
  const iov = new BigUint64Array([addressOf(data), BigInt(data.length)]);
  const out = new Uint8Array(56);
  const ov = new DataView(out.buffer);
  ov.setBigUint64(0, addr ? addressOf(addr) : 0n, true);
  ov.setUint32(8, addr?.length ?? 0, true);
  ov.setBigUint64(16, addressOf(iov), true);
  ov.setBigUint64(24, 1n, true);
  ov.setBigUint64(32, control.length ? addressOf(control) : 0n, true);
  ov.setBigUint64(40, BigInt(control.length), true);
  return { msghdr: out, keep: [data, control, new Uint8Array(iov.buffer)], borrowed };
}

/**
 * sendmsg or sendmmsg with destinations, performed here.
 *
 * @param addrs The checked destination of each message (null: none, the connected peer).
 * @param vector True for sendmmsg: `ptr` is an array of `struct mmsghdr` and
 *   the sent length of each is written back, as the kernel would.
 */
export function actSendmsg(
  tid: number,
  pid: number,
  fd: number,
  ptr: bigint,
  addrs: readonly (Uint8Array | null)[],
  flags: number,
  vector: boolean,
  rule: string,
): Decision {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return result(sock.error, rule);
  const pidfd = pidfdOpen(pid);
  if (pidfd < 0) return result(pidfd, rule);
  try {
    let sent = 0;
    for (let i = 0; i < addrs.length; i++) {
      const at = ptr + BigInt(i * (vector ? 64 : 56));
      const msg = copyMessage(tid, pidfd, at, addrs[i]);
      if (typeof msg === "number") return result(vector && sent > 0 ? sent : msg, rule);
      let rc: number;
      try {
        rc = sendBlockingAware(sock.fd, flags, (f) => sendMsg(sock.fd, msg.msghdr, f));
      } finally {
        for (const b of msg.borrowed) close(b);
      }
      if (!vector) return result(rc, rule);
      if (rc < 0) return result(sent > 0 ? sent : rc, rule);
      writeMemory(tid, at + 56n, new Uint8Array(new Uint32Array([rc]).buffer));
      sent++;
    }
    return result(sent, rule);
  } finally {
    close(pidfd);
  }
}
