/**
 * Path strings in a stopped tracee's memory: reading one, and placing a new
 * one on its stack for a rewritten argument.
 *
 * @module
 */

import { readMemory, writeMemory } from "../../ffi/memory.ts";
import { HOST_ABI } from "../../kernel/abi.ts";
import { ERRNO_NUMBERS } from "../../kernel/errno.ts";
import { PATH_MAX } from "../../kernel/fcntl.ts";

const PAGE = 4096n;
/** EFAULT. */
export const EFAULT: number = ERRNO_NUMBERS.EFAULT;
/** ENAMETOOLONG. */
export const ENAMETOOLONG: number = ERRNO_NUMBERS.ENAMETOOLONG;

const scratch = new Uint8Array(PATH_MAX);
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads the NUL-terminated string at `ptr`, a page at a time so that a
 * string ending just before unmapped memory is still read.
 *
 * @param tid A stopped thread.
 * @param ptr The address.
 * @returns The bytes (without the NUL), or `-EFAULT` / `-ENAMETOOLONG`.
 */
export function readCString(tid: number, ptr: bigint): Uint8Array | number {
  let got = 0;
  let at = ptr;
  while (got < PATH_MAX) {
    const room = Number(PAGE - (at % PAGE));
    const want = Math.min(room, PATH_MAX - got);
    const chunk = scratch.subarray(got, got + want);
    const n = readMemory(tid, at, chunk);
    if (n <= 0) return -EFAULT;
    const nul = chunk.subarray(0, n).indexOf(0);
    if (nul >= 0) return scratch.slice(0, got + nul);
    got += n;
    at += BigInt(n);
  }
  return -ENAMETOOLONG;
}

/** UTF-8 text of a path; undefined when the bytes are not UTF-8. */
export function decodePath(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Writes `path` (NUL-terminated) below the stopped thread's red zone, where
 * nothing of the interrupted code lives, 16-byte aligned.
 *
 * @param tid A stopped thread.
 * @param sp Its stack pointer.
 * @param path The string.
 * @returns The string's address in the tracee, or undefined when the write failed.
 */
export function pushString(tid: number, sp: bigint, path: string): bigint | undefined {
  const bytes = new TextEncoder().encode(`${path}\0`);
  const addr = (sp - BigInt(HOST_ABI.redZone) - BigInt(bytes.length)) & ~15n;
  return writeMemory(tid, addr, bytes) === bytes.length ? addr : undefined;
}
