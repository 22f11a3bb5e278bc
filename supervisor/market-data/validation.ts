import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { TIMEFRAME_MS, type Timeframe, type TimeframeCandle } from '../../core/strategy.ts';
import { sessionOf, type Session } from '../../core/us-equity-calendar.ts';

/** Why a candle was refused: a closed set, so it is also a bounded metric label. */
export const CANDLE_PROBLEMS = [
  'WRONG_STREAM',
  'MALFORMED',
  'WRONG_DURATION',
  'MISALIGNED_OPEN_TIME',
  'NON_POSITIVE_PRICE',
  'HIGH_BELOW_OPEN_OR_CLOSE',
  'LOW_ABOVE_OPEN_OR_CLOSE',
  'NEGATIVE_VOLUME',
  'NOT_AFTER_PREVIOUS',
] as const;
export type CandleProblem = (typeof CANDLE_PROBLEMS)[number];

/** A candle that failed validation; it was dropped before any subscriber saw it. */
export class RefusedCandleError extends InvalidInputError {
  override name = 'RefusedCandleError';
  readonly instrumentId: InstrumentId;
  readonly timeframe: Timeframe;
  readonly openTime: number;
  readonly problem: CandleProblem;

  constructor(stream: { instrumentId: InstrumentId; timeframe: Timeframe }, openTime: number, problem: CandleProblem, detail: string) {
    super(`refused ${stream.timeframe} candle for ${stream.instrumentId} opening at ${describeTime(openTime)}: ${problem}: ${detail}`);
    this.instrumentId = stream.instrumentId;
    this.timeframe = stream.timeframe;
    this.openTime = openTime;
    this.problem = problem;
  }
}

function sessionAt(t: number): Session | null {
  try {
    return sessionOf(t);
  } catch {
    // Outside the calendar's years: no session is known there.
    return null;
  }
}

function describeTime(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
}

/**
 * Checks one candle of a stream: it belongs to the stream, its openTime is aligned and after the previous
 * candle's, OHLC is consistent with positive prices, and volume is not negative. Returns null when it is fine.
 */
export function checkCandle(
  stream: { instrumentId: InstrumentId; timeframe: Timeframe },
  candle: TimeframeCandle,
  previousOpenTime: number | null,
  followsSession = false,
): RefusedCandleError | null {
  const refuse = (problem: CandleProblem, detail: string): RefusedCandleError => new RefusedCandleError(stream, candle.openTime, problem, detail);
  if (candle.instrumentId !== stream.instrumentId || candle.timeframe !== stream.timeframe) {
    return refuse('WRONG_STREAM', `the candle says ${candle.timeframe} ${candle.instrumentId}`);
  }
  const { open, high, low, close, volume } = candle;
  // A feed adapter's bug must become a refusal here, not a TypeError in the middle of fan-out.
  for (const [field, value] of [['open', open], ['high', high], ['low', low], ['close', close], ['volume', volume]] as const) {
    if (!(value instanceof Decimal)) return refuse('MALFORMED', `${field} is not a Decimal`);
  }
  if (followsSession && stream.timeframe === '1d') {
    // An equity's day is its session: it opens at the session's open and lasts until its close.
    const session = Number.isSafeInteger(candle.openTime) ? sessionAt(candle.openTime) : null;
    if (session === null || session.open !== candle.openTime) return refuse('MISALIGNED_OPEN_TIME', `openTime ${describeTime(candle.openTime)} is not the open of a US equity session`);
    if (candle.durationMs !== session.close - session.open) return refuse('WRONG_DURATION', `duration ${candle.durationMs} ms, expected the session's ${session.close - session.open} ms`);
  } else {
    const durationMs = TIMEFRAME_MS[stream.timeframe];
    if (candle.durationMs !== durationMs) return refuse('WRONG_DURATION', `duration ${candle.durationMs} ms, expected ${durationMs} ms`);
    if (!Number.isSafeInteger(candle.openTime) || candle.openTime % durationMs !== 0) {
      return refuse('MISALIGNED_OPEN_TIME', `openTime ${candle.openTime} is not a multiple of ${durationMs} ms`);
    }
  }
  const prices = `O ${open.toString()} H ${high.toString()} L ${low.toString()} C ${close.toString()}`;
  if (!open.isPositive() || !high.isPositive() || !low.isPositive() || !close.isPositive()) return refuse('NON_POSITIVE_PRICE', prices);
  if (high.lt(open) || high.lt(close)) return refuse('HIGH_BELOW_OPEN_OR_CLOSE', prices);
  if (low.gt(open) || low.gt(close)) return refuse('LOW_ABOVE_OPEN_OR_CLOSE', prices);
  if (volume.isNegative()) return refuse('NEGATIVE_VOLUME', `volume ${volume.toString()}`);
  if (previousOpenTime !== null && candle.openTime <= previousOpenTime) {
    return refuse('NOT_AFTER_PREVIOUS', `the previous candle opened at ${describeTime(previousOpenTime)}`);
  }
  return null;
}
