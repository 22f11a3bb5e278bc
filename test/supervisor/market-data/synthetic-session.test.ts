import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { isOpen, sessionsBetween } from '../../../core/us-equity-calendar.ts';
import { SyntheticMarket, syntheticInstrumentOf, type SyntheticInstrument } from '../../../supervisor/market-data/synthetic.ts';

/**
 * Equities in the synthetic market follow the US equity session: candles only in it, a gap at each open, intraday
 * buckets on the UTC grid holding the session's minutes, and a daily candle that is the session itself. Crypto is
 * unchanged, minute after minute around the clock.
 */

const QQQ = parseInstrumentId('QQQ.ALPACA');
const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const qqq: SyntheticInstrument = { id: QQQ, tickSize: dec('0.01'), lotStep: dec('1'), startPrice: dec('480'), followsUsEquitySession: true };
const btc: SyntheticInstrument = { id: BTC, tickSize: dec('0.1'), lotStep: dec('0.001'), startPrice: dec('60000') };
/** Monday 2026-11-23 00:00 UTC to Monday 2026-11-30 00:00: Thanksgiving (closed) and the day after (13:00 close). */
const FROM = Date.UTC(2026, 10, 23);
const TO = Date.UTC(2026, 10, 30);

function generate(instruments: readonly SyntheticInstrument[], seed = 5): TimeframeCandle[] {
  const market = new SyntheticMarket({ seed, instruments, startMs: FROM });
  const out: TimeframeCandle[] = [];
  market.advanceTo(TO, (candle) => out.push(market.toCandle(candle)));
  return out;
}

const of = (candles: TimeframeCandle[], id: string, timeframe: string): TimeframeCandle[] => candles.filter((c) => c.instrumentId === id && c.timeframe === timeframe);

describe('the synthetic market and the US equity session', () => {
  const candles = generate([qqq, btc]);

  it('test_minutes_when_an_equity_then_only_in_the_session_and_crypto_around_the_clock', () => {
    const minutes = of(candles, QQQ, '1m');
    const sessions = sessionsBetween('2026-11-23', '2026-11-29');
    expect(sessions.map((s) => s.date)).toEqual(['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-27']);
    expect(minutes).toHaveLength(sessions.reduce((sum, s) => sum + (s.close - s.open) / 60_000, 0));
    expect(minutes.every((c) => isOpen(c.openTime))).toBe(true);
    expect(of(candles, BTC, '1m')).toHaveLength((TO - FROM) / 60_000);
  });

  it('test_first_candle_of_a_session_when_the_market_reopens_then_it_opens_away_from_the_last_close', () => {
    const minutes = of(candles, QQQ, '1m');
    const gaps: string[] = [];
    for (let index = 1; index < minutes.length; index++) {
      const previous = minutes[index - 1] as TimeframeCandle;
      const current = minutes[index] as TimeframeCandle;
      if (current.openTime - previous.openTime === 60_000) expect(current.open.eq(previous.close)).toBe(true);
      else gaps.push(`${previous.close.toString()}→${current.open.toString()}`);
    }
    expect(gaps).toHaveLength(3);
    for (const gap of gaps) expect(gap.split('→')[0]).not.toBe(gap.split('→')[1]);
    // Seeded: the same seed gives the same gaps, another seed others.
    expect(of(generate([qqq, btc]), QQQ, '1m').map((c) => c.open.toString())).toEqual(minutes.map((c) => c.open.toString()));
    expect(of(generate([qqq], 6), QQQ, '1m').map((c) => c.open.toString())).not.toEqual(minutes.map((c) => c.open.toString()));
  });

  it('test_daily_candle_when_an_equity_then_it_covers_the_session_open_to_close', () => {
    const days = of(candles, QQQ, '1d');
    const sessions = sessionsBetween('2026-11-23', '2026-11-29');
    expect(days.map((c) => [c.openTime, c.durationMs])).toEqual(sessions.map((s) => [s.open, s.close - s.open]));
    // The day after Thanksgiving closes at 13:00: three and a half hours.
    expect(days.at(-1)?.durationMs).toBe(3.5 * 3_600_000);
    const minutes = of(candles, QQQ, '1m');
    for (const day of days) {
      const inside = minutes.filter((m) => m.openTime >= day.openTime && m.openTime < day.openTime + day.durationMs);
      expect(day.open.eq(inside[0]!.open) && day.close.eq(inside.at(-1)!.close)).toBe(true);
    }
    // Crypto's day is still midnight to midnight UTC.
    expect(of(candles, BTC, '1d').map((c) => [c.openTime % 86_400_000, c.durationMs])).toEqual(Array.from({ length: 7 }, () => [0, 86_400_000]));
  });

  it('test_intraday_buckets_when_an_equity_then_on_the_utc_grid_holding_only_session_minutes', () => {
    const hours = of(candles, QQQ, '1h');
    // 09:30 New York is 14:30 UTC in November: the first hour's candle is 14:00–15:00 and holds thirty minutes.
    expect(hours[0]?.openTime).toBe(Date.UTC(2026, 10, 23, 14));
    expect(hours.every((c) => c.openTime % 3_600_000 === 0 && c.durationMs === 3_600_000)).toBe(true);
    // Seven hourly candles a full session (14:00 … 20:00 UTC), four on the early close.
    expect(hours).toHaveLength(7 * 3 + 4);
  });

  it('test_catalog_entry_when_kind_is_equity_then_it_follows_the_session', () => {
    const entry = { id: 'SPY.ALPACA', tickSize: '0.01', lotStep: '1', startPrice: '590' };
    expect(syntheticInstrumentOf({ ...entry, kind: 'EQUITY' }).followsUsEquitySession).toBe(true);
    expect(syntheticInstrumentOf({ ...entry, kind: 'PERPETUAL' }).followsUsEquitySession).toBeUndefined();
  });
});

describe('an earlier start for the equities (sessionStartMs)', () => {
  const EARLIER = FROM - 10 * 86_400_000;
  const run = (): TimeframeCandle[] => {
    const market = new SyntheticMarket({ seed: 5, instruments: [qqq, btc], startMs: FROM, sessionStartMs: EARLIER });
    const out: TimeframeCandle[] = [];
    market.advanceTo(TO, (candle) => out.push(market.toCandle(candle)));
    return out;
  };

  it('test_crypto_candles_when_the_equities_start_ten_days_earlier_then_identical_to_the_last_digit', () => {
    const plain = generate([qqq, btc]).filter((c) => c.instrumentId === BTC);
    const crypto = run().filter((c) => c.instrumentId === BTC);
    // Every timeframe of a week: 10,080 minutes and their aggregates.
    expect(plain).toHaveLength(10_080 + 2_016 + 672 + 168 + 42 + 7);
    expect(crypto).toEqual(plain);
  });

  it('test_equity_candles_when_they_start_earlier_then_the_sessions_before_the_other_instruments_start_are_there', () => {
    const days = run().filter((c) => c.instrumentId === QQQ && c.timeframe === '1d');
    expect(days.map((c) => new Date(c.openTime).toISOString().slice(0, 10))).toEqual(sessionsBetween('2026-11-13', '2026-11-29').map((s) => s.date));
  });
});
