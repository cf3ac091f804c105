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
import { type ArgKind, SIGNATURES } from "./trace_signatures.ts";

export { ADDRESS_RESULTS, type ArgKind, SIGNATURES } from "./trace_signatures.ts";

/** Flag tables: name and bits, tested in order (a multi-bit name before its parts). */
type Flags = readonly (readonly [string, number])[];

/** open(2) access modes, by the low two bits. */
const ACCESS_MODES = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"];
/** open(2) flags beyond the access mode, this machine's values; O_TMPFILE includes O_DIRECTORY. */
const OPEN_FLAGS: Flags = [
  ["O_TMPFILE", 0o20000000 | HOST_ABI.open.DIRECTORY],
  ["O_CREAT", 0o100],
  ["O_EXCL", 0o200],
  ["O_NOCTTY", 0o400],
  ["O_TRUNC", 0o1000],
  ["O_APPEND", 0o2000],
  ["O_NONBLOCK", 0o4000],
  ["O_DSYNC", 0o10000],
  ["O_ASYNC", 0o20000],
  ["O_DIRECT", HOST_ABI.open.DIRECT],
  ["O_LARGEFILE", HOST_ABI.open.LARGEFILE],
  ["O_DIRECTORY", HOST_ABI.open.DIRECTORY],
  ["O_NOFOLLOW", HOST_ABI.open.NOFOLLOW],
  ["O_NOATIME", 0o1000000],
  ["O_CLOEXEC", 0o2000000],
  ["O_SYNC", 0o4010000],
  ["O_PATH", 0o10000000],
];
const O_CREAT = 0o100;
const O_TMPFILE = 0o20200000;
/** socket(2) types, by the low four bits. */
const SOCK_TYPES: Readonly<Record<number, string>> = {
  1: "SOCK_STREAM",
  2: "SOCK_DGRAM",
  3: "SOCK_RAW",
  4: "SOCK_RDM",
  5: "SOCK_SEQPACKET",
  6: "SOCK_DCCP",
  10: "SOCK_PACKET",
};
const SOCK_TYPE_MASK = 0xf;
const SOCK_FLAGS: Flags = [["SOCK_CLOEXEC", 0o2000000], ["SOCK_NONBLOCK", 0o4000]];
/** Protocols of inet sockets. */
const IPPROTO: Readonly<Record<number, string>> = {
  0: "IPPROTO_IP",
  1: "IPPROTO_ICMP",
  6: "IPPROTO_TCP",
  17: "IPPROTO_UDP",
  58: "IPPROTO_ICMPV6",
  132: "IPPROTO_SCTP",
  136: "IPPROTO_UDPLITE",
  255: "IPPROTO_RAW",
  262: "IPPROTO_MPTCP",
};
const AF_INET = 2;
const AF_INET6 = 10;
const MSG_FLAGS: Flags = [
  ["MSG_OOB", 0x1],
  ["MSG_PEEK", 0x2],
  ["MSG_DONTROUTE", 0x4],
  ["MSG_TRUNC", 0x20],
  ["MSG_DONTWAIT", 0x40],
  ["MSG_EOR", 0x80],
  ["MSG_WAITALL", 0x100],
  ["MSG_CONFIRM", 0x800],
  ["MSG_ERRQUEUE", 0x2000],
  ["MSG_NOSIGNAL", 0x4000],
  ["MSG_MORE", 0x8000],
  ["MSG_WAITFORONE", 0x10000],
  ["MSG_ZEROCOPY", 0x4000000],
  ["MSG_FASTOPEN", 0x20000000],
  ["MSG_CMSG_CLOEXEC", 0x40000000],
];
const AT_FLAGS: Flags = [
  ["AT_SYMLINK_NOFOLLOW", 0x100],
  ["AT_SYMLINK_FOLLOW", 0x400],
  ["AT_NO_AUTOMOUNT", 0x800],
  ["AT_EMPTY_PATH", 0x1000],
  ["AT_EACCESS", 0x200],
];
const UNLINK_FLAGS: Flags = [["AT_REMOVEDIR", 0x200]];
const ACCESS_BITS: Flags = [["R_OK", 4], ["W_OK", 2], ["X_OK", 1]];
const WHENCE = ["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"];
/** Socket option levels. */
const LEVELS: Readonly<Record<number, string>> = {
  0: "SOL_IP",
  1: "SOL_SOCKET",
  6: "SOL_TCP",
  17: "SOL_UDP",
  41: "SOL_IPV6",
  255: "SOL_RAW",
};
/** Common options of the levels, by level. */
const SOCKOPTS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  1: {
    2: "SO_REUSEADDR",
    6: "SO_BROADCAST",
    7: "SO_SNDBUF",
    8: "SO_RCVBUF",
    9: "SO_KEEPALIVE",
    13: "SO_LINGER",
    15: "SO_REUSEPORT",
    20: "SO_RCVTIMEO",
    21: "SO_SNDTIMEO",
    25: "SO_BINDTODEVICE",
    36: "SO_MARK",
  },
  6: {
    1: "TCP_NODELAY",
    4: "TCP_KEEPIDLE",
    5: "TCP_KEEPINTVL",
    6: "TCP_KEEPCNT",
    23: "TCP_FASTOPEN",
    30: "TCP_FASTOPEN_CONNECT",
  },
};
/** `dirfd` of the `*at` calls. */
const AT_FDCWD = -100;
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
  const base = SOCK_TYPES[value & SOCK_TYPE_MASK] ?? `${value & SOCK_TYPE_MASK}`;
  const rest = flagsText(value & ~SOCK_TYPE_MASK, SOCK_FLAGS, "");
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
    return family === AF_INET || family === AF_INET6 ? IPPROTO[n] ?? String(n) : String(n);
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
      if ((flags & O_CREAT) === 0 && (flags & O_TMPFILE) !== O_TMPFILE) continue;
    }
    out.push(DECODERS[kinds[i]](hex, { ...context, index: i }));
  }
  return out;
}
