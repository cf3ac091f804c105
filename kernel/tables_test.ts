import assert from "node:assert/strict";
import { generate, parseErrno, parseSyscalls, readSources } from "../scripts/gen_tables.ts";
import { ERRNO_MESSAGES, ERRNO_NAMES, ERRNO_NUMBERS } from "./errno.ts";
import {
  MAX_SYSCALL_NR,
  SYSCALL_NAMES,
  SYSCALL_NUMBERS,
  SYSCALL_TABLE_KERNEL,
} from "./x86_64_syscalls.ts";

Deno.test("SYSCALL_NUMBERS has well-known x86_64 numbers", () => {
  assert.equal(SYSCALL_NUMBERS.read, 0);
  assert.equal(SYSCALL_NUMBERS.connect, 42);
  assert.equal(SYSCALL_NUMBERS.getppid, 110);
  assert.equal(SYSCALL_NUMBERS.exit_group, 231);
  assert.equal(SYSCALL_NUMBERS.clone3, 435);
  assert.equal(SYSCALL_NUMBERS.openat2, 437);
});

Deno.test("the syscall table covers the calls of Linux 6.18 and later that take paths or reach out", () => {
  // Newer than the Debian 12 headers the table was once made from: a file or network call the
  // policy does not know by name would be a way around a rule.
  assert.equal(SYSCALL_TABLE_KERNEL, "6.19");
  assert.equal(SYSCALL_NUMBERS.cachestat, 451);
  assert.equal(SYSCALL_NUMBERS.fchmodat2, 452);
  assert.equal(SYSCALL_NUMBERS.statmount, 457);
  assert.equal(SYSCALL_NUMBERS.mseal, 462);
  assert.equal(SYSCALL_NUMBERS.setxattrat, 463);
  assert.equal(SYSCALL_NUMBERS.removexattrat, 466);
  assert.equal(SYSCALL_NUMBERS.open_tree_attr, 467);
  assert.equal(SYSCALL_NUMBERS.file_setattr, 469);
  assert.equal(SYSCALL_NUMBERS.listns, 470);
  assert.equal(SYSCALL_NUMBERS.uprobe, 336);
  assert.equal(MAX_SYSCALL_NR, 470);
});

Deno.test("SYSCALL_NAMES inverts SYSCALL_NUMBERS with holes as empty strings", () => {
  assert.equal(SYSCALL_NAMES.length, MAX_SYSCALL_NR + 1);
  assert.equal(MAX_SYSCALL_NR, Math.max(...Object.values(SYSCALL_NUMBERS)));
  for (const [name, nr] of Object.entries(SYSCALL_NUMBERS)) assert.equal(SYSCALL_NAMES[nr], name);
  const holes = SYSCALL_NAMES.filter((n) => n === "").length;
  assert.equal(holes + Object.keys(SYSCALL_NUMBERS).length, SYSCALL_NAMES.length);
  // x86_64 leaves 337..423 unassigned to line up with the generic table (335 and 336 came later).
  assert.equal(SYSCALL_NAMES[337], "");
  assert.equal(SYSCALL_NAMES[423], "");
});

Deno.test("SYSCALL_NUMBERS keys are in number order", () => {
  const nrs = Object.values(SYSCALL_NUMBERS);
  assert.deepEqual(nrs, [...nrs].sort((a, b) => a - b));
});

Deno.test("ERRNO tables have well-known values and canonical names", () => {
  assert.equal(ERRNO_NUMBERS.EPERM, 1);
  assert.equal(ERRNO_NUMBERS.EACCES, 13);
  assert.equal(ERRNO_NUMBERS.EAGAIN, 11);
  assert.equal(ERRNO_NUMBERS.EWOULDBLOCK, 11);
  assert.equal(ERRNO_NUMBERS.EDEADLOCK, ERRNO_NUMBERS.EDEADLK);
  assert.equal(ERRNO_NAMES[0], "");
  assert.equal(ERRNO_NAMES[11], "EAGAIN");
  assert.equal(ERRNO_NAMES[35], "EDEADLK");
  assert.equal(ERRNO_NAMES[13], "EACCES");
  assert.equal(ERRNO_MESSAGES[13], "Permission denied");
  assert.equal(ERRNO_MESSAGES[2], "No such file or directory");
  assert.equal(ERRNO_NAMES.length, ERRNO_MESSAGES.length);
  for (const [name, nr] of Object.entries(ERRNO_NUMBERS)) {
    assert.notEqual(ERRNO_NAMES[nr], "", name);
    assert.notEqual(ERRNO_MESSAGES[nr], "", name);
  }
});

