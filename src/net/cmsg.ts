/**
 * The messages of a sendmsg/sendmmsg performed by the supervisor: each
 * `struct msghdr` copied out of the tracee with everything it points to,
 * the checked destination in place of the tracee's, SCM_RIGHTS descriptors
 * duplicated into this process, and every control message that could choose
 * an interface, a next hop, a source route or a mark refused.
 *
 * @module
 */

import { addressOf } from "../../ffi/libc.ts";
import { close } from "../../ffi/io.ts";
import { pidfdGetfd } from "../../ffi/process.ts";
import { readMemory } from "../../ffi/memory.ts";
import { interfaceIndex } from "../../ffi/socket.ts";
import {
  CMSG_HEADER_SIZE,
  IN6_PKTINFO_IFINDEX,
  IN6_PKTINFO_SIZE,
  IN_PKTINFO_SIZE,
  IP,
  IPV6,
  MSGHDR_SIZE,
  SCM,
  SO,
  SOL,
  UDP_SEGMENT,
  UIO_MAXIOV,
} from "../../kernel/socket.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import type { Refusal } from "./denial.ts";

const { EFAULT, EINVAL, EMSGSIZE } = ERRNO_NUMBERS;

/** The most payload the supervisor copies for one performed send. */
export const MAX_PAYLOAD = 4 << 20;
const MAX_CONTROL = 64 << 10;

/** What to do with a control message that could choose a route. */
export interface ControlPolicy {
  /** Every destination is allowed: any control message may pass. */
  open: boolean;
  /** errno the refused call returns. */
  errno: number;
  /** Reports the refusal (one line). */
  onRefused: (what: string) => void;
}

/**
 * How refused control messages of a call are reported and denied.
 *
 * @param open Every destination is allowed: any control message may pass.
 */
export function controlPolicy(open: boolean, refusal: Refusal): ControlPolicy {
  const { call, errno } = refusal;
  return {
    open,
    errno,
    onRefused: (what) =>
      refusal.report({
        call,
        address: `${call} with ${what}`,
        phrase: true,
        hint: "it could choose the packet's interface or route",
      }),
  };
}

/** One message of a sendmsg/sendmmsg, copied out of the tracee. */
export interface CopiedMessage {
  /** The `struct msghdr` to send with, pointing into `keep`. */
  msghdr: Uint8Array<ArrayBuffer>;
  /** Buffers the msghdr points into: kept alive for the call. */
  keep: Uint8Array[];
  /** Descriptors borrowed for SCM_RIGHTS: closed after the call. */
  borrowed: number[];
}

function u64(view: DataView, at: number): bigint {
  return view.getBigUint64(at, true);
}

/** Control messages that change neither a packet's destination nor its route. */
const HARMLESS_CONTROL: ReadonlySet<string> = new Set([
  `${SOL.SOCKET}/${SCM.RIGHTS}`,
  `${SOL.SOCKET}/${SCM.CREDENTIALS}`,
  `${SOL.SOCKET}/${SO.TIMESTAMPING_OLD}`,
  `${SOL.SOCKET}/${SO.TIMESTAMPING_NEW}`,
  `${SOL.IP}/${IP.TTL}`,
  `${SOL.IP}/${IP.TOS}`,
  `${SOL.IPV6}/${IPV6.HOPLIMIT}`,
  `${SOL.IPV6}/${IPV6.TCLASS}`,
  `${SOL.IPV6}/${IPV6.DONTFRAG}`,
  `${SOL.UDP}/${UDP_SEGMENT}`,
]);

let loopbackIndex: number | undefined;

/** The loopback interface's index (0 when it cannot be found: then only index 0 passes). */
function loopbackInterface(): number {
  loopbackIndex ??= interfaceIndex("lo");
  return loopbackIndex;
}

/**
 * Why the control message at `off` may not be sent, or undefined when it may:
 * anything that can choose an interface, a next hop, a source route or a
 * mark is refused; IP_PKTINFO/IPV6_PKTINFO pass only with interface index 0
 * or loopback's, so "loopback allowed" keeps the packet on lo.
 */
