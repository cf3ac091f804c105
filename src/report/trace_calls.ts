/**
 * `--trace-calls`: which syscalls `--trace` shows, named like strace's
 * `-e trace=`: syscall names and `%class` groups (`%net`, `%file`, ...,
 * from `src/arch/syscall_classes.ts`), comma-separated.
 *
 * @module
 */

import { HOST_ARCH } from "../arch/arch.ts";
import { SYSCALL_CLASSES } from "../arch/syscall_classes.ts";
import { suggest } from "../suggest.ts";

/** This machine's syscall numbers, by name. */
const NUMBERS: Readonly<Record<string, number>> = HOST_ARCH.numbers;

/** `%name` → class; strace's short `%net` included. */
const CLASS_NAMES: Readonly<Record<string, readonly string[]>> = {
  ...Object.fromEntries(Object.entries(SYSCALL_CLASSES).map(([k, v]) => [`%${k}`, v])),
  "%net": SYSCALL_CLASSES.network,
};

/** The class names `--trace-calls` accepts, for help and errors. */
export const TRACE_CLASSES: readonly string[] = Object.keys(CLASS_NAMES);

/** A name `--trace-calls` does not know; the message names the value and a suggestion. */
export class TraceCallsError extends Error {
  /** @param message What was wrong, with a did-you-mean when one is close. */
  constructor(message: string) {
    super(message);
    this.name = "TraceCallsError";
  }
}

/**
 * Resolves `--trace-calls` entries into syscall names, in table order, each once.
 *
 * @example Names and a class
 * ```ts
 * import { resolveTraceCalls } from "./trace_calls.ts";
 * resolveTraceCalls(["openat", "%net"]).includes("connect"); // true
 * ```
 *
 * @param entries Syscall names and `%class` names.
 * @returns The syscall names.
 * @throws {TraceCallsError} For a name that is neither.
 */
export function resolveTraceCalls(entries: readonly string[]): string[] {
  const chosen = new Set<string>();
  for (const entry of entries) {
    if (entry.startsWith("%")) {
      const members = CLASS_NAMES[entry];
      if (!members) {
        const guess = suggest(entry, TRACE_CLASSES);
        throw new TraceCallsError(
          `unknown class ${JSON.stringify(entry)}${
            guess ? `: did you mean ${guess}?` : ""
          } (classes: ${TRACE_CLASSES.join(", ")})`,
        );
      }
      // A class member this architecture lacks (`open` on aarch64) has nothing to trace.
      for (const name of members) if (Object.hasOwn(NUMBERS, name)) chosen.add(name);
    } else if (Object.hasOwn(NUMBERS, entry)) {
      chosen.add(entry);
    } else {
      const guess = suggest(entry, Object.keys(NUMBERS));
      throw new TraceCallsError(
        `unknown syscall ${JSON.stringify(entry)}${
          guess ? `: did you mean ${guess}?` : ""
        } (or a class: ${TRACE_CLASSES.join(", ")})`,
      );
    }
  }
  return [...chosen].sort((a, b) => NUMBERS[a] - NUMBERS[b]);
}
