/** The trade's direction: 1 long, -1 short. Rules are written once for longs and mirrored by the sign. */
export type Direction = 1 | -1;

export interface Bar {
  high: number;
  low: number;
  close: number;
}

/** The last `capacity` closed 4h candles of one instrument, oldest first. */
export class RecentBars {
  readonly #capacity: number;
  readonly #bars: Bar[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get bars(): readonly Bar[] {
    return this.#bars;
  }

  push(bar: Bar): void {
    this.#bars.push(bar);
    if (this.#bars.length > this.#capacity) this.#bars.shift();
  }
}

/** The price at the trend's end of a candle: its high for longs, its low for shorts. */
const favourable = (bar: Bar, direction: Direction): number => (direction === 1 ? bar.high : bar.low);
const adverse = (bar: Bar, direction: Direction): number => (direction === 1 ? bar.low : bar.high);

/** A close beyond the extreme of the previous `lookback` candles, in the trend's direction. */
export function isBreakout(previous: readonly Bar[], current: Bar, direction: Direction, lookback: number): boolean {
  if (previous.length < lookback) return false;
  const window = previous.slice(-lookback);
  const extreme = direction === 1 ? Math.max(...window.map((bar) => bar.high)) : Math.min(...window.map((bar) => bar.low));
  return direction * (current.close - extreme) > 0;
}

/**
 * A pullback and its resumption: within the previous `lookback` candles price made a swing extreme in the
 * trend's direction, then came back at least `depth` (price units) from it, and the current candle closes
 * beyond the previous candle's far end — the countertrend move has stopped.
 */
export function isPullbackResumption(previous: readonly Bar[], current: Bar, direction: Direction, lookback: number, depth: number): boolean {
  if (previous.length < lookback) return false;
  const window = previous.slice(-lookback);
  let swing = 0;
  for (let index = 1; index < window.length; index++) {
    // The latest swing extreme, so the pullback is measured from the most recent push.
    if (direction * (favourable(window[index] as Bar, direction) - favourable(window[swing] as Bar, direction)) >= 0) swing = index;
  }
  if (swing === window.length - 1) return false;
  const swingPrice = favourable(window[swing] as Bar, direction);
  let retracedTo = adverse(current, direction);
  for (const bar of window.slice(swing + 1)) {
    retracedTo = direction === 1 ? Math.min(retracedTo, adverse(bar, direction)) : Math.max(retracedTo, adverse(bar, direction));
  }
  if (direction * (swingPrice - retracedTo) < depth) return false;
  const last = window[window.length - 1] as Bar;
  return direction * (current.close - favourable(last, direction)) > 0;
}
