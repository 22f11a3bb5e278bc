import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseBotId, parseInstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { sessionOnDate } from '../../../core/us-equity-calendar.ts';
import { runBacktest } from '../../../supervisor/backtest/backtest.ts';
import { loadData } from '../../../supervisor/backtest/data-source.ts';
import { parseBarFile } from '../../../supervisor/backtest/klines.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { refusal } from './data-fixtures.ts';
import { writeBot } from './scripted-bot.ts';

/**
 * Stock bar files: Alpaca's bar JSON (the multi-symbol /v2/stocks/bars reply and the single-symbol one) and CSV
 * exports with ISO times, a symbol column or one file per symbol; an equity's daily bars at New York midnight.
 */

const AAPL = parseInstrumentId('AAPL.ALPACA');
const MSFT = parseInstrumentId('MSFT.ALPACA');
/** Monday 2025-01-06 and Tuesday 2025-01-07: 14:30-21:00 UTC. */
const MONDAY = sessionOnDate('2025-01-06')!;
const TUESDAY = sessionOnDate('2025-01-07')!;
const equities = new Set([AAPL, MSFT]);

interface Bar {
  t: string;
  o: number;
  h: number;
  l: number;
  c: number;
  v: number;
  n: number;
  vw: number;
}

/** Every minute of the two sessions, a gentle zigzag around `price`. */
function sessionBars(price: number): Bar[] {
  const bars: Bar[] = [];
  for (const session of [MONDAY, TUESDAY]) {
    for (let t = session.open; t < session.close; t += 60_000) {
      const wiggle = ((t / 60_000) % 7) / 100;
      const cents = (value: number): number => Math.round(value * 100) / 100;
      bars.push({ t: new Date(t).toISOString().replace('.000Z', 'Z'), o: price, h: cents(price + 0.1 + wiggle), l: cents(price - 0.1), c: cents(price + wiggle), v: 1000, n: 12, vw: price });
    }
  }
  return bars;
}

function drain(feed: { next(): TimeframeCandle | undefined }): TimeframeCandle[] {
  const out: TimeframeCandle[] = [];
  for (let candle = feed.next(); candle !== undefined; candle = feed.next()) out.push(candle);
  return out;
}

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-bars-'));
  temporary.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const load = (path: string, timeframes: ('1m' | '5m' | '1d')[] = ['1m', '5m']) => loadData({ path, instruments: [AAPL, MSFT], timeframes, sessionInstruments: equities });

