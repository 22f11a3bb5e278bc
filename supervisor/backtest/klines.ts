import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';

/** Data that cannot be backtested on; names the file, the row and the problem, so the owner can fix the file. */
export class DataError extends InvalidInputError {
  override name = 'DataError';
  readonly file: string;
  readonly row: string | null;
  readonly problem: string;

  constructor(file: string, row: string | null, problem: string) {
    super(`${file}${row === null ? '' : `: ${row}`}: ${problem}`);
    this.file = file;
    this.row = row;
    this.problem = problem;
  }
}

export type KlineFormat = 'binance-csv' | 'bybit-csv' | 'bar-csv' | 'binance-json' | 'bybit-json' | 'alpaca-json';

/** One kline as read: where it was in the file, and its values. */
export interface RawKline {
  /** "line 12" for CSV, "list[3]" for JSON: what a person looks for in the file. */
  row: string;
  openTime: number;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
}

export interface ParsedKlines {
  format: KlineFormat;
  /** Oldest first: newest-first exports (Bybit) are reversed. */
  rows: RawKline[];
}

/**
 * A data file's series: one per symbol when the file names its symbols (Alpaca's bar JSON, a CSV with a symbol
 * column), else one whose symbol is null: the file is the one instrument its name says.
 */
export interface ParsedBarFile {
  format: KlineFormat;
  series: Array<{ symbol: string | null; rows: RawKline[] }>;
  /** What a person should know about the file as read (one page of several), one line each. */
  notes: string[];
}

const INTEGER = /^\d+$/;
/** Timestamps in ms run from 1e11 (1973) to 1e14 (5138); Binance's spot files from 2025 on carry microseconds. */
const MICROSECONDS_FROM = 1e14;
const MILLISECONDS_FROM = 1e11;

function timestamp(file: string, row: string, value: unknown): number {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!INTEGER.test(text)) throw new DataError(file, row, `open time must be an integer timestamp, got ${JSON.stringify(value)}`);
  const number = Number(text);
  if (!Number.isSafeInteger(number)) throw new DataError(file, row, `open time ${text} is too large`);
  if (number >= MICROSECONDS_FROM) {
    if (number % 1000 !== 0) throw new DataError(file, row, `open time ${text} (microseconds) is not a whole millisecond`);
    return number / 1000;
  }
  return number >= MILLISECONDS_FROM ? number : number * 1000;
}

/** An ISO 8601 date, or date and time with its zone: 2024-01-02, 2024-01-02T14:30:00Z, 2024-01-02 09:30:00-05:00. */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * An open time as bar exports write it: an integer timestamp (seconds, ms or µs, as above) or ISO 8601 text with
 * its zone; a date alone is that date's UTC midnight (a daily bar's date). A time without a zone is refused: which
 * one it means cannot be told.
 */
