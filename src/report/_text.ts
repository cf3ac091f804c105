/**
 * Small text helpers shared by the reports (internal).
 *
 * @module
 */

import { ERRNO_NAMES } from "../../kernel/errno.ts";
import { signalName as libcSignalName } from "../../kernel/signals.ts";

/** `EACCES` for 13; `E<n>` for a number without a name. */
export function errnoName(n: number): string {
  return ERRNO_NAMES[n] || `E${n}`;
}

/** `SIGKILL` for 9. */
export function signalName(n: number): string {
  return libcSignalName(n);
}

// C0 and C1 controls, DEL: a tracee's argv or path must never drive the user's terminal.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Text from a tracee made safe to print: control characters as `\xNN`. */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** `s` cut to `max` characters, with `...` when cut. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 3))}...`;
}

/** The last component of a path. */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || path;
}

/** A quoted argument (JSON string syntax, controls escaped), cut to `max` characters inside. */
export function quote(s: string, max = 64): string {
  return printable(JSON.stringify(truncate(s, max)));
}

/** A word as a POSIX shell would need it quoted: bare when safe, else in single quotes. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}
