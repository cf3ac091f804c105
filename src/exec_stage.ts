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
import { bindSecurityNow, installListenerFilter } from "../ffi/security.ts";
import { bindLandlockNow } from "../ffi/landlock.ts";
import { reduceCapabilities } from "./capabilities.ts";
import { type Caller, currentCaller, findCommand, pathOf } from "./command_path.ts";
import {
  type ExecFailure,
  type ExecRequest,
  READY,
  READY_LENGTH,
  REQUEST_FD,
  STATUS_FD,
} from "./exec_protocol.ts";

export * from "./exec_protocol.ts";

/** Errors of `NEW_LISTENER` that leave the tree unable to add a listener of its own anyway. */
const EINVAL = 22; // Linux before 5.0: no listeners, no SECCOMP_RET_USER_NOTIF at all.
const EBUSY = 16; // A listener exists already in the chain (jail under a supervisor that has one).

/** `BPF_RET | BPF_K, SECCOMP_RET_ALLOW`: the listener's own filter lets everything through. */
const ALLOW_ALL_PROGRAM = new Uint8Array([0x06, 0, 0, 0, 0x00, 0x00, 0xff, 0x7f]);

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

/** Longest command name the kernel keeps (TASK_COMM_LEN 16, with its NUL). */
const COMM_MAX = 15;

/**
 * Takes the command's name before its execve, which would give it the same:
 * until then this process is a Deno named "deno", and a denial of the
 * command's own execve would name that instead of the program (`denied run
 * of /usr/bin/env (pid 12 env)`). Best effort: a name is for reports only.
 */
function nameSelf(file: string): void {
  const base = file.slice(file.lastIndexOf("/") + 1);
  if (base === "") return;
  try {
    Deno.writeFileSync("/proc/self/comm", new TextEncoder().encode(base).subarray(0, COMM_MAX));
  } catch { /* the name stays "deno" */ }
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
  // Read before the Landlock domain, whose read rules could refuse /proc/self/status; and before
  // the request, like everything that does not depend on it: the stage waits for the policy
  // anyway, and from the request to the command's exec every millisecond is start-up time.
  let caller: Caller;
  try {
    caller = currentCaller();
  } catch {
    fail({ step: "request", errno: 0 }, 125);
  }
  try {
    // Tell the supervisor that our own execve (of Deno) is over: it seizes only after this, so
    // the only PTRACE_EVENT_EXEC it sees from us is the command's.
    const ready = new Uint8Array(READY_LENGTH);
    ready[0] = READY;
    new DataView(ready.buffer).setInt32(1, listener, true);
    writeAll(STATUS_FD, ready);
    // The request comes once the policy is loaded; bind the calls that follow it meanwhile, and
    // load what the Landlock step needs.
    bindNow(["close", "pthread_sigmask", "syscall4", "prctl", "syscall3", "execvpe"]);
    bindSecurityNow();
    bindLandlockNow();
    Deno.statSync("/"); // The PATH search's first stat would pay for the op's set-up.
    await landlock.catch(() => {});
    request = JSON.parse(new TextDecoder().decode(readAll(REQUEST_FD)));
    close(REQUEST_FD);
    if (listener >= 0) close(listener); // The supervisor holds its duplicate now.
  } catch {
    fail({ step: "request", errno: 0 }, 125);
  }
  resetSignalsForExec();
  nameSelf(request.file);
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
  // Searched here, before the filter: under it each PATH entry tried would be a supervised
  // execve that fails, reported as the command's own. Not found: nothing ran, nothing to report.
  const found = findCommand(request.file, pathOf(request.env), caller);
  if ("errno" in found) fail({ step: "exec", errno: found.errno }, found.errno === 2 ? 127 : 126);
  try {
    const bytes = Uint8Array.fromBase64(request.filter);
    installSeccompFilter(bytes);
  } catch (e) {
    fail({ step: "seccomp", errno: (e as ErrnoError).errno ?? 0 }, 125);
  }
  // A path with a slash: execvpe searches nothing, and keeps its fallback of running a file
  // without a #! line (ENOEXEC) with /bin/sh.
  const errno = execvpe(found.path, request.argv, request.env);
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
