/**
 * The tree's Landlock domain, built by jail and installed by the launch in the
 * command's process after `PR_SET_NO_NEW_PRIVS`, before `execve`: the file rules of a
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

import { SCOPE, SCOPE_ABI } from "../../kernel/landlock.ts";
import { addPathRule, createRuleset } from "../../ffi/landlock.ts";
import { close } from "../../ffi/io.ts";
import { FILE_RIGHTS, type LandlockSpec, rightsOfAbi } from "./landlock.ts";
import { ACCESS } from "../../kernel/landlock.ts";

export { landlockAbi } from "../../ffi/landlock.ts";

/**
 * Builds, in jail, the ruleset of the tree's domain; the child only has to
 * `landlock_restrict_self` it (after `PR_SET_NO_NEW_PRIVS`) and close it.
 * Everything it execs and forks inherits the domain.
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
 * compile time is skipped. The rules' paths are opened by jail, with its own
 * credentials, which are the child's.
 *
 * @param spec The file rules, when the policy has them.
 * @param abi The kernel's Landlock ABI (from `landlockAbi()`).
 * @returns The ruleset's descriptor (close-on-exec), or -1 when there is no domain to install.
 * @throws {ErrnoError} When the kernel refuses the ruleset or a rule.
 */
export function buildRuleset(spec: LandlockSpec | undefined, abi: number): number {
  if (abi <= 0) return -1;
  const known = rightsOfAbi(abi);
  const scoped = abi >= SCOPE_ABI ? SCOPE.SIGNAL : 0;
  let handled = spec ? spec.handled & known : 0;
  let rules = spec?.rules ?? [];
  if (handled === 0 && scoped === 0) {
    if (!(known & ACCESS.REFER)) return -1;
    handled = ACCESS.REFER;
    rules = [{ path: "/", access: ACCESS.REFER, dir: true }];
  }
  const ruleset = createRuleset(handled, scoped);
  try {
    for (const r of rules) {
      const access = r.access & handled & (r.dir ? known : FILE_RIGHTS);
      if (access !== 0) addPathRule(ruleset, r.path, access);
    }
  } catch (e) {
    close(ruleset);
    throw e;
  }
  return ruleset;
}
