import type { Clock } from '../../core/clock.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import type { Timeframe, TimeframeCandle } from '../../core/strategy.ts';
import { closeTime, streamKey, type CandleSource, type Unsubscribe } from './candle-source.ts';
import { checkCandle, type RefusedCandleError } from './validation.ts';

export interface StreamRequest {
  instrumentId: InstrumentId;
  timeframe: Timeframe;
}

export type CandleListener = (candle: TimeframeCandle) => void;

/** A listener threw; the candle still went to everyone else. */
export class MarketDataListenerError extends Error {
  override name = 'MarketDataListenerError';
  readonly listener: string;
  readonly instrumentId: InstrumentId;
  readonly timeframe: Timeframe;

  constructor(listener: string, candle: TimeframeCandle, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`market-data listener ${listener} failed on the ${candle.timeframe} candle for ${candle.instrumentId} at ${candle.openTime}: ${reason}`, { cause });
    this.listener = listener;
    this.instrumentId = candle.instrumentId;
    this.timeframe = candle.timeframe;
  }
}

export type MarketDataError = RefusedCandleError | MarketDataListenerError;

export interface MarketDataHubOptions {
  clock: Clock;
  source: CandleSource;
  /** Closed candles handed to a new subscriber per stream, for indicator warm-up. */
  historyCandles: number;
  /** Told of every refused candle and every failed listener; delivery goes on either way. */
  onError: (error: MarketDataError) => void;
  /** Whether an instrument follows the US equity session, whose daily candle is the session (none unless given). */
  followsSession?: (instrumentId: InstrumentId) => boolean;
}

/** A snapshot of one open stream, for metrics. */
export interface StreamStatus extends StreamRequest {
  subscribers: number;
  lagMs: number | null;
}

interface Subscriber {
  readonly id: string;
  readonly listener: CandleListener;
  readonly streams: HubStream[];
}

interface HubStream extends StreamRequest {
  readonly subscribers: Set<Subscriber>;
  /** Accepted candles, oldest first: the backfill for the next subscriber. */
  readonly recent: TimeframeCandle[];
  lastOpenTime: number | null;
  lagMs: number | null;
  unsubscribeUpstream: Unsubscribe;
  /** Set when the upstream is dropped, so a late candle from the source is ignored. */
  closed: boolean;
}

interface Tap {
  readonly name: string;
  readonly listener: CandleListener;
}

function byCloseTimeThenTimeframe(a: TimeframeCandle, b: TimeframeCandle): number {
  return closeTime(a) - closeTime(b) || a.durationMs - b.durationMs;
}

/**
 * The supervisor's single upstream per (instrument, timeframe), fanned out to every subscriber that asked.
 * The instrument id names the venue, so a stream is also per venue. Every candle is validated before anyone
 * sees it; a refused candle goes to onError and nowhere else.
 */
export class MarketDataHub {
  readonly #clock: Clock;
  readonly #source: CandleSource;
  readonly #historyCandles: number;
  readonly #onError: (error: MarketDataError) => void;
  readonly #followsSession: (instrumentId: InstrumentId) => boolean;
  readonly #streams = new Map<string, HubStream>();
  readonly #subscribers = new Map<string, Subscriber>();
  readonly #taps = new Set<Tap>();

  constructor(options: MarketDataHubOptions) {
    if (!Number.isSafeInteger(options.historyCandles) || options.historyCandles < 0) {
      throw new InvalidInputError(`historyCandles must be a non-negative integer, got ${options.historyCandles}`);
    }
    this.#clock = options.clock;
    this.#source = options.source;
    this.#historyCandles = options.historyCandles;
    this.#onError = options.onError;
    this.#followsSession = options.followsSession ?? (() => false);
  }

