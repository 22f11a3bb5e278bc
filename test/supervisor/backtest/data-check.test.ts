import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { checkCoverage, checkOverlap, checkSeries, coverage } from '../../../supervisor/backtest/data-check.ts';
import type { RawKline } from '../../../supervisor/backtest/klines.ts';
import { refusal } from './data-fixtures.ts';

const T0 = Date.UTC(2024, 0, 1);
const FIVE = 300_000;

function row(index: number, prices: Partial<Record<'open' | 'high' | 'low' | 'close' | 'volume', string>> = {}, openTime = T0 + index * FIVE): RawKline {
  return {
    row: `line ${index + 1}`,
    openTime,
    open: dec(prices.open ?? '100'),
    high: dec(prices.high ?? '101'),
    low: dec(prices.low ?? '99'),
    close: dec(prices.close ?? '100.5'),
    volume: dec(prices.volume ?? '10'),
  };
}

const rows = (count: number): RawKline[] => Array.from({ length: count }, (_, index) => row(index));

describe('prices the instrument can quote', () => {
  const coin = { tickSize: dec('0.00000001'), allowOffTick: false };

  it('test_check_when_a_low_is_below_one_tick_then_refused_with_file_line_and_the_way_to_accept_it', () => {
    // The case seen on real data: one candle of a 1e-8 coin with a low of 1e-9, which filled a stop at one tick.
    const input = Array.from({ length: 6 }, (_, index) => row(index, { open: '0.00001234', high: '0.00001240', low: '0.00001230', close: '0.00001236' }));
    input[4] = row(4, { open: '0.00001234', high: '0.00001240', low: '0.000000001', close: '0.00001236' });
    const error = refusal(() => checkSeries('PEPEUSDT-5m.csv', '5m', input, coin));
    expect(error.file).toBe('PEPEUSDT-5m.csv');
    expect(error.row).toBe('line 5');
    expect(error.problem).toBe('low 0.000000001 is below one tick (0.00000001); the venue never quotes such prices, so a stop could fill there: fix the export, or accept them with --allow-off-tick');
  });

  it('test_check_when_prices_are_off_the_tick_then_refused_naming_the_first_and_counting_the_rest', () => {
    const input = rows(6);
    input[1] = row(1, { close: '100.55' });
    input[2] = row(2, { open: '100.05' });
    const error = refusal(() => checkSeries('BTCUSDT-5m.csv', '5m', input, { tickSize: dec('0.1'), allowOffTick: false }));
    expect(error.message).toContain('BTCUSDT-5m.csv: line 2: close 100.55 is not on the tick (0.1); 1 more rows with prices below one tick or off the tick (line 3: open 100.05 is not on the tick (0.1))');
  });

  it('test_check_when_off_tick_prices_are_accepted_then_kept_and_reported', () => {
    const input = rows(6);
    input[2] = row(2, { close: '100.55' });
    const checked = checkSeries('BTCUSDT-5m.csv', '5m', input, { tickSize: dec('0.1'), allowOffTick: true });
    expect(checked.rows).toHaveLength(6);
    expect(checked.findings).toEqual([{ kind: 'OFF_TICK', count: 1, detail: '1 rows with prices below one tick or off the tick, accepted by --allow-off-tick (first: line 3: close 100.55 is not on the tick (0.1))' }]);
  });

  it('test_check_when_every_price_is_on_the_tick_then_nothing_to_say', () => {
    expect(checkSeries('BTCUSDT-5m.csv', '5m', rows(6), { tickSize: dec('0.1'), allowOffTick: false }).findings).toEqual([]);
  });
});

