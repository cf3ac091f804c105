/**
 * Shared test support: run the jail CLI as a real process, build C tracees.
 *
 * Tests run jail through `Deno.Command` (the test process is not the tracer,
 * so Deno's child reaper is harmless here) with a hard timeout each.
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
/** Absolute path of the repository. */
export const ROOT_DIR = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");
/** Path of jail.ts. */
export const JAIL = `${ROOT_DIR}/jail.ts`;
const [python, ...pythonPrefixes]: string[] = await new Deno.Command("python3", {
  args: ["-c", "import sys; print(sys.executable); print(sys.base_prefix); print(sys.prefix)"],
  stdout: "piped",
}).output().then(
  (o) => [...new Set(new TextDecoder().decode(o.stdout).trim().split("\n").filter((l) => l))],
  () => [],
);
/**
 * The real python3 interpreter (a pyenv shim would chdir and re-exec first, and a virtualenv's
 * lives elsewhere than Debian's).
 */
export const PYTHON: string = python ?? "python3";
/**
 * Where python3 reads its own files from: its installation (base_prefix) and, inside a
 * virtualenv, the environment (prefix, where pyvenv.cfg lives). Not necessarily under /usr.
 */
export const PYTHON_PREFIXES: readonly string[] = pythonPrefixes;

/** The path of a command on PATH (`command -v`), or "" when there is none. */
export async function which(name: string): Promise<string> {
  const out = await new Deno.Command("sh", {
    args: ["-c", 'command -v "$0"', name],
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => undefined);
  return out?.success ? new TextDecoder().decode(out.stdout).trim() : "";
}

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

/** The argv that runs jail.ts with `args` under this Deno, as {@linkcode jail} does. */
export function jailArgv(args: readonly string[]): string[] {
  return [Deno.execPath(), "run", "-A", "--no-check", JAIL, ...args];
}

/** Words quoted for `sh -c`: each in single quotes. */
export function shellQuote(words: readonly string[]): string {
  return words.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
}

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
  const argv = [...(opts.prefix ?? []), ...jailArgv(args)];
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
  }, (opts.timeoutMs ?? 60_000) * TIME_SCALE);
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
 * Compiles `c/<name>.c` to `c/build/<name>` (once per change of it or of a
 * shared `c/*.h`).
 *
 * @returns The executable's path.
 */
export async function buildC(name: string, extra: string[] = []): Promise<string> {
  const src = `${ROOT_DIR}/c/${name}.c`;
  const bin = `${C_BUILD}/${name}`;
  await Deno.mkdir(C_BUILD, { recursive: true });
  const headers = [...Deno.readDirSync(`${ROOT_DIR}/c`)].filter((e) => e.name.endsWith(".h"));
  try {
    const [b, ...sources] = await Promise.all(
      [bin, src, ...headers.map((h) => `${ROOT_DIR}/c/${h.name}`)].map((p) => Deno.stat(p)),
    );
    if (sources.every((s) => b.mtime! >= s.mtime!)) return bin;
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
  const state = procState(pid);
  return state !== undefined && state !== "Z" && state !== "X";
}

let netnsReason: string | undefined | null = null;

/**
 * True when a fresh network namespace can be made and set up here: `unshare -n` (root with
 * network namespaces) and iproute2's `ip`. The first time it is false, says why on stderr, so
 * that the tests it turns off (counted as ignored) are explained.
 */
export async function canUnshareNet(): Promise<boolean> {
  if (netnsReason === null) {
    try {
      const out = await new Deno.Command("unshare", {
        args: ["-n", "ip", "link", "set", "lo", "up"],
        stderr: "piped",
      }).output();
      netnsReason = out.success ? undefined : new TextDecoder().decode(out.stderr).trim();
    } catch (e) {
      netnsReason = (e as Error).message;
    }
    if (netnsReason !== undefined) {
      console.error(
        `network-namespace tests are ignored: unshare -n ip link set lo up: ${netnsReason}`,
      );
    }
  }
  return netnsReason === undefined;
}

/** /proc state letter of a pid (R, S, T, t, Z...), undefined when it does not exist. */
export function procState(pid: number): string | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat[stat.lastIndexOf(")") + 2];
  } catch {
    return undefined;
  }
}

/**
 * Multiplier of the tests' hard time limits, from `JAIL_TEST_TIME_SCALE` (default 1): the
 * emulated machines of `scripts/vm.sh` run 10 to 50 times slower than the host.
 */
export const TIME_SCALE = Math.max(1, Number(Deno.env.get("JAIL_TEST_TIME_SCALE")) || 1);

/** Polls `check` every 5 ms until it holds; fails after `ms` (times {@linkcode TIME_SCALE}). */
export async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  ms *= TIME_SCALE;
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Calls `check` every 10 ms for `ms` milliseconds: for what must stay true for a while (a stopped
 * process stays stopped, a waiting jail keeps waiting). `check` asserts; its first failure fails.
 * Not scaled by {@linkcode TIME_SCALE}: a minimum span of observation, not a deadline.
 */
