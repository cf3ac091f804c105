/**
 * `--trace` argument decoding, as data: each syscall's signature is a list
 * of argument kinds, and each kind has one decoder from the raw register
 * (hex, as events carry it) to strace's notation. Strings a call points to
 * (paths) are read from the tracee at the call's stop, by
 * {@linkcode captureStrings}, and carried in the event already quoted.
 *
 * ```text
 * openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC)
 * socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP)
 * kill(4242, SIGTERM)
 * read(3, 0x7ffd6a1c2e40, 4096)
 * ```
 *
 * Buffers of read and write are never dumped: their pointer and length are.
 *
 * @module
 */

import { readCString } from "../fs/tracee_memory.ts";
import type { SyscallRegisters as Registers } from "../arch/arch.ts";
import { familyName } from "./capture.ts";
import { signalName } from "./_text.ts";
import { HOST_ABI } from "../../kernel/abi.ts";
import { ACCESS_OK, AT, AT_FDCWD, O, SEEK } from "../../kernel/fcntl.ts";
import { AF, IPPROTO, MSG, SO, SOCK, SOL, TCP } from "../../kernel/socket.ts";
import { type ArgKind, SIGNATURES } from "./trace_signatures.ts";

export { ADDRESS_RESULTS, type ArgKind, SIGNATURES } from "./trace_signatures.ts";

/** Flag tables: name and bits, tested in order (a multi-bit name before its parts). */
type Flags = readonly (readonly [string, number])[];

