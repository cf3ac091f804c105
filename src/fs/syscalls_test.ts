import assert from "node:assert/strict";
import { Registers } from "../arch/x86_64.ts";
import { openAccess, pathArgs } from "./syscalls.ts";
import { AT_FDCWD, O } from "../../kernel/fcntl.ts";

function regs(...args: (number | bigint)[]): Registers {
  const r = new Registers();
  args.forEach((v, i) => r.setArg(i, BigInt(v)));
  return r;
}

Deno.test("openAccess() reads the access mode and the writing flags", () => {
  assert.deepEqual(openAccess(0), ["read"]);
  assert.deepEqual(openAccess(O.WRONLY), ["write"]);
  assert.deepEqual(openAccess(O.RDWR), ["read", "write"]);
  assert.deepEqual(openAccess(O.CREAT), ["read", "write"]);
  assert.deepEqual(openAccess(O.APPEND), ["read", "write"]);
  assert.deepEqual(openAccess(O.PATH | O.WRONLY), []);
});

Deno.test("pathArgs() of the open family: follow, target, redirectable register", () => {
  const [a] = pathArgs("openat", regs(5, 0x1000, O.WRONLY | O.CREAT | O.EXCL));
  assert.deepEqual(a, {
    dirfd: 5,
    ptr: 0x1000n,
    reg: 1,
    emptyPath: false,
    follow: false,
    access: ["write"],
    target: "any",
  });
  const [b] = pathArgs("open", regs(0x2000, O.NOFOLLOW));
  assert.equal(b.dirfd, AT_FDCWD);
  assert.equal(b.follow, false);
  assert.equal(b.target, "existing");
  const [c] = pathArgs("openat2", regs(AT_FDCWD, 0x3000, 0x4000, 24), [BigInt(O.RDWR), 0n, 0x10n]);
  assert.deepEqual([c.access, c.inRoot], [["read", "write"], true]);
  const [d] = pathArgs("creat", regs(0x2000, 0o644));
  assert.deepEqual([d.access, d.target], [["write"], "any"]);
});

Deno.test("pathArgs() of renames, links and fd calls", () => {
  const [from, to] = pathArgs("renameat2", regs(3, 0x10, 4, 0x20, 0));
  assert.deepEqual([from.dirfd, from.reg, from.target, from.follow], [3, 1, "existing", false]);
  assert.deepEqual([to.dirfd, to.reg, to.target], [4, 3, "any"]);
  const [old, made] = pathArgs("linkat", regs(AT_FDCWD, 0x10, AT_FDCWD, 0x20, 0x400 | 0x1000));
  assert.deepEqual([old.follow, old.emptyPath, made.target], [true, true, "create"]);
  const [sym] = pathArgs("symlinkat", regs(0x10, 7, 0x20));
  assert.deepEqual([sym.dirfd, sym.ptr, sym.target], [7, 0x20n, "create"]);
  const [f] = pathArgs("fchmod", regs(9, 0o600));
  assert.deepEqual([f.dirfd, f.ptr], [9, 0n]);
  const [u] = pathArgs("utimensat", regs(9, 0, 0, 0));
  assert.deepEqual([u.dirfd, u.ptr], [9, 0n]);
  const [x] = pathArgs("execveat", regs(9, 0x10, 0, 0, 0x1000));
  assert.deepEqual([x.access, x.emptyPath, x.follow], [["run", "read"], true, true]);
});
