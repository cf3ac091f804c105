/**
 * Durations as users write them: `90s`, `5m`, `1h`, `250ms`, or a bare number of seconds.
 *
 * @module
 */

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration into milliseconds.
 *
 * @param text The duration, e.g. `90s`.
 * @returns Milliseconds, or undefined when `text` is not a duration.
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text * 1000 : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * UNITS[m[2] ?? "s"];
}
