import assert from "node:assert/strict";
import {
  decodeArgs,
  DECODERS,
  flagsText,
  octalMode,
  quoteBytes,
  SIGNATURES,
} from "./trace_args.ts";
import { SYSCALL_NUMBERS } from "../../kernel/x86_64_syscalls.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** Decodes with no strings read and no destinations. */
function decode(name: string, args: string[], strings?: Record<number, string>): string {
  const out = decodeArgs(name, {
    args,
    strings,
    sockaddr: () => "{AF_INET, 127.0.0.1:80}",
    messages: () => "{msg_name=...}",
  });
  return `${name}(${out?.join(", ")})`;
}

Deno.test("SIGNATURES names only real syscalls, each with at most six arguments", () => {
  for (const [name, kinds] of Object.entries(SIGNATURES)) {
    assert.ok(Object.hasOwn(SYSCALL_NUMBERS, name), name);
    assert.ok(kinds.length <= 6, name);
  }
});

Deno.test("decodeArgs() shows a path read at the stop, NULL, or the pointer it could not read", () => {
  assert.equal(
    decode("openat", ["0xffffffffffffff9c", "0x7ffd10", "0x80000", "0x0"], { 1: '"/etc/hosts"' }),
    'openat(AT_FDCWD, "/etc/hosts", O_RDONLY|O_CLOEXEC)',
  );
  assert.equal(decode("unlink", ["0x0"]), "unlink(NULL)");
  assert.equal(decode("unlink", ["0x7ffd10"]), "unlink(0x7ffd10)");
  assert.equal(
    decode("openat", ["0x3", "0x10", "0x241", "0x1a4"], { 1: '"x"' }),
    'openat(3, "x", O_WRONLY|O_CREAT|O_TRUNC, 0644)',
  );
  assert.equal(decode("mkdir", ["0x10", "0x1ed"], { 0: '"d"' }), 'mkdir("d", 0755)');
  assert.equal(
    decode("unlinkat", ["0x4", "0x10", "0x200"], { 1: '"d"' }),
    'unlinkat(4, "d", AT_REMOVEDIR)',
  );
  assert.equal(decode("access", ["0x10", "0x0"], { 0: '"f"' }), 'access("f", F_OK)');
  assert.equal(decode("access", ["0x10", "0x6"], { 0: '"f"' }), 'access("f", R_OK|W_OK)');
});

Deno.test("decodeArgs() never dumps a buffer of read or write: pointer and length", () => {
  assert.equal(decode("read", ["0x3", "0x7ffd0000", "0x1000"]), "read(3, 0x7ffd0000, 4096)");
  assert.equal(decode("write", ["0x1", "0x55aa00", "0x5"]), "write(1, 0x55aa00, 5)");
  assert.equal(decode("lseek", ["0x3", "0xfffffffffffffff6", "0x2"]), "lseek(3, -10, SEEK_END)");
});

Deno.test("decodeArgs() names socket domains, types, protocols, message flags and signals", () => {
  assert.equal(
    decode("socket", ["0x2", "0x80001", "0x6"]),
    "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_TCP)",
  );
  assert.equal(
    decode("socket", ["0xa", "0x802", "0x0"]),
    "socket(AF_INET6, SOCK_DGRAM|SOCK_NONBLOCK, IPPROTO_IP)",
  );
  assert.equal(decode("socket", ["0x1", "0x1", "0x0"]), "socket(AF_UNIX, SOCK_STREAM, 0)");
  assert.equal(decode("socket", ["0x2a", "0xf", "0x0"]), "socket(AF_42, 15, 0)");
  assert.equal(
    decode("sendto", ["0x3", "0x10", "0x1", "0x4040", "0x20", "0x10"]),
    "sendto(3, 0x10, 1, MSG_DONTWAIT|MSG_NOSIGNAL, {AF_INET, 127.0.0.1:80}, 16)",
  );
  assert.equal(
    decode("setsockopt", ["0x5", "0x6", "0x1", "0x7ffc10", "0x4"]),
    "setsockopt(5, SOL_TCP, TCP_NODELAY, 0x7ffc10, 4)",
  );
  assert.equal(
    decode("setsockopt", ["0x5", "0x1", "0x9", "0x7ffc10", "0x4"]),
    "setsockopt(5, SOL_SOCKET, SO_KEEPALIVE, 0x7ffc10, 4)",
  );
  assert.equal(
    decode("setsockopt", ["0x5", "0x29", "0x1a", "0x7ffc10", "0x4"]),
    "setsockopt(5, SOL_IPV6, 26, 0x7ffc10, 4)",
  );
  assert.equal(decode("kill", ["0x10d2", "0xf"]), "kill(4306, SIGTERM)");
  assert.equal(decode("kill", ["0xffffffff", "0x0"]), "kill(-1, 0)");
  assert.equal(decode("tgkill", ["0x5", "0x6", "0x9"]), "tgkill(5, 6, SIGKILL)");
  assert.equal(
    decode("rt_sigaction", ["0x2", "0x7ffc10", "0x0", "0x8"]),
    "rt_sigaction(SIGINT, 0x7ffc10, NULL, 8)",
  );
  assert.equal(decode("exit_group", ["0x0"]), "exit_group(0)");
  assert.equal(decode("getpid", []), "getpid()");
});

Deno.test("DECODERS has one decoder per kind, each total on any register value", () => {
  const context = {
    args: ["0xffffffffffffffff"],
    index: 0,
    sockaddr: () => "s",
    messages: () => "m",
  };
  for (const [kind, decoder] of Object.entries(DECODERS)) {
    for (const hex of ["0x0", "0xffffffffffffffff", "0x80000000"]) {
      assert.equal(typeof decoder(hex, context), "string", `${kind} ${hex}`);
    }
  }
});

Deno.test("quoteBytes() quotes like strace: escapes, octal for other bytes, ... after 32", () => {
  assert.equal(quoteBytes(bytes("/etc/hosts")), '"/etc/hosts"');
  assert.equal(quoteBytes(bytes('a"b\\c\n\t')), '"a\\"b\\\\c\\n\\t"');
  assert.equal(quoteBytes(new Uint8Array([0x1b, 0x5b])), '"\\33["');
  assert.equal(quoteBytes(new Uint8Array([0x1b, 0x31])), '"\\0331"');
  assert.equal(quoteBytes(bytes("é")), '"\\303\\251"');
  assert.equal(quoteBytes(bytes("x".repeat(40)), 32), `"${"x".repeat(32)}"...`);
  assert.equal(quoteBytes(bytes("x".repeat(32)), 32), `"${"x".repeat(32)}"`);
});

Deno.test("flagsText() and octalMode() write strace's forms", () => {
  assert.equal(flagsText(0, [["A", 1]]), "0");
  assert.equal(flagsText(0x81, [["A", 1]]), "A|0x80");
  assert.equal(octalMode(0o644n), "0644");
  assert.equal(octalMode(0n), "000");
  assert.equal(octalMode(0o4755n), "04755");
});
