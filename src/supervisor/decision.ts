/**
 * What the supervisor does with a stopped syscall.
 *
 * @module
 */

/** A decision for one syscall that stopped at the supervisor. */
export type Decision =
  /** Let it run unchanged. */
  | { action: "allow"; rule?: string }
  /** Skip it; the caller sees -1 with this errno. */
  | { action: "deny"; errno: number; rule?: string }
  /** Skip it; the caller sees this result. */
  | { action: "return"; value: bigint | number; rule?: string }
  /** Kill the whole tree. */
  | { action: "kill"; rule?: string }
  /** Run it with these arguments replaced (index 0..5 → new value). */
  | { action: "args"; args: Readonly<Record<number, bigint | number>>; rule?: string }
  /** Run it, then replace what it returned. */
  | { action: "result"; value: bigint | number; rule?: string };

/** The rule name of trace-only stops (`--trace-calls`): allowed, and shown without a decision. */
export const TRACE_ONLY_RULE = "trace";

/** The shared "allow" decision. */
export const ALLOW: Decision = { action: "allow" };

/**
 * A register value in the form the supervisor writes without converting at
 * each stop: a number when it fits 32 bits signed (every errno, most results),
 * a bigint otherwise. Policies carry values as decimal strings (they cross to
 * the supervisor's thread and through JSON); this parses them once.
 */
export function registerValue(v: bigint | number | string): bigint | number {
  const b = typeof v === "bigint" ? v : BigInt(v);
  return b >= -0x80000000n && b <= 0x7fffffffn ? Number(b) : b;
}

/**
 * The same decision with its values prepared by {@linkcode registerValue}:
 * done once per rule when the rule table is built, and once per answer of a
 * function rule, never per stop.
 */
export function prepareDecision(d: Decision): Decision {
  switch (d.action) {
    case "return":
    case "result":
      return { ...d, value: registerValue(d.value) };
    case "args": {
      const args: Record<number, bigint> = {};
      for (const [i, v] of Object.entries(d.args)) args[Number(i)] = BigInt(v);
      return { ...d, args };
    }
    default:
      return d;
  }
}
