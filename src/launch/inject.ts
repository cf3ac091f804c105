/**
 * Running syscalls in a seized, stopped child by ptrace: the launch's way of
 * doing the pre-exec work (no_new_privs, filters, capabilities, Landlock)
 * in a process that runs no code of its own. Each call: registers set to the
 * call at a `syscall` instruction of libc's code (the child shares jail's
 * memory), one PTRACE_SINGLESTEP, its result read back from rax.
 *
 * Register layout and the instruction's bytes come from src/arch/.
 *
 * @module
 */

import { ErrnoError } from "../../ffi/libc.ts";
import { PTRACE } from "../../kernel/ptrace.ts";
import { ptrace, waitpid } from "../../ffi/ptrace.ts";
import { SIGNALS } from "../../kernel/signals.ts";
import { WAIT } from "../../kernel/wait.ts";
import { ownMemory } from "../../ffi/clone.ts";
import { symbolAddress } from "../../ffi/libc.ts";
import { HOST_ARCH } from "../arch/arch.ts";
import { decodeWaitStatus } from "../supervisor/stop.ts";

/** How far into libc's `syscall()` its `syscall` instruction may sit. */
const SCAN_BYTES = 64;

let syscallAddress: bigint | undefined;

/**
 * The address of a `syscall` instruction in libc's `syscall()` function, in
 * this process and in every child sharing or copying its memory.
 *
 * @throws {Error} When none is found (an unknown libc).
 */
export function syscallInstruction(): bigint {
  if (syscallAddress !== undefined) return syscallAddress;
  const start = symbolAddress("syscall");
  const code = ownMemory(start, SCAN_BYTES);
  const insn = HOST_ARCH.syscallInstruction;
  // aarch64 instructions are 4-byte aligned; x86_64's may start anywhere.
  const step = insn.length === 4 ? 4 : 1;
  for (let i = 0; i + insn.length <= code.length; i += step) {
    if (insn.every((byte, k) => code[i + k] === byte)) return syscallAddress = start + BigInt(i);
  }
  throw new Error("no syscall instruction in libc's syscall(): unknown libc");
}

/** A step of the launch that failed: exit 125 with this message. */
export class InjectError extends Error {
  /**
   * @param step What was being done, e.g. `PR_SET_NO_NEW_PRIVS`.
   * @param errno The errno, 0 when the child died or stopped oddly.
   * @param detail Said instead of the errno.
   */
  constructor(readonly step: string, readonly errno: number, detail?: string) {
    super(
      `${step} failed${
        detail ? `: ${detail}` : errno ? `: ${new ErrnoError("", errno).code}` : ""
      }`,
    );
    this.name = "InjectError";
  }
}

/** A seized child parked in a blocking call (ffi/clone.ts), whose syscalls jail makes. */
export class Injector {
  /** The child's pid. */
  readonly pid: number;
  /** Signals that arrived meanwhile, suppressed; to be sent again once the command runs. */
  readonly deferred: number[] = [];
  readonly #regs = HOST_ARCH.newRegisters();
  readonly #ip = syscallInstruction();

  /**
   * Takes a seized child to its first stop (PTRACE_INTERRUPT).
   *
   * @throws {InjectError} When it cannot be stopped.
   */
  constructor(pid: number) {
    this.pid = pid;
    const rc = ptrace(PTRACE.INTERRUPT, pid, 0, 0);
    if (rc !== 0) throw new InjectError("PTRACE_INTERRUPT", -rc);
    this.#wait("PTRACE_INTERRUPT", (kind) => kind === "interrupt");
    // Segment registers and flags stay as the child has them: only the call's registers change.
    const got = this.#regs.read(pid);
    if (got !== 0) throw new InjectError("PTRACE_GETREGS", -got);
  }

  /**
   * Runs syscall `nr` in the child.
   *
   * @param step What the call is for, in messages.
   * @returns Its result: a value, or `-errno`.
   * @throws {InjectError} When the child cannot be made to run it.
   */
  call(step: string, nr: number, args: readonly (bigint | number)[]): number {
    this.setUp(step, nr, args);
    const rc = ptrace(PTRACE.SINGLESTEP, this.pid, 0, 0);
    if (rc !== 0) throw new InjectError(step, -rc);
    this.#wait(step, (kind, sig) => kind === "signal" && sig === SIGNALS.SIGTRAP);
    if (this.#regs.read(this.pid) !== 0) {
      throw new InjectError(step, 0, "the child vanished");
    }
    return Number(this.#regs.result);
  }

  /** Like {@linkcode call}, and a negative result is a failure. */
  mustCall(step: string, nr: number, args: readonly (bigint | number)[]): number {
    const r = this.call(step, nr, args);
    if (r < 0) throw new InjectError(step, -r);
    return r;
  }

  /**
   * Sets the child's registers to make syscall `nr` when resumed, without
   * resuming it (the command's execve, which the supervisor's loop runs).
   */
  setUp(step: string, nr: number, args: readonly (bigint | number)[]): void {
    this.#regs.setSyscall(this.#ip, nr, args);
    const rc = this.#regs.write(this.pid);
    if (rc !== 0) throw new InjectError(step, -rc);
  }

  /**
   * Waits for the stop `done` accepts. A signal arriving meanwhile (a
   * forwarded one, once the mask is empty) is held back and kept in
   * {@linkcode deferred}: its delivery would run no handler of the command's.
   */
  #wait(step: string, done: (kind: string, sig: number) => boolean): void {
    for (;;) {
      const [pid, status] = waitpid(this.pid, WAIT.WALL);
      if (pid < 0) throw new InjectError(step, -pid);
      const stop = decodeWaitStatus(status);
      const sig = stop.kind === "signal" ? stop.signal : 0;
      if (done(stop.kind, sig)) return;
      if (stop.kind === "exited" || stop.kind === "killed") {
        throw new InjectError(step, 0, "the child died");
      }
      if (stop.kind === "signal") {
        this.deferred.push(sig);
        // At a signal-delivery-stop nothing of the instruction ran yet: step again, without it.
        const rc = ptrace(PTRACE.SINGLESTEP, this.pid, 0, 0);
        if (rc !== 0) throw new InjectError(step, -rc);
        continue;
      }
      throw new InjectError(step, 0, `unexpected stop (${stop.kind})`);
    }
  }
}
