/**
 * The pieces every part of the policy's filter is built from: the kernel's
 * two immediate answers, the low-32-bit mask that int arguments are compared
 * under, and the callback that turns a traced rule into a stop.
 *
 * @module
 */

import type { KernelAction } from "../bpf/compile.ts";
import type { TraceRule } from "../supervisor/rules.ts";

/** Settled in the kernel: the call runs. */
export const ALLOW: KernelAction = { kind: "allow" };

/** Settled in the kernel: the call fails with `n`. */
export const errno = (n: number): KernelAction => ({ kind: "errno", errno: n });

/** An int argument's bits: the filter compares pids, flags and commands under this mask. */
export const LOW32 = 0xffffffffn;

/** Adds a traced rule to the table and returns the stop that leads to it. */
export type AddTrace = (rule: TraceRule) => KernelAction;
