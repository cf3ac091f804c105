/**
 * One thread of the notification pool (pool.ts): waits for the listener,
 * then takes notifications and answers each from jail's own filter spec.
 *
 * The rule of a notification is found the way the supervisor finds the rule
 * of a ptrace stop (src/supervisor/trace_origin.ts): by running jail's filter
 * spec on the call's `seccomp_data`, which the kernel filled, never on
 * anything the tree can write afterwards. A call the spec does not hand to a
 * notifiable rule cannot be notified by jail's filter; should one come all
 * the same, it fails with EPERM.
 *
 * A rule with a file check (`NotifyPlan.fs`) is decided by the same
 * `FsChecker` the supervisor runs, on the notification's arguments and the
 * caller's memory and /proc entries, read through its thread id. The tid is
 * the caller's only while its notification waits: after the reads, and
 * before the answer or any report, `SECCOMP_IOCTL_NOTIF_ID_VALID` says it
 * still does (a caller killed meanwhile may have had its tid reused by a
 * task whose memory was read instead). Allowed, the call runs as made
 * (CONTINUE); refused, it fails with the check's errno; a check that fails
 * refuses.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { decideReference } from "../bpf/spec.ts";
import type { SeccompData } from "../bpf/interpreter.ts";
import { bindMemoryReadNow } from "../../ffi/memory.ts";
import { bindFsNow } from "../../ffi/fs.ts";
import {
  bindNotifyNow,
  notifIdValid,
  notifRecv,
  notifSend,
  notifSizes,
  POLL,
  pollOne,
} from "../../ffi/seccomp_notify.ts";
import {
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_ARGS,
  SECCOMP_DATA_IP,
  SECCOMP_DATA_NR,
  SECCOMP_NOTIF,
  SECCOMP_NOTIF_RESP,
} from "../../kernel/seccomp.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { FD_PENDING, MODE_POLL, POOL, type PoolMessage, type PoolStart } from "./pool.ts";
import type { NotifyAnswer, NotifyPlan } from "./notifiable.ts";
import { NotifiedArgs, NotifiedCaller } from "./notified_call.ts";
import { FsChecker } from "../fs/check.ts";
import { commOf, denialKey, denialLine } from "../fs/report.ts";
import { writeStderr } from "../stderr.ts";
import { claimReport } from "./report_once.ts";

const { ENOENT, EINTR, EPERM } = ERRNO_NUMBERS;
/** In poll mode, how often the thread looks at the stop flag. */
const POLL_MS = 200;

// Bound while the run's other thread compiles the policy and launches the command (each binding
// costs about 0.25 ms): not in the first notification, with its caller waiting.
bindNotifyNow();

self.onmessage = (e: MessageEvent<PoolStart>) => {
  const start = e.data;
  const slots = new Int32Array(start.shared);
  Atomics.add(slots, POOL.ALIVE, 1);
  let answered = 0;
  try {
    if (Atomics.load(slots, POOL.STOP) !== 0) return;
    if (start.fs && start.plans.some((p) => p?.fs !== undefined)) {
      bindMemoryReadNow();
      bindFsNow();
    }
    while (Atomics.load(slots, POOL.FD) === FD_PENDING) {
      Atomics.wait(slots, POOL.FD, FD_PENDING);
    }
    const fd = Atomics.load(slots, POOL.FD);
    if (fd < 0 || start.index >= Atomics.load(slots, POOL.SERVING)) return;
    answered = serve(fd, slots, start);
  } finally {
    Atomics.add(slots, POOL.ANSWERED, answered);
    Atomics.sub(slots, POOL.ALIVE, 1);
    Atomics.notify(slots, POOL.ALIVE);
    self.close();
  }
};

function post(m: PoolMessage): void {
  self.postMessage(m);
}