/** open(2) access modes, by the low two bits. */
const ACCESS_MODES = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"];
/** open(2) flags beyond the access mode, this machine's values; O_TMPFILE includes O_DIRECTORY. */
const OPEN_FLAGS: Flags = [
  ["O_TMPFILE", O.TMPFILE | HOST_ABI.open.DIRECTORY],
  ["O_CREAT", O.CREAT],
  ["O_EXCL", O.EXCL],
  ["O_NOCTTY", O.NOCTTY],
  ["O_TRUNC", O.TRUNC],
  ["O_APPEND", O.APPEND],
  ["O_NONBLOCK", O.NONBLOCK],
  ["O_DSYNC", O.DSYNC],
  ["O_ASYNC", O.ASYNC],
  ["O_DIRECT", HOST_ABI.open.DIRECT],
  ["O_LARGEFILE", HOST_ABI.open.LARGEFILE],
  ["O_DIRECTORY", HOST_ABI.open.DIRECTORY],
  ["O_NOFOLLOW", HOST_ABI.open.NOFOLLOW],
  ["O_NOATIME", O.NOATIME],
  ["O_CLOEXEC", O.CLOEXEC],
  ["O_SYNC", O.SYNC],
  ["O_PATH", O.PATH],
];
const O_TMPFILE = O.TMPFILE | HOST_ABI.open.DIRECTORY;
/** socket(2) types, by the low four bits. */
const SOCK_TYPES: Readonly<Record<number, string>> = {
  [SOCK.STREAM]: "SOCK_STREAM",
  [SOCK.DGRAM]: "SOCK_DGRAM",
  [SOCK.RAW]: "SOCK_RAW",
  [SOCK.RDM]: "SOCK_RDM",
  [SOCK.SEQPACKET]: "SOCK_SEQPACKET",
  [SOCK.DCCP]: "SOCK_DCCP",
  [SOCK.PACKET]: "SOCK_PACKET",
};
const SOCK_FLAGS: Flags = [["SOCK_CLOEXEC", SOCK.CLOEXEC], ["SOCK_NONBLOCK", SOCK.NONBLOCK]];
/** Protocols of inet sockets. */
const PROTOCOLS: Readonly<Record<number, string>> = {
  [IPPROTO.IP]: "IPPROTO_IP",
  [IPPROTO.ICMP]: "IPPROTO_ICMP",
  [IPPROTO.TCP]: "IPPROTO_TCP",
  [IPPROTO.UDP]: "IPPROTO_UDP",
  [IPPROTO.ICMPV6]: "IPPROTO_ICMPV6",
  [IPPROTO.SCTP]: "IPPROTO_SCTP",
  [IPPROTO.UDPLITE]: "IPPROTO_UDPLITE",
  [IPPROTO.RAW]: "IPPROTO_RAW",
  [IPPROTO.MPTCP]: "IPPROTO_MPTCP",
};
const MSG_FLAGS: Flags = [
  ["MSG_OOB", MSG.OOB],
  ["MSG_PEEK", MSG.PEEK],
  ["MSG_DONTROUTE", MSG.DONTROUTE],
  ["MSG_TRUNC", MSG.TRUNC],
  ["MSG_DONTWAIT", MSG.DONTWAIT],
  ["MSG_EOR", MSG.EOR],
  ["MSG_WAITALL", MSG.WAITALL],
  ["MSG_CONFIRM", MSG.CONFIRM],
  ["MSG_ERRQUEUE", MSG.ERRQUEUE],
  ["MSG_NOSIGNAL", MSG.NOSIGNAL],
  ["MSG_MORE", MSG.MORE],
  ["MSG_WAITFORONE", MSG.WAITFORONE],
  ["MSG_ZEROCOPY", MSG.ZEROCOPY],
  ["MSG_FASTOPEN", MSG.FASTOPEN],
  ["MSG_CMSG_CLOEXEC", MSG.CMSG_CLOEXEC],
];
const AT_FLAGS: Flags = [
  ["AT_SYMLINK_NOFOLLOW", AT.SYMLINK_NOFOLLOW],
  ["AT_SYMLINK_FOLLOW", AT.SYMLINK_FOLLOW],
  ["AT_NO_AUTOMOUNT", AT.NO_AUTOMOUNT],
  ["AT_EMPTY_PATH", AT.EMPTY_PATH],
  ["AT_EACCESS", AT.EACCESS],
];
const UNLINK_FLAGS: Flags = [["AT_REMOVEDIR", AT.REMOVEDIR]];
const ACCESS_BITS: Flags = [["R_OK", ACCESS_OK.R], ["W_OK", ACCESS_OK.W], ["X_OK", ACCESS_OK.X]];
/** lseek's `whence`, by value. */
const WHENCE: Readonly<Record<number, string>> = {
  [SEEK.SET]: "SEEK_SET",
  [SEEK.CUR]: "SEEK_CUR",
  [SEEK.END]: "SEEK_END",
  [SEEK.DATA]: "SEEK_DATA",
  [SEEK.HOLE]: "SEEK_HOLE",
};
/** Socket option levels. */
const LEVELS: Readonly<Record<number, string>> = {
  [SOL.IP]: "SOL_IP",
  [SOL.SOCKET]: "SOL_SOCKET",
  [SOL.TCP]: "SOL_TCP",
  [SOL.UDP]: "SOL_UDP",
  [SOL.IPV6]: "SOL_IPV6",
  [SOL.RAW]: "SOL_RAW",
};
/** Common options of the levels, by level. */
const SOCKOPTS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  [SOL.SOCKET]: {
    [SO.REUSEADDR]: "SO_REUSEADDR",
    [SO.BROADCAST]: "SO_BROADCAST",
    [SO.SNDBUF]: "SO_SNDBUF",
    [SO.RCVBUF]: "SO_RCVBUF",
    [SO.KEEPALIVE]: "SO_KEEPALIVE",
    [SO.LINGER]: "SO_LINGER",
    [SO.REUSEPORT]: "SO_REUSEPORT",
    [SO.RCVTIMEO]: "SO_RCVTIMEO",
    [SO.SNDTIMEO]: "SO_SNDTIMEO",
    [SO.BINDTODEVICE]: "SO_BINDTODEVICE",
    [SO.MARK]: "SO_MARK",
  },
  [SOL.TCP]: {
    [TCP.NODELAY]: "TCP_NODELAY",
    [TCP.KEEPIDLE]: "TCP_KEEPIDLE",
    [TCP.KEEPINTVL]: "TCP_KEEPINTVL",
    [TCP.KEEPCNT]: "TCP_KEEPCNT",
    [TCP.FASTOPEN]: "TCP_FASTOPEN",
    [TCP.FASTOPEN_CONNECT]: "TCP_FASTOPEN_CONNECT",
  },
};
/** strace's default string limit (`-s 32`). */
export const MAX_STRING = 32;

