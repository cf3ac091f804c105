/**
 * The one-line report of a refused file access, once per process and path:
 * `jail: denied write to /etc/passwd (pid 123 sh); allow with --allow-write=/etc/passwd`.
 *
 * @module
 */

import type { FsDenial } from "./check.ts";
import { SeenKeys } from "../seen_keys.ts";

const VERB = { read: "read of", write: "write to", run: "run of" } as const;

/**
 * The report line of a denial.
 *
 * @example A path outside the allow list
 * ```ts
 * import { denialLine } from "./report.ts";
 * denialLine(123, "sh", { access: "write", path: "/etc/passwd" });
 * // "jail: denied write to /etc/passwd (pid 123 sh); allow with --allow-write=/etc/passwd"
 * ```
 *
 * @param pid The process.
 * @param comm Its command name.
 * @param d What was refused.
 * @returns One line, without the newline.
 */
export function denialLine(pid: number, comm: string, d: FsDenial): string {
  const head = `jail: denied ${VERB[d.access]} ${d.path} (pid ${pid} ${comm})`;
  if (d.deniedBy !== undefined) return `${head}: matches ${d.access}.deny entry ${d.deniedBy}`;
  if (d.path.startsWith("(")) return head;
  return `${head}; allow with --allow-${d.access}=${d.path}`;
}

/** The key under which a denial is reported once: per process, access and path. */
export function denialKey(pid: number, d: FsDenial): string {
  return `${pid} ${d.access} ${d.path}`;
}

/** A process's command name, or "?" when it is gone. */
export function commOf(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/comm`).trim();
  } catch {
    return "?";
  }
}

/**
 * A reporter that writes each denial once per process, access and path.
 *
 * @param write Where lines go (stderr in the CLI).
 * @returns The callback for `FsChecker.onDeny`; `comm`, when given, is the process's command
 *   name read where the denial was decided (a notification pool's thread), else read here;
 *   `written`: that thread wrote the line itself, and it is only taken note of here.
 */
export function fsReporter(
  write: (line: string) => void,
): (tid: number, pid: number, d: FsDenial, comm?: string, written?: boolean) => void {
  const seen = new SeenKeys();
  return (_tid, pid, d, comm, written) => {
    const key = denialKey(pid, d);
    if (!seen.first(key)) return;
    if (!written) write(`${denialLine(pid, comm ?? commOf(pid), d)}\n`);
  };
}
