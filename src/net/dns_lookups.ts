/**
 * DNS lookups the tree makes towards a denied resolver, reported by the
 * names they ask for: the questions read out of a denied send, and the
 * resolver's UDP socket whose denied connect was reported as done, so that
 * the query that follows on it is stopped, denied and named.
 *
 * @module
 */

import { readMemory } from "../../ffi/memory.ts";
import { MSGHDR_SIZE, SOCK } from "../../kernel/socket.ts";
import { formatAddress, type SocketAddress } from "./address.ts";
import { socketType } from "./borrowed.ts";
import { describeQueries, parseDnsQuery } from "./dns.ts";

/** Enough of a datagram for the question of any query (the classic UDP limit). */
const MAX_DNS_QUERY = 512;

/** The DNS question of a sendto's buffer (`len` bytes at `buf`), described. */
export function sendtoQuery(tid: number, buf: bigint, len: number): string | undefined {
  const n = Math.min(len, MAX_DNS_QUERY);
  const payload = new Uint8Array(Math.max(n, 0));
  if (readMemory(tid, buf, payload) !== payload.length) return undefined;
  return describeQueries([parseDnsQuery(payload) ?? []]);
}

/** The DNS questions in the first buffer of each message of a sendmsg/sendmmsg. */
export function sendmsgQueries(
  tid: number,
  ptr: bigint,
  stride: number,
  count: number,
): string | undefined {
  const found = [];
  for (let i = 0; i < count; i++) {
    const hdr = new Uint8Array(MSGHDR_SIZE);
    if (readMemory(tid, ptr + BigInt(i * stride), hdr) !== MSGHDR_SIZE) break;
    const hv = new DataView(hdr.buffer);
    if (hv.getBigUint64(24, true) === 0n) continue; // no iovec
    const iov = new Uint8Array(16);
    if (readMemory(tid, hv.getBigUint64(16, true), iov) !== 16) continue;
    const iv = new DataView(iov.buffer);
    const length = iv.getBigUint64(8, true);
    const n = length > BigInt(MAX_DNS_QUERY) ? MAX_DNS_QUERY : Number(length);
    const payload = new Uint8Array(n);
    if (readMemory(tid, iv.getBigUint64(0, true), payload) !== n) continue;
    const q = parseDnsQuery(payload);
    if (q) found.push(q);
  }
  return describeQueries(found);
}

/**
 * Resolvers' UDP sockets "connected" without connecting: their connect to a
 * denied DNS server was reported as done, so the query that follows
 * (sendmsg/sendmmsg, which stop) is denied and reported by name.
 */
export class FakedLookups {
  /** UDP sockets whose connect to a DNS server was denied but reported as done, by `pid:inode`. */
  readonly #lookups = new RecentMap<SocketAddress>(1024);
  /** By `pid resolver`: true while the last faked connect to it has seen no query. */
  readonly #unnamed = new RecentMap<boolean>(1024);

  /**
   * Fakes the denied connect of the tracee's `fd` to the DNS server `addr`,
   * if `fd` is a datagram socket.
   *
   * @returns undefined when `fd` is not one (the connect is denied as usual);
   *   otherwise true when the previous faked connect to this resolver saw no
   *   query (a lookup whose query went by send(), not stopped: report it now,
   *   without a name), else false.
   */
  fakeConnect(pid: number, fd: number, addr: SocketAddress): boolean | undefined {
    const socket = datagramSocket(pid, fd);
    if (!socket) return undefined;
    const resolver = `${pid} ${formatAddress(addr)}`;
    const unreported = this.#unnamed.get(resolver) === true;
    this.#unnamed.remember(resolver, true);
    this.#lookups.remember(`${pid}:${socket}`, addr);
    return unreported;
  }

  /**
   * The resolver a send without a destination on the tracee's `fd` goes to,
   * when `fd` was connected to it by {@linkcode FakedLookups.fakeConnect};
   * that lookup then counts as seen.
   */
  resolverOf(pid: number, fd: number): SocketAddress | undefined {
    if (this.#lookups.size === 0) return undefined;
    const socket = datagramSocket(pid, fd);
    const resolver = socket ? this.#lookups.get(`${pid}:${socket}`) : undefined;
    if (resolver) this.#unnamed.remember(`${pid} ${formatAddress(resolver)}`, false);
    return resolver;
  }
}

/** The inode of the tracee's `fd` when it is a socket (`socket:[N]`), else undefined. */
function datagramSocket(pid: number, fd: number): string | undefined {
  try {
    const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${fd}`));
    if (!m) return undefined;
    // Only datagram sockets: a TCP resolver connection is denied at connect as usual.
    return socketType(pid, fd) === SOCK.DGRAM ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/** A map that forgets its oldest entries beyond `limit`. */
class RecentMap<V> {
  readonly #map = new Map<string, V>();
  readonly #limit: number;
  constructor(limit: number) {
    this.#limit = limit;
  }
  get size(): number {
    return this.#map.size;
  }
  get(key: string): V | undefined {
    return this.#map.get(key);
  }
  remember(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#limit) this.#map.delete(this.#map.keys().next().value!);
  }
}
