import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import { backtestFundingId, constantSchedule, fundingAmount, loadFundingFiles, parseFunding } from '../../../supervisor/backtest/funding.ts';
import { DataError } from '../../../supervisor/backtest/klines.ts';

const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const ETH = parseInstrumentId('ETHUSDT.BYBIT');
const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-funding-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('funding exports', () => {
  it('test_parse_when_binance_api_json_then_times_rates_and_mark_prices_are_read', () => {
    const parsed = parseFunding('BTCUSDT-funding.json', JSON.stringify([
      { symbol: 'BTCUSDT', fundingTime: T0, fundingRate: '0.00010000', markPrice: '42283.10000000' },
      { symbol: 'BTCUSDT', fundingTime: T0 + 8 * HOUR, fundingRate: '-0.00002500', markPrice: '42010.5' },
    ]));
    expect(parsed.format).toBe('binance-json');
    expect(parsed.rows.map((row) => [row.symbol, row.at, row.rate.toString(), row.markPrice?.toString()])).toEqual([
      ['BTCUSDT', T0, '0.0001', '42283.1'],
      ['BTCUSDT', T0 + 8 * HOUR, '-0.000025', '42010.5'],
    ]);
  });

  it('test_parse_when_binance_vision_csv_then_calc_time_and_last_funding_rate_are_read', () => {
    const parsed = parseFunding('BTCUSDT-fundingRate-2024-01.csv', `calc_time,funding_interval_hours,last_funding_rate\n${T0},8,0.00037409\n${T0 + 8 * HOUR},8,0.00027829\n`);
    expect(parsed.format).toBe('binance-csv');
    expect(parsed.rows.map((row) => [row.symbol, row.at, row.rate.toString(), row.markPrice])).toEqual([
      [null, T0, '0.00037409', null],
      [null, T0 + 8 * HOUR, '0.00027829', null],
    ]);
  });

  it('test_parse_when_bybit_v5_envelope_newest_first_then_every_row_is_read', () => {
    const parsed = parseFunding('funding.json', JSON.stringify({
      retCode: 0,
      retMsg: 'OK',
      result: { category: 'linear', list: [
        { symbol: 'ETHUSDT', fundingRate: '0.0001', fundingRateTimestamp: String(T0 + 8 * HOUR) },
        { symbol: 'ETHUSDT', fundingRate: '-0.0002', fundingRateTimestamp: String(T0) },
      ] },
    }));
    expect(parsed.format).toBe('bybit-json');
    expect(parsed.rows.map((row) => [row.symbol, row.at, row.rate.toString()])).toEqual([
      ['ETHUSDT', T0 + 8 * HOUR, '0.0001'],
      ['ETHUSDT', T0, '-0.0002'],
    ]);
  });

  it('test_parse_when_bybit_fields_as_csv_columns_then_read_by_name', () => {
    const parsed = parseFunding('x.csv', `symbol,fundingRate,fundingRateTimestamp\nETHUSDT,0.0001,${T0}\n`);
    expect(parsed.rows.map((row) => [row.symbol, row.at, row.rate.toString()])).toEqual([['ETHUSDT', T0, '0.0001']]);
  });

  it.each([
    ['a rate of 100% or more', `calc_time,funding_interval_hours,last_funding_rate\n${T0},8,0.0001\n${T0 + 8 * HOUR},8,1.5\n`, /f\.csv: line 3: funding rate 1\.5 is not a fraction/],
    ['a rate that is no decimal', `calc_time,funding_interval_hours,last_funding_rate\n${T0},8,abc\n`, /f\.csv: line 2: .*abc/],
    ['a time that is no time', `calc_time,funding_interval_hours,last_funding_rate\nyesterday,8,0.0001\n`, /f\.csv: line 2: funding time must be a timestamp/],
    ['no funding columns', `open_time,open,high\n${T0},1,2\n`, /f\.csv: line 1: expected a header naming a funding time and a funding rate/],
  ])('test_parse_when_%s_then_refused_naming_file_and_line', (_what, text, message) => {
    expect(() => parseFunding('f.csv', text)).toThrow(message);
    expect(() => parseFunding('f.csv', text)).toThrow(DataError);
  });

  it('test_load_when_a_folder_of_exports_then_each_perpetual_gets_its_own_rates_in_time_order', () => {
    file('BTCUSDT-fundingRate-2024-01.csv', `calc_time,funding_interval_hours,last_funding_rate\n${T0 + 8 * HOUR},8,0.0002\n${T0},8,0.0001\n${T0 + 16 * HOUR},8,0.0003\n`);
    file('ETHUSDT-funding.json', JSON.stringify({ retCode: 0, result: { list: [{ symbol: 'ETHUSDT', fundingRate: '-0.0001', fundingRateTimestamp: String(T0 + 8 * HOUR) }] } }));
    file('SOLUSDT-funding.json', JSON.stringify([{ symbol: 'SOLUSDT', fundingTime: T0, fundingRate: '0.0001' }]));
    file('notes.txt', 'not a funding file');
    const schedule = loadFundingFiles(dir, [BTC, ETH], T0, T0 + 12 * HOUR);
    expect(schedule.events.map((event) => [event.instrumentId, event.at, event.rate.toString()])).toEqual([
      [BTC, T0, '0.0001'],
      [BTC, T0 + 8 * HOUR, '0.0002'],
      [ETH, T0 + 8 * HOUR, '-0.0001'],
    ]);
    expect(schedule.findings).toContain('SOLUSDT-funding.json: funding rates of SOLUSDT skipped, the run trades no perpetual SOLUSDT');
    expect(schedule.findings.some((line) => line.startsWith('funding BTCUSDT: 3 rates from 2024-01-01T00:00Z to 2024-01-01T16:00Z, 2 in the run'))).toBe(true);
  });

  it('test_load_when_perpetuals_have_no_rates_then_every_one_is_named', () => {
    file('BTCUSDT-funding.csv', `calc_time,funding_interval_hours,last_funding_rate\n${T0},8,0.0001\n`);
    const SOL = parseInstrumentId('SOLUSDT.BYBIT');
    expect(() => loadFundingFiles(dir, [BTC, ETH, SOL], T0, T0 + HOUR)).toThrow(/no funding rates for ETHUSDT\.BYBIT, SOLUSDT\.BYBIT/);
  });

  it('test_load_when_two_files_give_different_rates_for_one_time_then_refused_naming_both', () => {
    file('BTCUSDT-funding-a.csv', `calc_time,funding_interval_hours,last_funding_rate\n${T0},8,0.0001\n`);
    file('BTCUSDT-funding-b.csv', `calc_time,funding_interval_hours,last_funding_rate\n${T0},8,0.0001\n${T0 + 8 * HOUR},8,0.0002\n`);
    expect(loadFundingFiles(dir, [BTC], T0, T0 + 8 * HOUR).events).toHaveLength(2);
    file('BTCUSDT-funding-c.csv', `calc_time,funding_interval_hours,last_funding_rate\n${T0},8,0.0005\n`);
    expect(() => loadFundingFiles(dir, [BTC], T0, T0 + 8 * HOUR)).toThrow(/two funding rates for BTCUSDT at 2024-01-01T00:00Z: 0\.0001 \(BTCUSDT-funding-a\.csv line 2\) and 0\.0005/);
  });
});

