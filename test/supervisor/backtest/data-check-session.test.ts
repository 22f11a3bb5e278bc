import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { sessionsBetween } from '../../../core/us-equity-calendar.ts';
import { aggregate } from '../../../supervisor/backtest/candle-feed.ts';
import { checkCoverage, checkSeries } from '../../../supervisor/backtest/data-check.ts';
import type { RawKline } from '../../../supervisor/backtest/klines.ts';

/**
 * Bar files of equities hold only session minutes: nights, weekends and holidays are neither gaps nor missing data,
 * a minute missing inside a session still is, and the daily candle built from them is the session.
 */

const QQQ = parseInstrumentId('QQQ.ALPACA');
const sessions = sessionsBetween('2026-11-23', '2026-11-24');
const PERIOD = { startMs: Date.UTC(2026, 10, 23), endMs: Date.UTC(2026, 10, 25) };

function sessionMinutes(skip: (t: number) => boolean = () => false): RawKline[] {
  const rows: RawKline[] = [];
  for (const session of sessions) {
    for (let t = session.open; t < session.close; t += 60_000) {
      if (!skip(t)) rows.push({ row: `line ${rows.length + 1}`, openTime: t, open: dec('480'), high: dec('481'), low: dec('479'), close: dec('480'), volume: dec('100') });
    }
  }
  return rows;
}

const equity = { tickSize: dec('0.01'), allowOffTick: false, followsSession: true };
const crypto = { tickSize: dec('0.01'), allowOffTick: false };

describe('backtest data of equities and the US equity session', () => {
  it('test_series_when_an_equity_skips_the_night_then_no_gap_is_found', () => {
    const rows = sessionMinutes();
    expect(checkSeries('QQQ-1m.csv', '1m', rows, equity).findings).toEqual([]);
    // The same rows for an instrument that trades around the clock: the night is a gap.
    expect(checkSeries('QQQ-1m.csv', '1m', rows, crypto).findings.map((finding) => finding.kind)).toEqual(['GAP']);
  });

  it('test_series_when_minutes_are_missing_inside_a_session_then_that_is_still_a_gap', () => {
    const hole = sessions[0]!.open + 60 * 60_000;
    const rows = sessionMinutes((t) => t >= hole && t < hole + 10 * 60_000);
    const findings = checkSeries('QQQ-1m.csv', '1m', rows, equity).findings;
    expect(findings.map((finding) => finding.detail)).toEqual([expect.stringMatching(/^1 gaps, 10 candles missing/)]);
  });

  it('test_coverage_when_an_equity_has_every_session_minute_then_nothing_is_missing_under_max_missing', () => {
    const rows = sessionMinutes();
    expect(checkCoverage('QQQ-1m.csv', '1m', rows, PERIOD, 0.2, true)).toBeNull();
    // Counted around the clock, two sessions are three quarters missing of two days: refused.
    expect(() => checkCoverage('QQQ-1m.csv', '1m', rows, PERIOD, 0.2, false)).toThrow(/more than the 20\.0% allowed/);
  });

  it('test_daily_candles_when_built_from_equity_minutes_then_each_is_its_session', () => {
    const candles: TimeframeCandle[] = sessionMinutes().map((row) => ({ instrumentId: QQQ, timeframe: '1m', openTime: row.openTime, durationMs: 60_000, open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume }));
    const days = aggregate(candles, '1d', true);
    expect(days.map((day) => [day.openTime, day.durationMs, day.volume.toString()])).toEqual(sessions.map((session) => [session.open, session.close - session.open, '39000']));
  });

  it('test_daily_series_when_an_equitys_bars_open_at_new_york_midnight_then_each_stands_for_its_session_date', () => {
    // Alpaca's daily bars: 05:00Z in November. They once were refused as off the 1d grid.
    const rows: RawKline[] = sessions.map((session, index) => ({ row: `line ${index + 1}`, openTime: Date.UTC(2026, 10, 23 + index, 5), open: dec('480'), high: dec('481'), low: dec('479'), close: dec('480'), volume: dec('100') }));
    const checked = checkSeries('QQQ-1d.csv', '1d', rows, equity);
    expect(checked.rows.map((row) => row.openTime)).toEqual([Date.UTC(2026, 10, 23), Date.UTC(2026, 10, 24)]);
    expect(checked.findings).toEqual([]);
    // A crypto file at 05:00Z is still off the grid, and an equity's bar at noon is no trading day's start.
    expect(() => checkSeries('BTC-1d.csv', '1d', rows, crypto)).toThrow(/line 1: open time .* is not on the 1d grid/);
    expect(() => checkSeries('QQQ-1d.csv', '1d', [{ ...rows[0]!, openTime: Date.UTC(2026, 10, 23, 12) }], equity)).toThrow(/QQQ-1d\.csv: line 1: open time 2026-11-23T12:00:00\.000Z is not the start of a trading day/);
  });
});