/** The loop: returns how many calls it answered. */
function serve(fd: number, slots: Int32Array, start: PoolStart): number {
  const { spec, plans } = start;
  const files = fileChecks(fd, start);
  // The kernel writes its own size of the structure, which may be larger than this jail's.
  const sizes = notifSizes();
  const notifBytes = Math.max(SECCOMP_NOTIF.size, typeof sizes === "number" ? 0 : sizes.notif);
  const respBytes = Math.max(SECCOMP_NOTIF_RESP.size, typeof sizes === "number" ? 0 : sizes.resp);
  const notif = new Uint8Array(notifBytes);
  const resp = new Uint8Array(respBytes);
  const nv = new DataView(notif.buffer);
  const rv = new DataView(resp.buffer);
  const polling = Atomics.load(slots, POOL.MODE) === MODE_POLL;
  const args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
  const data = { nr: 0, arch: 0, instructionPointer: 0n, args } satisfies SeccompData;
  const at = SECCOMP_NOTIF.data;
  let answered = 0;
  while (Atomics.load(slots, POOL.STOP) === 0) {
    if (polling) {
      const ready = pollOne(fd, POLL.IN, POLL_MS);
      if (ready < 0 ? ready !== -EINTR : (ready & POLL.HUP) !== 0) break;
      if ((ready & POLL.IN) === 0) continue;
    }
    const rc = notifRecv(fd, notif);
    if (rc < 0) {
      if (rc === -EINTR) continue;
      // The caller went away before it was taken, or (6.6+) the filter has no task left.
      if (rc === -ENOENT && (pollOne(fd, POLL.IN, 0) & POLL.HUP) === 0) continue;
      break;
    }
    data.nr = nv.getInt32(at + SECCOMP_DATA_NR, true);
    data.arch = nv.getUint32(at + SECCOMP_DATA_ARCH, true);
    data.instructionPointer = nv.getBigUint64(at + SECCOMP_DATA_IP, true);
    for (let i = 0; i < 6; i++) args[i] = nv.getBigUint64(at + SECCOMP_DATA_ARGS + 8 * i, true);
    const action = decideReference(spec, data);
    const plan = action.kind === "trace" ? plans[action.data] : undefined;
    const id = nv.getBigUint64(SECCOMP_NOTIF.id, true);
    let answer: NotifyAnswer | undefined = plan;
    if (plan?.fs !== undefined) {
      answer = files ? files(plan, id, nv.getUint32(SECCOMP_NOTIF.pid, true), args) : undefined;
      // Nothing waits any more: no answer to send.
      if (answer === GONE) continue;
    }
    rv.setBigUint64(SECCOMP_NOTIF_RESP.id, id, true);
    if (answer) {
      rv.setBigInt64(SECCOMP_NOTIF_RESP.val, answer.val, true);
      rv.setInt32(SECCOMP_NOTIF_RESP.error, answer.error, true);
      rv.setUint32(SECCOMP_NOTIF_RESP.flags, answer.flags, true);
    } else {
      rv.setBigInt64(SECCOMP_NOTIF_RESP.val, 0n, true);
      rv.setInt32(SECCOMP_NOTIF_RESP.error, -EPERM, true);
      rv.setUint32(SECCOMP_NOTIF_RESP.flags, 0, true);
    }
    // ENOENT: the caller was killed or interrupted meanwhile; a restarted call comes again.
    if (notifSend(fd, resp) === 0) answered++;
  }
  return answered;
}

/** What a file check answers for a notification whose caller no longer waits. */
const GONE: NotifyAnswer = { val: 0n, error: 0, flags: 0 };

/**
 * The file checks of this thread, or undefined when no plan has one: a
 * function of (plan, notification id, caller's tid, arguments) to the
 * answer, {@linkcode GONE} when the notification no longer waits.
 */
function fileChecks(
  fd: number,
  start: PoolStart,
): ((plan: NotifyPlan, id: bigint, tid: number, args: bigint[]) => NotifyAnswer) | undefined {
  if (!start.fs || !start.plans.some((p) => p?.fs !== undefined)) return undefined;
  const checker = new FsChecker(start.fs);
  const refused = (errno: number): NotifyAnswer => ({ val: 0n, error: -errno, flags: 0 });
  const policyRefusal = refused(start.fs.errno);
  const caller = new NotifiedCaller();
  const view = new NotifiedArgs();
  // Reported once per process, access and path by all the pool's threads (the shared table; this
  // thread's own set spares it the table for what it reported itself), by the thread that claims
  // it, which writes the line and tells the owner. A report waits in `pending` until the
  // notification is known to be live.
  const seen = new Set<string>();
  const reported = new BigInt64Array(start.reported);
  const pending: { key: string; message: Extract<PoolMessage, { type: "denied" }> }[] = [];
  if (start.report) {
    checker.onDeny = (_tid, pid, denial) => {
      const key = denialKey(pid, denial);
      if (seen.has(key) || pending.some((p) => p.key === key)) return;
      const message = { type: "denied", pid, comm: commOf(pid), denial } as const;
      pending.push({ key, message });
    };
  }
  return (plan, id, tid, args) => {
    pending.length = 0;
    // 0: a caller outside jail's pid namespace, which a descendant of jail cannot be.
    if (tid === 0) return policyRefusal;
    caller.reset(tid);
    for (let i = 0; i < 6; i++) view.args[i] = args[i];
    const decision = checker.decide(plan.fs!, caller, view);
    let valid: number;
    do valid = notifIdValid(fd, id); while (valid === -EINTR);
    if (valid === -ENOENT) return GONE;
    if (valid !== 0) return policyRefusal;
    // The line goes out before the answer, as from a ptrace stop: the caller's own message about
    // the refusal comes after it, never around it (cat writes "cat: PATH" and ": Permission
    // denied" apart). The owner only takes note of it (the supervisor's own refusals are execs).
    for (const p of pending) {
      seen.add(p.key);
      if (!claimReport(reported, p.key)) continue;
      writeStderr(`${denialLine(p.message.pid, p.message.comm, p.message.denial)}\n`);
      post(p.message);
    }
    if (decision === undefined) return plan;
    if (decision.action === "deny") return refused(decision.errno);
    // A rewrite, or anything else a notification cannot answer: no policy with a redirect is
    // notified, and a check that could not decide refuses.
    return policyRefusal;
  };
}
