/**
 * Addresses as the net unit tests write them: entries parsed against a fixed host table, socket
 * addresses from text, and sockaddr bytes as a tracee would pass them.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  entryMatches,
  formatIP,
  type NetEntry,
  parseIPv4,
  parseIPv6,
  parseNetEntry,
  type SocketAddress,
} from "./address.ts";
import { AF } from "../../kernel/socket.ts";

const hosts: Record<string, string[]> = {
  localhost: ["127.0.0.1", "::1"],
  "db.test": ["10.9.8.7"],
};

/** Resolves `localhost` and `db.test` only, the same on every machine. */
const resolve = (h: string): string[] => hosts[h] ?? [];

/** The entries of one `--allow-net` value, resolved with {@linkcode resolve}. */
export function entry(s: string): NetEntry[] {
  return parseNetEntry(s, resolve);
}

/** An IPv4 or IPv6 socket address from its text. */
export function ip(text: string, port = 80): SocketAddress {
  const v4 = parseIPv4(text);
  if (v4) return { family: "inet", ip: text, port, bytes: v4 };
  const v6 = parseIPv6(text);
  assert.ok(v6, text);
  return { family: "inet6", ip: formatIP(v6), port, bytes: v6 };
}

/** A unix socket address, by path or (abstract) by name. */
export const unix = (path: string, abstract = false): SocketAddress => ({
  family: "unix",
  path,
  abstract,
});

/** True when an entry of `--allow-net=s` matches `addr`. */
export function matches(s: string, addr: SocketAddress): boolean {
  return entry(s).some((e) => entryMatches(e, addr));
}

/** Bytes of a sockaddr_in as a tracee would pass them. */
export function sockaddrIn(addr: string, port: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = AF.INET;
  b[2] = port >> 8;
  b[3] = port & 0xff;
  b.set(parseIPv4(addr)!, 4);
  return b;
}

/** Bytes of a sockaddr_in6 as a tracee would pass them (with a flowinfo the kernel ignores). */
export function sockaddrIn6(addr: string, port: number): Uint8Array {
  const b = new Uint8Array(28);
  b[0] = AF.INET6;
  b[2] = port >> 8;
  b[3] = port & 0xff;
  b.set([0xde, 0xad, 0xbe, 0xef], 4); // flowinfo, ignored
  b.set(parseIPv6(addr)!, 8);
  return b;
}
