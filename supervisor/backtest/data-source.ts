import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { instrumentSymbol } from '../../core/ids.ts';
import { TIMEFRAME_MS, TIMEFRAMES } from '../../core/strategy.ts';
import type { Timeframe, TimeframeCandle } from '../../core/strategy.ts';
import { aggregate, ArrayFeed, lowestTimeframe, mergeStreams } from './candle-feed.ts';
import { checkCoverage, checkOverlap, checkSeries, DEFAULT_MAX_MISSING, runSpan, sessionDailyRows } from './data-check.ts';
import { sessionOnDate } from '../../core/us-equity-calendar.ts';
import { csvHasSymbolColumn, DataError, mayBeAlpacaBars, parseBarFile } from './klines.ts';
import type { KlineFormat, RawKline } from './klines.ts';

/**
 * `<SYMBOL>-<timeframe>[-anything].csv|json`, e.g. BTCUSDT-5m.csv or Binance's monthly BTCUSDT-5m-2024-01.csv;
 * several files of one symbol and timeframe are read as one series. A file that names its symbols (Alpaca's bar
 * JSON, a CSV with a symbol column) holds those symbols whatever its name: `bars-1m.json` gives only the timeframe.
 */
export const DATA_FILE_PATTERN = /^([A-Za-z0-9]+)[-_](1m|5m|15m|1h|4h|1d)(?:[-_.][^/\\]*)?\.(csv|json)$/;

export interface DataFile {
  path: string;
  symbol: string;
  timeframe: Timeframe;
}

export interface LoadDataOptions {
  /** A file or a folder of files named by DATA_FILE_PATTERN. */
  path: string;
  instruments: readonly InstrumentId[];
  timeframes: readonly Timeframe[];
  /** Candles opening before this are left out. */
  fromMs?: number;
  /** Candles closing after this are left out. */
  toMs?: number;
  /** The share of a stream's candles in the run's period that may be missing, from 0 up to (not including) 1; default DEFAULT_MAX_MISSING. */
  maxMissing?: number;
  /** Each instrument's tick, from the catalog: prices below one tick or off it are refused unless `allowOffTick`. */
  tickSizes?: ReadonlyMap<InstrumentId, Decimal>;
  allowOffTick?: boolean;
  /** Instruments that trade only in the US equity session (the catalog's equities): closed hours are neither gaps nor missing. */
  sessionInstruments?: ReadonlySet<InstrumentId>;
}

export interface LoadedData {
  feed: ArrayFeed;
  baseTimeframes: Map<InstrumentId, Timeframe>;
  /** The files read, in the order read. */
  files: string[];
  /** What was found and done, one line each, for people. */
  findings: string[];
  /** The earliest first open and the latest last close of the instruments' data, ms. */
  span: { startMs: number; endMs: number };
}

function dataFile(path: string): DataFile | null {
  const match = DATA_FILE_PATTERN.exec(basename(path));
  if (match === null) return null;
  return { path, symbol: (match[1] as string).toUpperCase(), timeframe: match[2] as Timeframe };
}

