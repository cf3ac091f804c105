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

/** The shared "allow" decision. */
export const ALLOW: Decision = { action: "allow" };
