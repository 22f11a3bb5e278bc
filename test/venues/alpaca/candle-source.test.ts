import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { parseExposureKey, parseInstrumentId, parseSubAccountId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { Timeframe, TimeframeCandle } from '../../../core/strategy.ts';
import type { LiveCandleSource } from '../../../venues/registry.ts';
import { alpacaSettingsSchema, createAlpacaCandleSource } from '../../../venues/alpaca/settings.ts';
import { AlpacaStandin } from '../../../venues/alpaca/standin/standin.ts';
import { CATALOG } from './standin/harness.ts';

const QQQ: Instrument = { id: parseInstrumentId('QQQ.ALPACA'), kind: 'EQUITY', tickSize: dec('0.01'), lotStep: dec('1'), minQuantity: dec('1'), minNotional: dec('1'), exposureKey: parseExposureKey('NDX'), beta: dec('1') };

describe('the Alpaca candle source and settings', () => {
  let standin: AlpacaStandin;
  let clock: ManualClock;

  beforeEach(async () => {
    // 10:00 New York on a session day, on a five-minute boundary.
    clock = new ManualClock(Date.UTC(2024, 10, 26, 15, 0));
    standin = await AlpacaStandin.start({ instruments: CATALOG, clock });
  });

  afterEach(async () => {
    await standin.stop();
  });

  /** A source on the stand-in (sip feed) that has loaded the history of QQQ's `timeframe` stream. */
  const loaded = async (timeframe: Timeframe, historyCandles: number): Promise<LiveCandleSource> => {
    const settings = alpacaSettingsSchema.parse({ adapter: 'alpaca', environment: standin.url, feed: 'sip' });
    const source = createAlpacaCandleSource({ name: 'ALPACA', settings, credentials: new Map([[parseSubAccountId('alpha'), standin.createAccount()]]), instruments: [QQQ], clock, logger: silentLogger, historyCandles });
    await source.load([{ instrumentId: QQQ.id, timeframe }], historyCandles);
    return source;
  };

  it('warms up from REST bars and delivers live 5m candles folded from the data stream, never a candle it joined midway', async () => {
    for (let minute = 0; minute < 10; minute++) standin.pushBar('QQQ', { open: '480', high: String(481 + minute), low: '479', close: '480.5' });
    clock.advance(9 * 60_000);
    const source = await loaded('5m', 10);
    const history = source.history(QQQ.id, '5m', 10, clock.now());
    expect(history.map((candle) => candle.high.toString())).toEqual(['481', '486']);
    const live: TimeframeCandle[] = [];
    source.subscribe(QQQ.id, '5m', (candle) => live.push(candle));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 15:09 ends a bucket the source joined midway (not delivered); 15:10 to 15:14 make the next one.
    for (let minute = 0; minute < 6; minute++) standin.pushBar('QQQ', { open: '480', high: '482.25', low: '479.5', close: '481.75' });
    const deadline = Date.now() + 5_000;
    while (live.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(live.map((candle) => [candle.timeframe, candle.high.toString(), candle.close.toString(), candle.volume.toString()])).toEqual([['5m', '482.25', '481.75', '5000000']]);
    await source.stop();
  });

  it('test_daily_history_when_an_equity_then_each_day_is_its_session_not_new_york_midnight', async () => {
    // Tuesday 2024-11-26 from 09:59 to the close at 16:00 New York (21:00 UTC), then Wednesday morning.
    for (let minute = 0; minute < 361; minute++) standin.pushBar('QQQ', { open: '480', high: '481', low: '479', close: '480' });
    clock.set(Date.UTC(2024, 10, 27, 15, 0));
    const source = await loaded('1d', 10);
    const days = source.history(QQQ.id, '1d', 10, clock.now());
    expect(days.map((candle) => [new Date(candle.openTime).toISOString(), candle.durationMs])).toEqual([['2024-11-26T14:30:00.000Z', 6.5 * 3_600_000]]);
    await source.stop();
  });

  it('test_minute_history_when_loaded_before_the_open_after_a_holiday_then_it_reaches_back_over_the_closure', async () => {
    // Tuesday 2024-11-26 from 09:59 New York (14:59 UTC): 300 minutes, all before the close at 21:00 UTC.
    for (let minute = 0; minute < 300; minute++) standin.pushBar('QQQ', { open: '480', high: '481', low: '479', close: '480' });
    // Friday 03:00 New York after Thanksgiving: three times 301 minutes of calendar time reach only Thursday afternoon.
    clock.set(Date.UTC(2024, 10, 29, 8, 0));
    const source = await loaded('1m', 300);
    const minutes = source.history(QQQ.id, '1m', 300, clock.now());
    expect(minutes).toHaveLength(300);
    expect(new Date((minutes[0] as TimeframeCandle).openTime).toISOString()).toBe('2024-11-26T14:59:00.000Z');
    await source.stop();
  });

  it('test_history_when_the_venue_runs_at_another_time_than_this_machine_then_it_ends_at_the_venue_time', async () => {
    // The stand-in's market is Tuesday 15:00 to 15:10 UTC; this machine's clock says a week later (standin --start).
    for (let minute = 0; minute < 10; minute++) standin.pushBar('QQQ', { open: '480', high: String(481 + minute), low: '479', close: '480.5' });
    clock.advance(10 * 60_000);
    const machine = new ManualClock(Date.UTC(2024, 11, 3, 4, 0));
    const settings = alpacaSettingsSchema.parse({ adapter: 'alpaca', environment: standin.url, feed: 'sip' });
    const source = createAlpacaCandleSource({ name: 'ALPACA', settings, credentials: new Map([[parseSubAccountId('alpha'), standin.createAccount()]]), instruments: [QQQ], clock: machine, logger: silentLogger, historyCandles: 10 });
    await source.load([{ instrumentId: QQQ.id, timeframe: '1m' }], 10);
    expect(source.history(QQQ.id, '1m', 10, clock.now()).map((candle) => candle.high.toString())).toEqual(['481', '482', '483', '484', '485', '486', '487', '488', '489', '490']);
    await source.stop();
  });

  it('refuses unknown keys, a bad environment and a feed other than iex or sip', () => {
    expect(() => alpacaSettingsSchema.parse({ adapter: 'alpaca', environment: 'paper', extra: 1 })).toThrow(/extra/);
    expect(() => alpacaSettingsSchema.parse({ adapter: 'alpaca', environment: 'ftp://x' })).toThrow(/plain http:\/\/host:port URL/);
    expect(() => alpacaSettingsSchema.parse({ adapter: 'alpaca', environment: 'live', feed: 'otc' })).toThrow();
    expect(alpacaSettingsSchema.parse({ adapter: 'alpaca', environment: 'paper' }).feed).toBe('iex');
  });
});
