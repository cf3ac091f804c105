/**
 * Installing the tree's Landlock domain in the exec stage, after
 * `PR_SET_NO_NEW_PRIVS` and before `execve`: the file rules of a
 * {@linkcode LandlockSpec} when the policy has them, and always, when the
 * kernel allows, a domain that walls the tree in.
 *
 * Any Landlock domain forbids ptrace-mode access from inside it to processes
 * outside it (`/proc/<pid>/mem`, `/proc/<pid>/fd`, `pidfd_getfd`,
 * `process_vm_readv`, `kcmp`, ptrace itself), so the supervisor is out of the
 * tree's reach whatever its uid and capabilities. From ABI 6 the domain is
 * also scoped for signals: no signal leaves it, by any syscall. Abstract unix
 * sockets are left unscoped: the policy allows unix sockets (X11, D-Bus).
 *
 * @module
 */

import { addPathRule, createRuleset, restrictSelf, SCOPE, SCOPE_ABI } from "../../ffi/landlock.ts";
import { close } from "../../ffi/libc.ts";
import { ACCESS, FILE_RIGHTS, type LandlockSpec, rightsOfAbi } from "./landlock.ts";

export { landlockAbi } from "../../ffi/landlock.ts";

/** What {@linkcode installDomain} put in place. */
export interface InstalledDomain {
  /** File rules installed (the wall's own grant on `/` included). */
  rules: number;
  /** Rights handled; 0 for a scope-only domain or none. */
  handled: number;
  /** Scopes of the domain (0 before ABI 6). */
  scoped: number;
  /** False when no domain was installed (no Landlock; ABI 1 without file rules). */
  installed: boolean;
}

/**
 * Installs the tree's domain on the calling thread; everything it execs and
 * forks inherits it. Needs `PR_SET_NO_NEW_PRIVS` first.
 *
 * - ABI 6 and later: the file rules (if any) and `LANDLOCK_SCOPE_SIGNAL`, one domain.
 * - ABI 2 to 5 without file rules: a domain that handles only REFER and
 *   grants it on `/`, which changes nothing a process can observe, for its
 *   ptrace wall. (Leaving REFER unhandled would not do: a domain that does
 *   not handle REFER refuses every cross-directory rename or link with EXDEV.)
 * - ABI 1 without file rules: none, since any domain of ABI 1 refuses
 *   cross-directory renames and links (EXDEV).
 *
 * Rights the kernel's ABI lacks are dropped; a rule whose path vanished since
 * compile time is skipped.
 *
 * @param spec The file rules, when the policy has them.
 * @param abi The kernel's Landlock ABI (from `landlockAbi()`).
 * @throws {ErrnoError} When the kernel refuses the ruleset or a rule.
 */
export function installDomain(spec: LandlockSpec | undefined, abi: number): InstalledDomain {
  const none = { rules: 0, handled: 0, scoped: 0, installed: false };
  if (abi <= 0) return none;
  const known = rightsOfAbi(abi);
  const scoped = abi >= SCOPE_ABI ? SCOPE.SIGNAL : 0;
  let handled = spec ? spec.handled & known : 0;
  let rules = spec?.rules ?? [];
  if (handled === 0 && scoped === 0) {
    if (!(known & ACCESS.REFER)) return none;
    handled = ACCESS.REFER;
    rules = [{ path: "/", access: ACCESS.REFER, dir: true }];
  }
  const ruleset = createRuleset(handled, scoped);
  let n = 0;
  try {
    for (const r of rules) {
      const access = r.access & handled & (r.dir ? known : FILE_RIGHTS);
      if (access === 0) continue;
      if (addPathRule(ruleset, r.path, access) === 0) n++;
    }
    restrictSelf(ruleset);
  } finally {
    close(ruleset); // The domain keeps its own reference.
  }
  return { rules: n, handled, scoped, installed: true };
}