describe('data validation', () => {
  it('test_check_when_series_is_clean_then_no_findings', () => {
    const checked = checkSeries('BTCUSDT-5m.csv', '5m', rows(10));
    expect(checked.rows).toHaveLength(10);
    expect(checked.findings).toEqual([]);
  });

  it.each([
    ['high below open', { open: '100', high: '99.5', low: '99', close: '99.2' }, 'high is below open or close'],
    ['high below close', { open: '100', high: '100.2', low: '99', close: '100.5' }, 'high is below open or close'],
    ['low above close', { open: '100', high: '101', low: '100.2', close: '100.1' }, 'low is above open or close'],
    ['non-positive price', { open: '0', high: '101', low: '0', close: '100' }, 'prices must be positive'],
    ['negative volume', { volume: '-1' }, 'volume is negative'],
  ])('test_check_when_%s_then_refused_naming_file_and_row', (_name, prices, problem) => {
    const input = rows(6);
    input[3] = row(3, prices);
    const error = refusal(() => checkSeries('BTCUSDT-5m.csv', '5m', input));
    expect(error.file).toBe('BTCUSDT-5m.csv');
    expect(error.row).toBe('line 4');
    expect(error.message).toContain(`BTCUSDT-5m.csv: line 4: ${problem}`);
  });

  it('test_check_when_several_rows_are_broken_then_the_count_and_the_first_ones_are_named', () => {
    const input = rows(8).map((r, index) => (index % 2 === 1 ? row(index, { volume: '-2' }) : r));
    const error = refusal(() => checkSeries('a.csv', '5m', input));
    expect(error.row).toBe('line 2');
    expect(error.message).toContain('3 more rows with broken OHLC or volume');
    expect(error.message).toContain('line 4');
  });

  it('test_check_when_open_time_is_off_the_grid_then_refused', () => {
    const input = rows(5);
    input[2] = row(2, {}, T0 + 2 * FIVE + 60_000);
    const error = refusal(() => checkSeries('a.csv', '5m', input));
    expect(error.row).toBe('line 3');
    expect(error.message).toContain('not on the 5m grid');
  });

  it('test_check_when_duplicate_timestamps_are_identical_then_dropped_and_reported', () => {
    const input = [...rows(5), { ...row(2), row: 'line 6' }];
    const checked = checkSeries('a.csv', '5m', input);
    expect(checked.rows).toHaveLength(5);
    expect(checked.findings.map((finding) => finding.kind).sort()).toEqual(['DUPLICATE', 'OUT_OF_ORDER']);
    expect(checked.findings.find((finding) => finding.kind === 'DUPLICATE')?.detail).toContain('line 6');
  });

  it('test_check_when_duplicate_timestamps_differ_then_refused', () => {
    const input = [...rows(5), { ...row(2, { close: '100.7' }), row: 'line 6' }];
    const error = refusal(() => checkSeries('a.csv', '5m', input));
    expect(error.message).toContain('duplicate timestamp 2024-01-01T00:10Z with different values');
  });

  it('test_check_when_candles_are_missing_then_gaps_are_counted_with_the_first_ones', () => {
    const input = rows(20).filter((_, index) => index !== 3 && index !== 4 && index !== 10);
    const checked = checkSeries('a.csv', '5m', input);
    expect(checked.rows).toHaveLength(17);
    expect(checked.findings).toEqual([{ kind: 'GAP', count: 2, detail: '2 gaps, 3 candles missing (first: 2024-01-01T00:15Z to 2024-01-01T00:25Z; 2024-01-01T00:50Z to 2024-01-01T00:55Z)' }]);
  });

  it('test_check_when_rows_are_out_of_order_then_sorted_and_reported', () => {
    const input = rows(6);
    [input[1], input[4]] = [input[4] as RawKline, input[1] as RawKline];
    const checked = checkSeries('a.csv', '5m', input);
    expect(checked.rows.map((r) => r.openTime)).toEqual(rows(6).map((r) => r.openTime));
    expect(checked.findings[0]?.kind).toBe('OUT_OF_ORDER');
  });

  it('test_check_when_data_is_of_another_timeframe_than_its_name_then_refused', () => {
    const hourly = Array.from({ length: 5 }, (_, index) => row(index, {}, T0 + index * 3_600_000));
    expect(refusal(() => checkSeries('BTCUSDT-5m.csv', '5m', hourly)).message).toContain('the data is of another timeframe');
  });

  it('test_check_when_nothing_is_left_then_refused', () => {
    expect(refusal(() => checkSeries('a.csv', '5m', [])).message).toContain('no candles');
  });
});

