/**
 * Sends performed by the supervisor on the tracee's behalf (sendto and
 * sendmsg/sendmmsg with destinations, on a duplicate of its socket, with the
 * checked address bytes), and a sendmsg without one on a connected stream
 * turned into a call whose registers name no address. Why the supervisor
 * makes the call itself: see `act.ts`.
 *
 * @module
 */

import { close, getFileFlags } from "../../ffi/io.ts";
import { O } from "../../kernel/fcntl.ts";
import { pidfdOpen } from "../../ffi/process.ts";
import { readMemory, writeMemory } from "../../ffi/memory.ts";
import { getIntOption, isConnectedStream, sendMsg, sendTo, writableNow } from "../../ffi/socket.ts";
import { AF, IPPROTO, MMSGHDR_SIZE, MSG, MSGHDR_SIZE, SO, SOCK, SOL } from "../../kernel/socket.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import type { Decision } from "../decision.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { asTracee } from "./acting_caps.ts";
import { Borrowed, kindOf, performed as result, waitDecision } from "./borrowed.ts";
import { type ControlPolicy, copyMessage, MAX_PAYLOAD } from "./cmsg.ts";
import { borrowGuarded, type Guard } from "./guard.ts";

const { EAGAIN, EFAULT, EMSGSIZE } = ERRNO_NUMBERS;
const SYS_SENDTO = HOST_ARCH.numbers.sendto;
const SYS_WRITEV = HOST_ARCH.numbers.writev;

/**
 * A sendmsg without a destination on a connected TCP, MPTCP or unix stream
 * socket, turned into a call that carries no destination at all: one buffer
 * becomes `sendto(fd, base, len, flags, NULL, 0)`, several (with no flags)
 * `writev(fd, iov, n)`; MSG_FASTOPEN is dropped. Letting the sendmsg itself
 * run would let a sibling swap another socket (a UDP one, say) in under the
 * same descriptor number and point msg_name at a denied address before the
 * kernel reads it; the new call's registers name no address, whatever the
 * descriptor turns out to be. Undefined when the message carries control
 * messages or flags with several buffers: then it is performed here.
 *
 * @param msghdr The `struct msghdr` as read at the check.
 */
export function namelessSend(
  tid: number,
  msghdr: Uint8Array,
  flags: number,
  rule: string,
): Decision | undefined {
  const v = new DataView(msghdr.buffer, msghdr.byteOffset, MSGHDR_SIZE);
  if (v.getBigUint64(40, true) !== 0n) return undefined;
  const iovPtr = v.getBigUint64(16, true);
  const iovLen = v.getBigUint64(24, true);
  const kept = (flags & ~MSG.FASTOPEN) >>> 0;
  if (iovLen === 1n) {
    const iov = new Uint8Array(16);
    if (readMemory(tid, iovPtr, iov) !== 16) return result(-EFAULT, rule);
    const iv = new DataView(iov.buffer);
    const args = {
      1: iv.getBigUint64(0, true),
      2: iv.getBigUint64(8, true),
      3: kept,
      4: 0n,
      5: 0n,
    };
    return { action: "replace", nr: SYS_SENDTO, args, rule };
  }
  if (kept !== 0) return undefined;
  return { action: "replace", nr: SYS_WRITEV, args: { 1: iovPtr, 2: iovLen }, rule };
}

/**
 * True when the tracee's `fd` is a connected TCP, MPTCP or unix stream
 * socket: the kernel ignores (TCP, MPTCP without MSG_FASTOPEN) or refuses
 * (unix) a destination given to sendmsg on it, even if a sibling disconnects
 * it first. Other stream protocols (SCTP) may act on a destination.
 */
export function connectedStream(pid: number, fd: number): boolean {
  using sock = new Borrowed(pid, fd);
  if (sock.error !== 0) return false;
  const kind = kindOf(sock.fd);
  if (typeof kind === "number" || kind.type !== SOCK.STREAM) return false;
  if (kind.domain !== AF.UNIX) {
    if (kind.domain !== AF.INET && kind.domain !== AF.INET6) return false;
    const protocol = getIntOption(sock.fd, SOL.SOCKET, SO.PROTOCOL);
    if (protocol !== IPPROTO.TCP && protocol !== IPPROTO.MPTCP) return false;
  }
  return isConnectedStream(sock.fd);
}

/** Whether the tracee's send would wait: its socket is blocking and it did not pass MSG_DONTWAIT. */
function blocks(fd: number, flags: number): boolean {
  const fileFlags = getFileFlags(fd);
  return fileFlags >= 0 && (fileFlags & O.NONBLOCK) === 0 && (flags & MSG.DONTWAIT) === 0;
}

/**
 * The tracee waits for its own socket and sends again (src/supervisor/wait.ts):
 * on its descriptor while it is not writable (a full send buffer, a connected
 * peer's full queue: POLLOUT says when), else for a while (an unconnected
 * datagram socket whose destination's queue is full: nothing says when).
 */
export function waitToSend(sock: number, traceeFd: number, rule: string): Decision {
  return waitDecision(sock, writableNow(sock) ? -1 : traceeFd, rule);
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
  guard?: Guard,
): Decision {
  if (len > MAX_PAYLOAD) return result(-EMSGSIZE, rule);
  const data = new Uint8Array(len);
  if (len > 0 && readMemory(tid, buf, data) !== len) return result(-EFAULT, rule);
  const held = borrowGuarded(pid, fd, rule, guard);
  if (!(held instanceof Borrowed)) return held;
  using sock = held;
  // Never blocking here: the supervisor serves the whole tree, the peer that would drain the
  // queue perhaps among it.
  const rc = asTracee(pid, () => sendTo(sock.fd, data, flags | MSG.DONTWAIT, addr));
  if (rc === -EAGAIN && blocks(sock.fd, flags)) return waitToSend(sock.fd, fd, rule);
  return result(rc, rule);
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
  control: ControlPolicy,
  guard?: Guard,
): Decision {
  const held = borrowGuarded(pid, fd, rule, guard);
  if (!(held instanceof Borrowed)) return held;
  using sock = held;
  const pidfd = pidfdOpen(pid);
  if (pidfd < 0) return result(pidfd, rule);
  try {
    let sent = 0;
    for (let i = 0; i < addrs.length; i++) {
      const at = ptr + BigInt(i * (vector ? MMSGHDR_SIZE : MSGHDR_SIZE));
      const msg = copyMessage(tid, pidfd, at, addrs[i], control.open);
      if (typeof msg === "string") {
        if (vector && sent > 0) return result(sent, rule);
        control.onRefused(msg);
        return { action: "deny", errno: control.errno, rule: "net.cmsg" };
      }
      if (typeof msg === "number") return result(vector && sent > 0 ? sent : msg, rule);
      let rc: number;
      try {
        rc = asTracee(pid, () => sendMsg(sock.fd, msg.msghdr, flags | MSG.DONTWAIT));
      } finally {
        for (const b of msg.borrowed) close(b);
      }
      if (rc === -EAGAIN && sent === 0 && blocks(sock.fd, flags)) {
        return waitToSend(sock.fd, fd, rule);
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
