/**
 * The capabilities the supervisor acts with when it performs a network call
 * for the tree.
 *
 * The supervisor makes allowed calls itself on a duplicate of the tracee's
 * socket (see `act.ts`), and the kernel checks some of them against the
 * capabilities of whoever makes the call: a netlink message with a
 * destination (`ip link add`, routes: CAP_NET_ADMIN), SCM_CREDENTIALS naming
 * another pid (CAP_SYS_ADMIN), a port below 1024 (CAP_NET_BIND_SERVICE). A
 * root jail has them all, while a root tree has kept far fewer (see
 * `src/launch/capabilities.ts`): made with jail's own, such a call would launder
 * capabilities the tree gave up. So for the length of each performed call
 * the supervisor's thread narrows its effective set to what the tracee has
 * (capabilities are per thread); the permitted set stays, to restore it
 * after. Without capabilities (jail run by an ordinary user) nothing
 * changes and this costs nothing.
 *
 * @module
 */

import { type CapabilitySets, capGet, capSet } from "../../ffi/security.ts";

/** This thread's own sets, read once: undefined until first use, null when it has none. */
let own: CapabilitySets | null | undefined;

function ownSets(): CapabilitySets | null {
  if (own === undefined) {
    try {
      const sets = capGet();
      own = sets.effective === 0n ? null : sets;
    } catch {
      own = null;
    }
  }
  return own;
}

/**
 * While it is held, this thread's effective capabilities are at most those of
 * process `pid`. Dispose it (`using`) to restore them.
 */
export class ActingAs implements Disposable {
  /** 0 when nothing was changed; an errno (negative) when the caps could not be narrowed. */
  readonly error: number = 0;
  #restore?: CapabilitySets;

  /** @param pid The tracee the call is made for. */
  constructor(pid: number) {
    const sets = ownSets();
    if (!sets) return;
    let theirs: bigint;
    try {
      theirs = capGet(pid).effective;
    } catch (e) {
      // Gone, or unreadable: the call must not be made with jail's capabilities.
      this.error = -((e as { errno?: number }).errno ?? 1);
      return;
    }
    const narrowed = sets.effective & theirs;
    if (narrowed === sets.effective) return;
    try {
      capSet({ ...sets, effective: narrowed });
      this.#restore = sets;
    } catch (e) {
      this.error = -((e as { errno?: number }).errno ?? 1);
    }
  }

  [Symbol.dispose](): void {
    if (this.#restore) capSet(this.#restore);
  }
}

/**
 * Makes `call` (a socket call on the tracee's behalf) with this thread's
 * capabilities narrowed to the tracee's, so the kernel's capability checks
 * (netlink, SCM_CREDENTIALS, ports below 1024) judge the tree, not jail.
 *
 * @returns `call`'s result, or `-errno` when the capabilities could not be narrowed.
 */
export function asTracee(pid: number, call: () => number): number {
  using acting = new ActingAs(pid);
  return acting.error || call();
}
