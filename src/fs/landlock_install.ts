/**
 * Installing a {@linkcode LandlockSpec} in the exec stage, after
 * `PR_SET_NO_NEW_PRIVS` and before `execve`.
 *
 * @module
 */

import { addPathRule, createRuleset, restrictSelf } from "../../ffi/landlock.ts";
import { close } from "../../ffi/libc.ts";
import { FILE_RIGHTS, type LandlockSpec, rightsOfAbi } from "./landlock.ts";

export { landlockAbi } from "../../ffi/landlock.ts";

/**
 * Installs a spec on the calling thread; everything it execs inherits it.
 * Needs `PR_SET_NO_NEW_PRIVS` first. Rights the kernel's ABI lacks are
 * dropped; a rule whose path vanished since compile time is skipped.
 *
 * @param spec The rules.
 * @param abi The kernel's Landlock ABI (from `landlockAbi()`).
 * @returns How many rules were installed.
 * @throws {ErrnoError} When the kernel refuses the ruleset or a rule.
 */
export function applyLandlock(spec: LandlockSpec, abi: number): number {
  const known = rightsOfAbi(abi);
  const handled = spec.handled & known;
  if (handled === 0) return 0;
  const ruleset = createRuleset(handled);
  let n = 0;
  try {
    for (const r of spec.rules) {
      const access = r.access & handled & (r.dir ? known : FILE_RIGHTS);
      if (access === 0) continue;
      if (addPathRule(ruleset, r.path, access) === 0) n++;
    }
    restrictSelf(ruleset);
  } finally {
    close(ruleset); // The domain keeps its own reference.
  }
  return n;
}
