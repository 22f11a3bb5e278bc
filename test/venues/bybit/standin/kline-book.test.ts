import { describe, expect, it } from 'vitest';
import type { Candle } from '../../../../core/candle.ts';
import { dec } from '../../../../core/decimal.ts';
import { parseInstrumentId } from '../../../../core/ids.ts';
import { KlineBook } from '../../../../venues/bybit/standin/kline-book.ts';

const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const T0 = Date.UTC(2026, 0, 5, 0, 0);

function minute(index: number, open: string, high: string, low: string, close: string, volume = '2'): Candle {
  return { instrumentId: BTC, openTime: T0 + index * 60_000, durationMs: 60_000, open: dec(open), high: dec(high), low: dec(low), close: dec(close), volume: dec(volume) };
}

describe('the kline book', () => {
  it('builds each interval from the minutes, forming until its last minute confirms it', () => {
    const book = new KlineBook(['BTCUSDT']);
    const updates = [
      book.addMinute('BTCUSDT', minute(0, '100', '105', '99', '104')),
      book.addMinute('BTCUSDT', minute(1, '104', '104', '95', '96')),
      book.addMinute('BTCUSDT', minute(2, '96', '98', '96', '97')),
      book.addMinute('BTCUSDT', minute(3, '97', '97', '97', '97')),
      book.addMinute('BTCUSDT', minute(4, '97', '101', '97', '100')),
    ];
    const five = updates.map((list) => list.find((update) => update.interval === '5'));
    expect(five.map((update) => update?.confirm)).toEqual([false, false, false, false, true]);
    expect(five[4]?.kline).toMatchObject({ start: T0, open: dec('100'), high: dec('105'), low: dec('95'), close: dec('100'), volume: dec('10') });
    expect(updates[0]?.find((update) => update.interval === '1')?.confirm).toBe(true);
    // Newest first, the forming 15m kline included.
    expect(book.list('BTCUSDT', '15', 10)).toHaveLength(1);
    expect(book.list('BTCUSDT', '1', 2).map((kline) => kline.start)).toEqual([T0 + 240_000, T0 + 180_000]);
    expect(book.list('BTCUSDT', '1', 10, T0 + 60_000, T0 + 120_000).map((kline) => kline.start)).toEqual([T0 + 120_000, T0 + 60_000]);
  });

  it('refuses a minute that is not after the last one, or not a whole minute', () => {
    const book = new KlineBook(['BTCUSDT']);
    book.addMinute('BTCUSDT', minute(1, '1', '1', '1', '1'));
    expect(() => book.addMinute('BTCUSDT', minute(1, '1', '1', '1', '1'))).toThrow(/not after the last one/);
    expect(() => book.addMinute('BTCUSDT', { ...minute(2, '1', '1', '1', '1'), durationMs: 300_000 })).toThrow(/one whole minute/);
  });

  it('continues a seeded history: closed klines from a source, the forming one rebuilt from the minutes after them', () => {
    const book = new KlineBook(['BTCUSDT']);
    book.seed('BTCUSDT', '5', [{ ...minute(0, '100', '110', '90', '105', '50'), durationMs: 300_000 }]);
    book.addMinute('BTCUSDT', minute(4, '104', '105', '104', '105'));
    book.addMinute('BTCUSDT', minute(5, '105', '106', '105', '106'));
    expect(book.list('BTCUSDT', '5', 5).map((kline) => [kline.start, kline.close.toString()])).toEqual([
      [T0 + 300_000, '106'],
      [T0, '105'],
    ]);
  });
});

describe('a bad candle', () => {
  it('is refused before the engine or the klines see it', async () => {
    const { startStandin } = await import('./harness.ts');
    const running = await startStandin();
    try {
      running.clock.advance(60_000);
      expect(() => running.standin.pushCandle('BTCUSDT', { open: '100', high: '99', low: '98', close: '99' })).toThrow(/inconsistent/);
      expect(running.standin.exchange.lastPrice('BTCUSDT')).toBeNull();
      expect(running.standin.market.klines.list('BTCUSDT', '1', 10)).toEqual([]);
    } finally {
      await running.standin.stop();
    }
  });
});
