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
 * @module
 */

/// <reference lib="deno.worker" />

import { decideReference } from "../bpf/spec.ts";
import type { SeccompData } from "../bpf/interpreter.ts";
import { notifRecv, notifSend, notifSizes, POLL, pollOne } from "../../ffi/seccomp_notify.ts";
import {
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_ARGS,
  SECCOMP_DATA_IP,
  SECCOMP_DATA_NR,
  SECCOMP_NOTIF,
  SECCOMP_NOTIF_RESP,
} from "../../kernel/seccomp.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { FD_PENDING, MODE_POLL, POOL, type PoolStart } from "./pool.ts";

const { ENOENT, EINTR, EPERM } = ERRNO_NUMBERS;
/** In poll mode, how often the thread looks at the stop flag. */
const POLL_MS = 200;

self.onmessage = (e: MessageEvent<PoolStart>) => {
  const { shared, spec, answers, index } = e.data;
  const slots = new Int32Array(shared);
  Atomics.add(slots, POOL.ALIVE, 1);
  let answered = 0;
  try {
    if (Atomics.load(slots, POOL.STOP) !== 0) return;
    while (Atomics.load(slots, POOL.FD) === FD_PENDING) {
      Atomics.wait(slots, POOL.FD, FD_PENDING);
    }
    const fd = Atomics.load(slots, POOL.FD);
    if (fd < 0 || index >= Atomics.load(slots, POOL.SERVING)) return;
    answered = serve(fd, slots, spec, answers);
  } finally {
    Atomics.add(slots, POOL.ANSWERED, answered);
    Atomics.sub(slots, POOL.ALIVE, 1);
    Atomics.notify(slots, POOL.ALIVE);
    self.close();
  }
};

/** The loop: returns how many calls it answered. */
function serve(
  fd: number,
  slots: Int32Array,
  spec: PoolStart["spec"],
  answers: PoolStart["answers"],
): number {
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
    const answer = action.kind === "trace" ? answers[action.data] : undefined;
    rv.setBigUint64(SECCOMP_NOTIF_RESP.id, nv.getBigUint64(SECCOMP_NOTIF.id, true), true);
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