export async function holds(check: () => void, ms = 300): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    check();
    await new Promise((r) => setTimeout(r, 10));
  }
  check();
}

/** `key value` lines (as probes print them) as a record: the first `sep` splits. */
export function keyValues(stdout: string, sep = " "): Record<string, string> {
  return Object.fromEntries(
    stdout.trim().split("\n").filter((l) => l.includes(sep)).map((l) => {
      const i = l.indexOf(sep);
      return [l.slice(0, i), l.slice(i + sep.length)];
    }),
  );
}

/** The `jail: denied ...` report lines of a run's stderr. */
export function denials(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.startsWith("jail: denied"));
}

/** Asserts that a run exited 0, showing its output when it did not. */
export function ok(run: JailRun, what = "jail"): void {
  assert.equal(
    run.code,
    0,
    `${what} exited ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`,
  );
}

/**
 * A fresh directory (its real path) holding `files`, each a path relative to it; the caller
 * removes it, or uses {@linkcode inTempDir}.
 */
export async function tempDir(prefix: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix }));
  for (const [name, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${name}`.replace(/\/[^/]*$/, ""), { recursive: true });
    await Deno.writeTextFile(`${dir}/${name}`, text);
  }
  return dir;
}

/** Runs `fn` in a fresh directory (see {@linkcode tempDir}), removed afterwards. */
export async function inTempDir<T>(
  prefix: string,
  fn: (dir: string) => Promise<T>,
  files: Record<string, string> = {},
): Promise<T> {
  const dir = await tempDir(prefix, files);
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A jail run (or another command) the test watches and talks to while it runs. */
export interface LiveJail {
  /** The spawned process's pid (jail, or the prefix command). */
  pid: number;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Everything printed on stderr so far. */
  stderr(): string;
  /** True once the process has exited. */
  finished(): boolean;
  /** Writes to stdin. */
  write(text: string): Promise<void>;
  /** Resolves when the process has exited and its output ended; the hard timeout rejects. */
  done: Promise<JailRun>;
  /** After a failed assertion: asks jail to kill the tree (two SIGTERMs) and waits. */
  stop(): Promise<void>;
}

/**
 * Starts jail (behind `prefix`, if any) and streams its output, with a hard
 * timeout. `done` also waits for the end of the output: a tracee that
 * survived jail would hold the pipe open, and the run would time out.
 */
export function spawnJail(
  args: string[],
  opts: { env?: Record<string, string>; prefix?: string[]; timeoutMs?: number } = {},
): LiveJail {
  return spawnLive([...(opts.prefix ?? []), ...jailArgv(args)], opts);
}

/** {@linkcode spawnJail} for any argv: jail behind a prefix of its own, or a control. */
export function spawnLive(
  argv: string[],
  opts: { env?: Record<string, string>; timeoutMs?: number } = {},
): LiveJail {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...opts.env },
  }).spawn();
  const texts = ["", ""];
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const pumps = readers.map(async (reader, i) => {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        texts[i] += decoder.decode(value, { stream: true });
      }
    } catch { /* cancelled at the hard timeout */ }
  });
  const writer = child.stdin.getWriter();
  let finished = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    for (const r of readers) r.cancel().catch(() => {});
  }, (opts.timeoutMs ?? 30_000) * TIME_SCALE);
  const done = (async () => {
    const status = await child.status;
    finished = true;
    await Promise.all(pumps);
    clearTimeout(timer);
    await writer.close().catch(() => {});
    if (timedOut) {
      throw new Error(`${argv.join(" ")} timed out; stdout: ${texts[0]} stderr: ${texts[1]}`);
    }
    return { code: status.code, signal: status.signal, stdout: texts[0], stderr: texts[1] };
  })();
  return {
    pid: child.pid,
    stdout: () => texts[0],
    stderr: () => texts[1],
    finished: () => finished,
    write: (text) => writer.write(new TextEncoder().encode(text)),
    done,
    stop: async () => {
      if (!finished) {
        for (let i = 0; i < 2; i++) {
          try {
            Deno.kill(child.pid, "SIGTERM");
          } catch { /* gone */ }
        }
      }
      await done.catch(() => {});
    },
  };
}

/** Options for {@linkcode native}. */
export interface NativeOptions {
  /** Wrap the command in this argv prefix (e.g. `nsenter ...`). */
  prefix?: string[];
  /** Hard limit: the command is SIGKILLed then (default 60 s). */
  timeoutMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
  /** Working directory (default: the test's). */
  cwd?: string;
}

/** Runs a command outside the jail (the controls), killed at its time limit; `ms`: how long it took. */
export async function native(
  argv: string[],
  opts: NativeOptions = {},
): Promise<JailRun & { ms: number }> {
  const all = [...(opts.prefix ?? []), ...argv];
  const child = new Deno.Command(all[0], {
    args: all.slice(1),
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    env: opts.env,
    cwd: opts.cwd,
  }).spawn();
  const start = performance.now();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
  }, (opts.timeoutMs ?? 60_000) * TIME_SCALE);
  const out = await child.output();
  clearTimeout(timer);
  const dec = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ms: performance.now() - start,
  };
}
