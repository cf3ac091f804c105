import assert from "node:assert/strict";
import { kill } from "../../ffi/process.ts";
import { PTRACE } from "../../kernel/ptrace.ts";
import { ptrace, ptraceBuffer, ptraceRegset, waitpid } from "../../ffi/ptrace.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import { WAIT } from "../../kernel/wait.ts";
import { addressOf } from "../../ffi/libc.ts";
import { close } from "../../ffi/io.ts";
import { cloneParked } from "../../ffi/clone.ts";
import { HOST_ARCH } from "./arch.ts";
import { NT_PRSTATUS } from "../../kernel/ptrace.ts";

/** Runs `fn` on a seized child (a parked clone, as the launch makes) in a PTRACE_INTERRUPT stop, then kills and reaps it. */
function withStoppedSleep(fn: (pid: number) => void): void {
  const stack = new Uint8Array(64 * 1024);
  const { pid, pidfd } = cloneParked(stack);
  close(pidfd);
  try {
    assert.equal(ptrace(PTRACE.SEIZE, pid, 0, 0), 0);
    assert.equal(ptrace(PTRACE.INTERRUPT, pid, 0, 0), 0);
    // A successful interrupt always ends in a stop: this wait cannot hang.
    const [got, status] = waitpid(pid, WAIT.WALL);
    assert.equal(got, pid);
    assert.equal(status & 0xff, 0x7f, "stopped");
    fn(pid);
  } finally {
    kill(pid, SIGNALS.SIGKILL);
    waitpid(pid, WAIT.WALL);
  }
}

Deno.test("host Registers read and write a stopped thread's registers", () => {
  withStoppedSleep((pid) => {
    const regs = HOST_ARCH.newRegisters();
    assert.equal(regs.read(pid), 0);
    assert.notEqual(regs.ip, 0n);
    assert.notEqual(regs.sp, 0n);
    // Written back unchanged, the thread is as it was.
    assert.equal(regs.write(pid), 0);
    const again = HOST_ARCH.newRegisters();
    assert.equal(again.read(pid), 0);
    assert.deepEqual(again.buffer, regs.buffer);
  });
  // A thread that is gone: -ESRCH, not an exception.
  assert.equal(HOST_ARCH.newRegisters().read(0x3ffffff0), -3);
});

Deno.test("ptraceRegset(NT_PRSTATUS) reads what GETREGS reads (the iovec path aarch64 uses)", {
  ignore: Deno.build.arch !== "x86_64",
}, () => {
  withStoppedSleep((pid) => {
    const byRegs = new Uint8Array(27 * 8);
    assert.equal(ptraceBuffer(PTRACE.GETREGS, pid, byRegs), 0);
    // Room for more than the set: the kernel writes its size and shortens iov_len to it.
    const store = new ArrayBuffer(27 * 8 + 64);
    const iov = new BigUint64Array([addressOf(new Uint8Array(store)), BigInt(store.byteLength)]);
    assert.equal(ptraceRegset(PTRACE.GETREGSET, pid, NT_PRSTATUS, new Uint8Array(iov.buffer)), 0);
    assert.equal(iov[1], BigInt(27 * 8));
    const bySet = new Uint8Array(store, 0, 27 * 8);
    assert.deepEqual(bySet, byRegs);
  });
});
