/**
 * The `syscalls` key of a config, and `--trace-calls`, laid over the rules
 * built before them (guards, net, fs): a config rule replaces what was there,
 * except the built-in checks that close an escape or protect the
 * supervisor; a traced-only call turns its ALLOWs into stops.
 *
 * @module
 */

import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import type { KernelAction, SyscallRule as KernelRule } from "../bpf/compile.ts";
import { type Decision, registerValue, TRACE_ONLY_RULE } from "../decision.ts";
import type { TraceRule } from "../supervisor/rules.ts";
import type { JailConfig, SyscallHook, SyscallRule } from "./types.ts";
import { type AddTrace, ALLOW, errno } from "./filter_actions.ts";

const E = ERRNO_NUMBERS;

/**
 * Sets the rule of each call `config.syscalls` names, its function rules
 * appended to `hooks`; `rules` is the traced-rule table `trace` adds to.
 *
 * @returns The names left out: calls that only another architecture has.
 */
export function addConfigRules(
  config: JailConfig,
  syscalls: Map<number, KernelRule>,
  NR: Readonly<Record<string, number>>,
  rules: readonly TraceRule[],
  trace: AddTrace,
  hooks: SyscallHook[],
): string[] {
  const skipped: string[] = [];
  for (const [name, rule] of Object.entries(config.syscalls ?? {})) {
    // A call of another architecture (open, fork... on aarch64) cannot be made here: its rule
    // has nothing to act on, so one policy file serves both. Names no architecture knows were
    // refused by validation.
    if (!Object.hasOwn(NR, name)) {
      skipped.push(name);
      continue;
    }
    const nr = NR[name];
    const action = kernelRule(name, rule, trace, hooks);
    // The built-in argument checks that close an escape (CLONE_UNTRACED, kill(-1), signals to
    // the supervisor, TIOCSTI, AF_PACKET) stay in front of a rule for the same syscall; they are
    // also what the kernel re-checks after a traced rule rewrites arguments.
    const builtin = syscalls.get(nr);
    // The supervisor's own checks (signals to its group or threads, tasks named by id) stay in
    // front too, unless the rule refuses the call outright anyway.
    const strict = action.kind === "errno" || action.kind === "kill";
    const guards = builtin && "rules" in builtin
      ? builtin.rules.filter((r) =>
        r.action.kind === "errno" || r.action.kind === "kill" ||
        (!strict && r.action.kind === "trace" && isGuardRule(rules[r.action.data]))
      )
      : [];
    syscalls.set(nr, guards.length > 0 ? { rules: guards, otherwise: action } : action);
  }
  return skipped;
}

/**
 * Turns every ALLOW of each named syscall (its rule's `otherwise`, an
 * argument rule's action, or the filter's default) into a stop with a
 * trace-only rule: the supervisor allows it, as the kernel would have.
 * ERRNO, KILL and TRACE actions stay: a refusal is not weakened into a stop,
 * and a call stopped for a check keeps its check.
 */
export function addTraceOnly(
  syscalls: Map<number, KernelRule>,
  names: readonly string[],
  numbers: Readonly<Record<string, number>>,
  trace: AddTrace,
): void {
  for (const name of names) {
    const nr = numbers[name];
    if (nr === undefined) continue;
    const rule = syscalls.get(nr) ?? ALLOW;
    let traced: KernelAction | undefined;
    const onlyTraced = (a: KernelAction): KernelAction =>
      a.kind !== "allow" ? a : (traced ??= trace({
        syscall: name,
        decision: { action: "allow", rule: TRACE_ONLY_RULE },
      }));
    syscalls.set(
      nr,
      "rules" in rule
        ? {
          rules: rule.rules.map((r) => ({ ...r, action: onlyTraced(r.action) })),
          otherwise: onlyTraced(rule.otherwise),
        }
        : onlyTraced(rule),
    );
  }
}

/** A traced rule that protects the supervisor, which a config rule must not replace. */
function isGuardRule(rule: TraceRule | undefined): boolean {
  return rule !== undefined && (rule.signal !== undefined || rule.target !== undefined);
}

function kernelRule(
  name: string,
  rule: SyscallRule,
  trace: AddTrace,
  hooks: SyscallHook[],
): KernelAction {
  const label = `syscalls.${name}`;
  const traced = (decision: Decision) =>
    trace({ syscall: name, decision: { ...decision, rule: label } });
  if (typeof rule === "function") {
    hooks.push(rule);
    return trace({
      syscall: name,
      decision: { action: "allow", rule: label },
      hook: hooks.length - 1,
    });
  }
  if (rule === "allow") return ALLOW;
  if (rule === "deny") return errno(E.EPERM);
  if (rule === "kill") return traced({ action: "kill" });
  if (rule === "trace") return traced({ action: "allow" });
  if ("deny" in rule) return errno((ERRNO_NUMBERS as Record<string, number>)[rule.deny]);
  if ("return" in rule) return traced({ action: "return", value: registerValue(rule.return) });
  const args: Record<number, bigint> = {};
  for (const [i, v] of Object.entries(rule.args)) args[Number(i)] = BigInt(v);
  return traced({ action: "args", args });
}
