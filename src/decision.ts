/**
 * What the supervisor does with a stopped syscall: each kind of decision
 * says in its type what it does to the call's registers and who ran the
 * call, so that the supervisor applies it and reports classify it without
 * looking at rule names.
 *
 * Values are register values ({@linkcode RegisterValue}) from the start:
 * the form that crosses between threads as JSON is {@linkcode WireDecision}
 * in `decision_wire.ts`.
 *
 * @module
 */

/**
 * A register value in the form the supervisor writes without converting at
 * each stop: a number when it fits 32 bits signed (every errno, most
 * results), a bigint otherwise ({@linkcode registerValue} makes one). The
 * values of a {@linkcode Decision} take this form.
 */
export type RegisterValue = bigint | number;

/** A decision for one syscall that stopped at the supervisor. */
export type Decision =
  /** Let it run unchanged. */
  | { action: "allow"; rule?: string }
  /**
   * Skip it; the caller sees -1 with this errno. `kernel`: the call fails as
   * the kernel itself would fail it (a missing file, a bad pointer), so the
   * policy refused nothing.
   */
  | { action: "deny"; errno: number; rule?: string; kernel?: true }
  /** Skip it; the caller sees this result, chosen by the policy. */
  | { action: "return"; value: bigint | number; rule?: string }
  /** Kill the whole tree. */
  | { action: "kill"; rule?: string }
  /** Run it with these arguments replaced (index 0..5 → new value). */
  | { action: "args"; args: Readonly<Record<number, bigint | number>>; rule?: string }
  /** Run it, then replace what it returned. */
  | { action: "result"; value: bigint | number; rule?: string }
  /**
   * Skip it: the supervisor made the call itself on the caller's behalf (a
   * network call on a duplicate of the caller's socket, with the address
   * bytes it checked; or a resolver's connect to a denied DNS server, taken
   * note of so that the query that follows is refused by name), and the
   * caller sees its result.
   */
  | { action: "perform"; value: bigint | number; rule?: string }
  /**
   * Run syscall `nr` in its place, with these arguments replaced: a call
   * that carries no address where the caller's carried one.
   */
  | {
    action: "replace";
    nr: number;
    args: Readonly<Record<number, bigint | number>>;
    rule?: string;
  }
  /**
   * Not yet: a call the supervisor makes for the caller would block (a full
   * datagram queue, a full listen backlog), so the caller waits in a `ppoll`
   * of its own, on its descriptor `fd` (writable) or, `fd` -1, on nothing for
   * a short while, and then makes the call again, to be checked again
   * (src/supervisor/wait.ts). `timeoutMs`: the socket's SO_SNDTIMEO (0: none),
   * after which the call fails with EAGAIN as the kernel's own would.
   */
  | { action: "wait"; fd: number; timeoutMs: number; rule?: string };

/** The rule name of trace-only stops (`--trace-calls`): allowed, and shown without a decision. */
export const TRACE_ONLY_RULE = "trace";

/** The shared "allow" decision. */
export const ALLOW: Decision = { action: "allow" };

/**
 * A value as a register holds it: a number when it fits 32 bits signed, a
 * bigint otherwise; decimal strings (the wire form) are parsed here.
 */
export function registerValue(v: bigint | number | string): RegisterValue {
  const b = typeof v === "bigint" ? v : BigInt(v);
  return b >= -0x80000000n && b <= 0x7fffffffn ? Number(b) : b;
}
