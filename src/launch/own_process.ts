/**
 * jail's own process, as every launch needs it: set up once (subreaper,
 * non-dumpable) and read once per thread (the caller's ids, Landlock's ABI,
 * jail's capabilities), so that a thread with idle time (the supervisor's
 * Worker) reads it before the command's process waits for it.
 *
 * @module
 */

import { prctl } from "../../ffi/process.ts";
import { CAPABILITIES } from "../../kernel/capability.ts";
import { PR } from "../../kernel/prctl.ts";
import type { CapabilitySets } from "../../ffi/security.ts";
import { landlockAbi } from "../../ffi/landlock.ts";
import { type OwnCapabilities, ownCapabilities } from "./capabilities.ts";
import { type Caller, currentCaller } from "./command_path.ts";
import { syscallInstruction } from "./inject.ts";

let processSetUp = false;

/** Makes jail the tree's subreaper and non-dumpable; once per process. */
export function setUpProcess(): void {
  if (processSetUp) return;
  // Orphans of the tree are reparented to us, not to init, so none escapes the reaping.
  prctl(PR.SET_CHILD_SUBREAPER, 1);
  // Non-dumpable: our memory, /proc/<pid>/fd and descriptors (pidfd_getfd) need CAP_SYS_PTRACE
  // even for a process of our uid, which the tree is not given. The command is unaffected: its
  // execve makes its process dumpable again.
  prctl(PR.SET_DUMPABLE, 0);
  processSetUp = true;
}

/** What the launch reads of jail itself: the same for every run, read once per thread. */
export interface Host {
  /** jail's effective uid and groups, for the PATH search. */
  caller: Caller;
  /** The kernel's Landlock ABI version; 0 without Landlock. */
  landlockAbi: number;
  /** jail's own capabilities. */
  capabilities: OwnCapabilities;
  /** jail lacks CAP_SYS_PTRACE, so it must be dumpable for the clone (see `needsDumpable`). */
  needsDumpable: boolean;
}

let host: Host | undefined;

/**
 * Reads what every launch needs of jail itself: for the supervisor's thread
 * to do while it waits for its start message rather than when the command is
 * waiting.
 *
 * @throws {Error} When /proc or capget cannot be read.
 */
export function readHost(): Host {
  if (host) return host;
  const capabilities = ownCapabilities();
  syscallInstruction();
  return host = {
    caller: currentCaller(),
    landlockAbi: landlockAbi(),
    capabilities,
    needsDumpable: needsDumpable(capabilities.sets),
  };
}

/**
 * The one wall that needs a care: the child jail launches shares jail's
 * memory, and with it jail's dumpable flag, until its execve; only
 * CAP_SYS_PTRACE may seize a non-dumpable process, or take a descriptor of it
 * (pidfd_getfd). Without that capability jail is dumpable for the few
 * microseconds of the clone and seize, and of each pidfd_getfd of the launch.
 *
 * Why that window is safe: any tree jail runs has a Landlock domain whenever
 * the kernel has Landlock (5.13+), and a domain refuses every ptrace-mode
 * access from inside it to a process outside it, whatever dumpable says. Only
 * without Landlock could a tree of a concurrent run in this same process (the
 * library API) use a window: then jail refuses to launch while it has any
 * other child, and to open a later window once it has one.
 */
export function needsDumpable(sets: CapabilitySets): boolean {
  return (sets.effective & (1n << BigInt(CAPABILITIES.SYS_PTRACE))) === 0n;
}

/**
 * True when a thread of this process has a child (a tree of a concurrent run), `except` aside
 * (the child being launched).
 */
export function hasChildren(except?: number): boolean {
  for (const task of Deno.readDirSync("/proc/self/task")) {
    try {
      const children = Deno.readTextFileSync(`/proc/self/task/${task.name}/children`);
      if (children.split(" ").some((pid) => pid.trim() !== "" && Number(pid) !== except)) {
        return true;
      }
    } catch { /* the thread ended */ }
  }
  return false;
}