/** The data files at `path`; a file that does not follow the naming convention is an error when named alone. */
export function findDataFiles(path: string): { files: DataFile[]; skipped: string[] } {
  if (!existsSync(path)) throw new InvalidInputError(`--data ${path} does not exist`);
  if (!statSync(path).isDirectory()) {
    const file = dataFile(path);
    if (file === null) throw new DataError(path, null, 'the file name must be <SYMBOL>-<timeframe>.csv or .json (e.g. BTCUSDT-5m.csv), so the instrument and timeframe are known');
    return { files: [file], skipped: [] };
  }
  const files: DataFile[] = [];
  const skipped: string[] = [];
  for (const name of readdirSync(path).sort()) {
    const full = join(path, name);
    if (statSync(full).isDirectory()) continue;
    const file = dataFile(full);
    if (file === null) skipped.push(name);
    else files.push(file);
  }
  return { files, skipped };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** One instrument's base candles, checked, before the instruments are compared with each other. */
interface Series {
  instrumentId: InstrumentId;
  base: Timeframe;
  /** The file, or the files, as errors name them. */
  label: string;
  rows: RawKline[];
  startMs: number;
  endMs: number;
}

function toCandle(instrumentId: InstrumentId, timeframe: Timeframe, row: RawKline, followsSession: boolean): TimeframeCandle {
  if (followsSession && timeframe === '1d') {
    // Checked (sessionDailyRows): the row stands at UTC midnight of a session date; the candle is that session.
    const session = sessionOnDate(new Date(row.openTime).toISOString().slice(0, 10));
    if (session !== null) return { instrumentId, timeframe, openTime: session.open, durationMs: session.close - session.open, open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume };
  }
  return { instrumentId, timeframe, openTime: row.openTime, durationMs: TIMEFRAME_MS[timeframe], open: row.open, high: row.high, low: row.low, close: row.close, volume: row.volume };
}

/** One symbol's bars from one file, as read. */
interface FileSeries {
  path: string;
  /** The file as errors name it: its path, and the symbol when the file holds several. */
  label: string;
  timeframe: Timeframe;
  format: KlineFormat;
  rows: RawKline[];
}

/**
 * Reads the data files: each one whose name is a symbol the bot trades, and each one that may name its symbols in
 * its content (JSON with "bars", a CSV with a symbol column); any other is skipped, as before, without being read.
 */
function readSeries(files: readonly DataFile[], wanted: ReadonlyMap<string, InstrumentId>, findings: string[]): Map<InstrumentId, FileSeries[]> {
  const byInstrument = new Map<InstrumentId, FileSeries[]>();
  for (const file of files) {
    const text = readFileSync(file.path, 'utf8');
    const json = file.path.toLowerCase().endsWith('.json');
    const namesSymbols = json ? mayBeAlpacaBars(text) : csvHasSymbolColumn(text.slice(0, Math.max(0, text.indexOf('\n')) || text.length));
    if (!wanted.has(file.symbol) && !namesSymbols) {
      findings.push(`${basename(file.path)}: skipped, the bot does not trade ${file.symbol}`);
      continue;
    }
    const parsed = parseBarFile(file.path, text);
    for (const note of parsed.notes) findings.push(`${basename(file.path)}: ${note}`);
    const several = parsed.series.length > 1 || parsed.series.some((one) => one.symbol !== null);
    for (const { symbol, rows } of parsed.series) {
      const name = symbol ?? file.symbol;
      const instrumentId = wanted.get(name);
      if (instrumentId === undefined) {
        findings.push(several ? `${basename(file.path)}: ${name} skipped, the bot does not trade it` : `${basename(file.path)}: skipped, the bot does not trade ${name}`);
        continue;
      }
      const label = several ? `${file.path} (${name})` : file.path;
      byInstrument.set(instrumentId, [...(byInstrument.get(instrumentId) ?? []), { path: file.path, label, timeframe: file.timeframe, format: parsed.format, rows }]);
    }
  }
  return byInstrument;
}

/**
 * Reads kline exports for every instrument the bot trades. Per instrument the finest timeframe in the data is the
 * base: the paper venue matches against it and every timeframe the bot uses is aggregated from it, so one price
 * path is never seen twice. Files of coarser timeframes for the same instrument are left out, and said so.
 * Instruments whose data share no moment, and an instrument missing more than `maxMissing` of the run's candles,
 * are refused.
 */
export function loadData(options: LoadDataOptions): LoadedData {
  const maxMissing = options.maxMissing ?? DEFAULT_MAX_MISSING;
  if (!(maxMissing >= 0 && maxMissing < 1)) throw new InvalidInputError(`the share of candles that may be missing must be at least 0 and below 1; got ${maxMissing}`);
  const { files, skipped } = findDataFiles(options.path);
  const findings: string[] = skipped.map((name) => `${name}: skipped, not named <SYMBOL>-<timeframe>.csv|json`);
  const wanted = new Map(options.instruments.map((id) => [instrumentSymbol(id).toUpperCase(), id]));
  const botLowest = lowestTimeframe(options.timeframes);
  const byInstrument = readSeries(files, wanted, findings);

  const missing = options.instruments.filter((id) => (byInstrument.get(id) ?? []).length === 0);
  if (missing.length > 0) {
    const have = options.instruments.filter((id) => !missing.includes(id));
    const files = missing.map((id) => `${instrumentSymbol(id)}-<timeframe>.csv`).join(', ');
    const subset = have.length === 0 ? '' : `, or backtest on the instruments there is data for with --instruments ${have.join(',')}`;
    throw new DataError(options.path, null, `no data for ${missing.length} of the bot's ${options.instruments.length} instruments: ${missing.join(', ')}; expected files named ${files} (or .json)${subset}`);
  }

  const series: Series[] = [];
  const read: string[] = [];
  for (const instrumentId of options.instruments) {
    const available = byInstrument.get(instrumentId) ?? [];
    const base = lowestTimeframe(available.map((file) => file.timeframe));
    if (TIMEFRAME_MS[base] > TIMEFRAME_MS[botLowest]) {
      throw new DataError(options.path, null, `${instrumentId}: the bot uses ${botLowest} candles but the finest data is ${base}; candles cannot be split into smaller ones`);
    }
    const baseFiles = available.filter((file) => file.timeframe === base);
    for (const file of available) {
      if (file.timeframe !== base) findings.push(`${basename(file.label)}: skipped, ${file.timeframe} is built from the ${base} candles so the venue and the strategy see one price path`);
    }
    const rows: RawKline[] = [];
    const formats = new Set<KlineFormat>();
    for (const file of baseFiles) {
      formats.add(file.format);
      for (const row of file.rows) rows.push(baseFiles.length > 1 ? { ...row, row: `${basename(file.path)} ${row.row}` } : row);
      if (!read.includes(file.path)) read.push(file.path);
    }
    const ms = TIMEFRAME_MS[base];
    const followsSession = options.sessionInstruments?.has(instrumentId) === true;
    // An equity's daily bars stand for their sessions' dates before the period is cut (Alpaca's open at 04:00Z/05:00Z).
    const label = baseFiles.length === 1 ? (baseFiles[0] as FileSeries).label : `${instrumentSymbol(instrumentId)}-${base} (${baseFiles.length} files)`;
    const onDates = followsSession && base === '1d' ? sessionDailyRows(label, rows) : rows;
    const inPeriod = onDates.filter((row) => (options.fromMs === undefined || row.openTime >= options.fromMs) && (options.toMs === undefined || row.openTime + ms <= options.toMs));
    const tickSize = options.tickSizes?.get(instrumentId);
    const checked = checkSeries(label, base, inPeriod, { tickSize, allowOffTick: options.allowOffTick === true, followsSession });
    const startMs = (checked.rows[0] as RawKline).openTime;
    const endMs = (checked.rows[checked.rows.length - 1] as RawKline).openTime + ms;
    findings.push(`${basename(label)} (${[...formats].join(', ')}): ${checked.rows.length} ${base} candles from ${iso(startMs)} to ${iso(endMs)}`);
    for (const finding of checked.findings) findings.push(`${basename(label)}: ${finding.detail}`);
    series.push({ instrumentId, base, label, rows: checked.rows, startMs, endMs });
  }

  checkOverlap(options.path, series.map((one) => ({ name: `${one.instrumentId} (${basename(one.label)})`, startMs: one.startMs, endMs: one.endMs })));
  const span = runSpan(series);
  // The period asked for, where one was: a year asked of a month's files is mostly missing, and is refused as such.
  const period = { startMs: options.fromMs ?? span.startMs, endMs: options.toMs ?? span.endMs };
  const streams: TimeframeCandle[][] = [];
  const baseTimeframes = new Map<InstrumentId, Timeframe>();
  for (const { instrumentId, base, label, rows } of series) {
    const followsSession = options.sessionInstruments?.has(instrumentId) === true;
    const missing = checkCoverage(label, base, rows, period, maxMissing, followsSession);
    if (missing !== null) findings.push(`${basename(label)}: ${missing.detail}`);
    const candles = rows.map((row) => toCandle(instrumentId, base, row, followsSession));
    baseTimeframes.set(instrumentId, base);
    streams.push(candles);
    for (const timeframe of TIMEFRAMES) {
      if (timeframe !== base && options.timeframes.includes(timeframe)) streams.push(aggregate(candles, timeframe, followsSession));
    }
  }
  return { feed: new ArrayFeed(mergeStreams(streams, options.instruments)), baseTimeframes, files: read, findings, span };
}