function barTimestamp(file: string, row: string, value: unknown): number {
  if (typeof value === 'number' || (typeof value === 'string' && INTEGER.test(value.trim()))) return timestamp(file, row, value);
  const text = typeof value === 'string' ? value.trim() : '';
  const match = ISO_TIME.exec(text);
  if (match === null) throw new DataError(file, row, `open time must be an integer timestamp or an ISO 8601 time with its zone (2024-01-02T14:30:00Z), got ${JSON.stringify(value)}`);
  const [, date, time, zone] = match;
  if (time !== undefined && zone === undefined) throw new DataError(file, row, `open time ${JSON.stringify(text)} has no time zone; add Z or an offset such as -05:00`);
  const offset = zone === undefined || zone === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${date}T${time ?? '00:00'}${offset}`);
  if (!Number.isFinite(ms)) throw new DataError(file, row, `open time ${JSON.stringify(text)} is not a valid time`);
  if (!Number.isSafeInteger(ms) || ms % 1 !== 0) throw new DataError(file, row, `open time ${JSON.stringify(text)} is not a whole millisecond`);
  return ms;
}

function decimal(file: string, row: string, field: string, value: unknown): Decimal {
  // A JSON number has already been read as a double; its shortest text is what the export meant.
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined) throw new DataError(file, row, `${field} must be a decimal, got ${JSON.stringify(value)}`);
  try {
    return Decimal.parse(text, field);
  } catch (error) {
    throw new DataError(file, row, (error as Error).message);
  }
}

function kline(file: string, row: string, values: readonly unknown[], time: typeof timestamp = timestamp): RawKline {
  if (values.length < 6) throw new DataError(file, row, `expected at least 6 fields (open time, open, high, low, close, volume), got ${values.length}`);
  return {
    row,
    openTime: time(file, row, values[0]),
    open: decimal(file, row, 'open', values[1]),
    high: decimal(file, row, 'high', values[2]),
    low: decimal(file, row, 'low', values[3]),
    close: decimal(file, row, 'close', values[4]),
    volume: decimal(file, row, 'volume', values[5]),
  };
}

/** Exports list newest first (Bybit) or oldest first (Binance); order is what validation then checks. */
function oldestFirst(rows: RawKline[]): RawKline[] {
  const first = rows[0];
  const last = rows[rows.length - 1];
  return first !== undefined && last !== undefined && first.openTime > last.openTime ? rows.reverse() : rows;
}

const HEADER_NAMES: Record<'time' | 'open' | 'high' | 'low' | 'close' | 'volume', readonly string[]> = {
  // Alpaca's bars name their fields t, o, h, l, c, v; CSV exports of them often keep the letters.
  time: ['opentime', 'starttime', 'start', 'timestamp', 'time', 'date', 't'],
  open: ['open', 'openprice', 'o'],
  high: ['high', 'highprice', 'h'],
  low: ['low', 'lowprice', 'l'],
  close: ['close', 'closeprice', 'c'],
  volume: ['volume', 'vol', 'v'],
};
/** A column that names each row's symbol: the file then holds several instruments' bars. */
const SYMBOL_NAMES = ['symbol', 'ticker'];

const headerName = (cell: string): string => cell.toLowerCase().replace(/[^a-z]/g, '');

function columnsFromHeader(file: string, header: readonly string[]): number[] {
  const names = header.map(headerName);
  return (Object.keys(HEADER_NAMES) as Array<keyof typeof HEADER_NAMES>).map((field) => {
    const index = names.findIndex((name) => HEADER_NAMES[field].includes(name));
    if (index < 0) throw new DataError(file, 'line 1', `the header has no ${field} column (it has: ${header.join(', ')})`);
    return index;
  });
}

/** Whether a CSV's first line names a symbol column: such a file holds bars of the symbols in it, whatever its name. */
export function csvHasSymbolColumn(firstLine: string): boolean {
  return firstLine.split(',').some((cell) => SYMBOL_NAMES.includes(headerName(cell.trim().replace(/^"(.*)"$/, '$1'))));
}

/**
 * A CSV of bars: a header naming timestamp, open, high, low, close and volume (any order, other columns ignored;
 * times as integers or ISO 8601 with zone), and optionally a symbol column whose rows are split by symbol. Without
 * a header, by position as parseKlineCsv reads it.
 */
export function parseBarCsv(file: string, text: string): ParsedBarFile {
  const lines = text.split(/\r?\n/);
  const first = lines.findIndex((line) => line.trim() !== '');
  if (first < 0) throw new DataError(file, null, 'no klines in the file');
  const split = (line: string): string[] => line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
  const header = split(lines[first] as string);
  const headerLess = INTEGER.test(header[0] ?? '') || ISO_TIME.test(header[0] ?? '');
  const columns = headerLess ? [0, 1, 2, 3, 4, 5] : columnsFromHeader(file, header);
  const symbolColumn = headerLess ? -1 : header.map(headerName).findIndex((name) => SYMBOL_NAMES.includes(name));
  // Integer times and no symbol: a Binance or Bybit kline export, read exactly as before.
  const firstRow = headerLess ? header : split(lines.slice(first + 1).find((line) => line.trim() !== '') ?? '');
  if (symbolColumn < 0 && INTEGER.test(firstRow[columns[0] as number] ?? '')) {
    const parsed = parseKlineCsv(file, text);
    return { format: parsed.format, series: [{ symbol: null, rows: parsed.rows }], notes: [] };
  }
  const bySymbol = new Map<string | null, RawKline[]>();
  for (let index = headerLess ? first : first + 1; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    const row = `line ${index + 1}`;
    const cells = split(line);
    const picked = columns.map((column) => cells[column]);
    if (picked.some((cell) => cell === undefined || cell === '')) throw new DataError(file, row, `expected open time, open, high, low, close and volume, got ${JSON.stringify(line)}`);
    let symbol: string | null = null;
    if (symbolColumn >= 0) {
      symbol = (cells[symbolColumn] ?? '').toUpperCase();
      if (!/^[A-Z0-9.]+$/.test(symbol)) throw new DataError(file, row, `the symbol must be letters and digits, got ${JSON.stringify(cells[symbolColumn] ?? '')}`);
    }
    const rows = bySymbol.get(symbol) ?? [];
    rows.push(kline(file, row, picked, barTimestamp));
    bySymbol.set(symbol, rows);
  }
  if (bySymbol.size === 0) throw new DataError(file, null, 'no klines in the file');
  return { format: 'bar-csv', series: [...bySymbol].map(([symbol, rows]) => ({ symbol, rows: oldestFirst(rows) })), notes: [] };
}

/** Alpaca's bar: t (RFC 3339), o, h, l, c, v; n (trades) and vw (volume-weighted price) are read past. */
function alpacaBar(file: string, row: string, entry: unknown): RawKline {
  if (!isRecord(entry)) throw new DataError(file, row, `expected a bar { t, o, h, l, c, v }, got ${JSON.stringify(entry)}`);
  for (const field of ['t', 'o', 'h', 'l', 'c', 'v']) {
    if (entry[field] === undefined || entry[field] === null) throw new DataError(file, row, `the bar has no ${field} (expected t, o, h, l, c, v)`);
  }
  return kline(file, row, [entry['t'], entry['o'], entry['h'], entry['l'], entry['c'], entry['v']], barTimestamp);
}

/**
 * Alpaca's stock bars as /v2/stocks/bars returns them, `{ bars: { SYM: [bar, ...] }, next_page_token }`, or as
 * /v2/stocks/{symbol}/bars does, `{ bars: [bar, ...], symbol, next_page_token }`. A next_page_token means the file
 * is one page of several: the other pages may be saved as more files of the same name and timeframe.
 */
function parseAlpacaBars(file: string, parsed: Record<string, unknown>): ParsedBarFile {
  const bars = parsed['bars'];
  const notes: string[] = [];
  const token = parsed['next_page_token'];
  if (typeof token === 'string' && token !== '') notes.push(`next_page_token is set: the file is one page of Alpaca's reply, and bars after its last are not in it`);
  const read = (list: unknown, at: string): RawKline[] => {
    if (list === null) return [];
    if (!Array.isArray(list)) throw new DataError(file, at, `expected an array of bars, got ${JSON.stringify(list)}`);
    return oldestFirst(list.map((entry: unknown, index) => alpacaBar(file, `${at}[${index}]`, entry)));
  };
  if (Array.isArray(bars) || bars === null) {
    const symbol = parsed['symbol'];
    if (typeof symbol !== 'string' || symbol === '') throw new DataError(file, null, 'a single-symbol Alpaca reply { bars: [...] } must name its symbol');
    const rows = read(bars, 'bars');
    if (rows.length === 0) throw new DataError(file, null, `no bars of ${symbol} in the file`);
    return { format: 'alpaca-json', series: [{ symbol: symbol.toUpperCase(), rows }], notes };
  }
  if (!isRecord(bars)) throw new DataError(file, null, 'expected Alpaca bars { bars: { SYMBOL: [...] } } or { bars: [...], symbol }');
  const series = Object.entries(bars).map(([symbol, list]) => ({ symbol: symbol.toUpperCase(), rows: read(list, `bars.${symbol}`) })).filter((one) => one.rows.length > 0);
  if (series.length === 0) throw new DataError(file, null, 'no bars in the file');
  return { format: 'alpaca-json', series, notes };
}

