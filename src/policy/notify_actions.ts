/**
 * The policy's filter with the rules that a seccomp user notification can
 * decide handed to jail's listener instead of a ptrace stop.
 *
 * @module
 */

import { type FilterSpec, type KernelAction, mapActions } from "../bpf/spec.ts";
import type { TraceRule } from "../supervisor/rules.ts";
import { notifyAnswer } from "../notify/notifiable.ts";

/**
 * `spec` with each `trace` action whose rule {@linkcode notifyAnswer} can
 * answer turned into the `notify` action of the same rule.
 *
 * @param spec The compiled policy's spec (TRACE for every supervised rule).
 * @param rules Its traced rules, by trace data.
 * @returns The notifying spec, or undefined when no rule qualifies.
 */
export function notifyingSpec(
  spec: FilterSpec,
  rules: readonly TraceRule[],
): FilterSpec | undefined {
  const answered = rules.map((r) => notifyAnswer(r) !== undefined);
  if (!answered.includes(true)) return undefined;
  let used = false;
  const notifying = mapActions(spec, (a): KernelAction => {
    if (a.kind !== "trace" || !answered[a.data]) return a;
    used = true;
    return { kind: "notify", data: a.data };
  });
  return used ? notifying : undefined;
}
