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

/** Runs `fn` while counting the compiled bindings `Deno.dlopen` makes (function definitions). */
function countingBindings<T>(fn: (bindings: string[]) => T): T {
  const dlopen = Deno.dlopen;
  const bindings: string[] = [];
  // deno-lint-ignore no-explicit-any
  (Deno as any).dlopen = (path: string, symbols: Record<string, any>) => {
    for (const [name, def] of Object.entries(symbols)) if (!("type" in def)) bindings.push(name);
    return dlopen(path, symbols);
  };
  try {
    return fn(bindings);
  } finally {
    // deno-lint-ignore no-explicit-any
    (Deno as any).dlopen = dlopen;
  }
}

Deno.test("libc: a symbol's first calls go through Deno's generic path, the next ones through its compiled binding, with the same answers", () => {
  countingBindings((bindings) => {
    const table = lazySymbols(SYMBOLS);
    const close = hostNr("close");
    const getpid = table.getpid;
    for (let i = 0; i < CALLS_BEFORE_BINDING + 8; i++) {
      // Nothing compiled until a symbol's calls pass the mark, then once.
      const expected = i <= CALLS_BEFORE_BINDING ? [] : ["getpid", "syscall", "getcwd"];
      assert.deepEqual(bindings, expected, `after ${i} calls`);
      assert.equal(table.getpid(), Deno.pid);
      // A failure: -1 and errno, read through the same thread's errno either way.
      assert.equal(Number(table.syscall(close, -1n, 0n, 0n, 0n, 0n, 0n)), -1);
      assert.equal(errno(), ERRNO_NUMBERS.EBADF);
      assert.equal(cwdThrough(table), Deno.cwd());
    }
    // One function for the symbol's whole life: each call site sees one target.
    assert.equal(table.getpid, getpid);
  });
});

Deno.test("libc: bindSymbols compiles a binding at once, and only once, for a thread with idle time", () => {
  countingBindings((bindings) => {
    const table = lazySymbols(SYMBOLS);
    bindSymbols(table, ["getpid"]);
    bindSymbols(table, ["getpid"]);
    assert.deepEqual(bindings, ["getpid"]);
    for (let i = 0; i < CALLS_BEFORE_BINDING + 8; i++) assert.equal(table.getpid(), Deno.pid);
    assert.deepEqual(bindings, ["getpid"], "a bound symbol is never bound again");
    // The others are left to their calls.
    assert.equal(cwdThrough(table), Deno.cwd());
    assert.deepEqual(bindings, ["getpid"]);
  });
});

Deno.test("libc: sys, through the generic path, returns values and -errno", () => {
  assert.equal(sys("getpid"), Deno.pid);
  assert.equal(sys("close", -1), -ERRNO_NUMBERS.EBADF);
});