describe('coverage of the run', () => {
  const HOUR = 3_600_000;
  const day = { startMs: T0, endMs: T0 + 24 * HOUR };

  it('test_coverage_when_a_stream_starts_late_ends_early_and_has_gaps_then_each_is_counted', () => {
    // 5m candles from 01:00 to 22:55 with 03:00-03:55 missing; the run's day has 288.
    const input = rows(288).filter((r) => r.openTime >= T0 + HOUR && r.openTime < T0 + 23 * HOUR && !(r.openTime >= T0 + 3 * HOUR && r.openTime < T0 + 4 * HOUR));
    expect(coverage(input, '5m', day)).toEqual({ expected: 288, before: 12, inGaps: 12, after: 12, missing: 36, share: 36 / 288 });
  });

  it('test_check_coverage_when_missing_share_is_at_the_limit_then_reported_not_refused', () => {
    const input = rows(288).filter((_, index) => index % 5 !== 0 || index === 0);
    const share = coverage(input, '5m', day).share;
    expect(share).toBeCloseTo(57 / 288, 10);
    const finding = checkCoverage('BTCUSDT-5m.csv', '5m', input, day, share);
    expect(finding?.kind).toBe('MISSING');
    expect(finding?.count).toBe(57);
    expect(finding?.detail).toContain('19.8% of the 5m candles from 2024-01-01T00:00Z to 2024-01-02T00:00Z missing (57 of 288: 0 before the first candle, 57 in gaps, 0 after the last)');
  });

  it('test_check_coverage_when_nothing_is_missing_then_no_finding', () => {
    expect(checkCoverage('a.csv', '5m', rows(288), day, 0)).toBeNull();
  });

  it('test_check_coverage_when_most_candles_are_missing_then_refused_naming_file_share_and_next_step', () => {
    const input = rows(288).filter((_, index) => index % 20 === 0);
    const error = refusal(() => checkCoverage('BTCUSDT-5m.csv', '5m', input, day, 0.2));
    expect(error.file).toBe('BTCUSDT-5m.csv');
    expect(error.row).toBeNull();
    expect(error.message).toBe(
      'BTCUSDT-5m.csv: 94.8% of the 5m candles from 2024-01-01T00:00Z to 2024-01-02T00:00Z missing (273 of 288: 0 before the first candle, 266 in gaps, 7 after the last), ' +
        "more than the 20.0% allowed; use a complete export, narrow the period with --from and --to to where every instrument's data is complete, or allow more with --max-missing",
    );
  });

  it('test_check_overlap_when_periods_touch_only_end_to_start_then_refused_naming_each_period', () => {
    const spans = [
      { name: 'BTCUSDT.BYBIT (BTCUSDT-5m.csv)', startMs: T0, endMs: T0 + HOUR },
      { name: 'ETHUSDT.BYBIT (ETHUSDT-5m.csv)', startMs: T0 + HOUR, endMs: T0 + 2 * HOUR },
    ];
    const error = refusal(() => checkOverlap('klines', spans));
    expect(error.message).toBe(
      "klines: the instruments' data do not overlap in time, so there is nothing to backtest jointly " +
        '(BTCUSDT.BYBIT (BTCUSDT-5m.csv) 2024-01-01T00:00Z to 2024-01-01T01:00Z, ETHUSDT.BYBIT (ETHUSDT-5m.csv) 2024-01-01T01:00Z to 2024-01-01T02:00Z); use files that cover a common period',
    );
  });

  it('test_check_overlap_when_periods_share_one_candle_then_accepted', () => {
    expect(() => checkOverlap('klines', [{ name: 'a', startMs: T0, endMs: T0 + HOUR }, { name: 'b', startMs: T0 + HOUR - FIVE, endMs: T0 + 2 * HOUR }])).not.toThrow();
  });
});
