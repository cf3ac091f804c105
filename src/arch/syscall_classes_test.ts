import assert from "node:assert/strict";
import { SYSCALL_CLASSES } from "./syscall_classes.ts";
import { SYSCALL_NUMBERS as X86_64_NUMBERS } from "../../kernel/x86_64_syscalls.ts";

Deno.test("every syscall class member is a known syscall, listed once", () => {
  for (const [cls, members] of Object.entries(SYSCALL_CLASSES)) {
    assert.ok(members.length > 0, cls);
    assert.equal(new Set(members).size, members.length, `${cls} has duplicates`);
    for (const name of members) assert.ok(Object.hasOwn(X86_64_NUMBERS, name), `${cls}: ${name}`);
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