describe('stock bar files', () => {
  it('test_load_when_alpaca_multi_symbol_bars_json_then_each_symbol_is_its_instruments_series', () => {
    const path = folder({ 'bars-1m.json': JSON.stringify({ bars: { AAPL: sessionBars(230), MSFT: sessionBars(420) }, next_page_token: null }) });
    const loaded = load(path);
    const candles = drain(loaded.feed);
    const minutes = (id: string) => candles.filter((c) => c.instrumentId === id && c.timeframe === '1m');
    expect(minutes(AAPL)).toHaveLength(2 * 390);
    expect(minutes(MSFT)[0]?.open.toString()).toBe('420');
    expect(minutes(AAPL)[0]?.openTime).toBe(MONDAY.open);
    // 5m built from the session minutes; nothing counted missing overnight.
    expect(candles.filter((c) => c.instrumentId === AAPL && c.timeframe === '5m')).toHaveLength(2 * 78);
    expect(loaded.findings.filter((finding) => /missing|gap/i.test(finding))).toEqual([]);
    expect(loaded.findings).toContain(`bars-1m.json (AAPL) (alpaca-json): 780 1m candles from 2025-01-06T14:30:00.000Z to 2025-01-07T21:00:00.000Z`);
  });

  it('test_load_when_alpaca_single_symbol_replies_and_a_next_page_token_then_read_and_the_page_said', () => {
    const path = folder({
      'AAPL-1m.json': JSON.stringify({ bars: sessionBars(230), symbol: 'AAPL', next_page_token: 'QUFQTHxNfDIwMjUtMDEtMDc=' }),
      'MSFT-1m.json': JSON.stringify({ bars: sessionBars(420), symbol: 'MSFT', next_page_token: null }),
      'BTCUSDT-1m.csv': 'not read: the bot does not trade it',
    });
    const loaded = load(path);
    expect(drain(loaded.feed).filter((c) => c.timeframe === '1m')).toHaveLength(4 * 390);
    expect(loaded.findings).toContain(`AAPL-1m.json: next_page_token is set: the file is one page of Alpaca's reply, and bars after its last are not in it`);
    expect(loaded.findings).toContain('BTCUSDT-1m.csv: skipped, the bot does not trade BTCUSDT');
  });

  it('test_load_when_csv_with_a_symbol_column_or_one_file_per_symbol_then_both_read_with_iso_times', () => {
    const csv = (bars: Bar[], symbol?: string): string[] => bars.map((b) => `${symbol === undefined ? '' : `${symbol},`}${b.t},${b.o},${b.h},${b.l},${b.c},${b.v}`);
    const together = folder({ 'stocks-1m.csv': ['symbol,timestamp,open,high,low,close,volume', ...csv(sessionBars(230), 'AAPL'), ...csv(sessionBars(420), 'MSFT')].join('\n') });
    const apart = folder({
      'AAPL-1m.csv': ['timestamp,open,high,low,close,volume', ...csv(sessionBars(230))].join('\n'),
      // New York's own time with its offset reads as the same instants.
      'MSFT-1m.csv': ['timestamp,open,high,low,close,volume', ...sessionBars(420).map((b) => `${new Date(Date.parse(b.t) - 5 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ')}-05:00,${b.o},${b.h},${b.l},${b.c},${b.v}`)].join('\n'),
    });
    const a = drain(load(together).feed);
    const b = drain(load(apart).feed);
    expect(a).toHaveLength(b.length);
    expect(a.map((c) => `${c.instrumentId} ${c.timeframe} ${c.openTime} ${c.close.toString()}`)).toEqual(b.map((c) => `${c.instrumentId} ${c.timeframe} ${c.openTime} ${c.close.toString()}`));
  });

  it('test_parse_when_a_bar_file_is_bad_then_refused_naming_file_row_and_problem', () => {
    const bars = sessionBars(230);
    const { c: _close, ...noClose } = bars[1] as Bar;
    expect(refusal(() => parseBarFile('bars-1m.json', JSON.stringify({ bars: { AAPL: [bars[0], noClose] } }))).message).toBe('bars-1m.json: bars.AAPL[1]: the bar has no c (expected t, o, h, l, c, v)');
    expect(refusal(() => parseBarFile('AAPL-1m.json', JSON.stringify({ bars: bars.slice(0, 2) }))).message).toBe('AAPL-1m.json: a single-symbol Alpaca reply { bars: [...] } must name its symbol');
    expect(refusal(() => parseBarFile('AAPL-1m.json', JSON.stringify({ bars: { AAPL: [{ ...bars[0], o: 'abc' }] } }))).message).toMatch(/^AAPL-1m\.json: bars\.AAPL\[0\]: /);
    const header = 'symbol,timestamp,open,high,low,close,volume';
    expect(refusal(() => parseBarFile('s-1m.csv', `${header}\nAAPL,2025-01-06T14:30:00Z,1,2,0.5,1,3\nAAPL,2025-01-06 14:31:00,1,2,0.5,1,3\n`)).message).toBe('s-1m.csv: line 3: open time "2025-01-06 14:31:00" has no time zone; add Z or an offset such as -05:00');
    expect(refusal(() => parseBarFile('s-1m.csv', `${header}\nAA PL,2025-01-06T14:30:00Z,1,2,0.5,1,3\n`)).message).toBe('s-1m.csv: line 2: the symbol must be letters and digits, got "AA PL"');
    expect(refusal(() => parseBarFile('s-1m.csv', `${header}\nAAPL,yesterday,1,2,0.5,1,3\n`)).message).toMatch(/^s-1m\.csv: line 2: open time must be an integer timestamp or an ISO 8601 time/);
  });

  it('test_load_when_a_bar_is_broken_then_refused_naming_the_file_the_symbol_and_the_bar', () => {
    const bars = sessionBars(230);
    bars[5] = { ...(bars[5] as Bar), h: 1 };
    const path = folder({ 'bars-1m.json': JSON.stringify({ bars: { AAPL: bars, MSFT: sessionBars(420) } }) });
    expect(refusal(() => load(path)).message).toMatch(/bars-1m\.json \(AAPL\): bars\.AAPL\[5\]: high is below open or close/);
  });
});