/** Whether JSON text may be Alpaca's bars, which name their symbols: such a file is read whatever its name. */
export function mayBeAlpacaBars(text: string): boolean {
  return /^\s*\{[\s\S]*"bars"\s*:/.test(text.slice(0, 4096));
}

/**
 * Binance kline CSV (open time, open, high, low, close, volume, close time, … — 12 columns, with or without a
 * header) and Bybit kline CSV (start time, open, high, low, close, volume, turnover — 7 columns). With a header
 * the columns are found by name; without, by position.
 */
export function parseKlineCsv(file: string, text: string): ParsedKlines {
  const lines = text.split(/\r?\n/);
  const rows: RawKline[] = [];
  let columns: number[] | null = null;
  let width = 0;
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    const cells = line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
    if (rows.length === 0 && columns === null && !INTEGER.test(cells[0] ?? '')) {
      columns = columnsFromHeader(file, cells);
      continue;
    }
    width = Math.max(width, cells.length);
    const picked = columns === null ? cells : columns.map((column) => cells[column]);
    if (picked.some((cell) => cell === undefined || cell === '')) throw new DataError(file, `line ${index + 1}`, `expected open time, open, high, low, close and volume, got ${JSON.stringify(line)}`);
    rows.push(kline(file, `line ${index + 1}`, picked));
  }
  if (rows.length === 0) throw new DataError(file, null, 'no klines in the file');
  return { format: width >= 11 ? 'binance-csv' : 'bybit-csv', rows: oldestFirst(rows) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Binance klines JSON (/api/v3/klines: an array of 12-element arrays), and Bybit V5 kline JSON: the
 * /v5/market/kline envelope `{ retCode, result: { list } }` or its bare list of 7-element arrays, newest first.
 */
export function parseKlineJson(file: string, text: string): ParsedKlines {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DataError(file, null, `not valid JSON: ${(error as Error).message}`);
  }
  return klinesFromJson(file, parsed);
}

function klinesFromJson(file: string, parsed: unknown): ParsedKlines {
  let list: unknown = parsed;
  let envelope = false;
  if (isRecord(parsed)) {
    if (parsed['retCode'] !== undefined && parsed['retCode'] !== 0) {
      throw new DataError(file, null, `the export is an error reply (retCode ${String(parsed['retCode'])}: ${String(parsed['retMsg'] ?? '')})`);
    }
    const result = parsed['result'];
    if (!isRecord(result) || !Array.isArray(result['list'])) throw new DataError(file, null, 'expected an array of klines or a Bybit envelope { retCode, result: { list: [...] } }');
    list = result['list'];
    envelope = true;
  }
  if (!Array.isArray(list)) throw new DataError(file, null, 'expected an array of klines or a Bybit envelope { retCode, result: { list: [...] } }');
  if (list.length === 0) throw new DataError(file, null, 'no klines in the file');
  let width = 0;
  const rows = list.map((entry: unknown, index) => {
    const row = `${envelope ? 'result.list' : 'list'}[${index}]`;
    if (!Array.isArray(entry)) throw new DataError(file, row, `expected an array [openTime, open, high, low, close, volume, ...], got ${JSON.stringify(entry)}`);
    width = Math.max(width, entry.length);
    return kline(file, row, entry);
  });
  return { format: envelope || width < 11 ? 'bybit-json' : 'binance-json', rows: oldestFirst(rows) };
}

export function parseKlines(file: string, text: string): ParsedKlines {
  return file.toLowerCase().endsWith('.json') ? parseKlineJson(file, text) : parseKlineCsv(file, text);
}

/** Any data file the backtester reads: kline exports of one instrument, Alpaca's bar JSON, bar CSVs. */
export function parseBarFile(file: string, text: string): ParsedBarFile {
  if (!file.toLowerCase().endsWith('.json')) return parseBarCsv(file, text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DataError(file, null, `not valid JSON: ${(error as Error).message}`);
  }
  if (isRecord(parsed) && Object.hasOwn(parsed, 'bars')) return parseAlpacaBars(file, parsed);
  const klines = klinesFromJson(file, parsed);
  return { format: klines.format, series: [{ symbol: null, rows: klines.rows }], notes: [] };
}
