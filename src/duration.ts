/**
 * Durations as users write them: `90s`, `5m`, `1h`, `250ms`, compounds such
 * as `1m30s` or `1h2m`, or a bare number of seconds. The same text means the
 * same time on the command line, in a config and in the library.
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** Units from the largest down: a compound names each at most once, in this order. */
const ORDER = ["h", "m", "s", "ms"];
const PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;

/**
 * Parses a duration into milliseconds.
 *
 * @param text The duration, e.g. `90s`, `1m30s`, or a number of seconds.
 * @returns Milliseconds, or undefined when `text` is not a duration.
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const s = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(s)) return Number(s) * 1000;
  let total = 0;
  let last = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) return undefined;
    const rank = ORDER.indexOf(m[2]);
    if (rank <= last) return undefined; // `5s1m`, `1m1m`: not a duration anyone means.
    last = rank;
    total += Number(m[1]) * UNITS[m[2]];
  }
  return last < 0 ? undefined : total;
}
