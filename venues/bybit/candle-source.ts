import { WebsocketClient } from 'bybit-api';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import { TIMEFRAME_MS, type Timeframe, type TimeframeCandle } from '../../core/strategy.ts';
import type { CandleSource, Unsubscribe } from '../../supervisor/market-data/candle-source.ts';
import { DEFAULT_TIMEOUTS, resolveEnvironment, type BybitEndpoints, type BybitTimeouts } from './config.ts';
import { BybitHttp } from './http.ts';
import { InstrumentMap } from './instruments.ts';
import { streamLogger } from './private-stream.ts';
import { RequestLane } from './rate-limit.ts';
import { AccountReads } from './reads.ts';
import { describe, Redactor } from './redact.ts';
import { RowReader } from './wire.ts';

/**
 * Bybit's klines as a CandleSource for the market-data hub: history from REST (GET /v5/market/kline) for warm-up,
 * live candles from the public kline stream, of which only confirmed (closed) candles are delivered. The hub asks
 * for history synchronously, so history is loaded first (load(), before the hub opens the streams); live candles
 * extend it. A candle is delivered once, in time order: a repeated one is dropped, and one that arrives after a
 * gap (missed pushes, or a reconnect) is preceded by the missing candles, fetched from REST.
 */

const INTERVAL: Record<Timeframe, string> = { '1m': '1', '5m': '5', '15m': '15', '1h': '60', '4h': '240', '1d': 'D' };
const KLINE_PAGE = 1_000;

export interface BybitCandleSourceOptions {
  /** The venue's name in instrument IDs ("BYBIT"). */
  name: string;
  /** "demo" and "mainnet" read mainnet's market data, "testnet" testnet's; a URL reads the stand-in's. */
  environment: string;
  instruments: readonly Instrument[];
  /** Which candles have closed. */
  clock: Clock;
  logger: Logger;
  /** Closed candles kept per stream to answer history(); 1000 unless given. */
  historyLimit?: number;
  timeouts?: Partial<Pick<BybitTimeouts, 'requestMs' | 'reconnectMinMs' | 'reconnectMaxMs'>>;
}

interface Subscription {
  onCandle: (candle: TimeframeCandle) => void;
}

interface SourceStream {
  readonly instrumentId: InstrumentId;
  readonly timeframe: Timeframe;
  readonly symbol: string;
  readonly topic: string;
  readonly durationMs: number;
  /** Closed candles, oldest first. */
  recent: TimeframeCandle[];
  loaded: boolean;
  readonly subscriptions: Set<Subscription>;
  /** Deliveries in order: each waits for the one before (a gap being filled from REST). */
  chain: Promise<void>;
}

export class BybitCandleSource implements CandleSource {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #historyLimit: number;
  readonly #endpoints: BybitEndpoints;
  readonly #timeouts: BybitTimeouts;
  readonly #redactor = new Redactor();
  readonly #http: BybitHttp;
  readonly #lane: RequestLane;
  readonly #reads: AccountReads;
  readonly #instruments: InstrumentMap;
  readonly #streams = new Map<string, SourceStream>();
  readonly #byTopic = new Map<string, SourceStream>();
  #client: WebsocketClient | null = null;
  #dropped = false;
  #delayMs: number;
  #stopped = false;

  constructor(options: BybitCandleSourceOptions) {
    const historyLimit = options.historyLimit ?? 1_000;
    if (!Number.isSafeInteger(historyLimit) || historyLimit < 1) throw new InvalidInputError(`historyLimit must be a positive integer, got ${historyLimit}`);
    this.#historyLimit = historyLimit;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ venue: options.name, source: 'klines' });
    this.#endpoints = resolveEnvironment(options.environment);
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#delayMs = this.#timeouts.reconnectMinMs;
    this.#http = new BybitHttp({ endpoints: this.#endpoints, timeouts: this.#timeouts, redactor: this.#redactor });
    this.#lane = new RequestLane({ timeouts: this.#timeouts, logger: this.#logger, toLocal: (ms) => this.#http.toLocal(ms) });
    const bySymbol = new Map<string, Instrument>();
    const symbolOf = new Map<InstrumentId, string>();
    for (const instrument of options.instruments) {
      const symbol = instrument.id.slice(0, instrument.id.lastIndexOf('.'));
      if (instrument.id.slice(instrument.id.lastIndexOf('.') + 1) !== options.name) throw new InvalidInputError(`instrument ${instrument.id} is not on venue ${options.name}`);
      bySymbol.set(symbol, instrument);
      symbolOf.set(instrument.id, symbol);
    }
    this.#instruments = new InstrumentMap(options.name, bySymbol, symbolOf, this.#logger);
    this.#reads = new AccountReads({ http: this.#http, lane: () => this.#lane, instruments: this.#instruments, logger: this.#logger });
  }