Deno.test("parseErrno resolves aliases and keeps their own descriptions", () => {
  const defs = parseErrno(
    "# comment\nEAGAIN\t11\tTry again\nEWOULDBLOCK\tEAGAIN\tOperation would block\nEX\tEWOULDBLOCK\t\n",
  );
  assert.deepEqual(defs, [
    { name: "EAGAIN", nr: 11, message: "Try again" },
    { name: "EWOULDBLOCK", nr: 11, aliasOf: "EAGAIN", message: "Operation would block" },
    { name: "EX", nr: 11, aliasOf: "EWOULDBLOCK", message: "" },
  ]);
  assert.throws(() => parseErrno("EFOO\tEBAR\tx\n"), /unknown name EBAR/);
  assert.throws(() => parseErrno("EFOO 1 x\n"), /line 1/);
});

Deno.test("parseSyscalls needs a kernel line and refuses duplicates", () => {
  assert.deepEqual(parseSyscalls("kernel\t6.1\n1\twrite\n0\tread\n"), {
    kernel: "6.1",
    defs: [{ name: "read", nr: 0 }, { name: "write", nr: 1 }],
  });
  assert.throws(() => parseSyscalls("0\tread\n"), /names no kernel/);
  assert.throws(() => parseSyscalls("kernel\t6.1\n0\tread\n0\tx\n"), /share number 0/);
  assert.throws(() => parseSyscalls("kernel\t6.1\n0\tread\n1\tread\n"), /duplicate/);
});

Deno.test("generate() is deterministic and puts aliases after canonical names", () => {
  const sources = {
    x86_64: "kernel\t6.1\n1\twrite\n0\tread\n3\texit\n",
    aarch64: "kernel\t6.19\n63\tread\n64\twrite\n",
    errno: "EPERM\t1\tOperation not permitted\nEOLD\tEPERM\t\nENEW\t3\tNew\n",
  };
  const a = generate(sources);
  assert.deepEqual(generate(sources), a);
  assert.match(a.x86_64, /read: 0,\n {2}write: 1,\n {2}exit: 3,\n/);
  assert.match(a.x86_64, /\[\n {2}"read",\n {2}"write",\n {2}"",\n {2}"exit",\n\];/);
  assert.match(a.x86_64, /MAX_SYSCALL_NR: number = 3;/);
  assert.match(a.x86_64, /SYSCALL_TABLE_KERNEL = "6.1";/);
  assert.match(a.x86_64, /^ \* x86_64 syscall numbers of Linux 6\.1 /m);
  assert.match(a.aarch64, /^ \* aarch64 syscall numbers of Linux 6\.19 /m);
  assert.match(a.aarch64, /read: 63,\n {2}write: 64,\n/);
  assert.match(a.aarch64, /MAX_SYSCALL_NR: number = 64;/);
  assert.match(a.errno, /EPERM: 1,\n {2}EOLD: 1,\n {2}ENEW: 3,\n/);
  assert.match(a.errno, /ERRNO_NAMES: readonly string\[\] = \[\n {2}"",\n {2}"EPERM",\n {2}"",/);
});

Deno.test("committed tables match the generator's output for the kernel tables in the repository", async () => {
  // The sources are in the repository: the same on every machine, whatever its headers.
  const out = generate(await readSources());
  const root = new URL("../", import.meta.url);
  const hint = "stale generated file: run `deno task gen`";
  assert.equal(
    await Deno.readTextFile(new URL("kernel/x86_64_syscalls.ts", root)),
    out.x86_64,
    hint,
  );
  assert.equal(
    await Deno.readTextFile(new URL("kernel/aarch64_syscalls.ts", root)),
    out.aarch64,
    hint,
  );
  assert.equal(await Deno.readTextFile(new URL("kernel/errno.ts", root)), out.errno, hint);
});
