/**
 * One thread of the notification pool (pool.ts): waits for the listener,
 * then takes notifications and answers each (server.ts) until the filter has
 * no task left or the pool is told to stop.
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { bindMemoryReadNow } from "../../ffi/memory.ts";
import { bindFsNow } from "../../ffi/fs.ts";
import { bindNotifyNow, POLL, pollOne } from "../../ffi/seccomp_notify.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { FD_PENDING, MODE_POLL, POOL, type PoolMessage, type PoolStart } from "./pool.ts";
import { NotifyServer, SERVED } from "./server.ts";

const { EINTR } = ERRNO_NUMBERS;
/** In poll mode, how often the thread looks at the stop flag. */
const POLL_MS = 200;

// Bound as the thread starts, not in the first notification with its caller waiting (each binding
// costs about 0.25 ms).
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
    Atomics.add(slots, POOL.READY, 1);
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
  const server = new NotifyServer(fd, start, post);
  const polling = Atomics.load(slots, POOL.MODE) === MODE_POLL;
  while (Atomics.load(slots, POOL.STOP) === 0) {
    if (polling) {
      const ready = pollOne(fd, POLL.IN, POLL_MS);
      if (ready < 0 ? ready !== -EINTR : (ready & POLL.HUP) !== 0) break;
      if ((ready & POLL.IN) === 0) continue;
    }
    if (server.serveOne() === SERVED.DONE) break;
  }
  return server.answered;
}