describe('funding arithmetic', () => {
  it('test_amount_when_rate_is_positive_then_a_long_pays_and_a_short_receives_on_the_cent_step', () => {
    expect(fundingAmount(dec('2'), dec('50000'), dec('0.0001')).toString()).toBe('-10');
    expect(fundingAmount(dec('-2'), dec('50000'), dec('0.0001')).toString()).toBe('10');
    expect(fundingAmount(dec('1'), dec('50000'), dec('-0.0001')).toString()).toBe('5');
    // 3 × 0.1234567 × 0.0001 = 0.00003703701: booked to 1e-8.
    expect(fundingAmount(dec('3'), dec('0.1234567'), dec('0.0001')).toString()).toBe('-0.00003704');
  });

  it('test_constant_schedule_when_eight_hours_then_at_00_08_16_utc_for_each_perpetual', () => {
    const schedule = constantSchedule([BTC, ETH], dec('0.0001'), 8, T0 + 5 * 60_000, T0 + 24 * HOUR);
    expect(schedule.events.map((event) => [event.instrumentId, (event.at - T0) / HOUR])).toEqual([
      [BTC, 8], [ETH, 8], [BTC, 16], [ETH, 16], [BTC, 24], [ETH, 24],
    ]);
    expect(() => constantSchedule([BTC], dec('0.0001'), 5, T0, T0 + HOUR)).toThrow(/divides a day/);
    expect(() => constantSchedule([BTC], dec('1'), 8, T0, T0 + HOUR)).toThrow(/not a fraction/);
  });

  it('test_funding_id_when_made_for_a_backtest_then_one_per_instrument_and_time', () => {
    expect(backtestFundingId(BTC, T0)).toBe(`bt-BTCUSDT-${T0}`);
  });
});
