import assert from "node:assert/strict";
import { generate, HEADER_PATHS, parseErrno, readHeaders } from "../../scripts/gen_tables.ts";
import { ERRNO_MESSAGES, ERRNO_NAMES, ERRNO_NUMBERS } from "../errno_table.ts";
import { editDistance, suggest } from "../suggest.ts";
import { SYSCALL_CLASSES } from "./syscall_classes.ts";
import { MAX_SYSCALL_NR, SYSCALL_NAMES, SYSCALL_NUMBERS } from "./x86_64_syscalls.ts";

// The freshness check needs this machine's headers; without them (e.g. a
// minimal CI image) there is nothing to compare against.
const headersPresent = Object.values(HEADER_PATHS).every((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

Deno.test("SYSCALL_NUMBERS has well-known x86_64 numbers", () => {
  assert.equal(SYSCALL_NUMBERS.read, 0);
  assert.equal(SYSCALL_NUMBERS.connect, 42);
  assert.equal(SYSCALL_NUMBERS.getppid, 110);
  assert.equal(SYSCALL_NUMBERS.exit_group, 231);
  assert.equal(SYSCALL_NUMBERS.clone3, 435);
  assert.equal(SYSCALL_NUMBERS.openat2, 437);
});

Deno.test("SYSCALL_NAMES inverts SYSCALL_NUMBERS with holes as empty strings", () => {
  assert.equal(SYSCALL_NAMES.length, MAX_SYSCALL_NR + 1);
  assert.equal(MAX_SYSCALL_NR, Math.max(...Object.values(SYSCALL_NUMBERS)));
  for (const [name, nr] of Object.entries(SYSCALL_NUMBERS)) assert.equal(SYSCALL_NAMES[nr], name);
  const holes = SYSCALL_NAMES.filter((n) => n === "").length;
  assert.equal(holes + Object.keys(SYSCALL_NUMBERS).length, SYSCALL_NAMES.length);
  // x86_64 leaves 335..423 unassigned to line up with the generic table.
  assert.equal(SYSCALL_NAMES[335], "");
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

Deno.test("parseErrno resolves aliases and keeps their own comments", () => {
  const defs = parseErrno(
    "#define\tEAGAIN\t\t11\t/* Try again */\n",
    "#define EWOULDBLOCK EAGAIN /* Operation would block */\n#define EX EWOULDBLOCK\n",
  );
  assert.deepEqual(defs, [
    { name: "EAGAIN", nr: 11, message: "Try again" },
    { name: "EWOULDBLOCK", nr: 11, aliasOf: "EAGAIN", message: "Operation would block" },
    { name: "EX", nr: 11, aliasOf: "EWOULDBLOCK", message: "" },
  ]);
  assert.throws(() => parseErrno("#define EFOO EBAR\n"), /unknown name EBAR/);
});

Deno.test("generate() is deterministic and puts aliases after canonical names", () => {
  const headers = {
    unistd: "#define __NR_write 1\n#define __NR_read 0\n#define __NR_exit 3\n",
    errnoBase: "#define\tEPERM\t 1\t/* Operation not permitted */\n",
    errno: "#define EOLD EPERM\n#define ENEW 3 /* New */\n",
  };
  const a = generate(headers);
  assert.deepEqual(generate(headers), a);
  assert.match(a.syscalls, /read: 0,\n {2}write: 1,\n {2}exit: 3,\n/);
  assert.match(a.syscalls, /\[\n {2}"read",\n {2}"write",\n {2}"",\n {2}"exit",\n\];/);
  assert.match(a.syscalls, /MAX_SYSCALL_NR: number = 3;/);
  assert.match(a.errno, /EPERM: 1,\n {2}EOLD: 1,\n {2}ENEW: 3,\n/);
  assert.match(a.errno, /ERRNO_NAMES: readonly string\[\] = \[\n {2}"",\n {2}"EPERM",\n {2}"",/);
});

Deno.test({
  name: "committed tables match the generator's output for this machine's headers",
  ignore: !headersPresent,
  async fn() {
    const out = generate(await readHeaders());
    const root = new URL("../../", import.meta.url);
    const hint = "stale generated file: run `deno task gen`";
    assert.equal(
      await Deno.readTextFile(new URL("src/arch/x86_64_syscalls.ts", root)),
      out.syscalls,
      hint,
    );
    assert.equal(await Deno.readTextFile(new URL("src/errno_table.ts", root)), out.errno, hint);
  },
});

Deno.test("editDistance counts transpositions as one edit and honours the limit", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("fork", "frok"), 1);
  assert.equal(editDistance("abcdef", "uvwxyz", 2), 3);
  assert.equal(editDistance("a", "abcdef", 2), 3);
});

Deno.test("suggest() finds plausible typos", () => {
  const syscalls = Object.keys(SYSCALL_NUMBERS);
  const errnos = Object.keys(ERRNO_NUMBERS);
  assert.equal(suggest("conect", syscalls), "connect");
  assert.equal(suggest("opnat", syscalls), "openat");
  assert.equal(suggest("EACESS", errnos), "EACCES");
  assert.equal(suggest("eacces", errnos), "EACCES");
  assert.equal(suggest("CONNECT", syscalls), "connect");
  assert.equal(suggest("exit_gruop", syscalls), "exit_group");
  assert.equal(suggest("getpp", syscalls), "getppid");
  assert.equal(suggest("sys_openat", syscalls), "openat");
  assert.equal(suggest("netwrk", Object.keys(SYSCALL_CLASSES)), "network");
});

Deno.test("suggest() stays quiet when nothing is close", () => {
  const syscalls = Object.keys(SYSCALL_NUMBERS);
  assert.equal(suggest("", syscalls), undefined);
  assert.equal(suggest("xyzzy", syscalls), undefined);
  assert.equal(suggest("banana", syscalls), undefined);
  assert.equal(suggest("read", []), undefined);
  assert.equal(suggest("ab", ["abcdef"]), undefined);
});

Deno.test("suggest() breaks ties by candidate order", () => {
  assert.equal(suggest("cat", ["bat", "hat"]), "bat");
  assert.equal(suggest("cat", ["hat", "bat"]), "hat");
  assert.equal(suggest("cat", new Set(["hat", "cat"])), "cat");
});

Deno.test("every syscall class member is a known syscall, listed once", () => {
  for (const [cls, members] of Object.entries(SYSCALL_CLASSES)) {
    assert.ok(members.length > 0, cls);
    assert.equal(new Set(members).size, members.length, `${cls} has duplicates`);
    for (const name of members) assert.ok(Object.hasOwn(SYSCALL_NUMBERS, name), `${cls}: ${name}`);
  }
});

Deno.test("syscall classes include the expected core members", () => {
  const has = (cls: keyof typeof SYSCALL_CLASSES, names: string[]) => {
    const set = new Set<string>(SYSCALL_CLASSES[cls]);
    for (const n of names) assert.ok(set.has(n), `${cls} lacks ${n}`);
  };
  has("network", [
    "socket",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "socketpair",
    "shutdown",
  ]);
  has("file", [
    "open",
    "openat",
    "openat2",
    "creat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "access",
    "faccessat",
    "faccessat2",
    "mkdirat",
    "unlinkat",
    "renameat2",
    "linkat",
    "symlinkat",
    "readlinkat",
    "fchmodat",
    "fchownat",
    "utimensat",
    "futimesat",
    "execve",
    "execveat",
    "chdir",
    "chroot",
    "mknodat",
    "getxattr",
    "lsetxattr",
    "statfs",
    "mount",
    "umount2",
    "pivot_root",
    "acct",
  ]);
  has("process", [
    "fork",
    "vfork",
    "clone",
    "clone3",
    "execve",
    "execveat",
    "exit",
    "exit_group",
    "wait4",
    "waitid",
    "kill",
    "tkill",
    "tgkill",
  ]);
  has("signal", ["rt_sigaction", "rt_sigprocmask", "kill", "sigaltstack"]);
  has("memory", ["mmap", "munmap", "mprotect", "brk", "mremap"]);
  has("ipc", ["shmget", "semop", "msgsnd"]);
  has("desc", ["read", "write", "close", "dup3", "openat", "epoll_wait", "pidfd_open"]);
  // Descriptor-only variants must not leak into the path class.
  for (const n of ["fstat", "fchmod", "fchown", "fchdir", "ftruncate"]) {
    assert.ok(!(SYSCALL_CLASSES.file as readonly string[]).includes(n), n);
  }
});
