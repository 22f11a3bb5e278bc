import { describe, expect, it } from 'vitest';
import { ManualClock, type Clock } from '../../../core/clock.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { runSyntheticFeed } from '../../../supervisor/market-data/feed.ts';
import { MarketDataHub } from '../../../supervisor/market-data/hub.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import { BTC, ETH, MINUTE, START, btc, eth } from './fixtures.ts';

/** A sleep that moves the manual clock to the target at once, and records each target it was asked for. */
function instantSleep(clock: ManualClock, targets: number[]) {
  return async (_clock: Clock, targetMs: number, signal: AbortSignal): Promise<boolean> => {
    if (signal.aborted) return false;
    targets.push(targetMs);
    if (clock.now() < targetMs) clock.set(targetMs);
    return true;
  };
}

describe('the synthetic feed driver', () => {
  it('sleeps until each candle closes, then emits it with no lag', async () => {
    const clock = new ManualClock(START);
    const source = new SyntheticCandleSource({ seed: 1, instruments: [btc, eth], startMs: START });
    const hub = new MarketDataHub({ clock, source, historyCandles: 0, onError: (error) => expect.fail(error.message) });
    const controller = new AbortController();
    const received: TimeframeCandle[] = [];
    hub.subscribe('alpha', [{ instrumentId: BTC, timeframe: '1m' }, { instrumentId: ETH, timeframe: '5m' }], (c) => {
      received.push(c);
      expect(hub.lagMs(c.instrumentId, c.timeframe)).toBe(0);
      if (c.timeframe === '5m' && c.openTime === START + 10 * MINUTE) controller.abort();
    });
    const targets: number[] = [];
    await runSyntheticFeed({ clock, source, signal: controller.signal, sleep: instantSleep(clock, targets) });
    expect(targets).toEqual(Array.from({ length: 15 }, (_, i) => START + (i + 1) * MINUTE));
    expect(received.filter((c) => c.timeframe === '1m')).toHaveLength(15);
    expect(received.filter((c) => c.timeframe === '5m').map((c) => c.openTime)).toEqual([START, START + 5 * MINUTE, START + 10 * MINUTE]);
  });

  it('catches up in one advance when the clock has run ahead, without skipping a candle', async () => {
    const clock = new ManualClock(START + 30 * MINUTE + 20_000);
    const source = new SyntheticCandleSource({ seed: 1, instruments: [btc], startMs: START });
    const received: TimeframeCandle[] = [];
    source.subscribe(BTC, '1m', (c) => received.push(c));
    const controller = new AbortController();
    const targets: number[] = [];
    const sleep = instantSleep(clock, targets);
    await runSyntheticFeed({
      clock,
      source,
      signal: controller.signal,
      sleep: async (c, target, signal) => {
        if (targets.length === 2) controller.abort();
        return sleep(c, target, signal);
      },
    });
    expect(targets).toEqual([START + MINUTE, START + 31 * MINUTE]);
    expect(received.map((c) => c.openTime)).toEqual(Array.from({ length: 31 }, (_, i) => START + i * MINUTE));
  });

  it('returns at once without emitting when the signal is already aborted', async () => {
    const clock = new ManualClock(START + 10 * MINUTE);
    const source = new SyntheticCandleSource({ seed: 1, instruments: [btc], startMs: START });
    const received: TimeframeCandle[] = [];
    source.subscribe(BTC, '1m', (c) => received.push(c));
    const controller = new AbortController();
    controller.abort();
    await runSyntheticFeed({ clock, source, signal: controller.signal, sleep: instantSleep(clock, []) });
    expect(received).toEqual([]);
  });
});
