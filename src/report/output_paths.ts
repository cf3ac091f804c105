/**
 * Checks, before the command starts, that every file a report will be
 * written to can be written: a run that ends with "cannot write" has lost
 * what it observed (`--learn` writes only at the end).
 *
 * @module
 */

/** A report file: who asked for it (`--learn`, `--log`, `GITHUB_STEP_SUMMARY`) and where. */
export interface OutputPath {
  /** The flag or variable that named it, for the message. */
  what: string;
  /** The path as given. */
  path: string;
}

/**
 * Why `path` cannot be written, or undefined when it can. An existing file is
 * opened for writing without truncation; for a new one, a scratch file is made
 * and removed in its directory, which answers for permissions, read-only file
 * systems and a missing directory alike.
 *
 * @param path The file.
 * @returns A short reason, or undefined.
 */
export function unwritableReason(path: string): string | undefined {
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    // Missing, or under a file: the directory's check below says which.
    if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) {
      return reason(e);
    }
  }
  if (info?.isDirectory) return "is a directory";
  if (info) {
    try {
      Deno.openSync(path, { write: true }).close();
      return undefined;
    } catch (e) {
      return reason(e);
    }
  }
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  try {
    if (!Deno.statSync(dir).isDirectory) return `${dir} is not a directory`;
  } catch (e) {
    return `directory ${dir}: ${reason(e)}`;
  }
  try {
    Deno.removeSync(Deno.makeTempFileSync({ dir, prefix: ".jail-probe-" }));
    return undefined;
  } catch (e) {
    return `directory ${dir}: ${reason(e)}`;
  }
}

/** The OS error's text without Deno's `: <syscall> '<path>'` suffix. */
function reason(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.replace(/\s*\(os error \d+\)/, "").replace(/:\s*\w+ '.*'$/, "").replace(
    /,\s*\w+ '.*'$/,
    "",
  );
}

/**
 * The first report file that cannot be written, as one line: `--learn
 * /nonexistent/x.ts: cannot write: directory /nonexistent: No such file or
 * directory`.
 *
 * @param outputs The files the run will write.
 * @returns The message, or undefined when all can be written.
 */
export function checkOutputPaths(outputs: readonly OutputPath[]): string | undefined {
  for (const { what, path } of outputs) {
    const why = unwritableReason(path);
    if (why !== undefined) return `${what} ${path}: cannot write: ${why}`;
  }
  return undefined;
}
