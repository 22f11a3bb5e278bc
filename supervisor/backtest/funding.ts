import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { FundingId, InstrumentId } from '../../core/ids.ts';
import { instrumentSymbol, parseFundingId } from '../../core/ids.ts';
import { DataError } from './klines.ts';

/**
 * Perpetual funding for a backtest: the rates at each funding time per instrument, from a venue's export or a
 * constant, and the payment a position held at that time makes or receives. Payments are booked in the ledger as
 * funding entries (ledger/types.ts FundingPayment), never as fills.
 */

const HOUR_MS = 3_600_000;
/** Binance and Bybit fund most USDT perpetuals every 8 hours, at 00:00, 08:00 and 16:00 UTC. */
export const DEFAULT_FUNDING_INTERVAL_HOURS = 8;
/** Funding is booked to 1e-8 of the quote currency, as Bybit and Binance book it. */
export const FUNDING_AMOUNT_STEP = Decimal.parse('0.00000001');

/** One funding time of one instrument. */
export interface FundingEvent {
  instrumentId: InstrumentId;
  at: number;
  /** Positive: longs pay shorts. */
  rate: Decimal;
  /** The venue's mark price at the funding time when the export has it; else the run's last price is used. */
  markPrice: Decimal | null;
}

/** Where a run's funding comes from. */
export type FundingChoice =
  | { kind: 'none' }
  | { kind: 'constant'; rate: Decimal; intervalHours: number }
  | { kind: 'file'; path: string };

export interface FundingSchedule {
  /** Every funding time of every perpetual the run trades, by time, then by the manifest's instrument order. */
  events: FundingEvent[];
  /** What the report says about the source, one line. */
  description: string;
  findings: string[];
}

/**
 * The payment a position makes or receives at a funding time: −quantity × mark × rate, on the amount step, so a
 * long pays a positive rate and a short receives it.
 */
export function fundingAmount(positionQuantity: Decimal, markPrice: Decimal, rate: Decimal): Decimal {
  return positionQuantity.mul(markPrice).mul(rate).neg().quantize(FUNDING_AMOUNT_STEP, 'half-even');
}

/** The ledger id of a backtest's funding payment: one per instrument and funding time. */
export function backtestFundingId(instrumentId: InstrumentId, at: number): FundingId {
  return parseFundingId(`bt-${instrumentSymbol(instrumentId)}-${at}`);
}

/** A rate no venue would charge: a funding rate is a small fraction, never 100% or more of the position. */
function rateProblem(rate: Decimal): string | null {
  return rate.abs().gte(Decimal.ONE) ? `funding rate ${rate.toString()} is not a fraction of the position below 1 (0.0001 is 0.01%)` : null;
}

/** Every funding time of the given instruments in [startMs, endMs], at one constant rate. */
export function constantSchedule(instruments: readonly InstrumentId[], rate: Decimal, intervalHours: number, startMs: number, endMs: number): FundingSchedule {
  if (!(Number.isInteger(intervalHours) && intervalHours > 0 && 24 % intervalHours === 0)) {
    throw new InvalidInputError(`the funding interval must be a whole number of hours that divides a day (1, 2, 3, 4, 6, 8, 12 or 24); got ${intervalHours}`);
  }
  const problem = rateProblem(rate);
  if (problem !== null) throw new InvalidInputError(`the constant ${problem}`);
  const step = intervalHours * HOUR_MS;
  const events: FundingEvent[] = [];
  for (let at = Math.ceil(startMs / step) * step; at <= endMs; at += step) {
    for (const instrumentId of instruments) events.push({ instrumentId, at, rate, markPrice: null });
  }
  return {
    events,
    description: `constant rate ${rate.toString()} every ${intervalHours} h (from 00:00 UTC) on ${instruments.length === 0 ? 'no instrument' : instruments.join(', ')}`,
    findings: [],
  };
}

