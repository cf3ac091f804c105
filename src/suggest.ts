/**
 * "Did you mean …?" suggestions for mistyped syscall, errno and class names.
 *
 * @module
 */

/**
 * Optimal-string-alignment distance (Damerau-Levenshtein restricted to one
 * edit per substring): insertions, deletions, substitutions and adjacent
 * transpositions each cost 1. Stops early and returns `limit + 1` once every
 * alignment exceeds `limit`, since callers only care about small distances.
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  // Three rolling rows: a transposition looks two rows back.
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length];
}

/**
 * Returns the candidate closest to `input`, for "did you mean …?" messages,
 * or `undefined` when nothing is close enough to be a plausible typo.
 *
 * Comparison is case-insensitive and uses {@link editDistance} (transposed
 * letters count as one edit). A candidate qualifies when either
 *
 * - its distance is at most `max(1, floor(input.length / 3))`, so short
 *   names tolerate one slip and longer ones proportionally more; or
 * - one of the two contains the other and the contained one has at least 3
 *   characters, which catches truncations (`getpp` → `getppid`) and
 *   decorations (`sys_openat` → `openat`) that are too long for the first rule.
 *
 * Among qualifying candidates the smallest distance wins; ties go to the one
 * seen first, so callers get stable output by passing candidates in a stable
 * order. The returned string is the candidate as given, not lower-cased.
 *
 * @example
 * ```ts
 * suggest("conect", ["accept", "connect", "socket"]); // "connect"
 * suggest("EACESS", ["EACCES", "EAGAIN"]); // "EACCES"
 * suggest("xyzzy", ["read", "write"]); // undefined
 * ```
 */
export function suggest(input: string, candidates: Iterable<string>): string | undefined {
  const needle = input.toLowerCase();
  if (needle.length === 0) return undefined;
  const typoLimit = Math.max(1, Math.floor(needle.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const hay = candidate.toLowerCase();
    if (hay.length === 0) continue;
    const contains = (needle.length >= 3 && hay.includes(needle)) ||
      (hay.length >= 3 && needle.includes(hay));
    // Containment matches need the true distance to rank them, so only
    // bound the search for candidates that must pass the typo rule.
    const limit = Math.min(contains ? Infinity : typoLimit, bestDistance);
    const d = editDistance(needle, hay, limit);
    if (d > limit || d >= bestDistance) continue;
    best = candidate;
    bestDistance = d;
    if (d === 0) break;
  }
  return best;
}
