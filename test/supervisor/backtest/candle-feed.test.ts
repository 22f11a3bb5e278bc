import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { Timeframe, TimeframeCandle } from '../../../core/strategy.ts';
import { aggregate, mergeStreams } from '../../../supervisor/backtest/candle-feed.ts';
import { SyntheticFeed } from '../../../supervisor/backtest/synthetic-feed.ts';
import { SyntheticMarket } from '../../../supervisor/market-data/synthetic.ts';
import type { SyntheticInstrument } from '../../../supervisor/market-data/synthetic.ts';

const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const ETH = parseInstrumentId('ETHUSDT.BYBIT');
const instruments: SyntheticInstrument[] = [
  { id: BTC, tickSize: dec('0.1'), lotStep: dec('0.001'), startPrice: dec('60000'), turnoverPerMinute: dec('1000000') },
  { id: ETH, tickSize: dec('0.01'), lotStep: dec('0.01'), startPrice: dec('3000'), turnoverPerMinute: dec('1000000') },
];
const START = Date.UTC(2025, 0, 1);
const DAY = 86_400_000;

function generate(timeframes: readonly Timeframe[], days: number, startMs = START): TimeframeCandle[] {
  const market = new SyntheticMarket({ seed: 11, instruments, startMs, timeframes });
  const out: TimeframeCandle[] = [];
  market.advanceTo(startMs + days * DAY, (candle) => out.push(market.toCandle(candle)));
  return out;
}

const text = (candles: readonly TimeframeCandle[]): string[] =>
  candles.map((c) => `${c.instrumentId} ${c.timeframe} ${c.openTime} ${c.open.toString()} ${c.high.toString()} ${c.low.toString()} ${c.close.toString()} ${c.volume.toString()}`);

describe('candle feeds', () => {
  it.each([
    ['5m', '1h'],
    ['5m', '4h'],
    ['15m', '1d'],
    ['1m', '15m'],
  ] as const)('test_aggregate_when_%s_candles_are_built_into_%s_then_equal_to_direct_generation', (base, higher) => {
    const candles = generate([base], 3).filter((c) => c.instrumentId === BTC);
    const direct = generate([higher], 3).filter((c) => c.instrumentId === BTC);
    expect(direct.length).toBeGreaterThan(0);
    expect(text(aggregate(candles, higher))).toEqual(text(direct));
  });

  it('test_aggregate_when_data_starts_and_ends_mid_bucket_then_cut_buckets_are_dropped', () => {
    const candles = generate(['5m'], 1).filter((c) => c.instrumentId === BTC).slice(3, -2);
    const hours = aggregate(candles, '1h');
    expect(hours).toHaveLength(22);
    expect(hours[0]?.openTime).toBe(START + 3_600_000);
  });

  it('test_aggregate_when_timeframe_is_not_a_multiple_then_refused', () => {
    const candles = generate(['15m'], 1).filter((c) => c.instrumentId === BTC);
    expect(() => aggregate(candles, '5m')).toThrow(/not a whole multiple/);
  });

  it('test_merge_when_streams_close_together_then_by_close_time_lower_timeframe_first_then_instrument_order', () => {
    const direct = generate(['5m', '1h'], 1);
    const streams = [BTC, ETH].flatMap((id) => (['5m', '1h'] as const).map((tf) => direct.filter((c) => c.instrumentId === id && c.timeframe === tf)));
    expect(text(mergeStreams(streams.reverse(), [BTC, ETH]))).toEqual(text(direct));
  });

  it('test_synthetic_feed_when_drained_then_total_matches_and_candles_match_the_market', () => {
    const feed = new SyntheticFeed({ seed: 11, instruments, timeframes: ['5m', '1h'], startMs: START, endMs: START + 2 * DAY });
    const out: TimeframeCandle[] = [];
    for (let candle = feed.next(); candle !== undefined; candle = feed.next()) out.push(candle);
    expect(out).toHaveLength(feed.total);
    expect(feed.total).toBe(2 * (2 * 288 + 2 * 24));
    expect(text(out)).toEqual(text(generate(['5m', '1h'], 2)));
  });

  it('test_synthetic_feed_when_generated_up_front_then_it_delivers_the_same_candles_as_on_demand', () => {
    const options = { seed: 11, instruments, timeframes: ['5m', '1h'] as const, startMs: START, endMs: START + 3 * DAY };
    const drain = (feed: SyntheticFeed): TimeframeCandle[] => {
      const out: TimeframeCandle[] = [];
      for (let candle = feed.next(); candle !== undefined; candle = feed.next()) out.push(candle);
      return out;
    };
    const upFront = new SyntheticFeed(options);
    upFront.generateAll();
    const prepared = drain(upFront);
    expect(prepared).toHaveLength(upFront.total);
    expect(text(prepared)).toEqual(text(drain(new SyntheticFeed(options))));
  });
});
