/**
 * The supervisor's hold on a tracee's socket for one call: a duplicate
 * taken with `pidfd_getfd`, what kind of socket it is, and the decision
 * that hands the result of a call made on it back to the tracee.
 *
 * @module
 */

import { close } from "../../ffi/io.ts";
import { pidfdGetfd, pidfdOpen } from "../../ffi/process.ts";
import { getIntOption, sendTimeoutMs } from "../../ffi/socket.ts";
import { SO, SOL } from "../../kernel/socket.ts";
import type { Decision } from "../decision.ts";

/** The call was made here (or could not be): the tracee's is skipped and sees `rc`. */
export function performed(rc: number, rule: string): Decision {
  return { action: "perform", value: rc, rule };
}

/**
 * The call would have blocked here: the tracee waits and makes it again
 * (src/supervisor/wait.ts), for as long as the socket's SO_SNDTIMEO (which
 * bounds blocking sends and unix connects alike).
 *
 * @param sock The duplicate the call was tried on.
 * @param traceeFd The tracee's descriptor to poll for POLLOUT, or -1 where
 *   writability says nothing of when the call would go through.
 */
export function waitDecision(sock: number, traceeFd: number, rule: string): Decision {
  const timeout = sendTimeoutMs(sock);
  return { action: "wait", fd: traceeFd, timeoutMs: timeout > 0 ? timeout : 0, rule };
}

/** A duplicate of a tracee's descriptor, held for one call. */
export class Borrowed {
  /** The duplicate in this process, or -1 when it could not be taken. */
  readonly fd: number;
  readonly #pidfd: number;
  /** 0, or `-errno` when the duplicate could not be taken. */
  readonly error: number;

  /**
   * @param pid The tracee's process.
   * @param fd The descriptor in the tracee.
   */
  constructor(pid: number, fd: number) {
    this.#pidfd = pidfdOpen(pid);
    if (this.#pidfd < 0) {
      this.fd = -1;
      this.error = this.#pidfd;
      return;
    }
    this.fd = pidfdGetfd(this.#pidfd, fd);
    this.error = this.fd < 0 ? this.fd : 0;
  }

  [Symbol.dispose](): void {
    if (this.fd >= 0) close(this.fd);
    if (this.#pidfd >= 0) close(this.#pidfd);
  }
}

/** The socket's family (SO_DOMAIN) and type (SO_TYPE), or `-errno`. */
export function kindOf(fd: number): { domain: number; type: number } | number {
  const domain = getIntOption(fd, SOL.SOCKET, SO.DOMAIN);
  if (domain < 0) return domain;
  const type = getIntOption(fd, SOL.SOCKET, SO.TYPE);
  if (type < 0) return type;
  return { domain, type };
}

/** The SO_TYPE of the tracee's socket `fd`, or `-errno`. */
export function socketType(pid: number, fd: number): number {
  using sock = new Borrowed(pid, fd);
  if (sock.error) return sock.error;
  return getIntOption(sock.fd, SOL.SOCKET, SO.TYPE);
}
