/**
 * A notified call as the file check sees it: its arguments from the
 * `seccomp_data` the kernel filled, and its caller, which a notification
 * names only by thread id.
 *
 * @module
 */

import type { SyscallArgs } from "../arch/registers.ts";
import type { FsCaller } from "../fs/check.ts";
import { readTaskIds } from "../supervisor/registry.ts";

/** The six arguments of a notification's `seccomp_data`, as a stop's registers give them. */
export class NotifiedArgs implements SyscallArgs {
  /** The arguments, filled for each notification by the pool thread. */
  readonly args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];

  arg(i: number): bigint {
    return this.args[i];
  }

  argInt(i: number): number {
    return Number(BigInt.asIntN(32, this.args[i]));
  }
}

/**
 * The caller of a notified call. The notification carries its thread id in
 * jail's pid namespace; the process id, which only `/proc/self` and a
 * report need, is read from `/proc/<tid>/status` the first time it is asked
 * for. The pool checks the notification is still pending after every read
 * of /proc and memory, so the tid cannot have named another task by then.
 */
export class NotifiedCaller implements FsCaller {
  #tid = 0;
  #pid = -1;

  /** The caller of the next notification. */
  reset(tid: number): void {
    this.#tid = tid;
    this.#pid = -1;
  }

  get tid(): number {
    return this.#tid;
  }

  /**
   * The caller's thread group (registry.ts's `readTaskIds`); the tid itself
   * when its status cannot be read (it died: its notification is gone too,
   * and nothing decided then is sent or reported).
   */
  get pid(): number {
    if (this.#pid < 0) this.#pid = readTaskIds(this.#tid).tgid;
    return this.#pid;
  }
}