/** `A|B|0x40`: the names whose bits are all set, unknown bits in hex; `none` when no bit is. */
export function flagsText(value: number, table: Flags, none = "0"): string {
  let rest = value >>> 0;
  const names: string[] = [];
  for (const [name, bits] of table) {
    if ((rest & bits) === bits) {
      names.push(name);
      rest = (rest & ~bits) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length ? names.join("|") : none;
}

/** `O_WRONLY|O_CREAT|O_CLOEXEC`, unknown bits in hex at the end, as strace writes them. */
export function openFlags(hex: string | undefined): string {
  if (hex === undefined) return "?";
  const value = Number(BigInt(hex) & 0xffffffffn);
  const rest = flagsText(value & ~3, OPEN_FLAGS, "");
  return rest ? `${ACCESS_MODES[value & 3]}|${rest}` : ACCESS_MODES[value & 3];
}

/** `SOCK_STREAM|SOCK_CLOEXEC`. */
export function sockType(value: number): string {
  const base = SOCK_TYPES[value & SOCK.TYPE_MASK] ?? `${value & SOCK.TYPE_MASK}`;
  const rest = flagsText(value & ~SOCK.TYPE_MASK, SOCK_FLAGS, "");
  return rest ? `${base}|${rest}` : base;
}

/** `0644`, as strace writes modes (`%#03o`). */
export function octalMode(value: bigint): string {
  return `0${(value & 0o7777n).toString(8).padStart(2, "0")}`;
}

const ESCAPES: Readonly<Record<number, string>> = {
  0x09: "\\t",
  0x0a: "\\n",
  0x0b: "\\v",
  0x0c: "\\f",
  0x0d: "\\r",
  0x22: '\\"',
  0x5c: "\\\\",
};

/**
 * A C string as strace prints it: quoted, printable ASCII as is, `\n` and
 * friends, other bytes as octal escapes (three digits when a digit follows),
 * and `...` after the quote when cut at `max` bytes.
 */
export function quoteBytes(bytes: Uint8Array, max = Infinity): string {
  const shown = bytes.length > max ? bytes.subarray(0, max) : bytes;
  let out = '"';
  for (let i = 0; i < shown.length; i++) {
    const b = shown[i];
    if (ESCAPES[b]) out += ESCAPES[b];
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else {
      const next = shown[i + 1];
      const digitNext = next !== undefined && next >= 0x30 && next <= 0x37;
      out += `\\${digitNext ? b.toString(8).padStart(3, "0") : b.toString(8)}`;
    }
  }
  return `${out}"${bytes.length > max ? "..." : ""}`;
}

/**
 * The strings a stopped call points to, read from the tracee now (a path
 * may change once the call ran): argument index → quoted text. Pointers
 * that cannot be read stay out (the hex pointer is shown).
 */
export function captureStrings(
  name: string,
  tid: number,
  regs: Registers,
): Record<number, string> | undefined {
  const kinds = SIGNATURES[name];
  if (!kinds) return undefined;
  let out: Record<number, string> | undefined;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] !== "path" && kinds[i] !== "string") continue;
    const ptr = regs.arg(i);
    if (ptr === 0n) continue;
    const bytes = readCString(tid, ptr);
    if (typeof bytes === "number") continue;
    (out ??= {})[i] = quoteBytes(bytes, kinds[i] === "string" ? MAX_STRING : Infinity);
  }
  return out;
}

