/**
 * Keeps Deno's SIGUSR1 inspector closed.
 *
 * Deno (2.9.2 and later) starts a V8 inspector server on 127.0.0.1:9229 when
 * its process receives SIGUSR1, even while a JS listener for SIGUSR1 is
 * registered. The jailed tree may connect to loopback, and whoever speaks to
 * the inspector runs code in jail. Holding a socket bound to that address,
 * never listening, makes Deno's `bind` fail with EADDRINUSE (it prints
 * "Failed to start inspector server" and carries on): a wall the kernel keeps,
 * and one nobody can connect to (a listening socket would accept connections
 * into its backlog).
 *
 * The socket must not set SO_REUSEADDR: Deno's listener sets it, and Linux lets
 * two SO_REUSEADDR sockets share a port while neither listens. It sets
 * SO_REUSEPORT instead, so that concurrent jails run by the same user each hold
 * their own guard, and none is left open when another ends.
 *
 * @module
 */

import { sys, type SysResult } from "./libc.ts";
import { close } from "./io.ts";
import { AF, SO, SOCK, SOCKADDR_IN_SIZE, SOL } from "../kernel/socket.ts";
import { INSPECTOR_ADDRESS } from "./socket.ts";

export { INSPECTOR_ADDRESS };

/**
 * Binds a TCP socket to {@linkcode INSPECTOR_ADDRESS} without listening.
 *
 * @returns The socket's descriptor, or `-errno` when it cannot be bound
 *   (EADDRINUSE: someone else holds the port, which keeps Deno's inspector
 *   from binding as long as they do).
 */
export function bindInspectorAddress(): SysResult {
  // Raw calls through sys(): three bindings of their own would cost about 0.7 ms a run.
  const fd = sys("socket", AF.INET, SOCK.STREAM | SOCK.CLOEXEC, 0);
  if (fd < 0) return fd;
  // struct sockaddr_in: family (host order), port and address (network order), zero padding.
  const addr = new Uint8Array(SOCKADDR_IN_SIZE);
  const view = new DataView(addr.buffer);
  view.setUint16(0, AF.INET, true);
  view.setUint16(2, INSPECTOR_ADDRESS.port, false);
  addr.set(INSPECTOR_ADDRESS.hostname.split(".").map(Number), 4);
  let rc = sys("setsockopt", fd, SOL.SOCKET, SO.REUSEPORT, new Int32Array([1]), 4);
  if (rc === 0) rc = sys("bind", fd, addr, addr.length);
  if (rc < 0) close(fd);
  return rc < 0 ? rc : fd;
}

/** Retry interval while someone else holds the port (the guard is taken as soon as they let go). */
const RETRY_MS = 200;

let guardFd = -1;
let holders = 0;
let retry: ReturnType<typeof setInterval> | undefined;

/**
 * Holds the inspector's address until every holder has released it
 * (concurrent runs in one process share one socket).
 *
 * @returns A function that releases this hold.
 */
export function holdInspectorAddress(): () => void {
  holders++;
  if (guardFd < 0) {
    guardFd = bindInspectorAddress();
    if (guardFd < 0 && retry === undefined) {
      const timer = setInterval(() => {
        guardFd = bindInspectorAddress();
        if (guardFd >= 0) stopRetry();
      }, RETRY_MS);
      Deno.unrefTimer(timer);
      retry = timer;
    }
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (--holders > 0) return;
    stopRetry();
    if (guardFd >= 0) close(guardFd);
    guardFd = -1;
  };
}

function stopRetry(): void {
  if (retry !== undefined) clearInterval(retry);
  retry = undefined;
}

/**
 * True when Deno's inspector was turned on for this process at start:
 * an `--inspect`, `--inspect-brk` or `--inspect-wait` flag to `deno`, or the
 * same in `NODE_OPTIONS` (which Deno honours). The tree could then connect to
 * it on loopback whatever jail binds.
 */
export function inspectorRequested(): boolean {
  const flag = /^--inspect(-brk|-wait)?(=.*)?$/;
  const fromEnv = (Deno.env.get("NODE_OPTIONS") ?? "").split(/\s+/).some((w) => flag.test(w));
  let runtimeFlags: string[] = [];
  try {
    const argv = Deno.readTextFileSync("/proc/self/cmdline").split("\0").slice(0, -1);
    // argv is: deno, its own flags, the main module, then the script's own arguments (Deno.args).
    runtimeFlags = argv.slice(1, argv.length - Deno.args.length - 1);
  } catch { /* no /proc: only the environment is known */ }
  return fromEnv || runtimeFlags.some((w) => flag.test(w));
}
