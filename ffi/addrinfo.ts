/**
 * Host names resolved as the command will resolve them: libc's
 * `getaddrinfo` (nsswitch, /etc/hosts, the resolver), on a thread of Deno's
 * blocking pool so that the caller's event loop keeps turning. Before, `node:dns`
 * did the same through Deno's Node layer, whose first load cost about 8 ms of
 * any start with a host name in a flag (`--allow-net=localhost:5432`).
 *
 * @module
 */

import { cstring, lazySymbols } from "./libc.ts";
import { AF, SOCK } from "../kernel/socket.ts";

const SYMBOLS = {
  // int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
  //                 struct addrinfo **res)
  getaddrinfo: {
    parameters: ["buffer", "pointer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  // void freeaddrinfo(struct addrinfo *res)
  freeaddrinfo: { parameters: ["pointer"], result: "void" },
  // int usleep(useconds_t usec): a pause that costs no timer of Deno's (see pauseOffThread).
  usleep: { parameters: ["u32"], result: "i32", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** `struct addrinfo` on both 64-bit ABIs jail runs on: its size and the offsets read. */
const ADDRINFO = { size: 48, family: 4, socktype: 8, addr: 24, next: 40 } as const;

/**
 * Every address `name` resolves to, as getaddrinfo gives them (one per
 * address: stream sockets only, as Node's `lookup` asks), IPv4 dotted and
 * IPv6 as eight hexadecimal groups; empty when it does not resolve.
 */
export async function lookupAddresses(name: string): Promise<string[]> {
  const node = cstring(name);
  const hints = new Uint8Array(ADDRINFO.size);
  new DataView(hints.buffer).setInt32(ADDRINFO.socktype, SOCK.STREAM, true);
  const result = new BigUint64Array(1);
  const rc = await sym.getaddrinfo(node, null, hints, new Uint8Array(result.buffer));
  if (rc !== 0) return [];
  const list = Deno.UnsafePointer.create(result[0]);
  const out = new Set<string>();
  try {
    for (let at = list; at !== null;) {
      const info = new Deno.UnsafePointerView(at);
      const family = info.getInt32(ADDRINFO.family);
      const addr = info.getPointer(ADDRINFO.addr);
      if (addr !== null) {
        const sa = new Deno.UnsafePointerView(addr);
        if (family === AF.INET) {
          out.add(Array.from({ length: 4 }, (_, i) => sa.getUint8(4 + i)).join("."));
        } else if (family === AF.INET6) {
          // sockaddr_in6: family, port, flowinfo, then the address (network byte order).
          const bytes = new Uint8Array(sa.getArrayBuffer(16, 8));
          const view = new DataView(bytes.buffer);
          out.add(
            Array.from({ length: 8 }, (_, i) => view.getUint16(i * 2).toString(16)).join(":"),
          );
        }
      }
      at = info.getPointer(ADDRINFO.next);
    }
  } finally {
    sym.freeaddrinfo(list);
  }
  return [...out];
}

/**
 * Resolves after `ms` on a thread of the blocking pool: a pause for a lookup
 * that may be answered at once, without Deno's timers (whose first use costs
 * about 5 ms of a start).
 */
export async function pauseOffThread(ms: number): Promise<void> {
  await sym.usleep(Math.round(ms * 1000));
}