  /**
   * Subscribes to the streams and returns their backfill: up to historyCandles closed candles per stream,
   * in the order they would have been delivered (close time, then lower timeframe first). Every candle that
   * closes afterwards goes to `listener`. One subscription per subscriber id; unsubscribe to change it.
   */
  subscribe(subscriberId: string, requests: readonly StreamRequest[], listener: CandleListener): TimeframeCandle[] {
    if (subscriberId.length === 0) throw new InvalidInputError('a market-data subscriber needs an id');
    if (this.#subscribers.has(subscriberId)) throw new InvalidInputError(`market-data subscriber ${subscriberId} is already subscribed; unsubscribe it first`);
    if (requests.length === 0) throw new InvalidInputError(`market-data subscriber ${subscriberId} asked for no stream`);
    const subscriber: Subscriber = { id: subscriberId, listener, streams: [] };
    this.#subscribers.set(subscriberId, subscriber);
    try {
      for (const request of requests) {
        const stream = this.#streams.get(streamKey(request.instrumentId, request.timeframe)) ?? this.#open(request);
        if (stream.subscribers.has(subscriber)) continue;
        stream.subscribers.add(subscriber);
        subscriber.streams.push(stream);
      }
    } catch (error) {
      // All or nothing: a stream the source refuses leaves no half-made subscription behind.
      this.unsubscribe(subscriberId);
      throw error;
    }
    const backfill = subscriber.streams.flatMap((stream) => stream.recent.slice(Math.max(0, stream.recent.length - this.#historyCandles)));
    return backfill.sort(byCloseTimeThenTimeframe);
  }

  /** Ends the subscriber's subscription; a stream's upstream closes when its last subscriber leaves. */
  unsubscribe(subscriberId: string): boolean {
    const subscriber = this.#subscribers.get(subscriberId);
    if (subscriber === undefined) return false;
    this.#subscribers.delete(subscriberId);
    for (const stream of subscriber.streams) {
      stream.subscribers.delete(subscriber);
      if (stream.subscribers.size === 0) this.#close(stream);
    }
    return true;
  }

  /**
   * Receives every candle of every open stream, all timeframes, before any subscriber does, so the paper
   * venue has matched a candle and marks are current before a bot can act on it. Opens no stream itself.
   */
  onEveryCandle(name: string, listener: CandleListener): Unsubscribe {
    const tap: Tap = { name, listener };
    this.#taps.add(tap);
    return () => {
      this.#taps.delete(tap);
    };
  }

  /** Upstream subscriptions open now: one per stream that has at least one subscriber. */
  upstreamCount(): number {
    return this.#streams.size;
  }

  /** now − close time of the stream's latest delivered candle, measured when it was delivered; null before the first. */
  lagMs(instrumentId: InstrumentId, timeframe: Timeframe): number | null {
    return this.#streams.get(streamKey(instrumentId, timeframe))?.lagMs ?? null;
  }

  streams(): StreamStatus[] {
    return [...this.#streams.values()].map((stream) => ({
      instrumentId: stream.instrumentId,
      timeframe: stream.timeframe,
      subscribers: stream.subscribers.size,
      lagMs: stream.lagMs,
    }));
  }

  /** Drops every subscriber and closes every upstream. */
  close(): void {
    for (const subscriberId of [...this.#subscribers.keys()]) this.unsubscribe(subscriberId);
    this.#taps.clear();
  }

  #open(request: StreamRequest): HubStream {
    const { instrumentId, timeframe } = request;
    const stream: HubStream = { instrumentId, timeframe, subscribers: new Set(), recent: [], lastOpenTime: null, lagMs: null, unsubscribeUpstream: () => {}, closed: false };
    stream.unsubscribeUpstream = this.#source.subscribe(instrumentId, timeframe, (candle) => this.#receive(stream, candle));
    try {
      if (this.#historyCandles > 0) {
        const now = this.#clock.now();
        for (const candle of this.#source.history(instrumentId, timeframe, this.#historyCandles, now)) {
          // A venue's history usually ends with the candle still forming; it arrives on the stream when it closes.
          if (closeTime(candle) > now) continue;
          this.#accept(stream, candle);
        }
      }
    } catch (error) {
      stream.closed = true;
      stream.unsubscribeUpstream();
      throw error;
    }
    this.#streams.set(streamKey(instrumentId, timeframe), stream);
    return stream;
  }

  #close(stream: HubStream): void {
    stream.closed = true;
    stream.unsubscribeUpstream();
    this.#streams.delete(streamKey(stream.instrumentId, stream.timeframe));
  }

  /** Validates and records a candle; returns the frozen copy every listener shares, or null when refused. */
  #accept(stream: HubStream, candle: TimeframeCandle): TimeframeCandle | null {
    const refusal = checkCandle(stream, candle, stream.lastOpenTime, this.#followsSession(stream.instrumentId));
    if (refusal !== null) {
      this.#onError(refusal);
      return null;
    }
    // A copy, frozen: one listener cannot change what the next one sees, nor can the source after the fact.
    const accepted: TimeframeCandle = Object.freeze({
      instrumentId: candle.instrumentId,
      timeframe: candle.timeframe,
      openTime: candle.openTime,
      durationMs: candle.durationMs,
      open: candle.open,
      high: candle.high,
      low: candle.low,
      close: candle.close,
      volume: candle.volume,
    });
    stream.lastOpenTime = accepted.openTime;
    const recent = stream.recent;
    recent.push(accepted);
    // Trimmed in batches so that keeping the backfill costs O(1) per candle.
    if (recent.length >= 2 * this.#historyCandles) recent.splice(0, recent.length - this.#historyCandles);
    return accepted;
  }

  #receive(stream: HubStream, candle: TimeframeCandle): void {
    if (stream.closed) return;
    const accepted = this.#accept(stream, candle);
    if (accepted === null) return;
    stream.lagMs = this.#clock.now() - closeTime(accepted);
    for (const tap of [...this.#taps]) this.#call(tap.name, tap.listener, accepted);
    for (const subscriber of [...stream.subscribers]) this.#call(subscriber.id, subscriber.listener, accepted);
  }

  #call(name: string, listener: CandleListener, candle: TimeframeCandle): void {
    try {
      listener(candle);
    } catch (error) {
      this.#onError(new MarketDataListenerError(name, candle, error));
    }
  }
}
