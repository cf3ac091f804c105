/**
 * What the supervisor's thread reads from a stopped tracee to enrich an
 * event: the raw arguments of a supervised call, the destinations of a
 * network call, the program and argv of an exec. Called only when some
 * consumer (trace, log, summary, learn, a library listener) is on, so a run
 * without one does none of this work.
 *
 * The tracee is stopped while these run; a destination is read again from
 * its memory after the network check read it. Only a sibling thread
 * rewriting the address in that window (an attack, which the check itself
 * is immune to: see `src/net/act.ts`) could make the report differ from
 * what was checked.
 *
 * @module
 */

import { readMemory } from "../../ffi/memory.ts";
import type { SyscallRegisters } from "../arch/registers.ts";
import { formatAddress, isLoopback, isWildcard } from "../net/address.ts";
import { decodeSockaddr } from "../net/sockaddr.ts";
import {
  AF,
  MMSGHDR_SIZE,
  MSGHDR_SIZE,
  SOCKADDR_STORAGE_SIZE,
  UIO_MAXIOV,
} from "../../kernel/socket.ts";
import { PATH_MAX } from "../../kernel/fcntl.ts";
import type { NetAddress } from "../events.ts";
import { AT_EXECFN, AT_NULL } from "../../kernel/auxv.ts";

/** Arguments the network calls take (the others print all six registers). */
export const NET_ARITY: Readonly<Record<string, number>> = {
  connect: 3,
  bind: 3,
  sendto: 6,
  sendmsg: 3,
  sendmmsg: 4,
  socket: 3,
};

const FAMILY_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(AF).map(([name, n]) => [n, `AF_${name}`]),
);

/** `AF_INET` for 2, `AF_<n>` for a family without a name here. */
export function familyName(n: number): string {
  return FAMILY_NAMES[n] ?? `AF_${n}`;
}

const MAX_SOCKADDR = SOCKADDR_STORAGE_SIZE;

/** The call's arguments as hex strings: as many as a network call takes, else all six. */
export function captureArgs(name: string, regs: SyscallRegisters): string[] {
  const n = NET_ARITY[name] ?? 6;
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = `0x${regs.arg(i).toString(16)}`;
  return out;
}

/** Decodes sockaddr bytes into a {@linkcode NetAddress}. */
export function describeSockaddr(bytes: Uint8Array): NetAddress {
  const family = bytes.length >= 2 ? familyName(bytes[0] | (bytes[1] << 8)) : "AF_UNSPEC";
  const addr = decodeSockaddr(bytes);
  const scope = addr.family === "unix"
    ? "unix"
    : addr.family === "inet" || addr.family === "inet6"
    ? (isWildcard(addr) ? "wildcard" : isLoopback(addr) ? "loopback" : "remote")
    : "other";
  return { family, address: formatAddress(addr), scope };
}

const UNREADABLE: NetAddress = { family: "?", address: "?", scope: "other" };

function sockaddrAt(tid: number, ptr: bigint, len: number): NetAddress {
  const n = Math.min(Math.max(len, 0), MAX_SOCKADDR);
  if (n === 0) return describeSockaddr(new Uint8Array(0));
  const buf = new Uint8Array(n);
  return readMemory(tid, ptr, buf) === n ? describeSockaddr(buf) : UNREADABLE;
}

/**
 * The destinations of a stopped network call, read from the tracee: one for
 * `connect`, `bind`, `sendto` and `sendmsg`, one per message with a name for
 * `sendmmsg`; undefined for other calls and for messages without a name.
 */
