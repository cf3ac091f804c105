/**
 * Runs a command in a process group of its own and kills the whole group at a time limit (and
 * whatever the group left behind when the command returns): npm and test runners start children
 * that a kill of the first process alone would leave running. Used by `scripts/realworld.ts` and
 * `tests/realworld_test.ts`.
 *
 * @module
 */

/** How a {@linkcode runGroup} run ended. */
export interface GroupRun {
  /** Exit status. */
  code: number;
  /** Milliseconds from start to exit. */
  ms: number;
  /** stdout then stderr. */
  out: string;
  stderr: string;
  /** True when the time limit killed the group. */
  timedOut: boolean;
}

/**
 * Runs argv under `setsid`, which execs in place (pid == pgid), with stdin closed; the group gets
 * SIGKILL at `timeoutMs` and once more after the command returned.
 */
export async function runGroup(
  argv: string[],
  opts: { cwd: string; timeoutMs: number; env?: Record<string, string> },
): Promise<GroupRun> {
  const child = new Deno.Command("setsid", {
    args: argv,
    cwd: opts.cwd,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const start = performance.now();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, opts.timeoutMs);
  const out = await child.output();
  const ms = performance.now() - start;
  clearTimeout(timer);
  // Whatever the command left behind in its group goes too.
  killGroup(child.pid);
  const dec = new TextDecoder();
  const stderr = dec.decode(out.stderr);
  return { code: out.code, ms, out: dec.decode(out.stdout) + stderr, stderr, timedOut };
}

function killGroup(pgid: number): void {
  try {
    Deno.kill(-pgid, "SIGKILL");
  } catch { /* none left */ }
}