describe('daily equity bars', () => {
  /** Alpaca's daily bars open at New York midnight: 05:00Z in winter, 04:00Z in summer. */
  const daily = (dates: string[]): Bar[] =>
    dates.map((date) => {
      const offset = date >= '2025-03-09' && date < '2025-11-02' ? 4 : 5;
      return { t: `${date}T0${offset}:00:00Z`, o: 230, h: 232, l: 229, c: 231, v: 50_000_000, n: 500_000, vw: 230.5 };
    });
  const WINTER_WEEK = ['2025-01-06', '2025-01-07', '2025-01-08', '2025-01-10'];
  const SUMMER_DAYS = ['2025-07-02', '2025-07-03', '2025-07-07'];

  it('test_load_when_alpaca_daily_bars_open_at_new_york_midnight_then_each_is_its_session', () => {
    const path = folder({ 'bars-1d.json': JSON.stringify({ bars: { AAPL: daily([...WINTER_WEEK, ...SUMMER_DAYS]), MSFT: daily([...WINTER_WEEK, ...SUMMER_DAYS]) } }) });
    const loaded = loadData({ path, instruments: [AAPL, MSFT], timeframes: ['1d'], fromMs: Date.UTC(2025, 0, 6), toMs: Date.UTC(2025, 0, 11), sessionInstruments: equities });
    const days = drain(loaded.feed).filter((c) => c.instrumentId === AAPL);
    // 2025-01-09 was a national day of mourning (closed): not missing. Each candle is the session, open to close.
    expect(days.map((c) => [c.openTime, c.durationMs])).toEqual(WINTER_WEEK.map((date) => sessionOnDate(date)!).map((s) => [s.open, s.close - s.open]));
    expect(loaded.findings.filter((finding) => /missing|gap/i.test(finding))).toEqual([]);
    // Summer too (04:00Z), and 2025-07-03 closes early at 13:00.
    const summer = drain(loadData({ path, instruments: [AAPL, MSFT], timeframes: ['1d'], fromMs: Date.UTC(2025, 6, 2), sessionInstruments: equities }).feed).filter((c) => c.instrumentId === AAPL);
    expect(summer.map((c) => c.durationMs / 3_600_000)).toEqual([6.5, 3.5, 6.5]);
  });

  it('test_load_when_a_daily_equity_bar_is_not_a_session_then_refused_naming_the_bar', () => {
    const noon = [...daily(WINTER_WEEK)];
    noon[1] = { ...(noon[1] as Bar), t: '2025-01-07T12:00:00Z' };
    const atNoon = folder({ 'bars-1d.json': JSON.stringify({ bars: { AAPL: noon, MSFT: daily(WINTER_WEEK) } }) });
    expect(refusal(() => loadData({ path: atNoon, instruments: [AAPL, MSFT], timeframes: ['1d'], sessionInstruments: equities })).message).toMatch(
      /bars-1d\.json \(AAPL\): bars\.AAPL\[1\]: open time 2025-01-07T12:00:00\.000Z is not the start of a trading day/,
    );
    const holiday = folder({ 'bars-1d.json': JSON.stringify({ bars: { AAPL: daily([...WINTER_WEEK, '2025-01-09'].sort()), MSFT: daily(WINTER_WEEK) } }) });
    expect(refusal(() => loadData({ path: holiday, instruments: [AAPL, MSFT], timeframes: ['1d'], sessionInstruments: equities })).message).toMatch(/bars\.AAPL\[3\]: 2025-01-09 has no US equity session \(a weekend or a holiday\)/);
  });
});

describe('a backtest on stock bar files', () => {
  const ROOT = findProjectRoot();
  let botsDir = '';

  beforeAll(() => {
    // Inside the project, so 'flotilla/strategy' resolves for the bot as for real ones.
    mkdirSync(join(ROOT, '.test-bots'), { recursive: true });
    botsDir = mkdtempSync(join(ROOT, '.test-bots', 'bar-files-'));
    writeBot(botsDir, { id: 'stocks', timeframes: ['1m', '5m'], instruments: ['AAPL.ALPACA', 'MSFT.ALPACA'], parameters: { every: 20, stopFraction: 0.02, exitAfter: 5 } });
    const manifestPath = join(botsDir, 'stocks', 'manifest.json');
    writeFileSync(manifestPath, JSON.stringify({ ...JSON.parse(readFileSync(manifestPath, 'utf8')), venue: 'ALPACA' }));
  });

  afterAll(() => rmSync(botsDir, { recursive: true, force: true }));

  it('test_backtest_when_given_alpaca_bars_then_an_equity_bot_trades_in_the_session_on_them', async () => {
    const path = folder({ 'bars-1m.json': JSON.stringify({ bars: { AAPL: sessionBars(230), MSFT: sessionBars(420) }, next_page_token: null }) });
    const run = await runBacktest({ botId: parseBotId('stocks'), botsDir, fleetConfig: loadFleetConfig(null), market: { kind: 'data', path } });
    expect(run.report.source).toEqual({ kind: 'data', files: [join(path, 'bars-1m.json')] });
    // An entry decided on the session's last candle comes after the close: denied MARKET_CLOSED, and nothing else is.
    expect(Object.keys(run.report.decisions.denials).filter((reason) => reason !== 'MARKET_CLOSED')).toEqual([]);
    expect(run.report.summary.trades).toBeGreaterThan(0);
    expect(run.report.botCodeErrors.count).toBe(0);
    expect(run.result.fills.every((fill) => sessionOnDate(new Date(fill.at).toISOString().slice(0, 10)) !== null)).toBe(true);
  });
});
