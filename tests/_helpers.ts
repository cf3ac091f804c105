/**
 * Shared test support: run the jail CLI as a real process, build C tracees.
 *
 * Tests run jail through `Deno.Command` (the test process is not the tracer,
 * so Deno's child reaper is harmless here) with a hard timeout each.
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
/** Absolute path of the repository. */
export const ROOT_DIR = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");
/** Path of jail.ts. */
export const JAIL = `${ROOT_DIR}/jail.ts`;
/** Where C tracees are built. */
export const C_BUILD = `${ROOT_DIR}/c/build`;

/**
 * Where jail runs unless a test says otherwise: an empty directory, so that
 * the repository's example `jail.config.ts` is not discovered by accident.
 */
export const NEUTRAL_DIR = Deno.makeTempDirSync({ prefix: "jail-test-cwd-" });
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(NEUTRAL_DIR, { recursive: true });
  } catch { /* already gone */ }
});

/** The outcome of one jail run. */
export interface JailRun {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode jail}. */
export interface JailRunOptions {
  /** Text for stdin. */
  stdin?: string;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Working directory (default: {@linkcode NEUTRAL_DIR}). */
  cwd?: string;
  /** Hard limit; the test fails when exceeded (default 60 s). */
  timeoutMs?: number;
  /** Wrap the whole jail in this argv prefix (e.g. `unshare -n`). */
  prefix?: string[];
}

/**
 * Runs `deno run -A jail.ts <args>` and collects its output.
 *
 * @throws {Error} When the run exceeds its hard timeout (the process is killed first).
 */
export async function jail(args: string[], opts: JailRunOptions = {}): Promise<JailRun> {
  const argv = [...(opts.prefix ?? []), Deno.execPath(), "run", "-A", "--no-check", JAIL, ...args];
  const cmd = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: opts.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...opts.env },
    cwd: opts.cwd ?? NEUTRAL_DIR,
  });
  const child = cmd.spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutMs ?? 60_000);
  const out = await child.output();
  clearTimeout(timer);
  const result = {
    code: out.code,
    signal: out.signal,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  if (timedOut) throw new Error(`jail ${args.join(" ")} timed out; stderr: ${result.stderr}`);
  return result;
}

/**
 * Compiles `c/<name>.c` to `c/build/<name>` (once per source change).
 *
 * @returns The executable's path.
 */
export async function buildC(name: string, extra: string[] = []): Promise<string> {
  const src = `${ROOT_DIR}/c/${name}.c`;
  const bin = `${C_BUILD}/${name}`;
  await Deno.mkdir(C_BUILD, { recursive: true });
  try {
    const [s, b] = await Promise.all([Deno.stat(src), Deno.stat(bin)]);
    if (b.mtime! >= s.mtime!) return bin;
  } catch { /* not built yet */ }
  const out = await new Deno.Command("cc", {
    args: ["-O2", "-Wall", "-o", bin, src, "-lpthread", ...extra],
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`cc ${name}.c failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return bin;
}

/** True when a pid still exists (a zombie counts as gone: its state is Z). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** True when `unshare -n` works here (root with network namespaces). */
export async function canUnshareNet(): Promise<boolean> {
  try {
    const out = await new Deno.Command("unshare", { args: ["-n", "true"], stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}
