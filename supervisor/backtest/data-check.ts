import type { Decimal } from '../../core/decimal.ts';
import { TIMEFRAME_MS } from '../../core/strategy.ts';
import { newYorkDate, newYorkOffsetHours, sessionOnDate, sessionsBetween } from '../../core/us-equity-calendar.ts';
import type { Timeframe } from '../../core/strategy.ts';
import { DataError } from './klines.ts';
import type { RawKline } from './klines.ts';

/** How many occurrences of a problem are named in a message; the count says how many there are in all. */
const EXAMPLES = 3;

export type FindingKind = 'GAP' | 'DUPLICATE' | 'OUT_OF_ORDER' | 'MISSING' | 'OFF_TICK';

/** Something wrong with the data that the backtest can live with; reported, never silently fixed. */
export interface Finding {
  kind: FindingKind;
  count: number;
  /** One line: what, how many, the first few. */
  detail: string;
}

export interface CheckedSeries {
  /** Oldest first, unique open times. */
  rows: RawKline[];
  findings: Finding[];
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(':00.000Z', 'Z');

function describeProblems(file: string, problems: Array<{ row: string; text: string }>, what: string): DataError {
  const first = problems[0] as { row: string; text: string };
  const more = problems.length > 1 ? `; ${problems.length - 1} more ${what} (${problems.slice(1, EXAMPLES + 1).map((p) => `${p.row}: ${p.text}`).join('; ')}${problems.length > EXAMPLES + 1 ? '; …' : ''})` : '';
  return new DataError(file, first.row, `${first.text}${more}`);
}

/** OHLC integrity: positive prices, high at least max(open, close), low at most min(open, close), volume not negative. */
export function ohlcProblem(row: RawKline): string | null {
  const { open, high, low, close, volume } = row;
  const prices = `O ${open.toString()} H ${high.toString()} L ${low.toString()} C ${close.toString()}`;
  if (!open.isPositive() || !high.isPositive() || !low.isPositive() || !close.isPositive()) return `prices must be positive (${prices})`;
  if (high.lt(open) || high.lt(close)) return `high is below open or close (${prices})`;
  if (low.gt(open) || low.gt(close)) return `low is above open or close (${prices})`;
  if (volume.isNegative()) return `volume is negative (${volume.toString()})`;
  return null;
}

/** What the checks know of the instrument a file is for. */
export interface SeriesInstrument {
  /** Every price the venue quotes is a whole number of ticks, and at least one; not checked when unknown. */
  tickSize?: Decimal | undefined;
  /** With true, prices below one tick or off the tick are reported instead of refused (--allow-off-tick). */
  allowOffTick: boolean;
  /** An equity: its candles come only in the US equity session, so closed hours are no gap and nothing is missing there. */
  followsSession?: boolean;
}

/**
 * The open times on a timeframe's grid, from `fromMs` (included) to `toMs` (excluded), whose candle holds some minute
 * of a US equity session: the candles an equity can have. Outside the bundled calendar's years this throws, naming them.
 */
export function sessionSlots(timeframe: Timeframe, fromMs: number, toMs: number): number[] {
  const ms = TIMEFRAME_MS[timeframe];
  const slots: number[] = [];
  if (toMs <= fromMs) return slots;
  const date = (t: number): string => new Date(t).toISOString().slice(0, 10);
  // Sessions lie inside their UTC date, so the UTC dates of the span (one each side for the buckets) cover them.
  for (const session of sessionsBetween(date(fromMs - 86_400_000), date(toMs + 86_400_000))) {
    for (let slot = Math.floor(session.open / ms) * ms; slot < session.close; slot += ms) {
      if (slot >= fromMs && slot < toMs && slot !== slots[slots.length - 1]) slots.push(slot);
    }
  }
  return slots;
}

/** Prices the venue could never have quoted: below one tick, or between two ticks. */
export function tickProblem(row: RawKline, tickSize: Decimal): string | null {
  const tick = tickSize.toString();
  for (const [field, price] of [['open', row.open], ['high', row.high], ['low', row.low], ['close', row.close]] as const) {
    if (price.lt(tickSize)) return `${field} ${price.toString()} is below one tick (${tick})`;
  }
  for (const [field, price] of [['open', row.open], ['high', row.high], ['low', row.low], ['close', row.close]] as const) {
    if (!price.isMultipleOf(tickSize)) return `${field} ${price.toString()} is not on the tick (${tick})`;
  }
  return null;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

const isoDate = (year: number, month: number, day: number): string => new Date(Date.UTC(year, month, day)).toISOString().slice(0, 10);

/** The session date a daily equity bar opening at `t` stands for, or a problem; see sessionDailyRows. */
function sessionDateOf(t: number): { date: string } | { problem: string } {
  const candidates = new Set<string>();
  if (t % DAY_MS === 0) candidates.add(new Date(t).toISOString().slice(0, 10));
  const local = newYorkDate(t);
  const date = isoDate(local.year, local.month, local.day);
  const newYorkMidnight = Date.UTC(local.year, local.month, local.day) - newYorkOffsetHours(local.year, local.month, local.day) * HOUR_MS;
  if (t === newYorkMidnight) candidates.add(date);
  let session;
  try {
    session = sessionOnDate(date);
  } catch (error) {
    return { problem: (error as Error).message };
  }
  if (session !== null && t === session.open) candidates.add(date);
  const [found] = [...candidates];
  if (found === undefined) {
    return { problem: `open time ${new Date(t).toISOString()} is not the start of a trading day: an equity's daily bar opens at New York midnight (Alpaca: 04:00Z or 05:00Z), at UTC midnight of its date, or at the session's open` };
  }
  try {
    if (sessionOnDate(found) === null) return { problem: `${found} has no US equity session (a weekend or a holiday), so a daily bar cannot stand for it` };
  } catch (error) {
    return { problem: (error as Error).message };
  }
  return { date: found };
}

/**
 * Daily bars of an equity are its sessions. Alpaca's daily bars open at New York midnight (04:00Z in daylight time,
 * 05:00Z otherwise), other exports at UTC midnight of the date or at the session's open: each is read as the session
 * of its New York date and put on the UTC-midnight grid of that date for the checks (the candle made of it later
 * opens at the session's open and lasts as long as the session). A bar at another time, or on a date without a
 * session, is refused.
 */
export function sessionDailyRows(file: string, rows: readonly RawKline[]): RawKline[] {
  const problems: Array<{ row: string; text: string }> = [];
  const out = rows.map((row) => {
    const found = sessionDateOf(row.openTime);
    if ('problem' in found) {
      problems.push({ row: row.row, text: found.problem });
      return row;
    }
    return { ...row, openTime: Date.parse(`${found.date}T00:00:00Z`) };
  });
  if (problems.length > 0) throw describeProblems(file, problems, 'daily bars that are not a session');
  return out;
}

function sameValues(a: RawKline, b: RawKline): boolean {
  return a.open.eq(b.open) && a.high.eq(b.high) && a.low.eq(b.low) && a.close.eq(b.close) && a.volume.eq(b.volume);
}

/**
 * Checks one stream's klines. Refused (DataError naming file, row and problem): broken OHLC, negative volume,
 * prices below one tick or off the instrument's tick (unless allowed), open times not on the timeframe's grid, two
 * different candles at one time, and data whose spacing shows another timeframe than the file's name. Reported and
 * lived with: gaps, identical duplicates (dropped), rows out of order (sorted), allowed off-tick prices.
 */
export function checkSeries(file: string, timeframe: Timeframe, given: readonly RawKline[], instrument?: SeriesInstrument): CheckedSeries {
  if (given.length === 0) throw new DataError(file, null, 'no candles in the selected period');
  const input = instrument?.followsSession === true && timeframe === '1d' ? sessionDailyRows(file, given) : given;
  const ms = TIMEFRAME_MS[timeframe];
  const broken: Array<{ row: string; text: string }> = [];
  const offTick: Array<{ row: string; text: string }> = [];
  const misaligned: Array<{ row: string; text: string }> = [];
  for (const row of input) {
    const problem = ohlcProblem(row);
    if (problem !== null) broken.push({ row: row.row, text: problem });
    const tick = instrument?.tickSize === undefined ? null : tickProblem(row, instrument.tickSize);
    if (tick !== null) offTick.push({ row: row.row, text: tick });
    if (row.openTime % ms !== 0) misaligned.push({ row: row.row, text: `open time ${row.openTime} (${new Date(row.openTime).toISOString()}) is not on the ${timeframe} grid` });
  }
  if (broken.length > 0) throw describeProblems(file, broken, 'rows with broken OHLC or volume');
  const findings: Finding[] = [];
  if (offTick.length > 0) {
    if (instrument?.allowOffTick !== true) {
      const refused = describeProblems(file, offTick, 'rows with prices below one tick or off the tick');
      throw new DataError(file, refused.row, `${refused.problem}; the venue never quotes such prices, so a stop could fill there: fix the export, or accept them with --allow-off-tick`);
    }
    const first = offTick.slice(0, EXAMPLES).map((p) => `${p.row}: ${p.text}`).join('; ');
    findings.push({ kind: 'OFF_TICK', count: offTick.length, detail: `${offTick.length} rows with prices below one tick or off the tick, accepted by --allow-off-tick (first: ${first})` });
  }
  if (misaligned.length > 0) throw describeProblems(file, misaligned, 'misaligned rows');

  let outOfOrder = 0;
  const firstOutOfOrder: string[] = [];
  for (let index = 1; index < input.length; index++) {
    if ((input[index] as RawKline).openTime < (input[index - 1] as RawKline).openTime) {
      outOfOrder++;
      if (firstOutOfOrder.length < EXAMPLES) firstOutOfOrder.push((input[index] as RawKline).row);
    }
  }
  const sorted = outOfOrder === 0 ? [...input] : [...input].sort((a, b) => a.openTime - b.openTime);
  if (outOfOrder > 0) findings.push({ kind: 'OUT_OF_ORDER', count: outOfOrder, detail: `${outOfOrder} rows out of time order (first: ${firstOutOfOrder.join(', ')}); sorted` });

  const rows: RawKline[] = [];
  const duplicates: string[] = [];
  let duplicateCount = 0;
  for (const row of sorted) {
    const previous = rows[rows.length - 1];
    if (previous !== undefined && previous.openTime === row.openTime) {
      if (!sameValues(previous, row)) {
        throw new DataError(file, row.row, `duplicate timestamp ${iso(row.openTime)} with different values than ${previous.row}; which one is right cannot be told`);
      }
      duplicateCount++;
      if (duplicates.length < EXAMPLES) duplicates.push(`${row.row} (${iso(row.openTime)})`);
      continue;
    }
    rows.push(row);
  }
  if (duplicateCount > 0) findings.push({ kind: 'DUPLICATE', count: duplicateCount, detail: `${duplicateCount} duplicate timestamps with identical values dropped (first: ${duplicates.join(', ')})` });

  let gaps = 0;
  let missing = 0;
  let regular = 0;
  const firstGaps: string[] = [];
  for (let index = 1; index < rows.length; index++) {
    const step = (rows[index] as RawKline).openTime - (rows[index - 1] as RawKline).openTime;
    if (step === ms) {
      regular++;
      continue;
    }
    // An equity's night, weekend or holiday is no gap: only session candles can be missing.
    const absent = instrument?.followsSession === true ? sessionSlots(timeframe, (rows[index - 1] as RawKline).openTime + ms, (rows[index] as RawKline).openTime).length : step / ms - 1;
    if (absent === 0) {
      regular++;
      continue;
    }
    gaps++;
    missing += absent;
    if (firstGaps.length < EXAMPLES) firstGaps.push(`${iso((rows[index - 1] as RawKline).openTime + ms)} to ${iso((rows[index] as RawKline).openTime)}`);
  }
  if (rows.length >= 3 && regular === 0) {
    throw new DataError(file, null, `no two candles are ${timeframe} apart: the file's name says ${timeframe} but the data is of another timeframe`);
  }
  if (gaps > 0) findings.push({ kind: 'GAP', count: gaps, detail: `${gaps} gaps, ${missing} candles missing (first: ${firstGaps.join('; ')})` });
  return { rows, findings };
}

/** The share of a stream's candles that may be missing over the run's period before the data is refused. */
export const DEFAULT_MAX_MISSING = 0.2;

/** A stream's first open and last close, ms: the span its data covers. */
export interface Span {
  startMs: number;
  endMs: number;
}

/** How much of the run's period a stream covers, counted in its own timeframe's candles. */
export interface Coverage {
  /** Candles of the stream's timeframe that fit in the run's period. */
  expected: number;
  /** Of those, the ones missing before the stream's first candle, in its gaps and after its last. */
  before: number;
  inGaps: number;
  after: number;
  missing: number;
  /** missing / expected. */
  share: number;
}

const percent = (fraction: number): string => `${(fraction * 100).toFixed(1)}%`;

/** From the earliest first candle to the latest last close: the period the run's candles fall in. */
export function runSpan(spans: readonly Span[]): Span {
  return { startMs: Math.min(...spans.map((span) => span.startMs)), endMs: Math.max(...spans.map((span) => span.endMs)) };
}

/** Counts a checked stream's candles against every candle of its timeframe that fits in `period`. */
export function coverage(rows: readonly RawKline[], timeframe: Timeframe, period: Span, followsSession = false): Coverage {
  const ms = TIMEFRAME_MS[timeframe];
  const firstSlot = Math.ceil(period.startMs / ms) * ms;
  const endSlot = Math.floor(period.endMs / ms) * ms;
  if (followsSession) return sessionCoverage(rows, timeframe, firstSlot, endSlot);
  const expected = Math.max(0, (endSlot - firstSlot) / ms);
  const first = (rows[0] as RawKline).openTime;
  const last = (rows[rows.length - 1] as RawKline).openTime;
  const before = Math.max(0, (first - firstSlot) / ms);
  const after = Math.max(0, (endSlot - (last + ms)) / ms);
  const inGaps = (last - first) / ms + 1 - rows.length;
  const missing = before + inGaps + after;
  return { expected, before, inGaps, after, missing, share: expected === 0 ? 0 : missing / expected };
}

/** Coverage counted in the candles an equity can have: those of the session. */
function sessionCoverage(rows: readonly RawKline[], timeframe: Timeframe, firstSlot: number, endSlot: number): Coverage {
  const slots = sessionSlots(timeframe, firstSlot, endSlot);
  const present = new Set(rows.map((row) => row.openTime));
  const first = (rows[0] as RawKline).openTime;
  const last = (rows[rows.length - 1] as RawKline).openTime;
  let before = 0;
  let inGaps = 0;
  let after = 0;
  for (const slot of slots) {
    if (present.has(slot)) continue;
    if (slot < first) before++;
    else if (slot > last) after++;
    else inGaps++;
  }
  const missing = before + inGaps + after;
  return { expected: slots.length, before, inGaps, after, missing, share: slots.length === 0 ? 0 : missing / slots.length };
}

/**
 * Refuses a stream that misses more than `maxMissing` of the run's candles: a backtest on it would report a
 * strategy's behaviour on a market that mostly was not there. Fewer missing candles are reported as a finding.
 */
export function checkCoverage(file: string, timeframe: Timeframe, rows: readonly RawKline[], period: Span, maxMissing: number, followsSession = false): Finding | null {
  const found = coverage(rows, timeframe, period, followsSession);
  const detail = `${percent(found.share)} of the ${timeframe} candles from ${iso(period.startMs)} to ${iso(period.endMs)} missing (${found.missing} of ${found.expected}: ${found.before} before the first candle, ${found.inGaps} in gaps, ${found.after} after the last)`;
  if (found.share > maxMissing) {
    throw new DataError(file, null, `${detail}, more than the ${percent(maxMissing)} allowed; use a complete export, narrow the period with --from and --to to where every instrument's data is complete, or allow more with --max-missing`);
  }
  return found.missing === 0 ? null : { kind: 'MISSING', count: found.missing, detail: `${detail}; at most ${percent(maxMissing)} may be` };
}

/** Refuses instruments whose data share no moment: there is nothing to backtest jointly. */
export function checkOverlap(source: string, spans: ReadonlyArray<Span & { name: string }>): void {
  const latestStart = Math.max(...spans.map((span) => span.startMs));
  const earliestEnd = Math.min(...spans.map((span) => span.endMs));
  if (latestStart >= earliestEnd) {
    const periods = spans.map((span) => `${span.name} ${iso(span.startMs)} to ${iso(span.endMs)}`).join(', ');
    throw new DataError(source, null, `the instruments' data do not overlap in time, so there is nothing to backtest jointly (${periods}); use files that cover a common period`);
  }
}
