/**
 * Descriptors this process owns: close, and the file status flags that the
 * network guard sets on a duplicate of a tracee's socket (fcntl F_GETFL /
 * F_SETFL).
 *
 * @module
 */

import { bindSymbols, errno, lazySymbols, type SysResult, sysResult } from "./libc.ts";
import { F } from "../kernel/fcntl.ts";

const SYMBOLS = {
  // int close(int fd)
  close: { parameters: ["i32"], result: "i32" },
  // int fcntl(int fd, int cmd, long arg)
  fcntl: { parameters: ["i32", "i32", "i64"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const sym = lazySymbols(SYMBOLS);

/** Binds symbols of this module now (default: all; see {@linkcode bindSymbols}). */
export function bindIoNow(names?: readonly (keyof typeof SYMBOLS)[]): void {
  bindSymbols(sym, names);
}

/** close(2), ignoring errors: used on descriptors this process owns. */
export function close(fd: number): void {
  sym.close(fd);
}

/** fcntl(F_GETFL); flags or `-errno`. */
export function getFileFlags(fd: number): SysResult {
  return sysResult(sym.fcntl(fd, F.GETFL, 0n));
}

/** fcntl(F_SETFL); 0 or `-errno`. */
export function setFileFlags(fd: number, flags: number): SysResult {
  return sym.fcntl(fd, F.SETFL, BigInt(flags)) < 0 ? -errno() : 0;
}
