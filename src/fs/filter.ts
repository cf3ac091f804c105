/**
 * The seccomp side of the file rules: which syscalls stop at the supervisor,
 * and which are refused in the kernel, for a given {@linkcode FsPolicy}.
 * Nothing is added when the policy has no file rules.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { type Arch, HOST_ARCH } from "../arch/arch.ts";
import type { KernelAction, SyscallRule as KernelRule } from "../bpf/compile.ts";
import type { FsPolicy } from "./access.ts";
import { type FsCall, OPEN_CALLS, OPEN_WRITE_FLAGS, RUN_CALLS, WRITE_CALLS } from "./syscalls.ts";

const ALLOW: KernelAction = { kind: "allow" };

/**
 * Calls that would bypass a path check: mounting over an allowed tree,
 * opening by file handle (no path at all), entering another mount namespace
 * (where paths name other files than the supervisor sees). Landlock refuses
 * the mounts too.
 */
const BYPASS_CALLS = [
  "mount",
  "umount2",
  "pivot_root",
  "move_mount",
  "open_tree",
  "open_tree_attr",
  "fsopen",
  "fsmount",
  "fsconfig",
  "fspick",
  "mount_setattr",
  "open_by_handle_at",
  "setns",
] as const;

/** io_uring opens, renames and unlinks files without syscalls the filter could see. */
const URING_CALLS = ["io_uring_setup", "io_uring_enter", "io_uring_register"] as const;

/**
 * The filter rules of a file policy.
 *
 * - Every open stops when reads are restricted or a redirect exists; with
 *   only writes restricted, `open` and `openat` stop only when their flags
 *   write (`O_WRONLY`, `O_RDWR`, `O_CREAT`, `O_TRUNC`, `O_APPEND`,
 *   `O_TMPFILE`), tested in the kernel, so read-only opens cost nothing.
 *   `openat2` keeps its flags in memory: it always stops.
 * - The write calls stop when writes are restricted.
 * - `execve` and `execveat` stop when runs or reads are restricted.
 * - Mounts and `open_by_handle_at` fail with EPERM, io_uring with ENOSYS.
 * - A call the architecture lacks (`open`, `mkdir`... on aarch64) gets no rule:
 *   its `*at` form, which every architecture has, is governed instead.
 *
 * @param policy The file policy.
 * @param trace Makes the traced action of a call.
 * @param arch The architecture whose numbers the rules use.
 * @returns Rules by syscall number.
 */
export function fsFilterRules(
  policy: FsPolicy,
  trace: (call: FsCall) => KernelAction,
  arch: Arch = HOST_ARCH,
): Map<number, KernelRule> {
  const out = new Map<number, KernelRule>();
  // Calls this architecture lacks are left out before a traced rule is made for them.
  const has = (name: string) => Object.hasOwn(arch.numbers, name);
  const set = (name: string, rule: KernelRule) => out.set(arch.numbers[name], rule);
  const restricted = policy.read || policy.write || policy.run;
  const allOpens = policy.read !== undefined || policy.redirect.length > 0;
  if (allOpens || policy.write) {
    for (const call of OPEN_CALLS.filter(has)) {
      const flagsArg = call === "open" ? 1 : call === "openat" ? 2 : -1;
      if (allOpens || flagsArg < 0) set(call, trace(call));
      else {
        set(call, {
          rules: [{
            test: { op: "any_set", arg: flagsArg, mask: BigInt(OPEN_WRITE_FLAGS) },
            action: trace(call),
          }],
          otherwise: ALLOW,
        });
      }
    }
  }
  if (policy.write) { for (const call of WRITE_CALLS.filter(has)) set(call, trace(call)); }
  if (policy.run || policy.read) {
    for (const call of RUN_CALLS.filter(has)) set(call, trace(call));
  }
  if (restricted || policy.redirect.length > 0) {
    for (const name of URING_CALLS.filter(has)) {
      set(name, { kind: "errno", errno: ERRNO_NUMBERS.ENOSYS });
    }
  }
  if (restricted) {
    for (const name of BYPASS_CALLS.filter(has)) {
      set(name, { kind: "errno", errno: ERRNO_NUMBERS.EPERM });
    }
  }
  return out;
}
