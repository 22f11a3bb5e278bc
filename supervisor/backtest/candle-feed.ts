import { Decimal } from '../../core/decimal.ts';
import { sessionOf } from '../../core/us-equity-calendar.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { TIMEFRAME_MS, TIMEFRAMES } from '../../core/strategy.ts';
import type { Timeframe, TimeframeCandle } from '../../core/strategy.ts';

/**
 * The candles of a backtest in delivery order: by close time, then lower timeframe first, then instrument order.
 * `next()` hands out one candle at a time so a synthetic feed can convert candles to Decimals only as they are used.
 */
export interface CandleFeed {
  /** How many candles the feed will deliver, for progress. */
  readonly total: number;
  next(): TimeframeCandle | undefined;
}

/** A feed over candles already in delivery order. */
export class ArrayFeed implements CandleFeed {
  readonly total: number;
  readonly #candles: readonly TimeframeCandle[];
  #index = 0;

  constructor(candles: readonly TimeframeCandle[]) {
    this.#candles = candles;
    this.total = candles.length;
  }

  next(): TimeframeCandle | undefined {
    return this.#candles[this.#index++];
  }

  /** The same candles from the start, for another run over them (a sweep's next grid point). */
  replay(): ArrayFeed {
    return new ArrayFeed(this.#candles);
  }
}

export function closeTime(candle: { openTime: number; durationMs: number }): number {
  return candle.openTime + candle.durationMs;
}

/** Lower timeframes first, so the venue has matched a 5m candle before the 1h candle closing with it is seen. */
export function timeframeRank(timeframe: Timeframe): number {
  return TIMEFRAMES.indexOf(timeframe);
}

export function lowestTimeframe(timeframes: readonly Timeframe[]): Timeframe {
  if (timeframes.length === 0) throw new InvalidInputError('no timeframe given');
  return [...timeframes].sort((a, b) => TIMEFRAME_MS[a] - TIMEFRAME_MS[b])[0] as Timeframe;
}

/** Merges per-stream candle lists into delivery order; `instrumentOrder` breaks ties at equal close time and timeframe. */
export function mergeStreams(streams: readonly (readonly TimeframeCandle[])[], instrumentOrder: readonly InstrumentId[]): TimeframeCandle[] {
  const rank = new Map(instrumentOrder.map((id, index) => [id, index]));
  const all: TimeframeCandle[] = [];
  for (const stream of streams) for (const candle of stream) all.push(candle);
  all.sort(
    (a, b) =>
      closeTime(a) - closeTime(b) ||
      timeframeRank(a.timeframe) - timeframeRank(b.timeframe) ||
      (rank.get(a.instrumentId) ?? 0) - (rank.get(b.instrumentId) ?? 0),
  );
  return all;
}

/**
 * Aggregates base candles (sorted, one instrument) into a higher timeframe. A bucket cut by the start or the end
 * of the data is dropped, as it would not hold all of its candles; a bucket with a gap inside is built from what
 * is there, and the gap has already been reported by validation.
 */
export function aggregate(base: readonly TimeframeCandle[], timeframe: Timeframe, followsSession = false): TimeframeCandle[] {
  const first = base[0];
  const last = base[base.length - 1];
  if (first === undefined || last === undefined) return [];
  const ms = TIMEFRAME_MS[timeframe];
  if (ms < first.durationMs || ms % first.durationMs !== 0) {
    throw new InvalidInputError(`cannot build ${timeframe} candles from ${first.timeframe} candles: ${timeframe} is not a whole multiple of ${first.timeframe}`);
  }
  if (ms === first.durationMs) return [...base];
  // An equity's day is its session, as the synthetic market and the hub have it.
  if (followsSession && timeframe === '1d') return aggregateSessions(base, first, last);
  const dataStart = first.openTime;
  const dataEnd = closeTime(last);
  const out: TimeframeCandle[] = [];
  let bucket = Number.NaN;
  let open = Decimal.ZERO;
  let high = 0n;
  let low = 0n;
  let close = Decimal.ZERO;
  let volume = 0n;
  const flush = (): void => {
    if (Number.isNaN(bucket) || bucket < dataStart || bucket + ms > dataEnd) return;
    out.push({
      instrumentId: first.instrumentId,
      timeframe,
      openTime: bucket,
      durationMs: ms,
      open,
      high: Decimal.fromUnits(high),
      low: Decimal.fromUnits(low),
      close,
      volume: Decimal.fromUnits(volume),
    });
  };
  for (const candle of base) {
    const start = candle.openTime - (((candle.openTime % ms) + ms) % ms);
    if (start !== bucket) {
      flush();
      bucket = start;
      open = candle.open;
      high = candle.high.units;
      low = candle.low.units;
      volume = 0n;
    } else {
      if (candle.high.units > high) high = candle.high.units;
      if (candle.low.units < low) low = candle.low.units;
    }
    close = candle.close;
    volume += candle.volume.units;
  }
  flush();
  return out;
}

/** An equity's daily candles: one per US equity session, from its open to its close; a session the data cuts is dropped. */
function aggregateSessions(base: readonly TimeframeCandle[], first: TimeframeCandle, last: TimeframeCandle): TimeframeCandle[] {
  const out: TimeframeCandle[] = [];
  const dataStart = first.openTime;
  const dataEnd = closeTime(last);
  let current: { open: number; close: number; candles: TimeframeCandle[] } | null = null;
  const flush = (): void => {
    if (current === null || current.open < dataStart || current.close > dataEnd || current.candles.length === 0) return;
    const candles = current.candles;
    let high = (candles[0] as TimeframeCandle).high;
    let low = (candles[0] as TimeframeCandle).low;
    let volume = Decimal.ZERO;
    for (const candle of candles) {
      high = Decimal.max(high, candle.high);
      low = Decimal.min(low, candle.low);
      volume = volume.add(candle.volume);
    }
    out.push({ instrumentId: first.instrumentId, timeframe: '1d', openTime: current.open, durationMs: current.close - current.open, open: (candles[0] as TimeframeCandle).open, high, low, close: (candles.at(-1) as TimeframeCandle).close, volume });
  };
  for (const candle of base) {
    const session = sessionOf(candle.openTime);
    // A candle outside every session (extended hours in an export) belongs to no day.
    if (session === null) continue;
    if (current === null || current.open !== session.open) {
      flush();
      current = { open: session.open, close: session.close, candles: [] };
    }
    current.candles.push(candle);
  }
  flush();
  return out;
}
