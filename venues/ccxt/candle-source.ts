import type { Exchange } from 'ccxt';
import type { Clock } from '../../core/clock.ts';
import type { Decimal } from '../../core/decimal.ts';
import { InvalidInputError, TemporaryVenueError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import { TIMEFRAME_MS, type Timeframe, type TimeframeCandle } from '../../core/strategy.ts';
import type { Unsubscribe } from '../../supervisor/market-data/candle-source.ts';
import type { LiveCandleSource } from '../registry.ts';
import { Redactor } from '../bybit/redact.ts';
import { checkCapabilities } from './capabilities.ts';
import { buildClient } from './client.ts';
import { resolveOptions, type CcxtTimeouts, type MarketType } from './config.ts';
import { decimalOf } from './amounts.ts';
import { Markets } from './markets.ts';
import { describeError } from './outcomes.ts';

/**
 * An exchange's candles through ccxt as a CandleSource for the market-data hub: history from fetchOHLCV for
 * warm-up (load(), before the hub opens the streams), live candles from watchOHLCV. The stream is the trigger and
 * REST the record: when the stream shows that a candle has closed (its close time has passed on the clock), and
 * whenever the exchange confirms a subscription (at first, and after a drop), every candle closed since the last
 * one delivered is fetched and delivered, in time order, once each; so a forming candle never reaches a bot, and
 * candles that closed while the stream was not live are not lost.
 */

/** Candles one fetchOHLCV asks for (Bybit's most). */
const PAGE = 1_000;

export interface CcxtCandleSourceOptions {
  name: string;
  exchange: string;
  environment: string;
  marketType?: MarketType;
  instruments: readonly Instrument[];
  clock: Clock;
  logger: Logger;
  /** Closed candles kept per stream to answer history(); 1000 unless given. */
  historyLimit?: number;
  timeouts?: Partial<Pick<CcxtTimeouts, 'requestMs' | 'reconnectMinMs' | 'reconnectMaxMs'>>;
}

interface SourceStream {
  readonly instrumentId: InstrumentId;
  readonly timeframe: Timeframe;
  readonly symbol: string;
  readonly durationMs: number;
  /** Closed candles, oldest first. */
  recent: TimeframeCandle[];
  loaded: boolean;
  readonly subscriptions: Set<(candle: TimeframeCandle) => void>;
  watching: boolean;
  /** Deliveries in order: each waits for the one before. */
  chain: Promise<void>;
}

export class CcxtCandleSource implements LiveCandleSource {
  readonly #options: ReturnType<typeof resolveOptions>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #historyLimit: number;
  readonly #redactor = new Redactor();
  readonly #markets: Markets;
  readonly #streams = new Map<string, SourceStream>();
  #client: Promise<Exchange> | null = null;
  #stopped = false;

  constructor(options: CcxtCandleSourceOptions) {
    const historyLimit = options.historyLimit ?? 1_000;
    if (!Number.isSafeInteger(historyLimit) || historyLimit < 1) throw new InvalidInputError(`historyLimit must be a positive integer, got ${historyLimit}`);
    this.#historyLimit = historyLimit;
    this.#options = resolveOptions({ ...options, credentials: new Map(), timeouts: { ...options.timeouts } });
    this.#clock = options.clock;
    this.#logger = options.logger.child({ venue: options.name, source: 'ohlcv' });
    this.#markets = new Markets(options.name, this.#options.marketType, this.#logger);
  }

  async load(streams: ReadonlyArray<{ instrumentId: InstrumentId; timeframe: Timeframe }>, count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidInputError(`history count must be a non-negative integer, got ${count}`);
    const client = await this.#connect();
    const wanted = Math.min(count, this.#historyLimit);
    for (const { instrumentId, timeframe } of streams) {
      const stream = this.#stream(instrumentId, timeframe);
      const now = this.#clock.now();
      const candles = await this.#fetch(client, stream, now - (wanted + 1) * stream.durationMs, now);
      stream.recent = candles.slice(Math.max(0, candles.length - wanted));
      stream.loaded = true;
    }
  }

  subscribe(instrumentId: InstrumentId, timeframe: Timeframe, onCandle: (candle: TimeframeCandle) => void): Unsubscribe {
    if (this.#stopped) throw new InvalidInputError(`the ${this.#options.exchange} candle source has stopped`);
    const stream = this.#stream(instrumentId, timeframe);
    const subscription = (candle: TimeframeCandle): void => onCandle(candle);
    stream.subscriptions.add(subscription);
    if (!stream.watching) void this.#watch(stream);
    return () => void stream.subscriptions.delete(subscription);
  }

  history(instrumentId: InstrumentId, timeframe: Timeframe, count: number, endMs: number): TimeframeCandle[] {
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidInputError(`history count must be a non-negative integer, got ${count}`);
    const stream = this.#stream(instrumentId, timeframe);
    if (!stream.loaded) throw new InvalidInputError(`${stream.instrumentId} ${timeframe} history was not loaded from ${this.#options.exchange}: call load() for it before the hub opens the stream`);
    const closed = stream.recent.filter((candle) => candle.openTime + candle.durationMs <= endMs);
    return closed.slice(Math.max(0, closed.length - count));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#client !== null) await (await this.#client.catch(() => null))?.close().catch(() => undefined);
  }

  // ------------------------------------------------------------------------------------------------------

  #connect(): Promise<Exchange> {
    this.#client ??= (async () => {
      const { exchange, environment, marketType, timeouts, marketIdOf } = this.#options;
      const profile = checkCapabilities(exchange, marketType);
      const client = await buildClient({ exchange, environment, marketType, profile, requestMs: timeouts.requestMs, redactor: this.#redactor }, null);
      // Subscribed (first, or again after a drop): what closed before the stream was live comes from REST now,
      // rather than with the stream's next update, which may be a whole candle away.
      const handle = client.handleMessage.bind(client);
      client.handleMessage = (connection: unknown, message: unknown): unknown => {
        if (profile.subscribed(message)) for (const stream of this.#streams.values()) if (stream.watching) this.#enqueue(client, stream);
        return handle(connection, message);
      };
      try {
        await client.loadMarkets();
      } catch (error) {
        throw new TemporaryVenueError(`cannot load ${exchange}'s markets: ${describeError(error, this.#redactor)}`);
      }
      this.#markets.load(client, marketIdOf);
      return client;
    })().catch((error: unknown) => {
      this.#client = null;
      throw error;
    });
    return this.#client;
  }

  #stream(instrumentId: InstrumentId, timeframe: Timeframe): SourceStream {
    const key = `${instrumentId} ${timeframe}`;
    let stream = this.#streams.get(key);
    if (stream === undefined) {
      const symbol = this.#options.marketIdOf.has(instrumentId) ? this.#markets.symbol(instrumentId) : null;
      if (symbol === null || !(timeframe in TIMEFRAME_MS)) throw new InvalidInputError(`the ${this.#options.exchange} candle source has no stream ${instrumentId} ${timeframe}${symbol === null ? ' (load() it first)' : ''}`);
      stream = { instrumentId, timeframe, symbol, durationMs: TIMEFRAME_MS[timeframe], recent: [], loaded: false, subscriptions: new Set(), watching: false, chain: Promise.resolve() };
      this.#streams.set(key, stream);
    }
    return stream;
  }

  /** Watches the stream while anyone listens; each update that shows a newly closed candle fetches what closed. */
  async #watch(stream: SourceStream): Promise<void> {
    stream.watching = true;
    let delayMs = this.#options.timeouts.reconnectMinMs;
    try {
      const client = await this.#connect();
      while (!this.#stopped && stream.subscriptions.size > 0) {
        try {
          const candles = await client.watchOHLCV(stream.symbol, stream.timeframe);
          delayMs = this.#options.timeouts.reconnectMinMs;
          const last = stream.recent.at(-1)?.openTime ?? Number.NEGATIVE_INFINITY;
          const now = this.#clock.now();
          if (candles.some((row) => typeof row[0] === 'number' && row[0] > last && row[0] + stream.durationMs <= now)) this.#enqueue(client, stream);
        } catch (error) {
          if (this.#stopped) return;
          this.#logger.warn({ symbol: stream.symbol, timeframe: stream.timeframe, error: describeError(error, this.#redactor) }, 'the candle stream dropped; watching again');
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          delayMs = Math.min(delayMs * 2, this.#options.timeouts.reconnectMaxMs);
          // Whatever closed while it was down comes from REST now, not with the next candle, which may be hours away.
          this.#enqueue(client, stream);
        }
      }
    } catch (error) {
      this.#logger.error({ symbol: stream.symbol, error: describeError(error, this.#redactor) }, 'the candle stream could not start');
    } finally {
      stream.watching = false;
    }
  }

  #enqueue(client: Exchange, stream: SourceStream): void {
    stream.chain = stream.chain
      .then(async () => {
        const last = stream.recent.at(-1)?.openTime ?? this.#clock.now() - 2 * stream.durationMs;
        for (const candle of await this.#fetch(client, stream, last + stream.durationMs, this.#clock.now())) this.#deliver(stream, candle);
      })
      .catch((error: unknown) => this.#logger.warn({ symbol: stream.symbol, error: describeError(error, this.#redactor) }, 'closed candles could not be fetched; they come with the next one'));
  }

  #deliver(stream: SourceStream, candle: TimeframeCandle): void {
    const last = stream.recent.at(-1)?.openTime ?? null;
    if (this.#stopped || (last !== null && candle.openTime <= last)) return;
    stream.recent.push(candle);
    if (stream.recent.length >= 2 * this.#historyLimit) stream.recent.splice(0, stream.recent.length - this.#historyLimit);
    for (const subscription of [...stream.subscriptions]) {
      try {
        subscription(candle);
      } catch (error) {
        this.#logger.error({ symbol: stream.symbol, error: describeError(error, this.#redactor) }, 'a candle subscriber threw');
      }
    }
  }

  /** Closed candles that opened in [startMs, endMs], oldest first, paging back from endMs. */
  async #fetch(client: Exchange, stream: SourceStream, startMs: number, endMs: number): Promise<TimeframeCandle[]> {
    const found = new Map<number, TimeframeCandle>();
    const now = this.#clock.now();
    let end = endMs;
    while (end >= startMs) {
      const rows = await client.fetchOHLCV(stream.symbol, stream.timeframe, Math.max(0, startMs), PAGE, { until: end });
      let oldest = Number.POSITIVE_INFINITY;
      for (const row of rows) {
        const openTime = row[0];
        if (typeof openTime !== 'number' || !Number.isSafeInteger(openTime)) throw new InvalidInputError(`${this.#options.exchange} ${stream.symbol} ${stream.timeframe}: a candle's time must be ms, got ${JSON.stringify(openTime)}`);
        oldest = Math.min(oldest, openTime);
        if (openTime < startMs || openTime > endMs || openTime + stream.durationMs > now) continue;
        const where = `${this.#options.exchange} ${stream.symbol} ${stream.timeframe} candle ${openTime}`;
        const [open, high, low, close, volume] = [1, 2, 3, 4, 5].map((index) => decimalOf(row[index], `${where} [${index}]`)) as [Decimal, Decimal, Decimal, Decimal, Decimal];
        found.set(openTime, { instrumentId: stream.instrumentId, timeframe: stream.timeframe, openTime, durationMs: stream.durationMs, open, high, low, close, volume });
      }
      if (rows.length < PAGE || !Number.isFinite(oldest)) break;
      end = oldest - 1;
    }
    return [...found.values()].sort((a, b) => a.openTime - b.openTime);
  }
}
