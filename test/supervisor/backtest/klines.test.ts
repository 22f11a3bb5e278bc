import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseKlineCsv, parseKlineJson, parseKlines } from '../../../supervisor/backtest/klines.ts';
import { refusal } from './data-fixtures.ts';

const DATA = join(import.meta.dirname, 'data');
const read = (path: string): string => readFileSync(join(DATA, path), 'utf8');
const JAN_1_2024 = Date.UTC(2024, 0, 1);

describe('kline exports', () => {
  it('test_parse_when_binance_csv_without_header_then_every_row_is_read_oldest_first', () => {
    const parsed = parseKlines('mixed/BTCUSDT-5m.csv', read('mixed/BTCUSDT-5m.csv'));
    expect(parsed.format).toBe('binance-csv');
    expect(parsed.rows).toHaveLength(24);
    expect(parsed.rows[0]).toMatchObject({ row: 'line 1', openTime: JAN_1_2024 });
    expect(parsed.rows[0]?.open.eq(dec('42000'))).toBe(true);
    expect(parsed.rows[0]?.high.eq(dec('42000.3'))).toBe(true);
    expect(parsed.rows[23]?.openTime).toBe(JAN_1_2024 + 23 * 300_000);
  });

  it('test_parse_when_binance_csv_has_header_and_microseconds_then_times_are_milliseconds', () => {
    const parsed = parseKlines('ADAUSDT-1m.csv', read('formats/ADAUSDT-1m.csv'));
    expect(parsed.format).toBe('binance-csv');
    expect(parsed.rows).toHaveLength(6);
    expect(parsed.rows[0]).toMatchObject({ row: 'line 2', openTime: Date.UTC(2025, 0, 1) });
    expect(parsed.rows[1]?.openTime).toBe(Date.UTC(2025, 0, 1) + 60_000);
  });

  it('test_parse_when_binance_json_then_string_prices_and_numeric_times_are_read', () => {
    const parsed = parseKlines('SOLUSDT-5m.json', read('formats/SOLUSDT-5m.json'));
    expect(parsed.format).toBe('binance-json');
    expect(parsed.rows).toHaveLength(6);
    expect(parsed.rows[0]).toMatchObject({ row: 'list[0]', openTime: JAN_1_2024 });
    expect(parsed.rows[0]?.open.eq(dec('101.5'))).toBe(true);
  });

  it('test_parse_when_bybit_v5_envelope_newest_first_then_rows_are_reversed', () => {
    const parsed = parseKlines('ETHUSDT-5m.json', read('mixed/ETHUSDT-5m.json'));
    expect(parsed.format).toBe('bybit-json');
    expect(parsed.rows).toHaveLength(24);
    expect(parsed.rows[0]?.openTime).toBe(JAN_1_2024);
    expect(parsed.rows[0]?.row).toBe('result.list[23]');
    expect(parsed.rows[23]?.openTime).toBe(JAN_1_2024 + 23 * 300_000);
  });

  it('test_parse_when_bybit_bare_list_then_read_like_the_envelope', () => {
    const parsed = parseKlines('XRPUSDT-5m.json', read('formats/XRPUSDT-5m.json'));
    expect(parsed.format).toBe('bybit-json');
    expect(parsed.rows.map((row) => row.openTime)).toEqual([0, 1, 2, 3, 4, 5].map((i) => JAN_1_2024 + i * 300_000));
    expect(parsed.rows[0]?.open.eq(dec('0.6123'))).toBe(true);
  });

  it('test_parse_when_bybit_csv_with_header_then_columns_are_found_by_name', () => {
    const parsed = parseKlines('DOGEUSDT-5m.csv', read('formats/DOGEUSDT-5m.csv'));
    expect(parsed.format).toBe('bybit-csv');
    expect(parsed.rows).toHaveLength(6);
    expect(parsed.rows[0]?.close.eq(dec('0.09014'))).toBe(true);
    expect(parsed.rows[0]?.volume.eq(dec('297000'))).toBe(true);
  });

  it('test_parse_when_bybit_reply_is_an_error_then_refused', () => {
    const error = refusal(() => parseKlineJson('x.json', JSON.stringify({ retCode: 10001, retMsg: 'params error', result: {} })));
    expect(error.message).toContain('retCode 10001');
  });

  it('test_parse_when_a_price_has_an_exponent_then_refused_naming_file_and_row', () => {
    const error = refusal(() => parseKlineCsv('BTCUSDT-5m.csv', `${JAN_1_2024},1,2,0.5,1.5,10\n${JAN_1_2024 + 300_000},1.5,1e3,1,1.2,3\n`));
    expect(error.file).toBe('BTCUSDT-5m.csv');
    expect(error.row).toBe('line 2');
    expect(error.message).toMatch(/BTCUSDT-5m\.csv: line 2: high must be a plain decimal/);
  });

  it('test_parse_when_a_row_is_short_or_time_is_not_an_integer_then_refused', () => {
    expect(refusal(() => parseKlineCsv('a.csv', `${JAN_1_2024},1,2,0.5\n`)).row).toBe('line 1');
    expect(refusal(() => parseKlineJson('a.json', JSON.stringify([['2024-01-01', '1', '2', '0.5', '1', '3']]))).message).toContain('open time must be an integer');
    expect(refusal(() => parseKlineJson('a.json', '[]')).message).toContain('no klines');
    expect(refusal(() => parseKlineJson('a.json', '{not json')).message).toContain('not valid JSON');
  });
});
