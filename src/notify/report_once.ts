/**
 * Which file refusals the pool's threads have reported: a table of key
 * hashes that every pool thread shares, so that the refusal of one access of
 * one process is written once whichever thread takes each of its calls (a
 * process that opens the same denied file twice may meet two threads).
 *
 * Open addressing over a `BigInt64Array` in a SharedArrayBuffer, each slot
 * claimed with `Atomics.compareExchange`: no lock, and a key is claimed by
 * exactly one thread. Two keys with the same 64-bit hash would share one
 * report; a full table reports every refusal (some perhaps twice).
 *
 * @module
 */

/** Slots of the table: more distinct refusals than a run's reports are read for. */
export const REPORT_ONCE_SLOTS = 8192;

/** A new, empty table to hand to the pool's threads. */
export function newReportOnceTable(): SharedArrayBuffer {
  return new SharedArrayBuffer(REPORT_ONCE_SLOTS * 8);
}

/** A 64-bit hash of `key` (two 32-bit FNV-1a over its UTF-16 units); never 0. */
export function keyHash(key: string): bigint {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  const h = (BigInt(a >>> 0) << 32n) | BigInt(b >>> 0);
  return h === 0n ? 1n : BigInt.asIntN(64, h);
}

/**
 * Claims `key` for this thread.
 *
 * @param table The shared table ({@linkcode newReportOnceTable}).
 * @returns True when no thread had claimed it: report it; false when one had.
 */
export function claimReport(table: BigInt64Array, key: string): boolean {
  const h = keyHash(key);
  const n = table.length;
  let i = Number(BigInt.asUintN(64, h) % BigInt(n));
  for (let probes = 0; probes < n; probes++) {
    const prev = Atomics.compareExchange(table, i, 0n, h);
    if (prev === 0n) return true;
    if (prev === h) return false;
    i = i + 1 === n ? 0 : i + 1;
  }
  return true;
}
