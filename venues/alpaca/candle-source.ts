import { followsUsEquitySession } from '../../core/market-session.ts';
import { FIRST_YEAR, newYorkDate, sessionOf, sessionOnDate } from '../../core/us-equity-calendar.ts';
import { sessionHistoryStart } from '../../core/us-equity-history.ts';
import type { Alpaca } from '@alpacahq/alpaca-trade-api';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError, InvalidInputError } from '../../core/errors.ts';
import { instrumentSymbol, type InstrumentId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import { TIMEFRAME_MS, type Timeframe, type TimeframeCandle } from '../../core/strategy.ts';
import type { Unsubscribe } from '../../supervisor/market-data/candle-source.ts';
import type { LiveCandleSource } from '../registry.ts';
import { AccountApi } from './account-api.ts';
import { classify, createClient, Redactor, type AlpacaCredentials } from './client.ts';
import { resolveEnvironment, resolveTimeouts, type AlpacaFeed, type AlpacaTimeouts } from './config.ts';

/**
 * Alpaca's stock bars as a candle source: history from REST (GET /v2/stocks/bars, paged) for warm-up, live 1m bars
 * from the stock data stream (`feed` iex or sip), folded into each subscribed timeframe and delivered when it closes.
 * Market data needs a key pair too (any of the fleet's accounts). Intraday buckets are aligned to UTC, as Alpaca's
 * are; an equity's daily candle is its session, from the open to the close (core/market-session.ts), as the synthetic
 * market and the hub have it: Alpaca's 1Day bars (stamped at New York midnight) are restamped so, and live minutes
 * are folded into the session they belong to.
 */

const TIMEFRAME: Record<Timeframe, string> = { '1m': '1Min', '5m': '5Min', '15m': '15Min', '1h': '1Hour', '4h': '4Hour', '1d': '1Day' };

export interface AlpacaCandleSourceOptions {
  name: string;
  environment: string;
  feed: AlpacaFeed;
  credentials: AlpacaCredentials;
  instruments: readonly Instrument[];
  clock: Clock;
  logger: Logger;
  historyLimit?: number;
  timeouts?: Partial<AlpacaTimeouts>;
}

interface Stream {
  instrumentId: InstrumentId;
  timeframe: Timeframe;
  candles: TimeframeCandle[];
  forming: TimeframeCandle | null;
  /** The forming candle began after its bucket's start (the stream joined mid-bucket): it is not delivered, being incomplete. */
  partial: boolean;
  listeners: Set<(candle: TimeframeCandle) => void>;
}

/** A number from Alpaca's bars (JSON or msgpack) as a price on the instrument's tick. */
function price(value: unknown, tick: Decimal): Decimal {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new InvalidInputError(`a bar price must be a positive number, got ${String(value)}`);
  return Decimal.parse(String(value)).quantize(tick, 'half-even');
}

/** The session a minute trades in, as a daily candle's open and length; null outside every session. */
function sessionDay(t: number): { openTime: number; durationMs: number } | null {
  const session = sessionOf(t);
  return session === null ? null : { openTime: session.open, durationMs: session.close - session.open };
}

/**
 * Where the REST warm-up starts: three times the span of the candles asked for, as room for minutes without a trade
 * (the iex feed has many). An equity counts that span in session candles, which nights, weekends and holidays do not
 * hold, never beyond the bundled calendar's first year.
 */
function historyStart(instrument: Instrument, timeframe: Timeframe, historyCandles: number, now: number): number {
  const span = 3 * (historyCandles + 1);
  const calendar = now - span * TIMEFRAME_MS[timeframe];
  if (!followsUsEquitySession(instrument)) return calendar;
  return Math.min(calendar, sessionHistoryStart(now, span, timeframe, Date.UTC(FIRST_YEAR, 0, 1)));
}

export class AlpacaCandleSource implements LiveCandleSource {
  readonly #options: AlpacaCandleSourceOptions;
  readonly #client: Alpaca;
  readonly #redactor = new Redactor();
  readonly #streams = new Map<string, Stream>();
  readonly #bySymbol = new Map<string, Instrument>();
  readonly #timeouts: AlpacaTimeouts;
  #dataStream: ReturnType<Alpaca['marketData']['stockStream']> | null = null;

  constructor(options: AlpacaCandleSourceOptions) {
    this.#options = options;
    this.#timeouts = resolveTimeouts(options.timeouts);
    this.#redactor.add(options.credentials);
    this.#client = createClient(resolveEnvironment(options.environment), options.credentials, this.#timeouts);
    for (const instrument of options.instruments) this.#bySymbol.set(instrumentSymbol(instrument.id), instrument);
  }

  async load(streams: ReadonlyArray<{ instrumentId: InstrumentId; timeframe: Timeframe }>, historyCandles: number): Promise<void> {
    const now = await this.#venueNow();
    for (const { instrumentId, timeframe } of streams) {
      const instrument = this.#instrument(instrumentId);
      const stream = this.#stream(instrumentId, timeframe);
      const start = new Date(historyStart(instrument, timeframe, historyCandles, now));
      let pageToken: string | undefined;
      const candles: TimeframeCandle[] = [];
      do {
        let page: { bars?: Record<string, unknown[]>; nextPageToken?: string | null };
        try {
          page = (await this.#client.marketData.stocks.stockBars({ symbols: instrumentSymbol(instrumentId), timeframe: TIMEFRAME[timeframe], start, end: new Date(now), limit: 10_000, feed: this.#options.feed, ...(pageToken === undefined ? {} : { pageToken }) } as never)) as never;
        } catch (error) {
          throw new InvalidInputError(`${this.#options.name} bars for ${instrumentId} ${timeframe}: ${classify(error, this.#redactor).message}`);
        }
        for (const raw of page.bars?.[instrumentSymbol(instrumentId)] ?? []) {
          let candle = this.#candle(raw as Record<string, unknown>, instrument, timeframe);
          if (timeframe === '1d' && followsUsEquitySession(instrument)) {
            // Alpaca stamps a day at New York midnight; the session of that date is what it covers.
            const { year, month, day } = newYorkDate(candle.openTime);
            const session = sessionOnDate(new Date(Date.UTC(year, month, day)).toISOString().slice(0, 10));
            if (session === null) continue;
            candle = { ...candle, openTime: session.open, durationMs: session.close - session.open };
          }
          if (candle.openTime + candle.durationMs <= now) candles.push(candle);
        }
        pageToken = page.nextPageToken ?? undefined;
      } while (pageToken !== undefined);
      stream.candles = candles.slice(-Math.max(historyCandles, this.#options.historyLimit ?? 1_000));
    }
  }

  /**
   * The venue's time (GET /v2/clock), where the history ends: a stand-in whose market runs elsewhere (`standin
   * --start`) warms the bots up from its own last bars, not from an empty window at this machine's time.
   */
  async #venueNow(): Promise<number> {
    try {
      return (await new AccountApi(this.#client).clock()).timestamp;
    } catch (error) {
      this.#options.logger.warn({ venue: this.#options.name, error: classify(error, this.#redactor).message }, "the venue's clock did not answer; the history ends at this machine's time");
      return this.#options.clock.now();
    }
  }

  history(instrumentId: InstrumentId, timeframe: Timeframe, count: number, endMs: number): TimeframeCandle[] {
    const stream = this.#streams.get(`${instrumentId} ${timeframe}`);
    if (stream === undefined) return [];
    return stream.candles.filter((candle) => candle.openTime + candle.durationMs <= endMs).slice(-count);
  }

  subscribe(instrumentId: InstrumentId, timeframe: Timeframe, onCandle: (candle: TimeframeCandle) => void): Unsubscribe {
    this.#instrument(instrumentId);
    const stream = this.#stream(instrumentId, timeframe);
    stream.listeners.add(onCandle);
    this.#openDataStream().subscribeForBars([instrumentSymbol(instrumentId)]);
    return () => stream.listeners.delete(onCandle);
  }

  async stop(): Promise<void> {
    this.#dataStream?.removeAllListeners();
    this.#dataStream?.disconnect();
    this.#dataStream = null;
  }

  #openDataStream(): ReturnType<Alpaca['marketData']['stockStream']> {
    if (this.#dataStream !== null) return this.#dataStream;
    const url = resolveEnvironment(this.#options.environment).dataStreamUrl(this.#options.feed);
    const stream = this.#client.marketData.stockStream({ feed: this.#options.feed, ...(url === undefined ? {} : { url }), maxReconnectAttempts: -1, initialReconnectMs: this.#timeouts.reconnectMinMs, maxReconnectMs: this.#timeouts.reconnectMaxMs } as never);
    stream.onBar((bar) => this.#onMinute(bar as unknown as { symbol: string; open: number; high: number; low: number; close: number; volume: number; timestamp: Date }));
    stream.onError((message) => this.#options.logger.warn({ venue: this.#options.name, error: this.#redactor.scrub(String(message)) }, 'stock data stream error'));
    stream.connect();
    this.#dataStream = stream;
    return stream;
  }

  /** One closed 1m bar: folded into every subscribed timeframe of its symbol; a bucket is delivered once it closes. */
  #onMinute(bar: { symbol: string; open: number; high: number; low: number; close: number; volume: number; timestamp: Date }): void {
    const instrument = this.#bySymbol.get(bar.symbol);
    if (instrument === undefined) return;
    let minute: TimeframeCandle;
    try {
      minute = this.#candle({ t: bar.timestamp.toISOString(), o: bar.open, h: bar.high, l: bar.low, c: bar.close, v: bar.volume }, instrument, '1m');
    } catch (error) {
      this.#options.logger.warn({ venue: this.#options.name, symbol: bar.symbol, error: (error as Error).message }, 'a bar from the data stream was refused');
      return;
    }
    for (const stream of this.#streams.values()) {
      if (stream.instrumentId !== instrument.id || stream.listeners.size === 0) continue;
      const day = stream.timeframe === '1d' && followsUsEquitySession(instrument) ? sessionDay(minute.openTime) : undefined;
      // A minute outside every session (an extended-hours bar) belongs to no equity day.
      if (day === null) continue;
      const duration = day?.durationMs ?? TIMEFRAME_MS[stream.timeframe];
      const bucket = day?.openTime ?? minute.openTime - (minute.openTime % duration);
      if (stream.forming !== null && stream.forming.openTime !== bucket) this.#close(stream);
      const forming = stream.forming;
      if (forming === null) stream.partial = minute.openTime !== bucket;
      stream.forming =
        forming === null
          ? { ...minute, timeframe: stream.timeframe, openTime: bucket, durationMs: duration }
          : { ...forming, high: Decimal.max(forming.high, minute.high), low: Decimal.min(forming.low, minute.low), close: minute.close, volume: forming.volume.add(minute.volume) };
      if (minute.openTime + minute.durationMs >= bucket + duration) this.#close(stream);
    }
  }

  #close(stream: Stream): void {
    const candle = stream.forming;
    stream.forming = null;
    if (candle === null) return;
    if (stream.partial) {
      this.#options.logger.info({ venue: this.#options.name, instrumentId: stream.instrumentId, timeframe: stream.timeframe }, 'the first live candle began mid-bucket and is not delivered; candles follow from the next bucket');
      stream.partial = false;
      return;
    }
    const last = stream.candles.at(-1);
    if (last !== undefined && last.openTime >= candle.openTime) return;
    stream.candles.push(candle);
    if (stream.candles.length > (this.#options.historyLimit ?? 1_000)) stream.candles.shift();
    for (const listener of [...stream.listeners]) listener(candle);
  }

  #candle(raw: Record<string, unknown>, instrument: Instrument, timeframe: Timeframe): TimeframeCandle {
    const openTime = Date.parse(String(raw['t'] ?? raw['timestamp']));
    if (Number.isNaN(openTime)) throw new InvalidInputError(`a bar of ${instrument.id} has no time`);
    const volume = raw['v'] ?? raw['volume'];
    return {
      instrumentId: instrument.id,
      timeframe,
      openTime,
      durationMs: TIMEFRAME_MS[timeframe],
      open: price(raw['o'] ?? raw['open'], instrument.tickSize),
      high: price(raw['h'] ?? raw['high'], instrument.tickSize),
      low: price(raw['l'] ?? raw['low'], instrument.tickSize),
      close: price(raw['c'] ?? raw['close'], instrument.tickSize),
      volume: typeof volume === 'number' && volume >= 0 ? Decimal.parse(String(volume)) : Decimal.ZERO,
    };
  }

  #instrument(instrumentId: InstrumentId): Instrument {
    const instrument = this.#bySymbol.get(instrumentSymbol(instrumentId));
    if (instrument === undefined) throw new ConfigurationError(`${this.#options.name} serves no ${instrumentId}`);
    return instrument;
  }

  #stream(instrumentId: InstrumentId, timeframe: Timeframe): Stream {
    const key = `${instrumentId} ${timeframe}`;
    let stream = this.#streams.get(key);
    if (stream === undefined) this.#streams.set(key, (stream = { instrumentId, timeframe, candles: [], forming: null, partial: false, listeners: new Set() }));
    return stream;
  }
}
