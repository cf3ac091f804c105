/**
 * Keys of what was reported once (a refused file per process, access and
 * path; a refused destination per process), at most {@linkcode SEEN_LIMIT} of
 * them: past that the older half is forgotten. A tree that makes a million
 * distinct refusals would otherwise grow jail's memory by a line's key for
 * each; with the bound, a refusal forgotten and made again is reported again
 * (one more line, never one lost).
 *
 * @module
 */

/** How many keys a set holds before it forgets the older half. */
export const SEEN_LIMIT = 16_384;

/** A set of reported keys with a bounded size (see the module's text). */
export class SeenKeys {
  readonly #keys = new Set<string>();
  readonly #limit: number;

  /** @param limit How many keys it holds at most (default {@linkcode SEEN_LIMIT}). */
  constructor(limit: number = SEEN_LIMIT) {
    this.#limit = limit;
  }

  /** Whether `key` is held. */
  has(key: string): boolean {
    return this.#keys.has(key);
  }

  /** Holds `key`; when full, first forgets the older half (a Set iterates in insertion order). */
  add(key: string): void {
    if (this.#keys.has(key)) return;
    if (this.#keys.size >= this.#limit) {
      let drop = Math.max(1, this.#limit >> 1);
      for (const old of this.#keys) {
        this.#keys.delete(old);
        if (--drop === 0) break;
      }
    }
    this.#keys.add(key);
  }

  /** Holds `key`; true when it was not held yet (the first report of it). */
  first(key: string): boolean {
    if (this.#keys.has(key)) return false;
    this.add(key);
    return true;
  }

  /** How many keys are held. */
  get size(): number {
    return this.#keys.size;
  }
}
