/**
 * epoll and eventfd for the notification pool's threads: each waits on the
 * seccomp listener through an epoll set of its own where the listener is
 * added with EPOLLEXCLUSIVE, so that a notification wakes one waiting thread
 * rather than every thread asleep in `ioctl(NOTIF_RECV)` (whose wait the
 * kernel does not make exclusive); an eventfd, added to every set without
 * it, wakes them all at the end. `epoll_wait` blocks on purpose (see
 * seccomp_notify.ts).
 *
 * @module
 */

import { errno, lazySymbols, type SysResult } from "./libc.ts";
import { HOST_ABI } from "../kernel/abi.ts";

const SYMBOLS = {
  // int epoll_create1(int flags)
  epoll_create1: { parameters: ["i32"], result: "i32" },
  // int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
  epoll_ctl: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  // int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
  epoll_wait: { parameters: ["i32", "buffer", "i32", "i32"], result: "i32" },
  // int eventfd(unsigned int initval, int flags)
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // ssize_t write(int fd, const void *buf, size_t n)
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** epoll's event bits (uapi/linux/eventpoll.h). */
export const EPOLL = {
  IN: 0x1,
  ERR: 0x8,
  HUP: 0x10,
  /** Wake one of the sets that wait on the descriptor with it, not all (Linux 4.5). */
  EXCLUSIVE: 1 << 28,
} as const;

const EPOLL_CTL_ADD = 1;
/** EPOLL_CLOEXEC and EFD_CLOEXEC: O_CLOEXEC. */
const CLOEXEC = 0o2000000;
/** EFD_NONBLOCK: O_NONBLOCK. */
const EFD_NONBLOCK = 0o4000;
/**
 * `struct epoll_event { uint32_t events; uint64_t data; }`: packed on x86_64
 * (the data at 4, 12 bytes), naturally aligned elsewhere (at 8, 16 bytes).
 */
const EVENT = HOST_ABI.name === "x86_64" ? { size: 12, data: 4 } : { size: 16, data: 8 };

/** An epoll set of this thread's, and the events its last wait returned. */
export class EpollSet {
  /** The epoll descriptor, or `-errno` when it could not be made. */
  readonly fd: number;
  #events: Uint8Array<ArrayBuffer>;
  #view: DataView;
  #one = new Uint8Array(EVENT.size);
  #oneView = new DataView(this.#one.buffer);

  /** @param max The most events one wait returns. */
  constructor(max: number) {
    const fd = sym.epoll_create1(CLOEXEC);
    this.fd = fd < 0 ? -errno() : fd;
    this.#events = new Uint8Array(EVENT.size * max);
    this.#view = new DataView(this.#events.buffer);
  }

  /**
   * Adds `fd` with `events`, to be reported with `data`.
   *
   * @returns 0, or `-errno`.
   */
  add(fd: number, events: number, data: number): SysResult {
    this.#oneView.setUint32(0, events >>> 0, true);
    this.#oneView.setBigUint64(EVENT.data, BigInt(data), true);
    return sym.epoll_ctl(this.fd, EPOLL_CTL_ADD, fd, this.#one) === 0 ? 0 : -errno();
  }

  /**
   * Waits for events (blocking this thread).
   *
   * @param timeoutMs -1 waits without end.
   * @returns How many events there are (read them with {@linkcode eventsAt} and
   *   {@linkcode dataAt}), 0 on timeout, or `-errno`.
   */
  wait(timeoutMs: number): SysResult {
    const max = this.#events.length / EVENT.size;
    const n = sym.epoll_wait(this.fd, this.#events, max, timeoutMs);
    return n < 0 ? -errno() : n;
  }

  /** The event bits of returned event `i`. */
  eventsAt(i: number): number {
    return this.#view.getUint32(i * EVENT.size, true);
  }

  /** The data of returned event `i`. */
  dataAt(i: number): number {
    return Number(this.#view.getBigUint64(i * EVENT.size + EVENT.data, true));
  }
}

/**
 * A non-blocking, close-on-exec eventfd: readable once {@linkcode signalEvent} wrote to it,
 * and stays so (nobody reads it).
 *
 * @returns The descriptor, or `-errno`.
 */
export function makeEventFd(): SysResult {
  const fd = sym.eventfd(0, CLOEXEC | EFD_NONBLOCK);
  return fd < 0 ? -errno() : fd;
}

const ONE = new BigUint64Array([1n]);

/** Makes eventfd `fd` readable, waking every epoll set that waits on it. */
export function signalEvent(fd: number): void {
  sym.write(fd, new Uint8Array(ONE.buffer), 8n);
}