/** A funding export's rows, read. */
export interface FundingRow {
  row: string;
  symbol: string | null;
  at: number;
  rate: Decimal;
  markPrice: Decimal | null;
}

export type FundingFormat = 'binance-json' | 'binance-csv' | 'bybit-json' | 'funding-csv';

/** `<SYMBOL>-funding...`, e.g. Binance's monthly BTCUSDT-fundingRate-2024-01.csv. */
export const FUNDING_FILE_PATTERN = /^([A-Za-z0-9]+)[-_]funding[^/\\]*\.(csv|json)$/i;

const MICROSECONDS_FROM = 1e14;
const MILLISECONDS_FROM = 1e11;

function timestamp(file: string, row: string, value: unknown): number {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    if (!Number.isSafeInteger(number)) throw new DataError(file, row, `funding time ${text} is too large`);
    if (number >= MICROSECONDS_FROM) return Math.floor(number / 1000);
    return number >= MILLISECONDS_FROM ? number : number * 1000;
  }
  // Some exports write the time as a date: ISO 8601, UTC unless it says otherwise.
  const iso = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(text) ? Date.parse(/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`) : Number.NaN;
  if (!Number.isFinite(iso)) throw new DataError(file, row, `funding time must be a timestamp in ms or an ISO 8601 date, got ${JSON.stringify(value)}`);
  return iso;
}

function decimal(file: string, row: string, field: string, value: unknown): Decimal {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined || text === '') throw new DataError(file, row, `${field} must be a decimal, got ${JSON.stringify(value)}`);
  try {
    return Decimal.parse(text, field);
  } catch (error) {
    throw new DataError(file, row, (error as Error).message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const normalize = (name: string): string => name.toLowerCase().replace(/[^a-z]/g, '');
const TIME_FIELDS = ['fundingtime', 'fundingratetimestamp', 'calctime', 'timestamp', 'time'];
const RATE_FIELDS = ['fundingrate', 'lastfundingrate', 'rate'];
const MARK_FIELDS = ['markprice'];
const SYMBOL_FIELDS = ['symbol', 'contracts', 'contract'];

function pick(entry: Record<string, unknown>, names: readonly string[]): unknown {
  for (const [key, value] of Object.entries(entry)) if (names.includes(normalize(key))) return value;
  return undefined;
}

function rowFromRecord(file: string, row: string, entry: Record<string, unknown>): FundingRow {
  const time = pick(entry, TIME_FIELDS);
  const rate = pick(entry, RATE_FIELDS);
  if (time === undefined || rate === undefined) throw new DataError(file, row, `expected a funding time and a funding rate (fundingTime/fundingRateTimestamp/calc_time and fundingRate/last_funding_rate), got ${JSON.stringify(entry)}`);
  const mark = pick(entry, MARK_FIELDS);
  const symbol = pick(entry, SYMBOL_FIELDS);
  const at = timestamp(file, row, time);
  const markPrice = mark === undefined || mark === '' ? null : decimal(file, row, 'markPrice', mark);
  if (markPrice !== null && !markPrice.isPositive()) throw new DataError(file, row, `mark price must be positive, got ${markPrice.toString()}`);
  const value = decimal(file, row, 'fundingRate', rate);
  const problem = rateProblem(value);
  if (problem !== null) throw new DataError(file, row, problem);
  return { row, symbol: typeof symbol === 'string' && symbol.trim() !== '' ? symbol.trim().toUpperCase() : null, at, rate: value, markPrice };
}

/**
 * Binance `/fapi/v1/fundingRate` JSON (an array of `{ symbol, fundingTime, fundingRate, markPrice }`) and Bybit
 * `/v5/market/funding/history` JSON (`{ retCode, result: { list: [{ symbol, fundingRate, fundingRateTimestamp }] } }`,
 * newest first, or the bare list).
 */
export function parseFundingJson(file: string, text: string): { format: FundingFormat; rows: FundingRow[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DataError(file, null, `not valid JSON: ${(error as Error).message}`);
  }
  let list: unknown = parsed;
  let envelope = false;
  if (isRecord(parsed)) {
    if (parsed['retCode'] !== undefined && parsed['retCode'] !== 0) throw new DataError(file, null, `the export is an error reply (retCode ${String(parsed['retCode'])}: ${String(parsed['retMsg'] ?? '')})`);
    const result = parsed['result'];
    if (!isRecord(result) || !Array.isArray(result['list'])) throw new DataError(file, null, 'expected an array of funding rates or a Bybit envelope { retCode, result: { list: [...] } }');
    list = result['list'];
    envelope = true;
  }
  if (!Array.isArray(list)) throw new DataError(file, null, 'expected an array of funding rates or a Bybit envelope { retCode, result: { list: [...] } }');
  if (list.length === 0) throw new DataError(file, null, 'no funding rates in the file');
  let bybit = envelope;
  const rows = list.map((entry: unknown, index) => {
    const row = `${envelope ? 'result.list' : 'list'}[${index}]`;
    if (!isRecord(entry)) throw new DataError(file, row, `expected an object with a funding time and rate, got ${JSON.stringify(entry)}`);
    if ('fundingRateTimestamp' in entry) bybit = true;
    return rowFromRecord(file, row, entry);
  });
  return { format: bybit ? 'bybit-json' : 'binance-json', rows };
}

/**
 * A CSV with a header naming its columns: Binance's data.binance.vision files (`calc_time,funding_interval_hours,
 * last_funding_rate`), or the API's fields as columns (`symbol,fundingTime,fundingRate,markPrice`, Bybit's
 * `symbol,fundingRate,fundingRateTimestamp`).
 */
export function parseFundingCsv(file: string, text: string): { format: FundingFormat; rows: FundingRow[] } {
  const lines = text.split(/\r?\n/);
  let header: string[] | null = null;
  const rows: FundingRow[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = (lines[index] as string).trim();
    if (line === '') continue;
    const cells = line.split(',').map((cell) => cell.trim().replace(/^"(.*)"$/, '$1'));
    if (header === null) {
      header = cells;
      const names = header.map(normalize);
      if (!names.some((name) => TIME_FIELDS.includes(name)) || !names.some((name) => RATE_FIELDS.includes(name))) {
        throw new DataError(file, 'line 1', `expected a header naming a funding time and a funding rate column (e.g. calc_time,funding_interval_hours,last_funding_rate or symbol,fundingTime,fundingRate), got ${JSON.stringify(line)}`);
      }
      continue;
    }
    const entry: Record<string, unknown> = {};
    header.forEach((name, column) => (entry[name] = cells[column]));
    rows.push(rowFromRecord(file, `line ${index + 1}`, entry));
  }
  if (rows.length === 0) throw new DataError(file, null, 'no funding rates in the file');
  const binance = header !== null && header.map(normalize).includes('calctime');
  return { format: binance ? 'binance-csv' : 'funding-csv', rows };
}

export function parseFunding(file: string, text: string): { format: FundingFormat; rows: FundingRow[] } {
  return file.toLowerCase().endsWith('.json') ? parseFundingJson(file, text) : parseFundingCsv(file, text);
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(':00.000Z', 'Z');

/**
 * Reads funding exports for the perpetuals a run trades. A file's instrument is the `symbol` of its rows, or else
 * the one its name starts with (`BTCUSDT-fundingRate-2024-01.csv`). Every perpetual the run trades needs rates;
 * rates of other symbols are skipped and said so. Identical repeats are dropped; two rates at one time are refused.
 */
export function loadFundingFiles(path: string, perpetuals: readonly InstrumentId[], startMs: number, endMs: number): FundingSchedule {
  if (!existsSync(path)) throw new InvalidInputError(`--funding ${path} does not exist`);
  const files = statSync(path).isDirectory()
    ? readdirSync(path)
        .sort()
        .map((name) => join(path, name))
        .filter((file) => statSync(file).isFile() && /\.(csv|json)$/i.test(file))
    : [path];
  const wanted = new Map(perpetuals.map((id) => [instrumentSymbol(id).toUpperCase(), id]));
  const findings: string[] = [];
  const byInstrument = new Map<InstrumentId, Map<number, FundingRow & { file: string }>>();
  const formats = new Set<FundingFormat>();
  for (const file of files) {
    const named = FUNDING_FILE_PATTERN.exec(basename(file))?.[1]?.toUpperCase() ?? null;
    if (named === null && statSync(path).isDirectory()) {
      findings.push(`${basename(file)}: skipped, not named <SYMBOL>-funding....csv|json`);
      continue;
    }
    const parsed = parseFunding(file, readFileSync(file, 'utf8'));
    formats.add(parsed.format);
    const skipped = new Set<string>();
    for (const row of parsed.rows) {
      const symbol = row.symbol ?? named;
      if (symbol === null) throw new DataError(file, row.row, 'the row names no symbol and the file name does not start with one (<SYMBOL>-funding....csv)');
      const instrumentId = wanted.get(symbol);
      if (instrumentId === undefined) {
        skipped.add(symbol);
        continue;
      }
      let rows = byInstrument.get(instrumentId);
      if (rows === undefined) {
        rows = new Map();
        byInstrument.set(instrumentId, rows);
      }
      const earlier = rows.get(row.at);
      if (earlier !== undefined) {
        if (earlier.rate.eq(row.rate)) continue;
        throw new DataError(file, row.row, `two funding rates for ${symbol} at ${iso(row.at)}: ${earlier.rate.toString()} (${basename(earlier.file)} ${earlier.row}) and ${row.rate.toString()}; which one is right cannot be told`);
      }
      rows.set(row.at, { ...row, file });
    }
    for (const symbol of skipped) findings.push(`${basename(file)}: funding rates of ${symbol} skipped, the run trades no perpetual ${symbol}`);
  }
  const missing = perpetuals.filter((id) => (byInstrument.get(id)?.size ?? 0) === 0);
  if (missing.length > 0) {
    throw new DataError(path, null, `no funding rates for ${missing.join(', ')}: expected files named <SYMBOL>-funding....csv or .json (Binance or Bybit exports) with their rates, or use --funding-rate for a constant`);
  }
  const events: FundingEvent[] = [];
  for (const instrumentId of perpetuals) {
    const rows = [...(byInstrument.get(instrumentId) as Map<number, FundingRow>).values()].sort((a, b) => a.at - b.at);
    const inRun = rows.filter((row) => row.at >= startMs && row.at <= endMs);
    const first = rows[0] as FundingRow;
    const last = rows[rows.length - 1] as FundingRow;
    findings.push(`funding ${instrumentSymbol(instrumentId)}: ${rows.length} rates from ${iso(first.at)} to ${iso(last.at)}, ${inRun.length} in the run's period`);
    if (first.at > startMs + DEFAULT_FUNDING_INTERVAL_HOURS * HOUR_MS || last.at < endMs - DEFAULT_FUNDING_INTERVAL_HOURS * HOUR_MS) {
      findings.push(`funding ${instrumentSymbol(instrumentId)}: the rates do not cover the whole run (${iso(startMs)} to ${iso(endMs)}); a position held outside them pays and receives nothing`);
    }
    for (const row of inRun) events.push({ instrumentId, at: row.at, rate: row.rate, markPrice: row.markPrice });
  }
  const order = new Map(perpetuals.map((id, index) => [id, index]));
  events.sort((a, b) => a.at - b.at || (order.get(a.instrumentId) ?? 0) - (order.get(b.instrumentId) ?? 0));
  return { events, description: `rates from ${path} (${[...formats].join(', ')})`, findings };
}
