/**
 * Landlock bindings: `landlock_create_ruleset` (444), `landlock_add_rule`
 * (445), called through libc's `syscall()` (glibc has no wrappers), and
 * `open(O_PATH)` for rule parents. `landlock_restrict_self` is made by the
 * launch in the command's process (src/launch/launch.ts).
 *
 * @module
 */

import { cstring, ErrnoError, sys, type SysResult } from "./libc.ts";
import { close } from "./io.ts";
import { CREATE_RULESET_VERSION, RULE_PATH_BENEATH } from "../kernel/landlock.ts";
import { AT_FDCWD, O } from "../kernel/fcntl.ts";

/**
 * The Landlock ABI version of the running kernel.
 *
 * @returns 1 or more; 0 when Landlock is missing (ENOSYS) or disabled at boot (EOPNOTSUPP).
 */
export function landlockAbi(): number {
  const rc = sys("landlock_create_ruleset", null, 0, CREATE_RULESET_VERSION);
  const abi = rc > 0 ? rc : 0;
  // JAIL_LANDLOCK_ABI=N makes jail act as on a kernel whose Landlock ABI is at most N (0: none),
  // so the fallbacks of older kernels can be tested on this one.
  const cap = Number.parseInt(Deno.env.get(LANDLOCK_ABI_ENV) ?? "", 10);
  return Number.isInteger(cap) && cap >= 0 ? Math.min(abi, cap) : abi;
}

/** Environment variable that caps the Landlock ABI jail uses (tests of older kernels). */
export const LANDLOCK_ABI_ENV = "JAIL_LANDLOCK_ABI";

/**
 * Creates a ruleset handling the file-system rights `handledFs` and the
 * scopes `scoped` (ABI 6; 0 for none).
 *
 * @returns The ruleset's descriptor.
 * @throws {ErrnoError}
 */
export function createRuleset(handledFs: number, scoped = 0): number {
  // struct landlock_ruleset_attr { __u64 handled_access_fs, handled_access_net, scoped; }:
  // without scopes only the first field is given, so every ABI takes it (the kernel
  // zero-fills the fields of later versions).
  const attr = new BigUint64Array([BigInt(handledFs), 0n, BigInt(scoped)]);
  const size = scoped ? BigInt(attr.byteLength) : 8n;
  const rc = sys("landlock_create_ruleset", attr, size, 0);
  if (rc < 0) throw new ErrnoError("landlock_create_ruleset", -rc);
  return rc;
}

/**
 * Grants `access` beneath `path` (or to the file `path`).
 *
 * @returns 0, or `-errno` of opening `path` (ENOENT when it vanished since the policy was compiled).
 * @throws {ErrnoError} When the kernel refuses the rule.
 */
export function addPathRule(ruleset: number, path: string, access: number): SysResult {
  const fd = sys("openat", AT_FDCWD, cstring(path), O.PATH | O.CLOEXEC);
  if (fd < 0) return fd;
  try {
    // struct landlock_path_beneath_attr { __u64 allowed_access; __s32 parent_fd; } __packed
    const attr = new Uint8Array(12);
    const view = new DataView(attr.buffer);
    view.setBigUint64(0, BigInt(access), true);
    view.setInt32(8, fd, true);
    const rc = sys("landlock_add_rule", ruleset, RULE_PATH_BENEATH, attr, 0);
    if (rc < 0) throw new ErrnoError(`landlock_add_rule(${path})`, -rc);
    return 0;
  } finally {
    close(fd);
  }
}
