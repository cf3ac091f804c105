import assert from "node:assert/strict";
import { editDistance, suggest } from "./suggest.ts";
import { SYSCALL_CLASSES } from "./arch/syscall_classes.ts";
import { ERRNO_NUMBERS } from "../kernel/errno.ts";
import { SYSCALL_NUMBERS } from "../kernel/x86_64_syscalls.ts";

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
