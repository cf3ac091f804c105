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
import { ErrnoError } from "../ffi/libc.ts";
import { installListenerFilter } from "../ffi/security.ts";
import { reduceCapabilities } from "./capabilities.ts";
import type { LandlockSpec } from "./fs/landlock.ts";

/** Environment marker that turns a compiled jail binary into its exec stage. */
export const EXEC_STAGE_ENV = "JAIL_EXEC_STAGE";
/** Descriptor on which the exec stage reads its {@linkcode ExecRequest}. */
export const REQUEST_FD = 3;
/** Descriptor (close-on-exec) on which the exec stage reports a failure; EOF means exec happened. */
export const STATUS_FD = 4;

/** The byte that opens the exec stage's ready message. */
export const READY = 0x52;
/**
 * Length of the ready message the exec stage writes once it runs, before it
 * reads its request: {@linkcode READY}, then the number of its seccomp
 * listener descriptor (int32, little-endian; -1 when it has none).
 */
export const READY_LENGTH = 5;

/** Errors of `NEW_LISTENER` that leave the tree unable to add a listener of its own anyway. */
const EINVAL = 22; // Linux before 5.0: no listeners, no SECCOMP_RET_USER_NOTIF at all.
const EBUSY = 16; // A listener exists already in the chain (jail under a supervisor that has one).

/** `BPF_RET | BPF_K, SECCOMP_RET_ALLOW`: the listener's own filter lets everything through. */
const ALLOW_ALL_PROGRAM = new Uint8Array([0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f]);

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
  /** Capability numbers the command keeps; every other one is dropped (as root). */
  capabilities: number[];
}

/** Why the exec stage could not become the command. */
export interface ExecFailure {
  /** Which step failed. */
  step: "exec" | "no_new_privs" | "landlock" | "seccomp" | "request" | "capabilities";
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

function errnoOf(e: unknown): number {
  return e instanceof ErrnoError ? e.errno : 0;
}

/**
 * Takes the filter chain's one seccomp listener for jail, so that nothing in
 * the tree can add one: in the kernel SECCOMP_RET_USER_NOTIF outranks
 * SECCOMP_RET_TRACE, and a listener of the tree's own would answer calls the
 * supervisor must see. The supervisor duplicates the descriptor before it
 * sends the request and holds it for the whole run; ours is close-on-exec.
 *
 * @returns The descriptor, or -1 when the chain cannot have a listener of the tree's anyway.
 */
function takeListener(): number {
  try {
    return installListenerFilter(ALLOW_ALL_PROGRAM);
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === EBUSY || errno === EINVAL) return -1;
    fail({ step: "seccomp", errno }, 125);
  }
}

/**
 * Runs the exec stage; never settles (it becomes the command, or exits).
 *
 * Its module graph is kept small on purpose, since loading it is part of
 * every run's start-up: libc symbols are bound on first use, and the Landlock
 * code is imported while the request is awaited.
 */
export async function runExecStage(): Promise<never> {
  let request: ExecRequest;
  try {
    setCloexec(STATUS_FD);
    prctl(PR.SET_NO_NEW_PRIVS, 1);
  } catch (e) {
    fail({ step: "no_new_privs", errno: errnoOf(e) }, 125);
  }
  // Before the ready message, so that the supervisor can take the listener before it seizes us:
  // nothing of ours can stop it then, and the handshake keeps its one blocking point.
  const listener = takeListener();
  const landlock = import("./fs/landlock_install.ts");
  landlock.catch(() => {}); // Awaited below, where a failure is reported; not unhandled meanwhile.
  try {
    // Tell the supervisor that our own execve (of Deno) is over: it seizes only after this, so
    // the only PTRACE_EVENT_EXEC it sees from us is the command's.
    const ready = new Uint8Array(READY_LENGTH);
    ready[0] = READY;
    new DataView(ready.buffer).setInt32(1, listener, true);
    writeAll(STATUS_FD, ready);
    // The request comes once the policy is loaded; bind the calls that follow it meanwhile.
    bindNow(["close", "pthread_sigmask", "syscall4", "prctl", "syscall3", "execvpe"]);
    request = JSON.parse(new TextDecoder().decode(readAll(REQUEST_FD)));
    close(REQUEST_FD);
    if (listener >= 0) close(listener); // The supervisor holds its duplicate now.
  } catch {
    fail({ step: "request", errno: 0 }, 125);
  }
  resetSignalsForExec();
  try {
    reduceCapabilities(request.capabilities);
  } catch (e) {
    fail({ step: "capabilities", errno: errnoOf(e) }, 125);
  }
  // The tree's Landlock domain: the file rules (kernel-enforced, no check-to-use race) and the
  // wall around the tree (no ptrace-mode access out of it, no signal out of it from ABI 6).
  try {
    const { installDomain, landlockAbi } = await landlock;
    installDomain(request.landlock, landlockAbi());
  } catch (e) {
    fail({ step: "landlock", errno: errnoOf(e) }, 125);
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
