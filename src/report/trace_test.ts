import assert from "node:assert/strict";
import type { SyscallEvent } from "../events.ts";
import { connectCall, remote as remoteAddress } from "./_events.ts";
import { formatArgv, formatCall, formatReturn, traceLine, useColor } from "./trace.ts";
import { HOST_ABI } from "../../kernel/abi.ts";

const NO_COLOR = { color: false };

const call = connectCall;
const remote = remoteAddress("10.1.2.3:80");

Deno.test("traceLine() formats a denied connect with its decoded address", () => {
  assert.equal(
    traceLine(call({ addr: [remote], action: "deny", errno: 13, rule: "net" }), NO_COLOR),
    "[10 curl] connect(3, {AF_INET, 10.1.2.3:80}, 16) = -1 EACCES (Permission denied)  deny by net",
  );
});

Deno.test("traceLine() names each decision and the result jail set", () => {
  const line = (fields: Partial<SyscallEvent>) => traceLine(call(fields), NO_COLOR);
  assert.match(
    line({ addr: [remote], action: "perform", value: "0", rule: "net" }),
    / = 0 {2}allow by net$/,
  );
  assert.match(
    line({ addr: [remote], action: "perform", value: "-111", rule: "net" }),
    / = -1 ECONNREFUSED \(Connection refused\) {2}allow by net$/,
  );
  assert.match(line({ addr: [remote], action: "allow", rule: "net" }), / = \? {2}allow by net$/);
  // A blocking connect the supervisor started waits in a call with no address: no rewrite shown.
  assert.match(
    line({ addr: [remote], action: "replace", newArgs: { "4": "0x0" }, rule: "net" }),
    / = \? {2}allow by net$/,
  );
  assert.equal(
    line({
      name: "getppid",
      nr: 110,
      args: ["0x1", "0x2", "0x3", "0x4", "0x5", "0x6"],
      action: "return",
      value: "7",
      rule: "syscalls.getppid",
    }),
    "[10 curl] getppid() = 7  return by syscalls.getppid",
  );
  assert.match(
    line({
      name: "mkdir",
      args: ["0x1", "0x1ff", "0", "0", "0", "0"],
      action: "args",
      newArgs: { "1": "0x1c0" },
      rule: "syscalls.mkdir",
    }),
    / = \? {2}rewrite by syscalls\.mkdir \(arg1=0x1c0\)$/,
  );
  assert.match(line({ name: "reboot", action: "kill", rule: "syscalls.reboot" }), /kill by/);
});

Deno.test("traceLine() shows the thread when it is not the main one, and no name before an exec", () => {
  assert.match(traceLine(call({ tid: 12 }), NO_COLOR), /^\[10\/12 curl\] /);
  assert.equal(
    traceLine({ kind: "spawn", time: 0, pid: 10, ppid: 9 }, NO_COLOR),
    "[10] spawn by 9",
  );
});

Deno.test("traceLine() formats exec with argv and exit with a status or a signal", () => {
  assert.equal(
    traceLine(
      { kind: "exec", time: 0, pid: 5, ppid: 4, exe: "/bin/true", argv: ["true", "a b"] },
      NO_COLOR,
    ),
    '[5 true] exec /bin/true ["true", "a b"]',
  );
  assert.equal(
    traceLine({ kind: "exit", time: 0, pid: 5, ppid: 4, code: 3 }, NO_COLOR),
    "[5] exit 3",
  );
  assert.equal(
    traceLine({ kind: "exit", time: 0, pid: 5, ppid: 4, exe: "/bin/sh", signal: 9 }, NO_COLOR),
    "[5 sh] killed by SIGKILL",
  );
});

Deno.test("traceLine() decodes sendto, sendmsg, sendmmsg and socket", () => {
  const dns = { family: "AF_INET", address: "10.0.0.1:53", scope: "remote" } as const;
  assert.equal(
    formatCall({
      name: "sendto",
      args: ["0x5", "0x1000", "0x20", "0x40", "0x2000", "0x10"],
      addr: [dns],
    }),
    "sendto(5, 0x1000, 32, MSG_DONTWAIT, {AF_INET, 10.0.0.1:53}, 16)",
  );
  assert.equal(
    formatCall({ name: "sendmsg", args: ["0x5", "0x1000", "0x0"], addr: [dns] }),
    "sendmsg(5, {msg_name={AF_INET, 10.0.0.1:53}}, 0)",
  );
  assert.equal(
    formatCall({
      name: "sendmmsg",
      args: ["0x5", "0x1000", "0x6", "0x0"],
      addr: Array(6).fill(dns),
    }),
    `sendmmsg(5, [${Array(4).fill("{msg_name={AF_INET, 10.0.0.1:53}}").join(", ")}, ...], 6, 0)`,
  );
  assert.equal(
    formatCall({ name: "socket", args: ["0x11", "0x3", "0x0"] }),
    "socket(AF_PACKET, SOCK_RAW, 0)",
  );
  assert.equal(
    formatCall({ name: "connect", args: ["0xffffffff", "0x0", "0x0"] }),
    "connect(-1, NULL, 0)",
  );
});

