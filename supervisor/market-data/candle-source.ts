import type { InstrumentId } from '../../core/ids.ts';
import type { Timeframe, TimeframeCandle } from '../../core/strategy.ts';

/** Stops a subscription; calling it again does nothing. */
export type Unsubscribe = () => void;

/**
 * Where closed candles come from: the synthetic market now, a venue's feed later. The hub opens at most one
 * subscription per (instrument, timeframe), whatever the number of bots that want it.
 */
export interface CandleSource {
  /** Delivers every candle of the stream that closes from now on, in time order. Throws for a stream the source cannot serve. */
  subscribe(instrumentId: InstrumentId, timeframe: Timeframe, onCandle: (candle: TimeframeCandle) => void): Unsubscribe;
  /** Up to `count` closed candles of the stream that closed at or before `endMs`, oldest first. */
  history(instrumentId: InstrumentId, timeframe: Timeframe, count: number, endMs: number): TimeframeCandle[];
}

/** The instant a candle closes; it covers [openTime, closeTime). */
export function closeTime(candle: { openTime: number; durationMs: number }): number {
  return candle.openTime + candle.durationMs;
}

/** A map key for one stream. */
export function streamKey(instrumentId: InstrumentId, timeframe: Timeframe): string {
  return `${instrumentId} ${timeframe}`;
}
