/**
 * The exec stage: a second copy of jail that becomes the jailed command.
 *
 * Deno cannot fork and keep running JS in the child, so the code that must
 * run between fork and exec lives here. The supervisor starts this module (or
 * the compiled binary with {@linkcode EXEC_STAGE_ENV} set), seizes it with
 * ptrace, then sends the request over {@linkcode REQUEST_FD}. Being traced
 * before the filter is installed is what makes the command's very first
 * instruction supervised.
 *
 * @module
 */

import {
  bindNow,
  close,
  execvpe,
  exitNow,
  installSeccompFilter,
  PR,
  prctl,
  readAll,
  resetSignalsForExec,
  setCloexec,
  writeAll,
} from "../ffi/libc.ts";
import type { ErrnoError } from "../ffi/libc.ts";
import type { LandlockSpec } from "./fs/landlock.ts";

/** Environment marker that turns a compiled jail binary into its exec stage. */
export const EXEC_STAGE_ENV = "JAIL_EXEC_STAGE";
/** Descriptor on which the exec stage reads its {@linkcode ExecRequest}. */
export const REQUEST_FD = 3;
/** Descriptor (close-on-exec) on which the exec stage reports a failure; EOF means exec happened. */
export const STATUS_FD = 4;

/** The byte the exec stage writes once it runs, before it reads its request. */
export const READY: Uint8Array<ArrayBuffer> = new Uint8Array([0x52]);

/** What the supervisor asks the exec stage to do. */
export interface ExecRequest {
  /** Command name or path, searched in PATH like a shell. */
  file: string;
  /** argv, argv[0] included. */
  argv: string[];
  /** The command's environment, `KEY=value`. */
  env: string[];
  /** Packed seccomp program, base64. */
  filter: string;
  /** Landlock rules of the file policy, installed after NO_NEW_PRIVS, before the filter. */
  landlock?: LandlockSpec;
}

/** Why the exec stage could not become the command. */
export interface ExecFailure {
  /** Which step failed. */
  step: "exec" | "no_new_privs" | "landlock" | "seccomp" | "request";
  /** errno of the failure (0 for a malformed request). */
  errno: number;
}

function fail(failure: ExecFailure, code: number): never {
  try {
    writeAll(STATUS_FD, new TextEncoder().encode(JSON.stringify(failure)));
  } catch {
    // The supervisor is gone: nobody left to tell.
  }
  exitNow(code);
}

/**
 * Runs the exec stage; never settles (it becomes the command, or exits).
 *
 * Its module graph is kept small on purpose, since loading it is part of
 * every run's start-up: libc symbols are bound on first use, and the Landlock
 * code is imported only when the request has file rules.
 */
export async function runExecStage(): Promise<never> {
  let request: ExecRequest;
  try {
    setCloexec(STATUS_FD);
    // Tell the supervisor that our own execve (of Deno) is over: it seizes only after this, so
    // the only PTRACE_EVENT_EXEC it sees from us is the command's.
    writeAll(STATUS_FD, READY);
    // The request comes once the policy is loaded; bind the calls that follow it meanwhile.
    bindNow(["close", "pthread_sigmask", "syscall4", "prctl", "syscall3", "execvpe"]);
    request = JSON.parse(new TextDecoder().decode(readAll(REQUEST_FD)));
    close(REQUEST_FD);
  } catch {
    fail({ step: "request", errno: 0 }, 125);
  }
  resetSignalsForExec();
  try {
    prctl(PR.SET_NO_NEW_PRIVS, 1);
  } catch (e) {
    fail({ step: "no_new_privs", errno: (e as ErrnoError).errno ?? 0 }, 125);
  }
  if (request.landlock) {
    // Kernel-enforced file rules: no check-to-use race. Without Landlock the supervisor warned.
    try {
      const { applyLandlock, landlockAbi } = await import("./fs/landlock_install.ts");
      const abi = landlockAbi();
      if (abi > 0) applyLandlock(request.landlock, abi);
    } catch (e) {
      fail({ step: "landlock", errno: (e as ErrnoError).errno ?? 0 }, 125);
    }
  }
  try {
    const bytes = Uint8Array.from(atob(request.filter), (c) => c.charCodeAt(0));
    installSeccompFilter(bytes);
  } catch (e) {
    fail({ step: "seccomp", errno: (e as ErrnoError).errno ?? 0 }, 125);
  }
  const errno = execvpe(request.file, request.argv, request.env);
  // ENOENT or ENOTDIR: not found (127); anything else: found but not runnable (126).
  fail({ step: "exec", errno }, errno === 2 || errno === 20 ? 127 : 126);
}

if (import.meta.main) {
  try {
    await runExecStage();
  } catch {
    fail({ step: "request", errno: 0 }, 125);
  }
}
