/**
 * Starting the jailed command: the exec stage is spawned, seized with ptrace
 * before it does anything, and only then told what to run.
 *
 * @module
 */

import {
  close,
  ErrnoError,
  kill,
  O_CLOEXEC,
  pipe,
  PR,
  prctl,
  PTRACE,
  ptrace,
  read,
  readAll,
  SIGNALS,
  spawn,
  WAIT,
  waitpid,
  writeAll,
} from "../ffi/libc.ts";
import {
  EXEC_STAGE_ENV,
  type ExecFailure,
  type ExecRequest,
  READY,
  REQUEST_FD,
  STATUS_FD,
} from "./exec_stage.ts";
import { SEIZE_OPTIONS } from "./supervisor.ts";
import type { LandlockSpec } from "./fs/landlock.ts";

/** What to start. */
export interface LaunchSpec {
  /** The command and its arguments. */
  argv: readonly string[];
  /** The command's environment, `KEY=value`. */
  env: readonly string[];
  /** The packed seccomp program to install before exec. */
  filter: Uint8Array;
  /** Landlock rules to install before exec. */
  landlock?: LandlockSpec;
}

/** A seized exec stage. */
export interface Launched {
  /** Its pid: the root of the jailed tree. */
  pid: number;
  /** Read end of the status pipe: EOF once exec succeeded, an {@linkcode ExecFailure} otherwise. */
  statusFd: number;
}

/** A failure to start the jail itself (not the command): exit 125. */
export class LaunchError extends Error {
  /** @param message What failed, and what to do about it. */
  constructor(message: string) {
    super(message);
    this.name = "LaunchError";
  }
}

/** argv that starts this program's exec stage, under `deno run` or as a compiled binary. */
export function execStageCommand(): { path: string; argv: string[]; env: string[] } {
  const path = Deno.execPath();
  const env = [`${EXEC_STAGE_ENV}=1`, "DENO_NO_UPDATE_CHECK=1"];
  if (Deno.build.standalone) return { path, argv: [path], env };
  const module = new URL("./exec_stage.ts", import.meta.url).href;
  return {
    path,
    argv: [path, "run", "-A", "-q", "--no-check", "--no-config", "--no-lock", module],
    env,
  };
}

/** A spawned exec stage, waiting for its request; not yet traced. */
export interface SpawnedStage {
  /** Its pid. */
  pid: number;
  /** Write end of the request pipe. */
  requestFd: number;
  /** Read end of the status pipe. */
  statusFd: number;
}

let subreaper = false;

/**
 * Spawns the exec stage. Any thread may do this, early: the stage's own Deno
 * start then overlaps with loading the policy. It waits for its request.
 *
 * @throws {LaunchError} When it cannot be started.
 */
export function spawnExecStage(): SpawnedStage {
  if (!subreaper) {
    // Orphans of the tree are reparented to us, not to init, so none escapes the reaping.
    prctl(PR.SET_CHILD_SUBREAPER, 1);
    subreaper = true;
  }
  const [requestRead, requestWrite] = pipe(O_CLOEXEC);
  const [statusRead, statusWrite] = pipe(O_CLOEXEC);
  const stage = execStageCommand();
  const env = [
    ...Object.entries(Deno.env.toObject())
      .filter(([k]) => k !== EXEC_STAGE_ENV)
      .map(([k, v]) => `${k}=${v}`),
    ...stage.env,
  ];
  let pid: number;
  try {
    pid = spawn(stage.path, stage.argv, env, {
      dup2: [[requestRead, REQUEST_FD], [statusWrite, STATUS_FD]],
    });
  } catch (e) {
    for (const fd of [requestRead, requestWrite, statusRead, statusWrite]) close(fd);
    throw new LaunchError(`cannot start the exec stage: ${(e as Error).message}`);
  }
  close(requestRead);
  close(statusWrite);
  return { pid, requestFd: requestWrite, statusFd: statusRead };
}

/** Ends an exec stage that will not be used (a usage error, `--help`). */
export function discardExecStage(stage: SpawnedStage): void {
  kill(stage.pid, SIGNALS.SIGKILL);
  waitpid(stage.pid, WAIT.WALL);
  close(stage.requestFd);
  close(stage.statusFd);
}

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * Seizes a spawned exec stage and sends it the request. Must run on the
 * thread that will issue every later ptrace request.
 *
 * @throws {LaunchError} When the stage died or cannot be seized.
 */
export function attachExecStage(stage: SpawnedStage, spec: LaunchSpec): Launched {
  const { pid, requestFd, statusFd } = stage;
  const fail = (message: string): never => {
    discardExecStage(stage);
    throw new LaunchError(message);
  };
  // posix_spawn returns as soon as the child's execve has released our memory, which is before
  // that execve completes: seizing now could report Deno's own exec as the command's.
  const ready = new Uint8Array(1);
  if (read(statusFd, ready) !== 1 || ready[0] !== READY[0]) {
    fail(`the exec stage (${execStageCommand().argv.join(" ")}) exited before it was ready`);
  }
  const rc = ptrace(PTRACE.SEIZE, pid, 0, SEIZE_OPTIONS);
  if (rc !== 0) {
    const why = new ErrnoError("ptrace(PTRACE_SEIZE)", -rc).message;
    fail(
      `cannot trace a child process: ${why}; ptrace may be forbidden here ` +
        `(kernel.yama.ptrace_scope >= 2, a seccomp profile, or a container without CAP_SYS_PTRACE)`,
    );
  }
  const request: ExecRequest = {
    file: spec.argv[0],
    argv: [...spec.argv],
    env: [...spec.env],
    filter: base64(spec.filter),
    landlock: spec.landlock,
  };
  try {
    writeAll(requestFd, new TextEncoder().encode(JSON.stringify(request)));
  } catch {
    // The exec stage died before reading; its exit status tells the rest.
  }
  close(requestFd);
  return { pid, statusFd };
}

/** Spawns, seizes and starts the exec stage in one step, on the tracer thread. */
export function launch(spec: LaunchSpec, stage: SpawnedStage = spawnExecStage()): Launched {
  return attachExecStage(stage, spec);
}

/** Reads the exec stage's verdict once it has exec'd or exited: undefined means exec succeeded. */
export function readExecFailure(statusFd: number): ExecFailure | undefined {
  try {
    const bytes = readAll(statusFd);
    return bytes.length ? JSON.parse(new TextDecoder().decode(bytes)) : undefined;
  } catch {
    return undefined;
  } finally {
    close(statusFd);
  }
}
