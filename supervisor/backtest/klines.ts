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

export type KlineFormat = 'binance-csv' | 'bybit-csv' | 'binance-json' | 'bybit-json';

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

function kline(file: string, row: string, values: readonly unknown[]): RawKline {
  if (values.length < 6) throw new DataError(file, row, `expected at least 6 fields (open time, open, high, low, close, volume), got ${values.length}`);
  return {
    row,
    openTime: timestamp(file, row, values[0]),
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
  time: ['opentime', 'starttime', 'start', 'timestamp', 'time', 'date'],
  open: ['open', 'openprice'],
  high: ['high', 'highprice'],
  low: ['low', 'lowprice'],
  close: ['close', 'closeprice'],
  volume: ['volume', 'vol'],
};

function columnsFromHeader(file: string, header: readonly string[]): number[] {
  const names = header.map((cell) => cell.toLowerCase().replace(/[^a-z]/g, ''));
  return (Object.keys(HEADER_NAMES) as Array<keyof typeof HEADER_NAMES>).map((field) => {
    const index = names.findIndex((name) => HEADER_NAMES[field].includes(name));
    if (index < 0) throw new DataError(file, 'line 1', `the header has no ${field} column (it has: ${header.join(', ')})`);
    return index;
  });
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
