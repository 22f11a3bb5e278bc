import fc from 'fast-check';
import { BollingerBands } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import { RollingBollingerBands } from '../../../runtime/indicators/rolling-bollinger-bands.ts';

/** Feeds both implementations and returns the largest gap between their bands, as a share of the middle band. */
function largestGap(prices: readonly number[], interval: number, multiplier: number): number {
  const reference = new BollingerBands(interval, multiplier);
  const rolling = new RollingBollingerBands(interval, multiplier);
  let largest = 0;
  prices.forEach((price, index) => {
    const expected = reference.add(price);
    const actual = rolling.add(price);
    if (expected === null) {
      if (actual !== null) throw new Error(`warm at update ${index + 1}, trading-signals is not`);
      return;
    }
    if (actual === null) throw new Error(`still warming at update ${index + 1}, trading-signals is warm`);
    const scale = Math.abs(expected.middle);
    for (const key of ['lower', 'middle', 'upper'] as const) largest = Math.max(largest, Math.abs(actual[key] - expected[key]) / scale);
  });
  return largest;
}

/** A seeded random walk: `steps` closes from `start`, each moving by up to `move` of the price. */
function walk(seed: number, steps: number, start: number, move: number, drift = 0): number[] {
  let state = seed;
  let price = start;
  const prices: number[] = [];
  for (let i = 0; i < steps; i++) {
    state = (state * 16_807) % 2_147_483_647;
    price *= 1 + drift + (state / 2_147_483_647 - 0.5) * 2 * move;
    prices.push(price);
  }
  return prices;
}

describe('RollingBollingerBands', () => {
  it('gives the same bands as trading-signals on every update of a year of 5-minute closes', () => {
    expect(largestGap(walk(7, 105_120, 60_000, 0.002), 20, 2)).toBeLessThan(1e-12);
  });

  it('stays with trading-signals through a price that trends far from where it started', () => {
    // Tenfold over the run: the anchor the sums are kept around must follow the price.
    expect(largestGap(walk(11, 50_000, 0.1, 0.001, 0.000_046), 20, 2)).toBeLessThan(1e-12);
  });

  it('gives zero width on a flat price, as trading-signals does', () => {
    const rolling = new RollingBollingerBands(5, 2);
    let result = null;
    for (let i = 0; i < 5_000; i++) result = rolling.add(0.123_456);
    expect(result).toEqual({ lower: 0.123_456, middle: 0.123_456, upper: 0.123_456 });
  });

  it('matches trading-signals for any interval, multiplier and price path of up to 20% a candle', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.double({ min: 0, max: 4, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e6, noNaN: true }),
        fc.array(fc.double({ min: 0.8, max: 1.2, noNaN: true }), { minLength: 1, maxLength: 600 }),
        (interval, multiplier, start, moves) => {
          let price = start;
          return largestGap(moves.map((move) => (price *= move)), interval, multiplier) < 1e-9;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('recovers its precision after a price that jumps by orders of magnitude', () => {
    const prices = [1e-6, 16, 2.5e-6, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6];
    const rolling = new RollingBollingerBands(3, 2);
    let result = null;
    for (const price of prices) result = rolling.add(price);
    expect(result).toEqual({ lower: 1e-6, middle: 1e-6, upper: 1e-6 });
  });

  it('stays null until the window is full, and then keeps its latest result', () => {
    const rolling = new RollingBollingerBands(3);
    expect(rolling.add(1)).toBeNull();
    expect(rolling.add(2)).toBeNull();
    expect(rolling.isStable).toBe(false);
    const result = rolling.add(3);
    expect(result?.middle).toBe(2);
    expect(rolling.getResult()).toBe(result);
    expect(rolling.isStable).toBe(true);
  });

  it('refuses a price that is not a finite number, naming it', () => {
    const rolling = new RollingBollingerBands(3);
    expect(() => rolling.add(Number.NaN)).toThrow(/price must be a finite number, got NaN/);
  });

  it('refuses an interval or multiplier that cannot describe bands', () => {
    expect(() => new RollingBollingerBands(0)).toThrow(/interval must be a positive integer/);
    expect(() => new RollingBollingerBands(20, -1)).toThrow(/deviationMultiplier must be zero or more/);
  });
});
