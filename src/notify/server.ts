/**
 * Answering jail's seccomp listener, one notification at a time: what a
 * thread of the notification pool (serve_worker.ts) does in its loop, and
 * what the supervisor's own thread does while the run is young and no pool
 * exists yet (early.ts).
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

import { decideReference, type FilterSpec } from "../bpf/spec.ts";
import type { SeccompData } from "../bpf/interpreter.ts";
import {
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
import type { NotifyAnswer, NotifyPlan } from "./notifiable.ts";
import { NotifiedArgs, NotifiedCaller } from "./notified_call.ts";
import type { FsPolicy } from "../fs/access.ts";
import type { FsDenial } from "../fs/check.ts";
import { FsChecker } from "../fs/check.ts";
import { commOf, denialKey, denialLine } from "../fs/report.ts";
import { writeStderr } from "../stderr.ts";
import { claimReport } from "./report_once.ts";
import { SeenKeys } from "../seen_keys.ts";

const { ENOENT, EINTR, EPERM } = ERRNO_NUMBERS;

/**
 * What a server posts to the run's owner: a file access it refused and reported (it wrote the
 * line itself, before its answer), with the process's command name read while the caller waited.
 */
export type ServerMessage = { type: "denied"; pid: number; comm: string; denial: FsDenial };

/** What a server answers from. */
export interface ServerSetup {
  /** jail's filter spec (TRACE for every supervised rule): the rule of each call. */
  spec: FilterSpec;
  /** How each notifiable rule is answered, by trace data. */
  plans: (NotifyPlan | undefined)[];
  /** The file policy, for the plans with a file check. */
  fs?: FsPolicy;
  /** Report each refused file access (once per process, access and path). */
  report: boolean;
  /** The refusals reported by any server of the run (report_once.ts). */
  reported: SharedArrayBuffer;
}

/** What {@linkcode NotifyServer.serveOne} did. */
export const SERVED = {
  /** A notification was taken (and answered, unless its caller had gone). */
  ONE: 1,
  /** Nothing taken: interrupted, or its caller went away before it was taken. */
  NONE: 0,
  /** The listener has nothing more to give (from 6.6, the filter has no task left), or failed. */
  DONE: -1,
} as const;

/** Takes and answers notifications of one listener. */
export class NotifyServer {
  /** Notifications answered (SEND succeeded). */
  answered = 0;
  readonly #fd: number;
  readonly #spec: FilterSpec;
  readonly #plans: (NotifyPlan | undefined)[];
  readonly #files?: (plan: NotifyPlan, id: bigint, tid: number, args: bigint[]) => NotifyAnswer;
  readonly #notif: Uint8Array<ArrayBuffer>;
  readonly #resp: Uint8Array<ArrayBuffer>;
  readonly #nv: DataView;
  readonly #rv: DataView;
  readonly #args: bigint[] = [0n, 0n, 0n, 0n, 0n, 0n];
  readonly #data: { -readonly [K in keyof SeccompData]: SeccompData[K] };

  /**
   * @param fd The listener.
   * @param setup The spec, plans and file policy.
   * @param post Where a refusal this server reported goes (the owner takes note of it).
   */
  constructor(fd: number, setup: ServerSetup, post: (m: ServerMessage) => void) {
    this.#fd = fd;
    this.#spec = setup.spec;
    this.#plans = setup.plans;
    this.#files = fileChecks(fd, setup, post);
    // The kernel writes its own size of the structure, which may be larger than this jail's.
    const sizes = notifSizes();
    const notifBytes = Math.max(SECCOMP_NOTIF.size, typeof sizes === "number" ? 0 : sizes.notif);
    const respBytes = Math.max(SECCOMP_NOTIF_RESP.size, typeof sizes === "number" ? 0 : sizes.resp);
    this.#notif = new Uint8Array(notifBytes);
    this.#resp = new Uint8Array(respBytes);
    this.#nv = new DataView(this.#notif.buffer);
    this.#rv = new DataView(this.#resp.buffer);
    this.#data = { nr: 0, arch: 0, instructionPointer: 0n, args: this.#args };
  }

  /**
   * Takes one notification and answers it. `SECCOMP_IOCTL_NOTIF_RECV` waits
   * for one: call it when the listener is readable, or from a thread with
   * nothing else to do.
   */
  serveOne(): number {
    const fd = this.#fd, nv = this.#nv, rv = this.#rv, args = this.#args, data = this.#data;
    const rc = notifRecv(fd, this.#notif);
    if (rc < 0) {
      if (rc === -EINTR) return SERVED.NONE;
      // The caller went away before it was taken, or (6.6+) the filter has no task left.
      if (rc === -ENOENT && (pollOne(fd, POLL.IN, 0) & POLL.HUP) === 0) return SERVED.NONE;
      return SERVED.DONE;
    }
    const at = SECCOMP_NOTIF.data;
    data.nr = nv.getInt32(at + SECCOMP_DATA_NR, true);
    data.arch = nv.getUint32(at + SECCOMP_DATA_ARCH, true);
    data.instructionPointer = nv.getBigUint64(at + SECCOMP_DATA_IP, true);
    for (let i = 0; i < 6; i++) args[i] = nv.getBigUint64(at + SECCOMP_DATA_ARGS + 8 * i, true);
    const action = decideReference(this.#spec, data);
    const plan = action.kind === "trace" ? this.#plans[action.data] : undefined;
    const id = nv.getBigUint64(SECCOMP_NOTIF.id, true);
    let answer: NotifyAnswer | undefined = plan;
    if (plan?.fs !== undefined) {
      answer = this.#files
        ? this.#files(plan, id, nv.getUint32(SECCOMP_NOTIF.pid, true), args)
        : undefined;
      // Nothing waits any more: no answer to send.
      if (answer === GONE) return SERVED.ONE;
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
    if (notifSend(fd, this.#resp) === 0) this.answered++;
    return SERVED.ONE;
  }
}

/** What a file check answers for a notification whose caller no longer waits. */
const GONE: NotifyAnswer = { val: 0n, error: 0, flags: 0 };

/**
 * The file checks of a server, or undefined when no plan has one: a
 * function of (plan, notification id, caller's tid, arguments) to the
 * answer, {@linkcode GONE} when the notification no longer waits.
 */
function fileChecks(
  fd: number,
  setup: ServerSetup,
  post: (m: ServerMessage) => void,
): ((plan: NotifyPlan, id: bigint, tid: number, args: bigint[]) => NotifyAnswer) | undefined {
  if (!setup.fs || !setup.plans.some((p) => p?.fs !== undefined)) return undefined;
  const checker = new FsChecker(setup.fs);
  const refused = (errno: number): NotifyAnswer => ({ val: 0n, error: -errno, flags: 0 });
  const policyRefusal = refused(setup.fs.errno);
  const caller = new NotifiedCaller();
  const view = new NotifiedArgs();
  // Reported once per process, access and path by all the run's servers (the shared table; this
  // server's own set spares it the table for what it reported itself), by the server that claims
  // it, which writes the line and tells the owner. A report waits in `pending` until the
  // notification is known to be live.
  const seen = new SeenKeys();
  const reported = new BigInt64Array(setup.reported);
  const pending: { key: string; message: ServerMessage }[] = [];
  if (setup.report) {
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
