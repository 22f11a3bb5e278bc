/**
 * A drawdown window is named by its length, written in the largest whole unit: "1d", "30d", "12h", "90m", "45s",
 * "1500ms". The same text is the `window` label of the drawdown metrics, the WINDOW column of `supervisor
 * drawdown`, and what `--window` accepts, so an operator can copy one into the other.
 */

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

const WINDOW_PATTERN = /^([1-9]\d{0,12})(d|h|m|s|ms)$/;

export const WINDOW_LENGTH_RULE = 'must be a whole number followed by d, h, m, s or ms, e.g. "30d" or "24h"';

export function formatWindowLength(windowMs: number): string {
  for (const [unit, ms] of UNITS) {
    if (windowMs >= ms && windowMs % ms === 0) return `${windowMs / ms}${unit}`;
  }
  return `${windowMs}ms`;
}

/** Milliseconds, or null when the text is not a window length ("30d", "24h", "1440m" …). */
export function parseWindowLength(text: string): number | null {
  const match = WINDOW_PATTERN.exec(text.trim());
  if (match === null) return null;
  const unit = UNITS.find(([name]) => name === match[2]) as readonly [string, number];
  const ms = Number(match[1]) * unit[1];
  return Number.isSafeInteger(ms) ? ms : null;
}
