import assert from "node:assert/strict";
import { NotifiedArgs, NotifiedCaller } from "./notified_call.ts";
import { pathArgs } from "../fs/syscalls.ts";
import { AT_FDCWD, O } from "../../kernel/fcntl.ts";

Deno.test("NotifiedArgs: int arguments are the low 32 bits, signed, as the registers give them", () => {
  const a = new NotifiedArgs();
  // openat(AT_FDCWD, ptr, O_WRONLY|O_CREAT) with garbage in the high half of the int arguments.
  a.args.splice(
    0,
    3,
    0xdead0000_00000000n | BigInt.asUintN(32, BigInt(AT_FDCWD)),
    0x7fff1000n,
    0xffffffff_00000041n,
  );
  assert.equal(a.argInt(0), AT_FDCWD);
  assert.equal(a.arg(1), 0x7fff1000n);
  const [p] = pathArgs("openat", a);
  assert.equal(p.dirfd, AT_FDCWD);
  assert.equal(p.ptr, 0x7fff1000n);
  assert.deepEqual(p.access, ["write"]);
  assert.equal(O.WRONLY | O.CREAT, 0x41);
});

Deno.test("NotifiedCaller: the process id is read once, when asked for, from the thread's status", () => {
  const c = new NotifiedCaller();
  c.reset(Deno.pid);
  assert.equal(c.tid, Deno.pid);
  assert.equal(c.pid, Deno.pid);
  // A thread of this process other than the main one: its tgid is this process.
  const other = [...Deno.readDirSync("/proc/self/task")].map((t) => Number(t.name))
    .find((t) => t !== Deno.pid);
  if (other !== undefined) {
    c.reset(other);
    assert.equal(c.pid, Deno.pid);
  }
  // No such task: the tid itself, never a throw.
  c.reset(0x3fffffff);
  assert.equal(c.pid, 0x3fffffff);
});
