/**
 * `--trace`: one strace-like line per event.
 *
 * ```text
 * [4242] spawn by 4241
 * [4242 python3] exec /usr/bin/python3 ["python3", "-c", "import socket"]
 * [4242 python3] openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC) = 3
 * [4242 python3] openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
 * [4242 python3] connect(3, {AF_INET, 10.1.2.3:80}, 16) = -1 EACCES (Permission denied)  deny by net
 * [4242 python3] bind(4, {AF_INET, 0.0.0.0:0}, 16) = 0  rewrite by net.bind
 * [4242 python3] getppid() = 7  return by syscalls.getppid
 * [4242/4250 python3] exit_group(0) = ?
 * [4242 python3] exit 1
 * ```
 *
 * The bracket holds the pid (and the thread, when not the main one) and the
 * program's name. A line is written when its call has returned, with what it
 * returned (read at its syscall-exit-stop, or set by jail); `= ?` when the
 * thread never returned from it (exit, exit_group, killed, or gone at a
 * sibling's execve), as strace writes it. A blocking call's line therefore
 * comes after the lines of what ran meanwhile, never torn in two (no
 * `<unfinished ...>` pairs). After the result, the decision of a rule of
 * jail's, when one decided: `deny by net`; calls stopped only to be traced
 * (`--trace-calls`) have none. Arguments are decoded by the tables of
 * `trace_args.ts`.
 *
 * @module
 */

import type { ExitEvent, NetAddress, SupervisorEvent, SyscallEvent } from "../events.ts";
import { decisionOf, type ReportDecision, valueOf } from "./classify.ts";
import { basename, errnoName, printable, quote, signalName } from "./_text.ts";
import { ADDRESS_RESULTS, decodeArgs } from "./trace_args.ts";
import { ERRNO_MESSAGES, MAX_ERRNO as KERNEL_MAX_ERRNO } from "../../kernel/errno.ts";

export { openFlags } from "./trace_args.ts";
import { TRACE_ONLY_RULE } from "../decision.ts";

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
 * // "[7 curl] connect(3, {AF_INET, 10.1.2.3:80}, 16) = -1 EACCES (Permission denied)  deny by net"
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
      const call = `${head} ${formatCall(e)} = ${resultText(e)}`;
      if (e.rule === TRACE_ONLY_RULE && e.action === "allow") return call;
      const decision = decisionOf(e);
      const by = e.rule ? ` by ${e.rule}` : "";
      // A blocking connect the supervisor performed waits in a rewritten call: no rewrite to show.
      const rewrite = decision === "rewrite" ? rewriteText(e) : "";
      return `${call}  ${paint(DECISION_COLOR[decision], decision)}${by}${rewrite}`;
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

/**
 * The call with its arguments, decoded by its signature (`trace_args.ts`);
 * a call without one shows its argument registers in hex.
 */
export function formatCall(
  e: Pick<SyscallEvent, "name" | "args" | "addr" | "strings">,
): string {
  const addr = e.addr ?? [];
  const decoded = decodeArgs(e.name, {
    args: e.args,
    strings: e.strings,
    sockaddr: () => formatSockaddr(addr[0]),
    messages: () => {
      if (e.name === "sendmsg") return `{msg_name=${formatSockaddr(addr[0])}}`;
      const msgs = addr.slice(0, MAX_MMSG).map((x) => `{msg_name=${formatSockaddr(x)}}`);
      if (addr.length > MAX_MMSG) msgs.push("...");
      return `[${msgs.join(", ")}]`;
    },
  });
  return `${printable(e.name)}(${(decoded ?? e.args).join(", ")})`;
}

/** Kernel-internal restart codes a call can end with when a signal interrupts it (strace's words). */
const RESTART_CODES: Readonly<Record<number, [string, string]>> = {
  512: ["ERESTARTSYS", "To be restarted if SA_RESTART is set"],
  513: ["ERESTARTNOINTR", "To be restarted"],
  514: ["ERESTARTNOHAND", "To be restarted if no handler"],
  515: ["ENOIOCTLCMD", "No ioctl command"],
  516: ["ERESTART_RESTARTBLOCK", "Interrupted by signal"],
};
const MAX_ERRNO = BigInt(KERNEL_MAX_ERRNO);

/**
 * What a call returned, as strace writes it: `3`, `0x7f0000000000` for an
 * address, `-1 ENOENT (No such file or directory)`, `? ERESTARTSYS (...)`.
 *
 * @param name The call (a few return addresses).
 * @param value The raw return value (rax, signed).
 */
export function formatReturn(name: string, value: bigint): string {
  if (value < 0n && value >= -MAX_ERRNO) {
    const n = Number(-value);
    const restart = RESTART_CODES[n];
    if (restart) return `? ${restart[0]} (${restart[1]})`;
    const message = ERRNO_MESSAGES[n];
    return `-1 ${errnoName(n)}${message ? ` (${message})` : ""}`;
  }
  if (ADDRESS_RESULTS.has(name)) return `0x${BigInt.asUintN(64, value).toString(16)}`;
  return String(value);
}

/** What the caller saw: set by jail, or read at the call's exit; `?` when it never returned. */
function resultText(e: SyscallEvent): string {
  const value = valueOf(e);
  if (value !== undefined) return formatReturn(e.name, BigInt(value));
  return e.returned === undefined ? "?" : formatReturn(e.name, BigInt(e.returned));
}

function rewriteText(e: SyscallEvent): string {
  if (!e.newArgs) return "";
  const set = Object.entries(e.newArgs).map(([i, v]) => `arg${i}=${v}`);
  return ` (${set.join(", ")})`;
}
