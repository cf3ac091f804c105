/**
 * The policy's filter with the rules that a seccomp user notification can
 * decide handed to jail's listener instead of a ptrace stop.
 *
 * @module
 */

import { type FilterSpec, type KernelAction, mapActions } from "../bpf/spec.ts";
import type { NotifyPlan } from "../notify/notifiable.ts";
import { BPF_K, BPF_RET } from "../../kernel/bpf.ts";
import {
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_DATA,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_USER_NOTIF,
} from "../../kernel/seccomp.ts";

/**
 * `spec` with each `trace` action whose rule the pool can answer
 * (`notifyPlans`) turned into the `notify` action of the same rule.
 *
 * @param spec The compiled policy's spec (TRACE for every supervised rule).
 * @param plans The plan of each traced rule, by trace data (undefined: stays on ptrace).
 * @returns The notifying spec, or undefined when no rule qualifies.
 */
export function notifyingSpec(
  spec: FilterSpec,
  plans: readonly (NotifyPlan | undefined)[],
): FilterSpec | undefined {
  const answered = plans.map((p) => p !== undefined);
  if (!answered.includes(true)) return undefined;
  let used = false;
  const notifying = mapActions(spec, (a): KernelAction => {
    if (a.kind !== "trace" || !answered[a.data]) return a;
    used = true;
    return { kind: "notify", data: a.data };
  });
  return used ? notifying : undefined;
}

/**
 * The compiled program of {@linkcode notifyingSpec}, made from the TRACE
 * program without compiling again: every `ret TRACE|data` of a notifiable
 * rule becomes `ret USER_NOTIF|data`. The compiler encodes both actions with
 * the rule's data and groups ranges by encoded value, which maps one to one,
 * so the two programs differ in those returns alone (the policy tests hold
 * this to `compileFilter(notifyingSpec(...))`). Half a millisecond to
 * several of a cold start saved, for each run of such a policy.
 *
 * @param filter The packed TRACE program (`struct sock_filter` array, little-endian).
 * @param plans The plan of each traced rule, by trace data.
 * @returns The notifying program, or undefined when no rule qualifies.
 */
export function notifyingProgram(
  filter: Uint8Array,
  plans: readonly (NotifyPlan | undefined)[],
): Uint8Array | undefined {
  const answered = plans.map((p) => p !== undefined);
  if (!answered.includes(true)) return undefined;
  const out = new Uint8Array(filter);
  const view = new DataView(out.buffer);
  let used = false;
  for (let at = 0; at + 8 <= out.length; at += 8) {
    if (view.getUint16(at, true) !== (BPF_RET | BPF_K)) continue;
    const k = view.getUint32(at + 4, true);
    if (((k & SECCOMP_RET_ACTION_FULL) >>> 0) !== SECCOMP_RET_TRACE) continue;
    if (!answered[k & SECCOMP_RET_DATA]) continue;
    view.setUint32(at + 4, (SECCOMP_RET_USER_NOTIF | (k & SECCOMP_RET_DATA)) >>> 0, true);
    used = true;
  }
  return used ? out : undefined;
}
