/**
 * Descriptors this process owns: close, and the file status flags that the
 * network guard sets on a duplicate of a tracee's socket (fcntl F_GETFL /
 * F_SETFL).
 *
 * @module
 */

import { sys, type SysResult } from "./libc.ts";
import { F } from "../kernel/fcntl.ts";

/** close(2), ignoring errors: used on descriptors this process owns. */
export function close(fd: number): void {
  sys("close", fd);
}

/** fcntl(F_GETFL); flags or `-errno`. */
export function getFileFlags(fd: number): SysResult {
  return sys("fcntl", fd, F.GETFL, 0);
}

/** fcntl(F_SETFL); 0 or `-errno`. */
export function setFileFlags(fd: number, flags: number): SysResult {
  const rc = sys("fcntl", fd, F.SETFL, flags);
  return rc < 0 ? rc : 0;
}
