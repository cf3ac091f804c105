/**
 * Decoding `struct sockaddr` bytes read from a tracee, and encoding the
 * loopback addresses that replace wildcard binds.
 *
 * @module
 */

import { formatIP, type SocketAddress } from "./address.ts";

/** Address families by number (x86_64 Linux). */
export const AF = { UNSPEC: 0, UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17 } as const;

/**
 * Decodes a sockaddr.
 *
 * @param bytes The bytes at the pointer, `addrlen` of them at most.
 */
export function decodeSockaddr(bytes: Uint8Array): SocketAddress {
  if (bytes.length < 2) return { family: "unspec" };
  const family = bytes[0] | (bytes[1] << 8);
  const port = bytes.length >= 4 ? (bytes[2] << 8) | bytes[3] : 0;
  switch (family) {
    case AF.UNSPEC:
      return { family: "unspec" };
    case AF.INET: {
      const ip = bytes.slice(4, 8);
      if (ip.length < 4) return { family: "other", number: family };
      return { family: "inet", ip: formatIP(ip), port, bytes: ip };
    }
    case AF.INET6: {
      const ip = bytes.slice(8, 24);
      if (ip.length < 16) return { family: "other", number: family };
      return { family: "inet6", ip: formatIP(ip), port, bytes: ip };
    }
    case AF.UNIX: {
      const raw = bytes.subarray(2);
      if (raw.length > 0 && raw[0] === 0) {
        // Abstract: the name is every byte after the NUL, up to addrlen.
        return { family: "unix", abstract: true, path: new TextDecoder().decode(raw.subarray(1)) };
      }
      const end = raw.indexOf(0);
      return {
        family: "unix",
        abstract: false,
        path: new TextDecoder().decode(end < 0 ? raw : raw.subarray(0, end)),
      };
    }
    default:
      return { family: "other", number: family };
  }
}

/** sockaddr_in for 127.0.0.1 or sockaddr_in6 for ::1, keeping the port of `like`. */
export function loopbackLike(like: Uint8Array): Uint8Array {
  const family = like[0] | (like[1] << 8);
  const out = new Uint8Array(family === AF.INET6 ? 28 : 16);
  out.set(like.subarray(0, Math.min(like.length, out.length)));
  if (family === AF.INET6) {
    const mapped = like.subarray(8, 20).every((b, i) => b === (i >= 10 ? 0xff : 0));
    out.fill(0, 8, 24);
    if (mapped) {
      // ::ffff:0.0.0.0 becomes ::ffff:127.0.0.1 so an IPv4-mapped socket stays IPv4.
      out.set([0xff, 0xff, 127, 0, 0, 1], 18);
    } else out[23] = 1;
  } else {
    out.set([127, 0, 0, 1], 4);
  }
  return out;
}