/** What one argument decoder is given. */
export interface ArgContext {
  /** All raw arguments, hex. */
  args: readonly string[];
  /** Index of this one. */
  index: number;
  /** Strings read at the stop, by index. */
  strings?: Readonly<Record<number, string>>;
  /** Decoded destinations of a network call. */
  sockaddr: (i: number) => string;
  /** `{msg_name=...}` lists of sendmsg and sendmmsg. */
  messages: () => string;
}

const int32 = (hex: string) => Number(BigInt.asIntN(32, BigInt(hex)));
const uint32 = (hex: string) => Number(BigInt(hex) & 0xffffffffn);
const pointer = (hex: string) => BigInt(hex) === 0n ? "NULL" : hex;

/** One decoder per argument kind: raw register (hex) → text. */
export const DECODERS: Readonly<Record<ArgKind, (hex: string, c: ArgContext) => string>> = {
  int: (h) => String(int32(h)),
  long: (h) => String(BigInt.asIntN(64, BigInt(h))),
  ulong: (h) => String(BigInt.asUintN(64, BigInt(h))),
  hex: (h) => `0x${BigInt(h).toString(16)}`,
  ptr: pointer,
  fd: (h) => String(int32(h)),
  dirfd: (h) => int32(h) === AT_FDCWD ? "AT_FDCWD" : String(int32(h)),
  path: (h, c) => c.strings?.[c.index] ?? pointer(h),
  string: (h, c) => c.strings?.[c.index] ?? pointer(h),
  oflags: (h) => openFlags(h),
  mode: (h) => octalMode(BigInt(h)),
  omode: (h) => octalMode(BigInt(h)),
  domain: (h) => familyName(int32(h)),
  socktype: (h) => sockType(uint32(h)),
  protocol: (h, c) => {
    const family = int32(c.args[0] ?? "0x0");
    const n = int32(h);
    return family === AF.INET || family === AF.INET6 ? PROTOCOLS[n] ?? String(n) : String(n);
  },
  signal: (h) => int32(h) === 0 ? "0" : signalName(int32(h)),
  sockaddr: (_h, c) => c.sockaddr(c.index),
  msghdr: (_h, c) => c.messages(),
  mmsghdr: (_h, c) => c.messages(),
  msgflags: (h) => flagsText(uint32(h), MSG_FLAGS),
  atflags: (h) => flagsText(uint32(h), AT_FLAGS),
  unlinkflags: (h) => flagsText(uint32(h), UNLINK_FLAGS),
  amode: (h) => uint32(h) === 0 ? "F_OK" : flagsText(uint32(h), ACCESS_BITS),
  whence: (h) => WHENCE[uint32(h)] ?? String(int32(h)),
  level: (h) => LEVELS[int32(h)] ?? String(int32(h)),
  sockopt: (h, c) => SOCKOPTS[int32(c.args[c.index - 1] ?? "0x0")]?.[int32(h)] ?? String(int32(h)),
};

/**
 * The arguments of a call in strace's notation; undefined for a call
 * without a signature (the caller prints its registers).
 */
export function decodeArgs(
  name: string,
  context: Omit<ArgContext, "index">,
): string[] | undefined {
  const kinds = SIGNATURES[name];
  if (!kinds) return undefined;
  const out: string[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const hex = context.args[i];
    if (hex === undefined) {
      out.push("?");
      continue;
    }
    // open's mode is read only when the flags create a file.
    if (kinds[i] === "omode") {
      const flags = uint32(context.args[i - 1] ?? "0x0");
      if ((flags & O.CREAT) === 0 && (flags & O_TMPFILE) !== O_TMPFILE) continue;
    }
    out.push(DECODERS[kinds[i]](hex, { ...context, index: i }));
  }
  return out;
}
