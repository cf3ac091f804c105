/**
 * `--trace`: one strace-like line per event.
 *
 * ```text
 * [4242] spawn by 4241
 * [4242 python3] exec /usr/bin/python3 ["python3", "-c", "import socket"]
 * [4242 python3] connect(3, {AF_INET, 10.1.2.3:80}, 16) = -1 EACCES  deny by net
 * [4242 python3] bind(4, {AF_INET, 0.0.0.0:0}, 16) = 0  rewrite by net.bind
 * [4242 python3] getppid(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = 7  return by syscalls.getppid
 * [4242/4250 python3] uname(0x7ffc3a4b1c20, 0x0, 0x0, 0x0, 0x0, 0x0) = ?  allow by syscalls.uname
 * [4242 python3] exit 1
 * ```
 *
 * The bracket holds the pid (and the thread, when not the main one) and the
 * program's name; `= ?` means the call ran and jail did not see its result.
 * Network calls show their decoded destination; `open`, `openat` and
 * `creat` their descriptor, flags and mode (the path stays a pointer: events
 * carry no path); other calls their raw argument registers in hex.
 *
 * @module
 */

import type { ExitEvent, SupervisorEvent, SyscallEvent } from "../supervisor_worker.ts";
import type { NetAddress } from "./capture.ts";
import { familyName } from "./capture.ts";
import { decisionOf, type ReportDecision, resultOf } from "./classify.ts";
import { basename, printable, quote, signalName } from "./_text.ts";
import { HOST_ABI } from "../arch/abi.ts";

/** Options for {@linkcode traceLine}. */
export interface TraceOptions {
  /** Colour with ANSI escapes. */
  color: boolean;
}

/**
 * Whether trace output should be coloured: on a terminal, unless `NO_COLOR`
 * is set to anything non-empty (https://no-color.org).
 *
 * @param isTerminal Whether stderr is a terminal.
 * @param noColor The value of `NO_COLOR`, if set.
 * @returns True to colour.
 */
export function useColor(isTerminal: boolean, noColor: string | undefined): boolean {
  return isTerminal && !noColor;
}