export function captureAddresses(
  name: string,
  tid: number,
  regs: SyscallRegisters,
): NetAddress[] | undefined {
  switch (name) {
    case "connect":
    case "bind":
      return [sockaddrAt(tid, regs.arg(1), regs.argInt(2))];
    case "sendto":
      return regs.arg(4) === 0n ? undefined : [sockaddrAt(tid, regs.arg(4), regs.argInt(5))];
    case "sendmsg":
    case "sendmmsg": {
      const vector = name === "sendmmsg";
      const count = vector ? Math.min(regs.argInt(2) >>> 0, UIO_MAXIOV) : 1;
      if (count === 0) return undefined;
      const stride = vector ? MMSGHDR_SIZE : MSGHDR_SIZE;
      const hdrs = new Uint8Array(count * stride);
      if (readMemory(tid, regs.arg(1), hdrs) !== hdrs.length) return [UNREADABLE];
      const view = new DataView(hdrs.buffer);
      const out: NetAddress[] = [];
      for (let i = 0; i < count; i++) {
        const ptr = view.getBigUint64(i * stride, true);
        if (ptr !== 0n) out.push(sockaddrAt(tid, ptr, view.getUint32(i * stride + 8, true)));
      }
      return out.length > 0 ? out : undefined;
    }
    default:
      return undefined;
  }
}

/** Splits `/proc/<pid>/cmdline` bytes at NULs. */
export function parseCmdline(bytes: Uint8Array): string[] {
  const text = new TextDecoder().decode(bytes);
  const parts = text.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** The AT_EXECFN pointer from `/proc/<pid>/auxv` bytes (pairs of u64), or undefined. */
export function execfnPointer(auxv: Uint8Array): bigint | undefined {
  const words = new BigUint64Array(auxv.buffer, auxv.byteOffset, Math.floor(auxv.length / 8));
  for (let i = 0; i + 1 < words.length; i += 2) {
    if (words[i] === AT_NULL) return undefined;
    if (words[i] === AT_EXECFN) return words[i + 1];
  }
  return undefined;
}

/** Joins a relative path onto a directory, resolving `.` and `..` textually. */
export function absolutePath(path: string, cwd: string): string {
  const parts = path.startsWith("/") ? [] : cwd.split("/");
  for (const p of path.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return "/" + parts.filter((p) => p !== "").join("/");
}

function readCString(pid: number, ptr: bigint): string | undefined {
  const parts: Uint8Array[] = [];
  let length = 0;
  // Chunks that never cross a 256-byte boundary, so never a page boundary:
  // the string sits near the top of the stack, just below unmapped memory.
  for (let at = ptr; length < PATH_MAX;) {
    const buf = new Uint8Array(256 - Number(at % 256n));
    if (readMemory(pid, at, buf) !== buf.length) return undefined;
    const end = buf.indexOf(0);
    parts.push(end >= 0 ? buf.subarray(0, end) : buf);
    length += buf.length;
    if (end >= 0) break;
    at += BigInt(buf.length);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return new TextDecoder().decode(all);
}

/** What an exec ran. */
export interface ExecInfo {
  /** The path handed to execve, made absolute (for a script, the script). */
  exe: string;
  /** The binary the kernel loaded when it is another file: a script's interpreter. */
  interpreter?: string;
  /** Arguments, from `/proc/<pid>/cmdline`. */
  argv: string[];
}

/**
 * The program a process just exec'd (stopped at its PTRACE_EVENT_EXEC): the
 * path handed to execve (AT_EXECFN, made absolute), the interpreter the
 * kernel ran for a `#!` script (`/proc/<pid>/exe`, when it is another file),
 * and the argv.
 */
export function captureExec(pid: number): ExecInfo {
  let argv: string[] = [];
  try {
    argv = parseCmdline(Deno.readFileSync(`/proc/${pid}/cmdline`));
  } catch { /* gone already */ }
  const binary = readLink(`/proc/${pid}/exe`);
  let exe: string | undefined;
  try {
    const ptr = execfnPointer(Deno.readFileSync(`/proc/${pid}/auxv`));
    const path = ptr === undefined ? undefined : readCString(pid, ptr);
    if (path) exe = path.startsWith("/") ? path : absolutePath(path, readLink(`/proc/${pid}/cwd`));
  } catch { /* fall back below */ }
  if (!exe) return { exe: binary || argv[0] || "?", argv };
  let interpreter: string | undefined;
  if (binary && binary !== exe) {
    try {
      if (Deno.realPathSync(exe) !== binary) interpreter = binary;
    } catch { /* the path is gone: nothing to compare */ }
  }
  return { exe, interpreter, argv };
}

function readLink(path: string): string {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return "";
  }
}