  /** Loads up to `count` closed candles of each stream from REST; call it before the hub opens the streams. */
  async load(streams: ReadonlyArray<{ instrumentId: InstrumentId; timeframe: Timeframe }>, count: number): Promise<void> {
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidInputError(`history count must be a non-negative integer, got ${count}`);
    const wanted = Math.min(count, this.#historyLimit);
    for (const { instrumentId, timeframe } of streams) {
      const stream = this.#stream(instrumentId, timeframe);
      const now = this.#clock.now();
      const candles = await this.#fetch(stream, now - (wanted + 1) * stream.durationMs, now);
      stream.recent = candles.slice(Math.max(0, candles.length - wanted));
      stream.loaded = true;
    }
  }

  subscribe(instrumentId: InstrumentId, timeframe: Timeframe, onCandle: (candle: TimeframeCandle) => void): Unsubscribe {
    if (this.#stopped) throw new InvalidInputError('the Bybit candle source has stopped');
    const stream = this.#stream(instrumentId, timeframe);
    const subscription: Subscription = { onCandle };
    const first = stream.subscriptions.size === 0;
    stream.subscriptions.add(subscription);
    if (first) void Promise.allSettled(this.#ws().subscribeV5(stream.topic, 'linear'));
    return () => {
      if (!stream.subscriptions.delete(subscription) || stream.subscriptions.size > 0 || this.#stopped) return;
      void Promise.allSettled(this.#ws().unsubscribeV5(stream.topic, 'linear'));
    };
  }

  /** Up to `count` closed candles that closed at or before `endMs`, oldest first, from what load() fetched and the stream added. */
  history(instrumentId: InstrumentId, timeframe: Timeframe, count: number, endMs: number): TimeframeCandle[] {
    if (!Number.isSafeInteger(count) || count < 0) throw new InvalidInputError(`history count must be a non-negative integer, got ${count}`);
    const stream = this.#stream(instrumentId, timeframe);
    if (!stream.loaded) throw new InvalidInputError(`${stream.instrumentId} ${timeframe} history was not loaded from Bybit: call load() for it before the hub opens the stream`);
    const closed = stream.recent.filter((candle) => candle.openTime + candle.durationMs <= endMs);
    return closed.slice(Math.max(0, closed.length - count));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#lane.stop();
    if (this.#client !== null) {
      this.#client.removeAllListeners();
      this.#client.closeAll(true);
    }
    this.#http.close();
  }

  #stream(instrumentId: InstrumentId, timeframe: Timeframe): SourceStream {
    const key = `${instrumentId} ${timeframe}`;
    let stream = this.#streams.get(key);
    if (stream === undefined) {
      const symbol = this.#instruments.symbol(instrumentId);
      if (!this.#instruments.symbols.includes(symbol) || !(timeframe in INTERVAL)) throw new InvalidInputError(`the Bybit candle source has no stream ${instrumentId} ${timeframe}`);
      const topic = `kline.${INTERVAL[timeframe]}.${symbol}`;
      stream = { instrumentId, timeframe, symbol, topic, durationMs: TIMEFRAME_MS[timeframe], recent: [], loaded: false, subscriptions: new Set(), chain: Promise.resolve() };
      this.#streams.set(key, stream);
      this.#byTopic.set(topic, stream);
    }
    return stream;
  }

  #ws(): WebsocketClient {
    if (this.#client !== null) return this.#client;
    const client = new WebsocketClient({ ...this.#endpoints.publicStream, reconnectTimeout: this.#delayMs, pingInterval: 10_000, pongTimeout: 5_000 }, streamLogger(this.#logger, this.#redactor));
    client.on('update', (message: unknown) => this.#update(message));
    client.on('reconnect', () => {
      this.#dropped = true;
      this.#delayMs = Math.min(this.#delayMs * 2, this.#timeouts.reconnectMaxMs);
      (client as unknown as { options: { reconnectTimeout: number } }).options.reconnectTimeout = this.#delayMs;
    });
    client.on('response', (message: unknown) => {
      if ((message as { op?: unknown } | null)?.op !== 'subscribe' || (message as { success?: unknown }).success !== true) return;
      if (this.#dropped) {
        this.#dropped = false;
        this.#delayMs = this.#timeouts.reconnectMinMs;
        (client as unknown as { options: { reconnectTimeout: number } }).options.reconnectTimeout = this.#delayMs;
      }
      // Subscribed (first, or again after a drop): what closed since the history was loaded, or while the stream
      // was down, comes from REST now rather than with the stream's next candle, which may be hours away.
      for (const stream of this.#streams.values()) if (stream.subscriptions.size > 0) this.#enqueue(stream, null);
    });
    this.#client = client;
    return client;
  }

  #update(message: unknown): void {
    const { topic, data } = (typeof message === 'object' && message !== null ? message : {}) as { topic?: unknown; data?: unknown };
    const stream = typeof topic === 'string' ? this.#byTopic.get(topic) : undefined;
    if (stream === undefined || stream.subscriptions.size === 0 || !Array.isArray(data)) return;
    for (const [index, row] of data.entries()) {
      try {
        const reader = new RowReader(row, `${stream.topic} data[${index}]`);
        // Only a closed candle reaches bots; the pushes of a forming one are ignored.
        if (reader.raw['confirm'] !== true) continue;
        this.#enqueue(stream, this.#candle(stream, reader.time('start'), reader.decimal('open'), reader.decimal('high'), reader.decimal('low'), reader.decimal('close'), reader.decimal('volume')));
      } catch (error) {
        this.#logger.warn({ topic: stream.topic, error: describe(error, this.#redactor) }, 'a kline push could not be read; the candle comes from REST with the next one');
      }
    }
  }

  /** Delivers a candle (or, for null, whatever has closed by now) after the ones before it, filling any gap from REST. */
  #enqueue(stream: SourceStream, candle: TimeframeCandle | null): void {
    stream.chain = stream.chain
      .then(async () => {
        const last = stream.recent.at(-1)?.openTime ?? null;
        const upTo = candle === null ? this.#clock.now() : candle.openTime;
        if (last !== null && upTo > last + stream.durationMs) {
          for (const missed of await this.#fetch(stream, last + stream.durationMs, upTo - 1)) this.#deliver(stream, missed);
        }
        if (candle !== null) this.#deliver(stream, candle);
      })
      .catch((error: unknown) => {
        this.#logger.warn({ topic: stream.topic, error: describe(error, this.#redactor) }, 'missing candles could not be fetched from Bybit; the stream goes on from its next candle');
        if (candle !== null) this.#deliver(stream, candle);
      });
  }

  #deliver(stream: SourceStream, candle: TimeframeCandle): void {
    const last = stream.recent.at(-1)?.openTime ?? null;
    if (this.#stopped || (last !== null && candle.openTime <= last) || candle.openTime + candle.durationMs > this.#clock.now()) return;
    stream.recent.push(candle);
    if (stream.recent.length >= 2 * this.#historyLimit) stream.recent.splice(0, stream.recent.length - this.#historyLimit);
    for (const subscription of [...stream.subscriptions]) {
      try {
        subscription.onCandle(candle);
      } catch (error) {
        this.#logger.error({ topic: stream.topic, error: describe(error, this.#redactor) }, 'a candle subscriber threw');
      }
    }
  }

  /** Closed candles of the stream that opened in [startMs, endMs], oldest first, paging back from endMs. */
  async #fetch(stream: SourceStream, startMs: number, endMs: number): Promise<TimeframeCandle[]> {
    const route = 'GET /v5/market/kline';
    const found = new Map<number, TimeframeCandle>();
    let end = endMs;
    while (end >= startMs) {
      const result = await this.#reads.read(null, route, (client) => client.getKline({ category: 'linear', symbol: stream.symbol, interval: INTERVAL[stream.timeframe] as '1', start: Math.max(0, startMs), end, limit: KLINE_PAGE }));
      const list = new RowReader(result, `${route} result`).raw['list'];
      if (!Array.isArray(list)) throw new InvalidInputError(`${route}: result.list must be a list`);
      let oldest = Number.POSITIVE_INFINITY;
      for (const [index, row] of list.entries()) {
        if (!Array.isArray(row) || row.length < 6 || !row.every((cell) => typeof cell === 'string')) throw new InvalidInputError(`${route} list[${index}] must be a row of strings [start, open, high, low, close, volume, turnover]`);
        const start = Number(row[0]);
        const parse = (cell: unknown, what: string): Decimal => Decimal.parse(String(cell), `${stream.topic} ${what}`);
        const candle = this.#candle(stream, start, parse(row[1], 'open'), parse(row[2], 'high'), parse(row[3], 'low'), parse(row[4], 'close'), parse(row[5], 'volume'));
        oldest = Math.min(oldest, start);
        if (start >= startMs && start <= endMs && start + stream.durationMs <= this.#clock.now()) found.set(start, candle);
      }
      if (list.length < KLINE_PAGE || !Number.isFinite(oldest)) break;
      end = oldest - 1;
    }
    return [...found.values()].sort((a, b) => a.openTime - b.openTime);
  }

  #candle(stream: SourceStream, openTime: number, open: Decimal, high: Decimal, low: Decimal, close: Decimal, volume: Decimal): TimeframeCandle {
    if (!Number.isSafeInteger(openTime)) throw new InvalidInputError(`${stream.topic}: a candle start must be a time in ms, got ${openTime}`);
    return { instrumentId: stream.instrumentId, timeframe: stream.timeframe, openTime, durationMs: stream.durationMs, open, high, low, close, volume };
  }
}