const SGR = {
  dim: "\x1b[2m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  cyan: "\x1b[36m",
  boldRed: "\x1b[1;31m",
} as const;

const DECISION_COLOR: Record<ReportDecision, keyof typeof SGR> = {
  allow: "green",
  deny: "red",
  kill: "boldRed",
  rewrite: "yellow",
  return: "yellow",
  result: "yellow",
};

const MAX_ARGV = 32;
const MAX_MMSG = 4;

/**
 * Formats one event as a trace line (no newline).
 *
 * @example A denied connect
 * ```ts
 * import { traceLine } from "./trace.ts";
 * const line = traceLine({
 *   kind: "syscall", time: 0, pid: 7, tid: 7, ppid: 1, exe: "/usr/bin/curl", nr: 42,
 *   name: "connect", args: ["0x3", "0x7ffd0000", "0x10"],
 *   addr: [{ family: "AF_INET", address: "10.1.2.3:80", scope: "remote" }],
 *   action: "deny", errno: 13, rule: "net",
 * }, { color: false });
 * // "[7 curl] connect(3, {AF_INET, 10.1.2.3:80}, 16) = -1 EACCES  deny by net"
 * ```
 *
 * @param e The event.
 * @param options Colour.
 * @returns The line.
 */
export function traceLine(e: SupervisorEvent, options: TraceOptions): string {
  const paint = (color: keyof typeof SGR, s: string) =>
    options.color ? `${SGR[color]}${s}\x1b[0m` : s;
  const tid = e.kind === "syscall" && e.tid !== e.pid ? `/${e.tid}` : "";
  const name = e.exe ? ` ${printable(basename(e.exe))}` : "";
  const head = paint("dim", `[${e.pid}${tid}${name}]`);
  switch (e.kind) {
    case "spawn":
      return `${head} ${paint("cyan", "spawn")} by ${e.ppid}`;
    case "exec":
      return `${head} ${paint("cyan", "exec")} ${printable(e.exe)} ${formatArgv(e.argv)}`;
    case "exit":
      return `${head} ${exitText(e, paint)}`;
    case "syscall": {
      const decision = decisionOf(e);
      const by = e.rule ? ` by ${e.rule}` : "";
      return `${head} ${formatCall(e)} = ${resultText(e)}  ${
        paint(DECISION_COLOR[decision], decision)
      }${by}${rewriteText(e)}`;
    }
  }
}

function exitText(e: ExitEvent, paint: (c: keyof typeof SGR, s: string) => string): string {
  if (e.signal !== undefined) return paint("red", `killed by ${signalName(e.signal)}`);
  const text = `exit ${e.code ?? "?"}`;
  return e.code === 0 ? text : paint("yellow", text);
}

/** `["a", "b c"]`, each argument cut to 64 characters, at most 32 of them. */
export function formatArgv(argv: readonly string[]): string {
  const shown = argv.slice(0, MAX_ARGV).map((a) => quote(a));
  if (argv.length > MAX_ARGV) shown.push(`... ${argv.length - MAX_ARGV} more`);
  return `[${shown.join(", ")}]`;
}

/** `{AF_INET, 10.1.2.3:80}` */
export function formatSockaddr(a: NetAddress | undefined): string {
  return a ? `{${a.family}, ${printable(a.address)}}` : "NULL";
}

function int(hex: string | undefined): string {
  return hex === undefined ? "?" : String(BigInt.asIntN(32, BigInt(hex)));
}

/** The call with its arguments: decoded for network calls, raw hex otherwise. */
export function formatCall(e: Pick<SyscallEvent, "name" | "args" | "addr">): string {
  const a = e.args;
  const addr = e.addr ?? [];
  let args: string;
  switch (e.name) {
    case "connect":
    case "bind":
      args = `${int(a[0])}, ${formatSockaddr(addr[0])}, ${int(a[2])}`;
      break;
    case "sendto":
      args = `${int(a[0])}, ${a[1]}, ${BigInt(a[2] ?? "0")}, ${a[3]}, ${formatSockaddr(addr[0])}, ${
        int(a[5])
      }`;
      break;
    case "sendmsg":
      args = `${int(a[0])}, {msg_name=${formatSockaddr(addr[0])}}, ${a[2]}`;
      break;
    case "sendmmsg": {
      const msgs = addr.slice(0, MAX_MMSG).map((x) => `{msg_name=${formatSockaddr(x)}}`);
      if (addr.length > MAX_MMSG) msgs.push("...");
      args = `${int(a[0])}, [${msgs.join(", ")}], ${int(a[2])}, ${a[3]}`;
      break;
    }
    case "socket":
      args = `${familyName(Number(int(a[0])))}, ${a[1]}, ${int(a[2])}`;
      break;
    case "open":
      args = `${a[0]}, ${openFlags(a[1])}${modeText(a[1], a[2])}`;
      break;
    case "openat":
      args = `${dirfd(a[0])}, ${a[1]}, ${openFlags(a[2])}${modeText(a[2], a[3])}`;
      break;
    case "creat":
      args = `${a[0]}, ${octal(a[1])}`;
      break;
    case "execve":
      args = a.slice(0, 3).join(", ");
      break;
    default:
      args = a.join(", ");
  }
  return `${printable(e.name)}(${args})`;
}

/** `dirfd` of the `*at` calls (AT_FDCWD is -100). */
const AT_FDCWD = -100;
/** open(2) access modes, by the low two bits. */
const ACCESS_MODES = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"];
/** open(2) flags beyond the access mode, this machine's values; O_TMPFILE includes O_DIRECTORY. */
const OPEN_FLAGS: readonly [string, number][] = [
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

/** `AT_FDCWD`, or the descriptor's number. */
function dirfd(hex: string | undefined): string {
  const n = int(hex);
  return n === String(AT_FDCWD) ? "AT_FDCWD" : n;
}

/** `O_WRONLY|O_CREAT|O_CLOEXEC`, unknown bits in hex at the end, as strace writes them. */
export function openFlags(hex: string | undefined): string {
  if (hex === undefined) return "?";
  let rest = Number(BigInt(hex) & 0xffffffffn);
  const names = [ACCESS_MODES[rest & 3]];
  rest &= ~3;
  for (const [name, bits] of OPEN_FLAGS) {
    if ((rest & bits) === bits) {
      names.push(name);
      rest &= ~bits;
    }
  }
  if (rest !== 0) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.join("|");
}

function octal(hex: string | undefined): string {
  return hex === undefined ? "?" : `0${(BigInt(hex) & 0o7777n).toString(8)}`;
}

/** The mode argument, which open and openat read only when they create a file. */
function modeText(flags: string | undefined, mode: string | undefined): string {
  if (flags === undefined) return "";
  const f = Number(BigInt(flags) & 0xffffffffn);
  return (f & 0o100) !== 0 || (f & 0o20200000) === 0o20200000 ? `, ${octal(mode)}` : "";
}

/** `-1 EACCES`, `0`, `7`, or `?` when the call ran and jail did not see its result. */
function resultText(e: SyscallEvent): string {
  const r = resultOf(e);
  if (r.result === undefined) return "?";
  return r.errno ? `${r.result} ${r.errno}` : String(r.result);
}

function rewriteText(e: SyscallEvent): string {
  if (!e.newArgs) return "";
  const set = Object.entries(e.newArgs).map(([i, v]) => `arg${i}=${v}`);
  return ` (${set.join(", ")})`;
}
