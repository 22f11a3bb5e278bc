import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { checkSeries } from '../../../supervisor/backtest/data-check.ts';
import { DataError } from '../../../supervisor/backtest/klines.ts';
import type { RawKline } from '../../../supervisor/backtest/klines.ts';

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

function refusal(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError');
}

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
