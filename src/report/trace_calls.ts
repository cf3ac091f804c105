/**
 * `--trace-calls`: which syscalls `--trace` shows, named like strace's
 * `-e trace=`: syscall names and `%class` groups (`%net`, `%file`, ...,
 * from `src/arch/syscall_classes.ts`), comma-separated.
 *
 * @module
 */

import { SYSCALL_NUMBERS } from "../arch/x86_64_syscalls.ts";
import { SYSCALL_CLASSES } from "../arch/syscall_classes.ts";
import { suggest } from "../suggest.ts";

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
      for (const name of members) chosen.add(name);
    } else if (Object.hasOwn(SYSCALL_NUMBERS, entry)) {
      chosen.add(entry);
    } else {
      const guess = suggest(entry, Object.keys(SYSCALL_NUMBERS));
      throw new TraceCallsError(
        `unknown syscall ${JSON.stringify(entry)}${
          guess ? `: did you mean ${guess}?` : ""
        } (or a class: ${TRACE_CLASSES.join(", ")})`,
      );
    }
  }
  const numbers = SYSCALL_NUMBERS as Record<string, number>;
  return [...chosen].sort((a, b) => numbers[a] - numbers[b]);
}
