import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { MarketDataHub, type MarketDataError } from '../../../supervisor/market-data/hub.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import { checkCandle } from '../../../supervisor/market-data/validation.ts';

/** An equity's daily candle is its session (open to close); the hub accepts it as such, and only for equities. */

const QQQ = parseInstrumentId('QQQ.ALPACA');
/** Friday 2026-11-27: an early close, 09:30–13:00 New York (14:30–18:00 UTC). */
const EARLY_OPEN = Date.UTC(2026, 10, 27, 14, 30);
const EARLY_LENGTH = 3.5 * 3_600_000;
const day = (openTime: number, durationMs: number): TimeframeCandle => ({ instrumentId: QQQ, timeframe: '1d', openTime, durationMs, open: dec('480'), high: dec('481'), low: dec('479'), close: dec('480'), volume: dec('10') });
const stream = { instrumentId: QQQ, timeframe: '1d' as const };

describe('candle validation and the US equity session', () => {
  it('test_daily_candle_when_it_is_the_session_of_an_equity_then_accepted', () => {
    expect(checkCandle(stream, day(EARLY_OPEN, EARLY_LENGTH), null, true)).toBeNull();
  });

  it('test_daily_candle_when_an_equity_day_is_midnight_to_midnight_then_refused', () => {
    expect(checkCandle(stream, day(Date.UTC(2026, 10, 27), 86_400_000), null, true)?.problem).toBe('MISALIGNED_OPEN_TIME');
    expect(checkCandle(stream, day(EARLY_OPEN, 6.5 * 3_600_000), null, true)?.message).toMatch(/WRONG_DURATION: duration 23400000 ms, expected the session's 12600000 ms/);
  });

  it('test_daily_candle_when_the_instrument_trades_around_the_clock_then_the_session_shape_is_refused', () => {
    expect(checkCandle(stream, day(EARLY_OPEN, EARLY_LENGTH), null, false)?.problem).toBe('WRONG_DURATION');
  });

  it('test_hub_when_an_equity_daily_stream_runs_a_week_then_every_session_day_is_delivered_and_none_refused', () => {
    const start = Date.UTC(2026, 10, 23);
    const clock = new ManualClock(start);
    const source = new SyntheticCandleSource({ seed: 3, startMs: start, instruments: [{ id: QQQ, tickSize: dec('0.01'), lotStep: dec('1'), startPrice: dec('480'), followsUsEquitySession: true }] });
    const errors: MarketDataError[] = [];
    const hub = new MarketDataHub({ clock, source, historyCandles: 0, onError: (error) => errors.push(error), followsSession: (id) => id === QQQ });
    const delivered: TimeframeCandle[] = [];
    hub.subscribe('bot', [stream], (candle) => delivered.push(candle));
    clock.set(Date.UTC(2026, 10, 30));
    source.advanceTo(clock.now());
    expect(errors).toEqual([]);
    expect(delivered.map((candle) => new Date(candle.openTime).toISOString())).toEqual(['2026-11-23T14:30:00.000Z', '2026-11-24T14:30:00.000Z', '2026-11-25T14:30:00.000Z', '2026-11-27T14:30:00.000Z']);
    expect(delivered.at(-1)?.durationMs).toBe(EARLY_LENGTH);
  });
});