Deno.test("traceLine() never passes a tracee's control characters to the terminal", () => {
  const line = traceLine(
    {
      kind: "exec",
      time: 0,
      pid: 5,
      ppid: 4,
      exe: "/tmp/\x1b[2Jevil",
      argv: ["\x1b]0;x\x07", "\u009b"],
    },
    { color: true },
  );
  const shown = ["\x1b[2m", "\x1b[36m", "\x1b[0m"].reduce((t, sgr) => t.replaceAll(sgr, ""), line);
  const controls = [...shown].filter((c) => c < " " || (c >= "\x7f" && c <= "\x9f"));
  assert.deepEqual(controls, []);
  assert.match(line, /\\x1b\[2Jevil/);
});

Deno.test("traceLine() colours only when asked", () => {
  const e = call({ addr: [remote], action: "deny", errno: 13, rule: "net" });
  assert.ok(!traceLine(e, NO_COLOR).includes("\x1b"));
  assert.ok(traceLine(e, { color: true }).includes("\x1b[31mdeny\x1b[0m"));
});

Deno.test("useColor() needs a terminal and no NO_COLOR", () => {
  assert.equal(useColor(true, undefined), true);
  assert.equal(useColor(true, ""), true);
  assert.equal(useColor(true, "1"), false);
  assert.equal(useColor(false, undefined), false);
});

Deno.test("formatArgv() cuts long arguments and long lists", () => {
  assert.equal(formatArgv(["x".repeat(70)]), `["${"x".repeat(61)}..."]`);
  const many = formatArgv(Array.from({ length: 40 }, (_, i) => String(i)));
  assert.match(many, /"31", \.\.\. 8 more\]$/);
});

Deno.test("formatCall() decodes the open family's descriptor, flags and mode", () => {
  assert.equal(
    formatCall({
      name: "openat",
      args: ["0xffffffffffffff9c", "0x7ffd10", "0x80000", "0x0", "0x0", "0x0"],
    }),
    "openat(AT_FDCWD, 0x7ffd10, O_RDONLY|O_CLOEXEC)",
  );
  assert.equal(
    formatCall({ name: "openat", args: ["0x3", "0x7ffd10", "0x80241", "0x1a4", "0x0", "0x0"] }),
    "openat(3, 0x7ffd10, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644)",
  );
  // O_TMPFILE includes O_DIRECTORY, whose bit differs by architecture (0x410000 on x86_64).
  const tmpfile = `0x${(0o20000000 | HOST_ABI.open.DIRECTORY | 2).toString(16)}`;
  assert.equal(
    formatCall({ name: "open", args: ["0x7ffd10", tmpfile, "0x1ff", "0x0", "0x0", "0x0"] }),
    "open(0x7ffd10, O_RDWR|O_TMPFILE, 0777)",
  );
  assert.equal(
    formatCall({ name: "open", args: ["0x7ffd10", "0x40000000", "0x0", "0x0", "0x0", "0x0"] }),
    "open(0x7ffd10, O_RDONLY|0x40000000)",
  );
  assert.equal(
    formatCall({ name: "execve", args: ["0x1", "0x2", "0x3", "0x4", "0x5", "0x6"] }),
    "execve(0x1, 0x2, 0x3)",
  );
});

Deno.test("formatReturn() writes results as strace does: errno name and text, addresses in hex", () => {
  assert.equal(formatReturn("openat", 3n), "3");
  assert.equal(formatReturn("openat", -2n), "-1 ENOENT (No such file or directory)");
  assert.equal(formatReturn("read", -512n), "? ERESTARTSYS (To be restarted if SA_RESTART is set)");
  assert.equal(formatReturn("mmap", 0x7f0000001000n), "0x7f0000001000");
  assert.equal(formatReturn("lseek", -4095n), "-1 E4095");
  assert.equal(formatReturn("lseek", -4096n), "-4096");
});

Deno.test("traceLine() shows the result a call returned, ? when it never did, and no decision for trace-only calls", () => {
  const open = (fields: Partial<SyscallEvent>) =>
    traceLine(
      call({
        name: "openat",
        nr: 257,
        args: ["0xffffffffffffff9c", "0x10", "0x0", "0x0", "0x0", "0x0"],
        strings: { 1: '"/etc/hosts"' },
        rule: "trace",
        ...fields,
      }),
      NO_COLOR,
    );
  assert.equal(
    open({ returned: "3" }),
    '[10 curl] openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3',
  );
  assert.equal(
    open({ returned: "-2" }),
    '[10 curl] openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = -1 ENOENT (No such file or directory)',
  );
  assert.equal(open({}), '[10 curl] openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = ?');
  assert.equal(
    open({ rule: "fs", returned: "3" }),
    '[10 curl] openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 3  allow by fs',
  );
});
