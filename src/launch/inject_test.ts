import assert from "node:assert/strict";
import { close } from "../../ffi/io.ts";
import { kill } from "../../ffi/process.ts";
import { PTRACE } from "../../kernel/ptrace.ts";
import { ptrace, waitpid } from "../../ffi/ptrace.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import { WAIT } from "../../kernel/wait.ts";
import { cloneParked } from "../../ffi/clone.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { decodeWaitStatus } from "../supervisor/stop.ts";
import { InjectError, Injector, syscallInstruction } from "./inject.ts";
import { TRACE_OPTIONS } from "../supervisor/trace_options.ts";

const EBADF = 9;
const NR = HOST_ARCH.numbers;
const PR_SET_NAME = 15;

/** Reaps a killed tracee: its exit stop (resumed) and then its death. */
function reap(pid: number): void {
  for (;;) {
    const [got, status] = waitpid(pid, WAIT.WALL);
    if (got < 0) return;
    const stop = decodeWaitStatus(status);
    if (stop.kind === "exited" || stop.kind === "killed") return;
    ptrace(PTRACE.CONT, pid, 0, 0);
  }
}

Deno.test("syscallInstruction() finds the syscall instruction in libc's syscall()", () => {
  const insn = HOST_ARCH.syscallInstruction;
  const at = syscallInstruction();
  const code = new Uint8Array(
    Deno.UnsafePointerView.getArrayBuffer(Deno.UnsafePointer.create(at)!, insn.length),
  );
  assert.deepEqual([...code], insn);
});

Deno.test("Injector runs syscalls in a cloned, parked child: its own pid, an errno, a string in copied memory", () => {
  // PR_SET_NAME reads a buffer of ours: the child has it at the same address.
  const name = new TextEncoder().encode("injected\0");
  const address = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(name)));
  const stack = new Uint8Array(16384);
  const { pid, pidfd } = cloneParked(stack);
  try {
    assert.equal(ptrace(PTRACE.SEIZE, pid, 0, TRACE_OPTIONS), 0);
    const child = new Injector(pid);
    assert.equal(child.call("getpid", NR.getpid, []), pid);
    assert.equal(child.call("close(-1)", NR.close, [-1]), -EBADF);
    assert.throws(() => child.mustCall("close(-1)", NR.close, [-1]), InjectError);
    assert.equal(child.call("PR_SET_NAME", NR.prctl, [PR_SET_NAME, address]), 0);
    assert.equal(Deno.readTextFileSync(`/proc/${pid}/comm`), "injected\n");
    // Nothing ran in it but the calls: the copy still blocks the signals it was cloned with
    // blocked (SIGTRAP aside: the kernel unblocks it to deliver each step's trap).
    const blocked = BigInt(
      `0x${Deno.readTextFileSync(`/proc/${pid}/status`).match(/^SigBlk:\s*(\w+)/m)?.[1]}`,
    );
    for (const sig of [SIGNALS.SIGINT, SIGNALS.SIGTERM, SIGNALS.SIGUSR1, SIGNALS.SIGCHLD]) {
      assert.equal((blocked >> BigInt(sig - 1)) & 1n, 1n, `signal ${sig} blocked`);
    }
  } finally {
    kill(pid, SIGNALS.SIGKILL);
    reap(pid);
    close(pidfd);
  }
});

Deno.test("a child cloned with shareMemory reads jail's memory as it is now, not as it was at the clone", () => {
  const name = new Uint8Array(16);
  const address = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(name)));
  const stack = new Uint8Array(16384);
  const { pid, pidfd } = cloneParked(stack, true);
  try {
    // Written after the clone: a copy would still hold zeros (an empty name, refused).
    name.set(new TextEncoder().encode("shared\0"));
    assert.equal(ptrace(PTRACE.SEIZE, pid, 0, TRACE_OPTIONS), 0);
    const child = new Injector(pid);
    assert.equal(child.call("PR_SET_NAME", NR.prctl, [PR_SET_NAME, address]), 0);
    assert.equal(Deno.readTextFileSync(`/proc/${pid}/comm`), "shared\n");
    // One memory: the same mappings, down to the stack buffer.
    const maps = (p: number | string) => Deno.readTextFileSync(`/proc/${p}/maps`).split("\n")[0];
    assert.equal(maps(pid), maps("self"));
    // Its own process all the same: a pid, a thread group, signal actions of its own.
    assert.equal(child.call("getpid", NR.getpid, []), pid);
  } finally {
    kill(pid, SIGNALS.SIGKILL);
    reap(pid);
    close(pidfd);
  }
  void [name, stack];
});
