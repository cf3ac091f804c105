/**
 * Reading the question of a DNS query out of a datagram the tree tried to
 * send, so a denied lookup is reported by name (`example.com (A, AAAA)`)
 * rather than only by resolver address. The bytes are the tree's: every
 * length is checked, compression pointers are refused (a query has no reason
 * to use them), and anything odd yields undefined.
 *
 * @module
 */

import type { SocketAddress } from "./address.ts";

/** The port DNS servers listen on. */
export const DNS_PORT = 53;

const HEADER_SIZE = 12;
const QR_RESPONSE = 0x80;
const OPCODE_MASK = 0x78;
const MAX_NAME = 255;
const MAX_LABEL = 63;
const LABEL_POINTER = 0xc0;
const MAX_QUESTIONS = 4;

/** Names of common query types; others print as `TYPE<n>`. */
const TYPES: Record<number, string> = {
  1: "A",
  2: "NS",
  5: "CNAME",
  6: "SOA",
  12: "PTR",
  15: "MX",
  16: "TXT",
  28: "AAAA",
  33: "SRV",
  64: "SVCB",
  65: "HTTPS",
  255: "ANY",
};

/** One question of a query. */
export interface DnsQuestion {
  /** The name asked about, lower case, without the final dot (`.` for the root). */
  name: string;
  /** The query type's name: `A`, `AAAA`, `TYPE99`. */
  type: string;
}

/**
 * The questions of a standard DNS query, or undefined when `bytes` is not
 * one (a response, another opcode, a truncated or malformed question).
 */
export function parseDnsQuery(bytes: Uint8Array): DnsQuestion[] | undefined {
  if (bytes.length < HEADER_SIZE) return undefined;
  if ((bytes[2] & QR_RESPONSE) !== 0 || (bytes[2] & OPCODE_MASK) !== 0) return undefined;
  const count = (bytes[4] << 8) | bytes[5];
  if (count === 0 || count > MAX_QUESTIONS) return undefined;
  const out: DnsQuestion[] = [];
  let at = HEADER_SIZE;
  for (let q = 0; q < count; q++) {
    const labels: string[] = [];
    let length = 0;
    for (;;) {
      if (at >= bytes.length) return undefined;
      const n = bytes[at++];
      if (n === 0) break;
      if ((n & LABEL_POINTER) !== 0 || n > MAX_LABEL) return undefined;
      length += n + 1;
      if (length > MAX_NAME || at + n > bytes.length) return undefined;
      labels.push(printable(bytes.subarray(at, at + n)));
      at += n;
    }
    if (at + 4 > bytes.length) return undefined;
    const type = (bytes[at] << 8) | bytes[at + 1];
    at += 4; // type and class
    out.push({ name: labels.length ? labels.join(".") : ".", type: TYPES[type] ?? `TYPE${type}` });
  }
  return out;
}

/** A label as text: letters, digits, `-` and `_` as they are, any other byte as `\ddd`. */
function printable(label: Uint8Array): string {
  let s = "";
  for (const b of label) {
    const c = String.fromCharCode(b).toLowerCase();
    s += /[a-z0-9_-]/.test(c) ? c : `\\${b.toString().padStart(3, "0")}`;
  }
  return s;
}

/**
 * The queries of several datagrams, as the report names them: each name
 * once, with its types in order, e.g. `example.com (A, AAAA)`.
 */
export function describeQueries(queries: readonly DnsQuestion[][]): string | undefined {
  const types = new Map<string, string[]>();
  for (const q of queries.flat()) {
    const list = types.get(q.name) ?? [];
    if (!list.includes(q.type)) list.push(q.type);
    types.set(q.name, list);
  }
  if (types.size === 0) return undefined;
  return [...types].map(([name, t]) => `${name} (${t.join(", ")})`).join(", ");
}

/** True for an IPv4/IPv6 destination on the DNS port. */
export function isDnsServer(addr: SocketAddress): boolean {
  return (addr.family === "inet" || addr.family === "inet6") && addr.port === DNS_PORT;
}
