/**
 * The destination of a stopped call, read the way the kernel will read it:
 * the sockaddr bytes copied out of the tracee once (the bytes checked are
 * the bytes used), a unix path resolved where the tracee stands.
 *
 * @module
 */

import { readMemory } from "../../ffi/memory.ts";
import { SOCKADDR_STORAGE_SIZE } from "../../kernel/socket.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import type { SocketAddress } from "./address.ts";
import { decodeSockaddr, encodeUnix, unspecAsInet } from "./sockaddr.ts";
import { resolveUnixPath } from "./unix_path.ts";

const MAX_SOCKADDR = SOCKADDR_STORAGE_SIZE;
const ENAMETOOLONG = ERRNO_NUMBERS.ENAMETOOLONG;

/** A destination after looking at it the way the kernel will. */
export interface Target {
  /** Set when the call cannot be made as asked: it fails with this errno. */
  error?: number;
  /** What the policy checks and the report names. */
  addr: SocketAddress;
  /** Other forms of the same destination that a deny entry may name (a unix path as written). */
  also: SocketAddress[];
  /** The bytes to act with. */
  bytes: Uint8Array;
}

/** Copies a sockaddr out of the tracee: the bytes that are checked are the bytes that are used. */
export function copySockaddr(tid: number, ptr: bigint, len: number): Uint8Array | undefined {
  const n = Math.min(Math.max(len, 0), MAX_SOCKADDR);
  const buf = new Uint8Array(n);
  const got = n === 0 ? 0 : readMemory(tid, ptr, buf);
  return got === n ? buf : undefined;
}

/**
 * The destination `raw` as the kernel will take it: a unix path resolved
 * where the tracee stands (and symlinks followed); an AF_UNSPEC address,
 * which an IPv4 datagram socket sends to as if it were AF_INET, checked as
 * that address.
 *
 * @param errno What a unix path that cannot be placed fails with (the policy's).
 * @param forBind True for a bind: the path need not exist yet.
 */
export function readTarget(
  tid: number,
  raw: Uint8Array,
  errno: number,
  forBind = false,
): Target {
  const addr = decodeSockaddr(raw);
  if (addr.family === "unspec") {
    const inet = unspecAsInet(raw);
    return { addr: inet ?? addr, also: [], bytes: raw };
  }
  if (addr.family !== "unix" || addr.abstract || addr.path === "") {
    return { addr, also: [], bytes: raw };
  }
  const t = resolveUnixPath(tid, addr.path, forBind);
  if (t.unplaced) return { error: errno, addr, also: [], bytes: raw };
  const real: SocketAddress = { family: "unix", abstract: false, path: t.real ?? t.written };
  const written: SocketAddress = { family: "unix", abstract: false, path: t.written };
  // Too long for sun_path as a real path: the written one, resolvable from here, or none.
  let bytes = encodeUnix(t.use) ?? encodeUnix(t.anywhere) ??
    (addr.path.startsWith("/") ? raw : undefined);
  if (!bytes) return { error: ENAMETOOLONG, addr: real, also: [written], bytes: raw };
  if (forBind && t.real !== undefined) {
    // Keep the caller's own bytes where they mean the same place: getsockname() then shows them.
    const same = addr.path.startsWith("/")
      ? t.real === addr.path
      : realCwd(tid) === realCwd(undefined);
    if (same) bytes = raw;
  }
  return { addr: real, also: [written], bytes };
}

/** The real working directory of a thread, or of this process (undefined). */
function realCwd(tid: number | undefined): string | undefined {
  try {
    return tid === undefined ? Deno.realPathSync(".") : Deno.readLinkSync(`/proc/${tid}/cwd`);
  } catch {
    return undefined;
  }
}
