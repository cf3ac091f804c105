/**
 * Decoding `struct sockaddr` bytes read from a tracee, and encoding the
 * loopback addresses that replace wildcard binds.
 *
 * @module
 */

import { formatIP, type SocketAddress } from "./address.ts";
import { AF } from "../../kernel/socket.ts";

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

/**
 * How an IPv4 datagram socket reads a destination whose family is AF_UNSPEC:
 * UDP (and L2TP/IP) take `sin_addr` and `sin_port` from it as if it were
 * AF_INET, so `sendto` with family 0 reaches that address. Undefined when
 * `bytes` is not such a sockaddr (not AF_UNSPEC, or too short for the kernel
 * to read one).
 */
export function unspecAsInet(bytes: Uint8Array): SocketAddress | undefined {
  if (bytes.length < 16 || (bytes[0] | (bytes[1] << 8)) !== AF.UNSPEC) return undefined;
  const inet = bytes.slice(0, 16);
  inet[0] = AF.INET;
  return decodeSockaddr(inet);
}

/** A `struct sockaddr_un` for a path, or undefined when it does not fit `sun_path`. */
export function encodeUnix(path: string): Uint8Array | undefined {
  const name = new TextEncoder().encode(path);
  if (name.length === 0 || name.length > 107 || name.includes(0)) return undefined;
  const out = new Uint8Array(2 + name.length + 1);
  out[0] = AF.UNIX;
  out.set(name, 2);
  return out;
}

/**
 * sockaddr_in for 127.0.0.1 or sockaddr_in6 for ::1, keeping the port of
 * `like`. An AF_UNSPEC wildcard (which an IPv4 socket binds as 0.0.0.0)
 * becomes AF_INET.
 */
export function loopbackLike(like: Uint8Array): Uint8Array {
  const family = like[0] | (like[1] << 8);
  const out = new Uint8Array(family === AF.INET6 ? 28 : 16);
  out.set(like.subarray(0, Math.min(like.length, out.length)));
  if (family === AF.UNSPEC) out[0] = AF.INET;
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

/**
 * The wildcard address of a family, port 0: what the kernel binds a socket
 * to implicitly (listen, or a first send on a datagram socket).
 */
export function wildcardLike(family: number): Uint8Array {
  const out = new Uint8Array(family === AF.INET6 ? 28 : 16);
  out[0] = family === AF.INET6 ? AF.INET6 : AF.INET;
  return out;
}