function refusedControl(
  cv: DataView,
  off: number,
  len: number,
  level: number,
  type: number,
): string | undefined {
  if (HARMLESS_CONTROL.has(`${level}/${type}`)) return undefined;
  const what = `a control message (level ${level}, type ${type})`;
  const ifindexAt = level === SOL.IP && type === IP.PKTINFO
    ? (len >= CMSG_HEADER_SIZE + IN_PKTINFO_SIZE ? off + CMSG_HEADER_SIZE : -1)
    : level === SOL.IPV6 && type === IPV6.PKTINFO
    ? (len >= CMSG_HEADER_SIZE + IN6_PKTINFO_SIZE
      ? off + CMSG_HEADER_SIZE + IN6_PKTINFO_IFINDEX
      : -1)
    : undefined;
  if (ifindexAt === undefined || ifindexAt < 0) return what;
  const index = cv.getInt32(ifindexAt, true);
  if (index === 0 || index === loopbackInterface()) return undefined;
  return `${what} choosing interface ${index}`;
}

/**
 * Copies one `struct msghdr` at `ptr` and everything it points to, with the
 * checked destination `addr` in place of the tracee's, and SCM_RIGHTS
 * descriptors translated into duplicates in this process.
 *
 * @param anyControl True when every control message may pass (see {@linkcode ControlPolicy}).
 * @returns The copy; `-errno` when it cannot be made; or why a control message is refused.
 */
export function copyMessage(
  tid: number,
  pidfd: number,
  ptr: bigint,
  addr: Uint8Array | null,
  anyControl = false,
): CopiedMessage | number | string {
  const raw = new Uint8Array(MSGHDR_SIZE);
  if (readMemory(tid, ptr, raw) !== MSGHDR_SIZE) return -EFAULT;
  const v = new DataView(raw.buffer);
  const iovPtr = u64(v, 16);
  const iovLen = Number(u64(v, 24));
  const ctlPtr = u64(v, 32);
  const ctlLen = Number(u64(v, 40));
  if (iovLen > UIO_MAXIOV) return -EINVAL; // As the kernel says for msg_iovlen > UIO_MAXIOV.
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
  const fail = (rc: number | string) => {
    for (const fd of borrowed) close(fd);
    return rc;
  };
  // Walk the cmsghdrs: { u64 len; i32 level; i32 type; data }, each aligned to 8.
  const cv = new DataView(control.buffer);
  for (let off = 0; off + CMSG_HEADER_SIZE <= control.length;) {
    const len = Number(u64(cv, off));
    // The kernel refuses a malformed header (EINVAL) before sending: refuse it here, unsent.
    if (len < CMSG_HEADER_SIZE || off + len > control.length) return fail(-EINVAL);
    const level = cv.getInt32(off + 8, true);
    const type = cv.getInt32(off + 12, true);
    const refused = anyControl ? undefined : refusedControl(cv, off, len, level, type);
    if (refused) return fail(refused);
    if (level === SOL.SOCKET && type === SCM.RIGHTS) {
      for (let p = off + CMSG_HEADER_SIZE; p + 4 <= off + len; p += 4) {
        const dup = pidfdGetfd(pidfd, cv.getInt32(p, true));
        if (dup < 0) return fail(dup);
        borrowed.push(dup);
        cv.setInt32(p, dup, true);
      }
    }
    off += (len + 7) & ~7;
  }
  const iov = new BigUint64Array([addressOf(data), BigInt(data.length)]);
  const out = new Uint8Array(MSGHDR_SIZE);
  const ov = new DataView(out.buffer);
  ov.setBigUint64(0, addr ? addressOf(addr) : 0n, true);
  ov.setUint32(8, addr?.length ?? 0, true);
  ov.setBigUint64(16, addressOf(iov), true);
  ov.setBigUint64(24, 1n, true);
  ov.setBigUint64(32, control.length ? addressOf(control) : 0n, true);
  ov.setBigUint64(40, BigInt(control.length), true);
  return { msghdr: out, keep: [data, control, new Uint8Array(iov.buffer)], borrowed };
}
