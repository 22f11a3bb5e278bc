import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { loadData } from '../../../supervisor/backtest/data-source.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { fiveMinuteKlines, MOSTLY_MISSING_DAY, range, refusal } from './data-fixtures.ts';

const DATA = join(import.meta.dirname, 'data');
const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const ETH = parseInstrumentId('ETHUSDT.BYBIT');
const T0 = Date.UTC(2024, 0, 1);

function drain(feed: { next(): TimeframeCandle | undefined }): TimeframeCandle[] {
  const out: TimeframeCandle[] = [];
  for (let candle = feed.next(); candle !== undefined; candle = feed.next()) out.push(candle);
  return out;
}

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bt-data-'));
  temporary.push(dir);
  return dir;
}

describe('data folders', () => {
  it('test_load_when_folder_has_one_file_per_instrument_then_streams_are_merged_and_higher_timeframes_built', () => {
    const loaded = loadData({ path: join(DATA, 'mixed'), instruments: [BTC, ETH], timeframes: ['5m', '1h'] });
    const candles = drain(loaded.feed);
    expect(loaded.feed.total).toBe(2 * 24 + 2 * 2);
    expect(candles).toHaveLength(52);
    expect(Object.fromEntries(loaded.baseTimeframes)).toEqual({ [BTC]: '5m', [ETH]: '5m' });
    // At 01:00 the 5m candles of both instruments come before either 1h candle.
    const atOne = candles.filter((c) => c.openTime + c.durationMs === T0 + 3_600_000).map((c) => `${c.instrumentId} ${c.timeframe}`);
    expect(atOne).toEqual([`${BTC} 5m`, `${ETH} 5m`, `${BTC} 1h`, `${ETH} 1h`]);
    expect(loaded.findings.some((line) => line.includes('BTCUSDT-5m.csv (binance-csv): 24 5m candles'))).toBe(true);
    expect(loaded.findings.some((line) => line.includes('ETHUSDT-5m.json (bybit-json): 24 5m candles'))).toBe(true);
  });

  it('test_load_when_from_and_to_are_given_then_only_candles_inside_are_kept', () => {
    const loaded = loadData({ path: join(DATA, 'mixed'), instruments: [BTC], timeframes: ['5m'], fromMs: T0 + 30 * 60_000, toMs: T0 + 60 * 60_000 });
    const candles = drain(loaded.feed);
    expect(candles.map((c) => c.openTime)).toEqual([30, 35, 40, 45, 50, 55].map((minute) => T0 + minute * 60_000));
  });

  it('test_load_when_an_instrument_has_no_file_then_refused_naming_the_expected_file', () => {
    const dir = folder();
    copyFileSync(join(DATA, 'mixed', 'BTCUSDT-5m.csv'), join(dir, 'BTCUSDT-5m.csv'));
    expect(() => loadData({ path: dir, instruments: [BTC, ETH], timeframes: ['5m'] })).toThrow(/no data for 1 of the bot's 2 instruments: ETHUSDT\.BYBIT; expected files named ETHUSDT-<timeframe>\.csv/);
  });

  it('test_load_when_several_instruments_have_no_file_then_every_one_is_named_with_the_subset_to_run_on', () => {
    const dir = folder();
    copyFileSync(join(DATA, 'mixed', 'BTCUSDT-5m.csv'), join(dir, 'BTCUSDT-5m.csv'));
    const instruments = [BTC, ETH, parseInstrumentId('SOLUSDT.BYBIT'), parseInstrumentId('XRPUSDT.BYBIT')];
    expect(() => loadData({ path: dir, instruments, timeframes: ['5m'] })).toThrow(
      `no data for 3 of the bot's 4 instruments: ETHUSDT.BYBIT, SOLUSDT.BYBIT, XRPUSDT.BYBIT; expected files named ETHUSDT-<timeframe>.csv, SOLUSDT-<timeframe>.csv, XRPUSDT-<timeframe>.csv (or .json), or backtest on the instruments there is data for with --instruments BTCUSDT.BYBIT`,
    );
  });

  it('test_load_when_data_is_coarser_than_the_bot_then_refused', () => {
    expect(() => loadData({ path: join(DATA, 'mixed'), instruments: [BTC], timeframes: ['1m'] })).toThrow(/uses 1m candles but the finest data is 5m/);
  });

  it('test_load_when_folder_has_other_files_then_they_are_skipped_and_said_so', () => {
    const dir = folder();
    copyFileSync(join(DATA, 'mixed', 'BTCUSDT-5m.csv'), join(dir, 'BTCUSDT-5m.csv'));
    copyFileSync(join(DATA, 'mixed', 'ETHUSDT-5m.json'), join(dir, 'ETHUSDT-5m.json'));
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    writeFileSync(join(dir, 'BTCUSDT-1h.csv'), `${T0},1,2,0.5,1.5,3\n`);
    mkdirSync(join(dir, 'old'));
    const loaded = loadData({ path: dir, instruments: [BTC], timeframes: ['5m', '1h'] });
    expect(loaded.findings).toContain('notes.txt: skipped, not named <SYMBOL>-<timeframe>.csv|json');
    expect(loaded.findings).toContain('ETHUSDT-5m.json: skipped, the bot does not trade ETHUSDT');
    expect(loaded.findings).toContain('BTCUSDT-1h.csv: skipped, 1h is built from the 5m candles so the venue and the strategy see one price path');
  });

  it('test_load_when_a_file_is_broken_then_refused_naming_file_row_and_problem', () => {
    const error = refusal(() => loadData({ path: join(DATA, 'broken', 'BTCUSDT-5m.csv'), instruments: [BTC], timeframes: ['5m'] }));
    expect(error.file).toContain('broken/BTCUSDT-5m.csv');
    expect(error.row).toBe('line 3');
    expect(error.message).toContain('high is below open or close');
  });

  it('test_load_when_a_single_file_is_not_named_by_the_convention_then_refused', () => {
    const dir = folder();
    writeFileSync(join(dir, 'btc.csv'), `${T0},1,2,0.5,1.5,3\n`);
    expect(() => loadData({ path: join(dir, 'btc.csv'), instruments: [BTC], timeframes: ['5m'] })).toThrow(/must be <SYMBOL>-<timeframe>\.csv/);
  });

  it('test_load_when_monthly_files_split_a_series_then_they_are_read_as_one', () => {
    const dir = folder();
    writeFileSync(join(dir, 'BTCUSDT-5m-2024-01-a.csv'), fiveMinuteKlines(range(0, 5)));
    writeFileSync(join(dir, 'BTCUSDT-5m-2024-01-b.csv'), fiveMinuteKlines(range(4, 5)));
    const loaded = loadData({ path: dir, instruments: [BTC], timeframes: ['5m'] });
    expect(drain(loaded.feed)).toHaveLength(9);
    expect(loaded.findings.some((line) => line.includes('1 duplicate timestamps with identical values dropped (first: BTCUSDT-5m-2024-01-b.csv line 1'))).toBe(true);
  });
});

describe('missing data', () => {
  it('test_load_when_a_file_misses_most_of_its_candles_then_refused_naming_it_and_the_share', () => {
    const dir = folder();
    writeFileSync(join(dir, 'BTCUSDT-5m.csv'), fiveMinuteKlines(range(0, 288)));
    writeFileSync(join(dir, 'ETHUSDT-5m.csv'), fiveMinuteKlines(MOSTLY_MISSING_DAY));
    const error = refusal(() => loadData({ path: dir, instruments: [BTC, ETH], timeframes: ['5m', '1h'] }));
    expect(error.file).toBe(join(dir, 'ETHUSDT-5m.csv'));
    expect(error.message).toContain('94.4% of the 5m candles from 2024-01-01T00:00Z to 2024-01-02T00:00Z missing (272 of 288: 0 before the first candle, 266 in gaps, 6 after the last), more than the 20.0% allowed');
  });

  it('test_load_when_the_missing_share_is_raised_above_what_is_missing_then_loaded_and_reported', () => {
    const dir = folder();
    writeFileSync(join(dir, 'BTCUSDT-5m.csv'), fiveMinuteKlines(range(0, 288)));
    writeFileSync(join(dir, 'ETHUSDT-5m.csv'), fiveMinuteKlines(MOSTLY_MISSING_DAY));
    const loaded = loadData({ path: dir, instruments: [BTC, ETH], timeframes: ['5m'], maxMissing: 0.95 });
    expect(drain(loaded.feed)).toHaveLength(288 + 16);
    expect(loaded.findings).toContain('ETHUSDT-5m.csv: 94.4% of the 5m candles from 2024-01-01T00:00Z to 2024-01-02T00:00Z missing (272 of 288: 0 before the first candle, 266 in gaps, 6 after the last); at most 95.0% may be');
    expect(loaded.findings.some((line) => line.startsWith('BTCUSDT-5m.csv: ') && line.includes('missing'))).toBe(false);
  });

  it('test_load_when_one_instrument_starts_late_then_its_missing_start_counts_and_narrowing_from_accepts_it', () => {
    const dir = folder();
    writeFileSync(join(dir, 'BTCUSDT-5m.csv'), fiveMinuteKlines(range(0, 288)));
    writeFileSync(join(dir, 'ETHUSDT-5m.csv'), fiveMinuteKlines(range(72, 216)));
    const error = refusal(() => loadData({ path: dir, instruments: [BTC, ETH], timeframes: ['5m'] }));
    expect(error.file).toBe(join(dir, 'ETHUSDT-5m.csv'));
    expect(error.message).toContain('25.0% of the 5m candles from 2024-01-01T00:00Z to 2024-01-02T00:00Z missing (72 of 288: 72 before the first candle, 0 in gaps, 0 after the last)');
    const narrowed = loadData({ path: dir, instruments: [BTC, ETH], timeframes: ['5m'], fromMs: T0 + 6 * 3_600_000 });
    expect(drain(narrowed.feed)).toHaveLength(2 * 216);
  });

  it('test_load_when_the_period_asked_for_is_longer_than_the_data_then_the_missing_part_counts', () => {
    // Arrange: one day of files, and ten days asked for.
    const dir = folder();
    writeFileSync(join(dir, 'BTCUSDT-5m.csv'), fiveMinuteKlines(range(0, 288)));
    const asked = { path: dir, instruments: [BTC], timeframes: ['5m'] as const, fromMs: T0, toMs: T0 + 10 * 86_400_000 };
    // Act
    const error = refusal(() => loadData({ ...asked, timeframes: [...asked.timeframes] }));
    const allowed = loadData({ ...asked, timeframes: [...asked.timeframes], maxMissing: 0.95 });
    // Assert
    expect(error.message).toContain('90.0% of the 5m candles from 2024-01-01T00:00Z to 2024-01-11T00:00Z missing (2592 of 2880: 0 before the first candle, 0 in gaps, 2592 after the last)');
    expect(drain(allowed.feed)).toHaveLength(288);
  });

  it('test_load_when_the_instruments_do_not_overlap_in_time_then_refused_naming_each_period', () => {
    const dir = folder();
    writeFileSync(join(dir, 'BTCUSDT-5m.csv'), fiveMinuteKlines(range(0, 144)));
    writeFileSync(join(dir, 'ETHUSDT-5m.csv'), fiveMinuteKlines(range(144, 144)));
    const error = refusal(() => loadData({ path: dir, instruments: [BTC, ETH], timeframes: ['5m'], maxMissing: 0.99 }));
    expect(error.file).toBe(dir);
    expect(error.message).toContain(
      "the instruments' data do not overlap in time, so there is nothing to backtest jointly (BTCUSDT.BYBIT (BTCUSDT-5m.csv) 2024-01-01T00:00Z to 2024-01-01T12:00Z, ETHUSDT.BYBIT (ETHUSDT-5m.csv) 2024-01-01T12:00Z to 2024-01-02T00:00Z)",
    );
  });

  it.each([[1], [-0.1], [Number.NaN]])('test_load_when_the_missing_share_is_%s_then_refused_as_invalid_input', (maxMissing) => {
    expect(() => loadData({ path: join(DATA, 'mixed'), instruments: [BTC], timeframes: ['5m'], maxMissing })).toThrow(InvalidInputError);
  });
});
