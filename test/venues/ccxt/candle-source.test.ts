import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { MarketDataHub } from '../../../supervisor/market-data/hub.ts';
import { CcxtCandleSource } from '../../../venues/ccxt/candle-source.ts';
import { BTC, btc, eth } from '../bybit/fixtures.ts';
import { startStandin, type Running } from '../bybit/standin/harness.ts';

/** ccxt's OHLCV as the market-data hub's candle source: fetchOHLCV history for warm-up, closed candles as watchOHLCV shows them close. */

let running: Running | undefined;
let source: CcxtCandleSource | undefined;

afterEach(async () => {
  await source?.stop();
  await running?.standin.stop();
  running = undefined;
  source = undefined;
});

const summary = (candles: readonly TimeframeCandle[]): Array<[string, number, string]> => candles.map((candle) => [candle.timeframe, candle.openTime, candle.close.toString()]);

function collector(): { candles: TimeframeCandle[]; take: (candle: TimeframeCandle) => void; until: (count: number) => Promise<void> } {
  const candles: TimeframeCandle[] = [];
  const waiters: Array<() => void> = [];
  return {
    candles,
    take: (candle) => {
      candles.push(candle);
      for (const wake of waiters.splice(0)) wake();
    },
    until: async (count) => {
      const deadline = Date.now() + 10_000;
      while (candles.length < count) {
        if (Date.now() > deadline) throw new Error(`only ${candles.length} of ${count} candles arrived: ${JSON.stringify(summary(candles))}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 100);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
  };
}

describe('CcxtCandleSource (bybit) on the stand-in', () => {
  it('warms up from fetchOHLCV and then delivers each closed candle once, in order, through the hub', async () => {
    running = await startStandin();
    const minute = (close: string): void => {
      running?.clock.advance(60_000);
      running?.standin.pushCandle('BTCUSDT', { open: close, high: close, low: close, close });
    };
    for (let index = 0; index < 10; index++) minute(String(60_000 + index));
    source = new CcxtCandleSource({ name: 'BYBIT', exchange: 'bybit', environment: running.standin.url, instruments: [btc, eth], clock: running.clock, logger: silentLogger });
    await source.load([{ instrumentId: BTC, timeframe: '5m' }, { instrumentId: BTC, timeframe: '1m' }], 3);
    const hub = new MarketDataHub({ clock: running.clock, source, historyCandles: 3, onError: (error) => expect.fail(error.message) });
    const got = collector();
    const backfill = hub.subscribe('bot', [{ instrumentId: BTC, timeframe: '5m' }, { instrumentId: BTC, timeframe: '1m' }], got.take);
    const start = Date.UTC(2026, 0, 5, 12, 0);
    expect(summary(backfill.filter((candle) => candle.timeframe === '5m'))).toEqual([
      ['5m', start, '60004'],
      ['5m', start + 300_000, '60009'],
    ]);
    expect(summary(backfill.filter((candle) => candle.timeframe === '1m')).map(([, openTime]) => (openTime - start) / 60_000)).toEqual([7, 8, 9]);
    // Whether a candle closes before or after the subscription is live, it is delivered once (from REST if need be).
    for (let index = 10; index < 15; index++) minute(String(60_000 + index));
    await got.until(6);
    expect(summary(got.candles.filter((candle) => candle.timeframe === '1m'))).toEqual([10, 11, 12, 13, 14].map((index) => ['1m', start + index * 60_000, String(60_000 + index)]));
    expect(summary(got.candles.filter((candle) => candle.timeframe === '5m'))).toEqual([['5m', start + 600_000, '60014']]);
    hub.close();
  });

  it('refuses history for a stream it never loaded, and a stream it cannot serve', async () => {
    source = new CcxtCandleSource({ name: 'BYBIT', exchange: 'bybit', environment: 'http://127.0.0.1:1', instruments: [btc], clock: new ManualClock(), logger: silentLogger });
    expect(() => source?.history(BTC, '1h', 10, Date.now())).toThrow(/has no stream|load\(\)/);
    expect(() => source?.subscribe(eth.id, '1m', () => {})).toThrow(/has no stream/);
  });
});
