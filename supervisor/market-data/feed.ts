import { sleepUntil, type Clock } from '../../core/clock.ts';

/** What the driver needs of a source it paces: the synthetic source, or anything else moved by the clock. */
export interface PacedCandleSource {
  /** When the next candle closes. */
  nextCloseTime(): number;
  /** Emits every candle that closed at or before `ms`. */
  advanceTo(ms: number): void;
}

export interface SyntheticFeedOptions {
  clock: Clock;
  source: PacedCandleSource;
  /** Aborting it ends the loop; the returned promise then resolves. */
  signal: AbortSignal;
  /** How to wait for a clock time; sleepUntil unless given. Tests pass one that moves a ManualClock. */
  sleep?: (clock: Clock, targetMs: number, signal: AbortSignal) => Promise<boolean>;
}

/**
 * Drives a paced source in (accelerated) real time: sleep until the next candle closes, then emit everything
 * that has closed by now. A clock that ran ahead (a slow consumer, a laptop that slept) is caught up in one
 * advance, so no candle is skipped and none is emitted early.
 */
export async function runSyntheticFeed(options: SyntheticFeedOptions): Promise<void> {
  const { clock, source, signal } = options;
  const sleep = options.sleep ?? sleepUntil;
  while (!signal.aborted) {
    if (!(await sleep(clock, source.nextCloseTime(), signal))) return;
    if (signal.aborted) return;
    source.advanceTo(clock.now());
  }
}
