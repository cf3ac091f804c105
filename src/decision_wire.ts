/**
 * The form of a {@linkcode Decision} that crosses between threads as JSON
 * (a function rule's answer, written by the owner's thread into the hook
 * channel and read by the supervisor's): register values as decimal
 * strings, since BigInts do not survive JSON. One encode/decode pair.
 *
 * @module
 */

import { type Decision, type RegisterValue, registerValue } from "./decision.ts";

/** Register values by argument index, in decimal. */
export type WireArgs = Record<string, string>;

/** A {@linkcode Decision}, JSON-safe. */
export type WireDecision =
  | { action: "allow"; rule?: string }
  | { action: "deny"; errno: number; rule?: string; kernel?: true }
  | { action: "return"; value: string; rule?: string }
  | { action: "kill"; rule?: string }
  | { action: "args"; args: WireArgs; rule?: string }
  | { action: "result"; value: string; rule?: string }
  | { action: "perform"; value: string; rule?: string }
  | { action: "replace"; nr: number; args: WireArgs; rule?: string }
  | { action: "wait"; fd: number; timeoutMs: number; rule?: string };

function encodeArgs(args: Readonly<Record<number, RegisterValue>>): WireArgs {
  const out: WireArgs = {};
  for (const [i, v] of Object.entries(args)) out[i] = String(v);
  return out;
}

/** Argument values are bigints: the supervisor writes them as 64-bit registers. */
function decodeArgs(args: WireArgs): Record<number, RegisterValue> {
  const out: Record<number, RegisterValue> = {};
  for (const [i, v] of Object.entries(args)) out[Number(i)] = BigInt(v);
  return out;
}

/** The JSON-safe form of a decision. */
export function encodeDecision(d: Decision): WireDecision {
  if ("args" in d) return { ...d, args: encodeArgs(d.args) };
  if ("value" in d) return { ...d, value: String(d.value) };
  return d;
}

/** The decision a {@linkcode WireDecision} stands for, its values ready for the registers. */
export function decodeDecision(w: WireDecision): Decision {
  if ("args" in w) return { ...w, args: decodeArgs(w.args) };
  if ("value" in w) return { ...w, value: registerValue(w.value) };
  return w;
}
