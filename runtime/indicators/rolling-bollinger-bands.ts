import type { BandsResult } from 'trading-signals';

/** Updates between exact recomputations of the window's sums, which bounds the rounding a running sum gathers. */
const RESUM_EVERY = 4_096;
/** Squares moved through the running sum per unit of the window's spread before the sum's rounding could reach 1e-12 of it. */
const CHURN_PER_SPREAD = 4_096;

/**
 * trading-signals' BollingerBands (a simple moving average, bands at `deviationMultiplier` population standard
 * deviations) with the same warm-up and results, updated in constant time. trading-signals 8.3 recomputes the mean
 * and the deviation from the whole window, through two fresh arrays, on every update: measured at 40% of the
 * scalper's indicator time over a year of 5-minute candles. This keeps running sums of the values' distance
 * from an anchor near the mean instead, so the squares stay small and subtracting them loses nothing that
 * matters; test/runtime/indicators checks it against trading-signals on every update.
 */
export class RollingBollingerBands {
  readonly interval: number;
  readonly deviationMultiplier: number;
  readonly #window: Float64Array;
  #next = 0;
  #count = 0;
  #anchor = 0;
  #sum = 0;
  #sumOfSquares = 0;
  #sinceResum = 0;
  /** The squares added to and taken from #sumOfSquares since the last resum: what its rounding scales with. */
  #churn = 0;
  #result: BandsResult | null = null;

  constructor(interval: number, deviationMultiplier = 2) {
    if (!Number.isInteger(interval) || interval < 1) throw new RangeError(`interval must be a positive integer, got ${interval}`);
    if (!(deviationMultiplier >= 0)) throw new RangeError(`deviationMultiplier must be zero or more, got ${deviationMultiplier}`);
    this.interval = interval;
    this.deviationMultiplier = deviationMultiplier;
    this.#window = new Float64Array(interval);
  }

  get isStable(): boolean {
    return this.#result !== null;
  }

  /** The bands after the latest value, or null until `interval` values have arrived. */
  getResult(): BandsResult | null {
    return this.#result;
  }

  /** Adds a price and returns the bands, or null while warming up, as trading-signals' `add` does. */
  add(price: number): BandsResult | null {
    if (!Number.isFinite(price)) throw new RangeError(`price must be a finite number, got ${price}`);
    const window = this.#window;
    const size = window.length;
    if (this.#count === 0) this.#anchor = price;
    const distance = price - this.#anchor;
    // A value far from the anchor, coming or going, would leave rounding in the sums far above the window's own digits.
    let farOff = Math.abs(distance) > Math.abs(this.#anchor);
    if (this.#count === size) {
      const leaving = (window[this.#next] ?? 0) - this.#anchor;
      farOff ||= Math.abs(leaving) > Math.abs(this.#anchor);
      this.#sum += distance - leaving;
      this.#sumOfSquares += distance * distance - leaving * leaving;
      this.#churn += distance * distance + leaving * leaving;
    } else {
      this.#sum += distance;
      this.#sumOfSquares += distance * distance;
      this.#churn += distance * distance;
      this.#count++;
    }
    window[this.#next] = price;
    this.#next = this.#next + 1 === size ? 0 : this.#next + 1;
    if (this.#count < size) return null;
    if (++this.#sinceResum >= RESUM_EVERY || farOff || Math.abs(this.#sum / size) > Math.abs(this.#anchor)) this.#resum();
    let meanDistance = this.#sum / size;
    let spread = this.#sumOfSquares - this.#sum * meanDistance;
    // Each square added or taken away leaves rounding of its own size behind; once that could be a noticeable
    // share of the window's spread (a flat price after a move, say), the sums are taken afresh.
    if (this.#churn > CHURN_PER_SPREAD * spread) {
      this.#resum();
      meanDistance = this.#sum / size;
      spread = this.#sumOfSquares - this.#sum * meanDistance;
    }
    const deviation = spread > 0 ? Math.sqrt(spread / size) * this.deviationMultiplier : 0;
    const middle = this.#anchor + meanDistance;
    return (this.#result = { lower: middle - deviation, middle, upper: middle + deviation });
  }

  /** Sums the window afresh around its current mean, which also moves the anchor along with a trending price. */
  #resum(): void {
    const window = this.#window;
    let total = 0;
    for (const value of window) total += value;
    const anchor = total / window.length;
    let sum = 0;
    let sumOfSquares = 0;
    for (const value of window) {
      const distance = value - anchor;
      sum += distance;
      sumOfSquares += distance * distance;
    }
    this.#anchor = anchor;
    this.#sum = sum;
    this.#sumOfSquares = sumOfSquares;
    this.#sinceResum = 0;
    this.#churn = sumOfSquares;
  }
}
