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
  pidfdGetfd,
  pidfdOpen,
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
  READY_LENGTH,
  REQUEST_FD,
  STATUS_FD,
} from "./exec_protocol.ts";
import { SEIZE_OPTIONS } from "./trace_options.ts";
import { explainSeizeFailure, readHostFacts } from "./host_probe.ts";
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
  /** Capability numbers the command keeps (`keptCapabilities` in capabilities.ts); all others go. */
  capabilities: readonly number[];
}

/** A seized exec stage. */
export interface Launched {
  /** Its pid: the root of the jailed tree. */
  pid: number;
  /** Read end of the status pipe: EOF once exec succeeded, an {@linkcode ExecFailure} otherwise. */
  statusFd: number;
  /**
   * jail's duplicate of the tree's seccomp listener (close-on-exec), -1 when
   * the kernel has none to give. Held until the supervision ends: while it is
   * open no process of the tree can add a listener of its own (EBUSY).
   * Close it with {@linkcode releaseListener}.
   */
  listenerFd: number;
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

let processSetUp = false;

/**
 * Spawns the exec stage. Any thread may do this, early: the stage's own Deno
 * start then overlaps with loading the policy. It waits for its request.
 *
 * @throws {LaunchError} When it cannot be started.
 */
export function spawnExecStage(): SpawnedStage {
  if (!processSetUp) {
    // Orphans of the tree are reparented to us, not to init, so none escapes the reaping.
    prctl(PR.SET_CHILD_SUBREAPER, 1);
    // Non-dumpable: our memory, /proc/<pid>/fd and descriptors (pidfd_getfd) need CAP_SYS_PTRACE
    // even for a process of our uid, which the tree is not given. Our children are unaffected:
    // each execve makes its process dumpable again.
    prctl(PR.SET_DUMPABLE, 0);
    processSetUp = true;
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
      // The tree's own process group (the root's pid), as tini and dumb-init make it: a signal to
      // jail's group (GNU timeout, a terminal) reaches jail alone, which forwards it once
      // (job_control.ts). The root does setpgid(0, 0) before its execve.
      newProcessGroup: true,
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
  const ready = readReady(statusFd);
  if (!ready) {
    fail(`the exec stage (${execStageCommand().argv.join(" ")}) exited before it was ready`);
  }
  const listenerFd = ready!.listener < 0 ? -1 : takeListener(pid, ready!.listener);
  if (listenerFd === -2) {
    fail("cannot take the exec stage's seccomp listener (pidfd_getfd): refusing to run without it");
  }
  const failHolding = (message: string): never => {
    releaseListener({ listenerFd });
    return fail(message);
  };
  const rc = ptrace(PTRACE.SEIZE, pid, 0, SEIZE_OPTIONS);
  if (rc !== 0) {
    const why = new ErrnoError("ptrace(PTRACE_SEIZE)", -rc).message;
    failHolding(
      `cannot trace a child process: ${why}: ${explainSeizeFailure(-rc, readHostFacts())}`,
    );
  }
  const request: ExecRequest = {
    file: spec.argv[0],
    argv: [...spec.argv],
    env: [...spec.env],
    filter: spec.filter.toBase64(),
    landlock: spec.landlock,
    capabilities: [...spec.capabilities],
  };
  try {
    writeAll(requestFd, new TextEncoder().encode(JSON.stringify(request)));
  } catch {
    // The exec stage died before reading; its exit status tells the rest.
  }
  close(requestFd);
  return { pid, statusFd, listenerFd };
}

/** Reads the stage's ready message: its listener descriptor, -1 for none; undefined at EOF or garbage. */
function readReady(statusFd: number): { listener: number } | undefined {
  const buf = new Uint8Array(READY_LENGTH);
  let at = 0;
  while (at < buf.length) {
    const n = read(statusFd, buf.subarray(at));
    if (n === 0) return undefined;
    at += n;
  }
  if (buf[0] !== READY) return undefined;
  return { listener: new DataView(buf.buffer).getInt32(1, true) };
}

/** A duplicate of descriptor `fd` of process `pid`; -2 when it cannot be had. */
function takeListener(pid: number, fd: number): number {
  const pidfd = pidfdOpen(pid);
  if (pidfd < 0) return -2;
  try {
    const dup = pidfdGetfd(pidfd, fd);
    return dup < 0 ? -2 : dup;
  } finally {
    close(pidfd);
  }
}

/** Closes jail's hold on the tree's seccomp listener; call once the supervision is over. */
export function releaseListener(launched: { listenerFd: number }): void {
  if (launched.listenerFd >= 0) close(launched.listenerFd);
  launched.listenerFd = -1;
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
