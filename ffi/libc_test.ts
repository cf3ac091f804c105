import assert from "node:assert/strict";
import { bindSymbols, CALLS_BEFORE_BINDING, errno, lazySymbols, sys } from "./libc.ts";
import { hostNr } from "../kernel/host_syscalls.ts";
import { ERRNO_NUMBERS } from "../kernel/errno.ts";

const SYMBOLS = {
  getpid: { parameters: [], result: "i32" },
  // long syscall(long nr, ...): an i64 result, whose representation differs between Deno's
  // generic path (a number) and a compiled binding (a BigInt where V8 optimized the caller).
  syscall: { parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], result: "i64" },
  // char *getcwd(char *buf, size_t size): a buffer in, a pointer out.
  getcwd: { parameters: ["buffer", "usize"], result: "pointer" },
} as const satisfies Deno.ForeignLibraryInterface;

function cwdThrough(table: ReturnType<typeof lazySymbols<typeof SYMBOLS>>): string {
  const buf = new Uint8Array(4096);
  assert.notEqual(table.getcwd(buf, BigInt(buf.length)), null);
  return new TextDecoder().decode(buf.subarray(0, buf.indexOf(0)));
}

Deno.test("libc: a symbol's first calls go through Deno's generic path, the next ones through its compiled binding, with the same answers", () => {
  const table = lazySymbols(SYMBOLS);
  const functions = new Set<unknown>();
  const close = hostNr("close");
  for (let i = 0; i < CALLS_BEFORE_BINDING + 8; i++) {
    functions.add(table.getpid);
    assert.equal(table.getpid(), Deno.pid);
    // A failure: -1 and errno, read through the same thread's errno either way.
    assert.equal(Number(table.syscall(close, -1n, 0n, 0n, 0n, 0n, 0n)), -1);
    assert.equal(errno(), ERRNO_NUMBERS.EBADF);
    assert.equal(cwdThrough(table), Deno.cwd());
  }
  // The generic caller, then the compiled binding that replaced it on the table.
  assert.equal(functions.size, 2);
  assert.equal(table.getpid(), Deno.pid);
});

Deno.test("libc: bindSymbols compiles a binding at once, for a thread with idle time", () => {
  const table = lazySymbols(SYMBOLS);
  bindSymbols(table, ["getpid"]);
  const bound = table.getpid;
  bindSymbols(table, ["getpid"]);
  assert.equal(table.getpid, bound, "bound once, however often asked");
  for (let i = 0; i < CALLS_BEFORE_BINDING + 8; i++) assert.equal(table.getpid(), Deno.pid);
  assert.equal(table.getpid, bound, "a bound symbol is never bound again");
  // The others are left to their calls.
  const lazy = table.getcwd;
  assert.equal(cwdThrough(table), Deno.cwd());
  assert.equal(table.getcwd, lazy);
});

Deno.test("libc: sys, through the generic path, returns values and -errno", () => {
  assert.equal(sys("getpid"), Deno.pid);
  assert.equal(sys("close", -1), -ERRNO_NUMBERS.EBADF);
});
