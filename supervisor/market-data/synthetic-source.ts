import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { TIMEFRAMES, TIMEFRAME_MS, type Timeframe, type TimeframeCandle } from '../../core/strategy.ts';
import type { CandleSource, Unsubscribe } from './candle-source.ts';
import type { MarketRegime } from './regimes.ts';
import { SyntheticMarket, type SyntheticMarketOptions, type TickCandle } from './synthetic.ts';

const DEFAULT_HISTORY_LIMIT = 1000;

export interface SyntheticCandleSourceOptions extends Omit<SyntheticMarketOptions, 'timeframes'> {
  /** Closed candles kept per stream to answer history(); 1000 unless given. */
  historyLimit?: number;
}

interface Subscription {
  onCandle: (candle: TimeframeCandle) => void;
}

interface SourceStream {
  /** Recent candles in ticks, oldest first; converted to Decimals only when asked for. */
  recent: TickCandle[];
  subscriptions: Set<Subscription>;
}

/**
 * The synthetic market as a CandleSource, moved by whoever owns the clock: advanceTo(ms) emits every candle
 * that closed up to ms, in time order across instruments and timeframes, lower timeframes first at equal
 * close times. Every timeframe is generated so that history() can answer for any stream.
 */
export class SyntheticCandleSource implements CandleSource {
  readonly #market: SyntheticMarket;
  readonly #historyLimit: number;
  readonly #streams = new Map<InstrumentId, Map<Timeframe, SourceStream>>();
  readonly #emit = (candle: TickCandle): void => this.#deliver(candle);

  constructor(options: SyntheticCandleSourceOptions) {
    const historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    if (!Number.isSafeInteger(historyLimit) || historyLimit < 1) throw new InvalidInputError(`historyLimit must be a positive integer, got ${historyLimit}`);
    this.#historyLimit = historyLimit;
    this.#market = new SyntheticMarket({ seed: options.seed, instruments: options.instruments, startMs: options.startMs, ...(options.sessionStartMs === undefined ? {} : { sessionStartMs: options.sessionStartMs }) });
    for (const instrumentId of this.#market.instrumentIds) {
      this.#streams.set(instrumentId, new Map(TIMEFRAMES.map((timeframe) => [timeframe, { recent: [], subscriptions: new Set() }])));
    }
  }

  subscribe(instrumentId: InstrumentId, timeframe: Timeframe, onCandle: (candle: TimeframeCandle) => void): Unsubscribe {
    const subscriptions = this.#stream(instrumentId, timeframe).subscriptions;
    // A wrapper per call, so the same function subscribed twice is two subscriptions that end separately.
    const subscription: Subscription = { onCandle };
    subscriptions.add(subscription);
    return () => {
      subscriptions.delete(subscription);
    };
  }

  /** Answers from the last `historyLimit` candles generated; older ones are gone. */
  history(instrumentId: InstrumentId, timeframe: Timeframe, count: number, endMs: number): TimeframeCandle[] {
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidInputError(`history count must be a non-negative integer, got ${count}`);
    const recent = this.#stream(instrumentId, timeframe).recent;
    const durationMs = TIMEFRAME_MS[timeframe];
    let end = recent.length;
    // An equity's daily candle is its session, shorter than a day.
    const closeOf = (candle: TickCandle): number => candle.openTime + (candle.durationMs ?? durationMs);
    while (end > 0 && closeOf(recent[end - 1] as TickCandle) > endMs) end--;
    const start = Math.max(0, end - Math.min(count, this.#historyLimit));
    return recent.slice(start, end).map((candle) => this.#market.toCandle(candle));
  }

  /** Emits every candle that closes at or before `ms`; a time already passed emits nothing. */
  advanceTo(ms: number): void {
    this.#market.advanceTo(ms, this.#emit);
  }

  /** When the next candle closes, so a driver knows how long it may sleep. */
  nextCloseTime(): number {
    return this.#market.nextCloseTime();
  }

  regime(instrumentId: InstrumentId): MarketRegime {
    return this.#market.regime(instrumentId);
  }

  /** Open subscriptions over every stream; the hub should hold at most one per stream. */
  subscriptionCount(): number {
    let count = 0;
    for (const byTimeframe of this.#streams.values()) for (const stream of byTimeframe.values()) count += stream.subscriptions.size;
    return count;
  }

  #deliver(tickCandle: TickCandle): void {
    const stream = this.#stream(tickCandle.instrumentId, tickCandle.timeframe);
    const recent = stream.recent;
    recent.push(tickCandle);
    // Trimmed in batches so that keeping history costs O(1) per candle.
    if (recent.length >= 2 * this.#historyLimit) recent.splice(0, recent.length - this.#historyLimit);
    if (stream.subscriptions.size === 0) return;
    const candle = this.#market.toCandle(tickCandle);
    for (const subscription of stream.subscriptions) subscription.onCandle(candle);
  }

  #stream(instrumentId: InstrumentId, timeframe: Timeframe): SourceStream {
    const stream = this.#streams.get(instrumentId)?.get(timeframe);
    if (stream === undefined) throw new InvalidInputError(`the synthetic source has no stream ${instrumentId} ${timeframe}`);
    return stream;
  }
}
