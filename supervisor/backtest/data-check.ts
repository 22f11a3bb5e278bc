import { TIMEFRAME_MS } from '../../core/strategy.ts';
import type { Timeframe } from '../../core/strategy.ts';
import { DataError } from './klines.ts';
import type { RawKline } from './klines.ts';

/** How many occurrences of a problem are named in a message; the count says how many there are in all. */
const EXAMPLES = 3;

export type FindingKind = 'GAP' | 'DUPLICATE' | 'OUT_OF_ORDER';

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

function sameValues(a: RawKline, b: RawKline): boolean {
  return a.open.eq(b.open) && a.high.eq(b.high) && a.low.eq(b.low) && a.close.eq(b.close) && a.volume.eq(b.volume);
}

/**
 * Checks one stream's klines. Refused (DataError naming file, row and problem): broken OHLC, negative volume,
 * open times not on the timeframe's grid, two different candles at one time, and data whose spacing shows another
 * timeframe than the file's name. Reported and lived with: gaps, identical duplicates (dropped), rows out of order
 * (sorted).
 */
export function checkSeries(file: string, timeframe: Timeframe, input: readonly RawKline[]): CheckedSeries {
  if (input.length === 0) throw new DataError(file, null, 'no candles in the selected period');
  const ms = TIMEFRAME_MS[timeframe];
  const broken: Array<{ row: string; text: string }> = [];
  const misaligned: Array<{ row: string; text: string }> = [];
  for (const row of input) {
    const problem = ohlcProblem(row);
    if (problem !== null) broken.push({ row: row.row, text: problem });
    if (row.openTime % ms !== 0) misaligned.push({ row: row.row, text: `open time ${row.openTime} (${new Date(row.openTime).toISOString()}) is not on the ${timeframe} grid` });
  }
  if (broken.length > 0) throw describeProblems(file, broken, 'rows with broken OHLC or volume');
  if (misaligned.length > 0) throw describeProblems(file, misaligned, 'misaligned rows');

  const findings: Finding[] = [];
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
    gaps++;
    missing += step / ms - 1;
    if (firstGaps.length < EXAMPLES) firstGaps.push(`${iso((rows[index - 1] as RawKline).openTime + ms)} to ${iso((rows[index] as RawKline).openTime)}`);
  }
  if (rows.length >= 3 && regular === 0) {
    throw new DataError(file, null, `no two candles are ${timeframe} apart: the file's name says ${timeframe} but the data is of another timeframe`);
  }
  if (gaps > 0) findings.push({ kind: 'GAP', count: gaps, detail: `${gaps} gaps, ${missing} candles missing (first: ${firstGaps.join('; ')})` });
  return { rows, findings };
}
