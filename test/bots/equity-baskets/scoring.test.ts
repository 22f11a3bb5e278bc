import { describe, expect, it } from 'vitest';
import { Scorer, scoreOf, signalOf } from '../../../bots/equity-baskets/scoring.ts';
import { DEFAULTS } from './harness.ts';

const reading = { fast: 100, slow: 100, rsi: 50, atr: 1, close: 100, then: 100, volume: 1000, averageVolume: 1000 };

describe('equity-baskets scoring', () => {
  it('is the documented formula: weighted trend, momentum and RSI votes times the volume factor', () => {
    const r = { ...reading, fast: 99.9, slow: 100, rsi: 40, close: 99, then: 100 };
    // trend (−0.1 / 0.5) = −0.2, momentum (−1 / 1.5) = −0.667, rsi −0.2; weights 0.4, 0.4, 0.2.
    const price = (0.4 * -0.2 + 0.4 * (-1 / 1.5) + 0.2 * -0.2) / 1;
    expect(scoreOf(r, DEFAULTS)).toBeCloseTo(price, 10);
    // Half the average volume keeps half the score (the floor is 0.5); a quarter keeps the floor; more keeps all of it.
    expect(scoreOf({ ...r, volume: 500 }, DEFAULTS)).toBeCloseTo(price * 0.5, 10);
    expect(scoreOf({ ...r, volume: 250 }, DEFAULTS)).toBeCloseTo(price * 0.5, 10);
    expect(scoreOf({ ...r, volume: 5000 }, DEFAULTS)).toBeCloseTo(price, 10);
  });

  it('stays within [−1, +1] and is 0 where a flat market says nothing', () => {
    expect(scoreOf({ ...reading, fast: 50, slow: 100, rsi: 0, close: 10, then: 100 }, DEFAULTS)).toBe(-1);
    expect(scoreOf({ ...reading, fast: 150, slow: 100, rsi: 100, close: 190, then: 100 }, DEFAULTS)).toBe(1);
    expect(scoreOf({ ...reading, atr: 0, rsi: Number.NaN }, DEFAULTS)).toBe(0);
  });

  it('counts a signal only beyond the threshold, either way', () => {
    expect(signalOf(0.15, 0.15)).toBe(0);
    expect(signalOf(0.151, 0.15)).toBe(1);
    expect(signalOf(-0.151, 0.15)).toBe(-1);
    expect(signalOf(null, 0.15)).toBe(0);
  });

  it('warms up before scoring, then scores a steady fall negative and a steady rise positive', () => {
    const fall = new Scorer(DEFAULTS, 3);
    const rise = new Scorer(DEFAULTS, 3);
    let down = 100;
    let up = 100;
    const scores: Array<[number | null, number | null]> = [];
    for (let i = 0; i < 40; i++) {
      const wiggle = i % 2 === 0 ? 1.001 : 0.999;
      down *= i < 30 ? wiggle : 0.996;
      up *= i < 30 ? wiggle : 1.004;
      scores.push([fall.update(i * 60_000, down * 1.001, down * 0.999, down, 1000), rise.update(i * 60_000, up * 1.001, up * 0.999, up, 1000)]);
    }
    expect(scores[0]).toEqual([null, null]);
    expect(scores[39]![0]!).toBeLessThan(-0.5);
    expect(scores[39]![1]!).toBeGreaterThan(0.5);
    expect(fall.returnOver(3)!).toBeCloseTo(0.996 ** 3 - 1, 10);
  });
});
