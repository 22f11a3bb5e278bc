import type { Candle } from '../../core/candle.ts';

/**
 * The assumed price path inside one candle, which decides what a candle's OHLC alone cannot: which of two
 * orders it reached first.
 *
 *   close ≥ open (bullish):  open → low → high → close
 *   close <  open (bearish): open → high → low → close
 *
 * This is the usual pessimistic-for-brackets assumption: a bullish candle is taken to dip before it rallies,
 * so a long's stop below is hit before its take-profit above. A position on the path is its distance
 * travelled from the open, in Decimal units; every method is integer arithmetic on `Decimal.units` and
 * allocates nothing, because backtests walk hundreds of thousands of candles a second through here.
 *
 * One path object is reused per instrument: `set()` overwrites it for each candle.
 */
export class CandlePath {
  #v0 = 0n;
  #v1 = 0n;
  #v2 = 0n;
  #v3 = 0n;
  #d1 = 0n;
  #d2 = 0n;
  #d3 = 0n;
  #low = 0n;
  #high = 0n;

  set(candle: Candle): void {
    const open = candle.open.units;
    const close = candle.close.units;
    const low = candle.low.units;
    const high = candle.high.units;
    const bullish = close >= open;
    this.#v0 = open;
    this.#v1 = bullish ? low : high;
    this.#v2 = bullish ? high : low;
    this.#v3 = close;
    this.#low = low;
    this.#high = high;
    this.#d1 = bullish ? open - low : high - open;
    this.#d2 = this.#d1 + (high - low);
    this.#d3 = this.#d2 + (bullish ? high - close : close - low);
  }

  /** Total length of the path. */
  get length(): bigint {
    return this.#d3;
  }

  /** The price at a distance along the path (clamped to the close beyond its end). */
  priceAt(distance: bigint): bigint {
    if (distance <= this.#d1) return this.#v1 >= this.#v0 ? this.#v0 + distance : this.#v0 - distance;
    if (distance <= this.#d2) {
      const travelled = distance - this.#d1;
      return this.#v2 >= this.#v1 ? this.#v1 + travelled : this.#v1 - travelled;
    }
    if (distance >= this.#d3) return this.#v3;
    const travelled = distance - this.#d2;
    return this.#v3 >= this.#v2 ? this.#v2 + travelled : this.#v2 - travelled;
  }

  /**
   * The first distance at or after `from` where the price is at or below `level` (atOrBelow) or at or above
   * it (otherwise); -1 when the rest of the path never gets there. Touching the level counts.
   */
  firstReach(level: bigint, atOrBelow: boolean, from: bigint): bigint {
    if (atOrBelow ? this.#low > level : this.#high < level) return -1n;
    const first = reachInSegment(level, atOrBelow, from, 0n, this.#d1, this.#v0, this.#v1);
    if (first >= 0n) return first;
    const second = reachInSegment(level, atOrBelow, from, this.#d1, this.#d2, this.#v1, this.#v2);
    if (second >= 0n) return second;
    return reachInSegment(level, atOrBelow, from, this.#d2, this.#d3, this.#v2, this.#v3);
  }
}

/** The same question for one straight segment from price `a` at distance `start` to price `b` at `end`. */
function reachInSegment(level: bigint, atOrBelow: boolean, from: bigint, start: bigint, end: bigint, a: bigint, b: bigint): bigint {
  if (end < from) return -1n;
  const at = from > start ? from : start;
  const price = b >= a ? a + (at - start) : a - (at - start);
  if (atOrBelow ? price <= level : price >= level) return at;
  if (atOrBelow ? b <= level : b >= level) return start + (atOrBelow ? a - level : level - a);
  return -1n;
}
