import { describe, expect, it } from 'vitest';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import { MARKET_REGIMES } from '../../../supervisor/market-data/regimes.ts';
import { BTC, ETH, HOUR, MINUTE, START, btc, eth } from './fixtures.ts';

function closeOf(candle: TimeframeCandle): number {
  return candle.openTime + candle.durationMs;
}

describe('the synthetic candle source', () => {
  it('emits only candles that have closed by the time it is advanced to', () => {
    const source = new SyntheticCandleSource({ seed: 1, instruments: [btc], startMs: START });
    const received: TimeframeCandle[] = [];
    source.subscribe(BTC, '1m', (c) => received.push(c));
    source.advanceTo(START + MINUTE - 1);
    expect(received).toEqual([]);
    source.advanceTo(START + MINUTE);
    expect(received.map((c) => c.openTime)).toEqual([START]);
    source.advanceTo(START + 3 * MINUTE + 59_999);
    expect(received.map((c) => c.openTime)).toEqual([START, START + MINUTE, START + 2 * MINUTE]);
    expect(source.nextCloseTime()).toBe(START + 4 * MINUTE);
  });

  it('delivers candles in time order across instruments and timeframes, lower timeframes first at equal close times', () => {
    const source = new SyntheticCandleSource({ seed: 2, instruments: [btc, eth], startMs: START });
    const received: TimeframeCandle[] = [];
    for (const instrumentId of [ETH, BTC]) for (const timeframe of ['1h', '5m', '1m'] as const) source.subscribe(instrumentId, timeframe, (c) => received.push(c));
    source.advanceTo(START + 2 * HOUR);
    expect(received).toHaveLength(2 * (120 + 24 + 2));
    const sorted = [...received].sort((a, b) => closeOf(a) - closeOf(b) || a.durationMs - b.durationMs || (a.instrumentId === BTC ? -1 : 1) - (b.instrumentId === BTC ? -1 : 1));
    expect(received).toEqual(sorted);
  });

  it('answers history with the latest closed candles before the end time, oldest first', () => {
    const source = new SyntheticCandleSource({ seed: 3, instruments: [btc], startMs: START });
    const live: TimeframeCandle[] = [];
    source.subscribe(BTC, '5m', (c) => live.push(c));
    source.advanceTo(START + 2 * HOUR);
    const history = source.history(BTC, '5m', 10, START + HOUR + 2 * MINUTE);
    expect(history.map((c) => c.openTime)).toEqual(Array.from({ length: 10 }, (_, i) => START + HOUR - (10 - i) * 5 * MINUTE));
    expect(history).toEqual(live.filter((c) => closeOf(c) <= START + HOUR + 2 * MINUTE).slice(-10));
    expect(source.history(BTC, '5m', 1000, START + 2 * HOUR)).toHaveLength(24);
  });

  it('keeps only historyLimit candles per stream', () => {
    const source = new SyntheticCandleSource({ seed: 3, instruments: [btc], startMs: START, historyLimit: 50 });
    source.advanceTo(START + 5 * HOUR);
    const history = source.history(BTC, '1m', 500, START + 5 * HOUR);
    expect(history).toHaveLength(50);
    expect(history[49]?.openTime).toBe(START + 5 * HOUR - MINUTE);
  });

  it('stops delivering to a subscription once it is unsubscribed, and counts what is open', () => {
    const source = new SyntheticCandleSource({ seed: 4, instruments: [btc], startMs: START });
    const first: TimeframeCandle[] = [];
    const second: TimeframeCandle[] = [];
    const listener = (c: TimeframeCandle): void => {
      first.push(c);
    };
    const stopFirst = source.subscribe(BTC, '1m', listener);
    const stopAgain = source.subscribe(BTC, '1m', listener);
    source.subscribe(BTC, '1m', (c) => second.push(c));
    expect(source.subscriptionCount()).toBe(3);
    stopFirst();
    stopFirst();
    expect(source.subscriptionCount()).toBe(2);
    source.advanceTo(START + MINUTE);
    stopAgain();
    source.advanceTo(START + 2 * MINUTE);
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(2);
  });

  it('exposes the current regime of each instrument and refuses unknown streams', () => {
    const source = new SyntheticCandleSource({ seed: 5, instruments: [btc], startMs: START });
    source.advanceTo(START + HOUR);
    expect(MARKET_REGIMES).toContain(source.regime(BTC));
    expect(() => source.subscribe(ETH, '1m', () => {})).toThrow(/no stream ETHUSDT.PAPER 1m/);
    expect(() => source.history(ETH, '1m', 1, START)).toThrow(/no stream/);
  });
});
