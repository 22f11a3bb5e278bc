import { basename } from 'node:path';
import type { Candle } from '../../../core/candle.ts';
import { sleepUntil, type Clock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import type { InstrumentId } from '../../../core/ids.ts';
import type { Timeframe } from '../../../core/strategy.ts';
import { findDataFiles, loadData } from '../../../supervisor/backtest/data-source.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import type { Exchange } from './exchange.ts';
import type { ListedInstrument } from './instruments.ts';
import { INTERVAL_MS, KlineBook, type Interval, type KlineUpdate } from './kline-book.ts';

/**
 * The stand-in's market: closed 1m candles, from the synthetic market, from replayed kline files, or pushed by a
 * test. Each one goes to the matching engine first (the fills it causes are pushed before the kline that closes
 * with them) and then to the kline book, whose updates the public WebSocket publishes.
 */

const TIMEFRAME_OF: Record<Interval, Timeframe> = { '1': '1m', '5': '5m', '15': '15m', '60': '1h', '240': '4h', D: '1d' };
const MINUTE_MS = 60_000;

/** A source the driver paces: it emits every 1m candle that has closed by a time; null when it has no more. */
export interface PacedSource {
  nextCloseTime(): number | null;
  advanceTo(ms: number): void;
}

export class Market {
  readonly klines: KlineBook;
  readonly #exchange: Exchange;
  readonly #symbols = new Map<InstrumentId, string>();
  readonly #listeners = new Set<(updates: KlineUpdate[]) => void>();

  constructor(exchange: Exchange, instruments: readonly ListedInstrument[]) {
    this.#exchange = exchange;
    for (const listed of instruments) this.#symbols.set(listed.instrument.id, listed.symbol);
    this.klines = new KlineBook(instruments.map((listed) => listed.symbol));
  }

  onKlines(listener: (updates: KlineUpdate[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** One closed 1m candle of a listed instrument. */
  deliver(candle: Candle): void {
    const symbol = this.#symbols.get(candle.instrumentId);
    if (symbol === undefined) throw new InvalidInputError(`the stand-in does not list ${candle.instrumentId}`);
    // Checked first, so a bad candle changes neither the engine nor the klines.
    this.klines.checkMinute(symbol, candle);
    this.#exchange.onMinute(candle);
    const updates = this.klines.addMinute(symbol, candle);
    for (const listener of this.#listeners) listener(updates);
  }

  /** A history candle already in the kline book: only the engine takes it, to know the price. */
  primeEngine(candle: Candle): void {
    this.#exchange.onMinute(candle);
  }

  /**
   * A test's candle: the next minute after the symbol's last one (or the minute before `now` for the first),
   * with the volume given or a large one, so resting orders are not held back by participation.
   */
  push(symbol: string, prices: { open: string; high: string; low: string; close: string; volume?: string }, now: number): Candle {
    const listed = this.#exchange.instrument(symbol);
    if (listed === undefined) throw new InvalidInputError(`the stand-in does not list ${symbol}`);
    const last = this.klines.lastMinute(symbol);
    const openTime = last === undefined ? Math.floor(now / MINUTE_MS) * MINUTE_MS - MINUTE_MS : last + MINUTE_MS;
    const candle: Candle = {
      instrumentId: listed.instrument.id,
      openTime,
      durationMs: MINUTE_MS,
      open: Decimal.parse(prices.open, 'open'),
      high: Decimal.parse(prices.high, 'high'),
      low: Decimal.parse(prices.low, 'low'),
      close: Decimal.parse(prices.close, 'close'),
      volume: Decimal.parse(prices.volume ?? '1000000', 'volume'),
    };
    this.deliver(candle);
    return candle;
  }
}

/**
 * The synthetic market (the paper fleet's) from `historyDays` before `startMs`: history fills the kline book, the
 * last minute of it sets each instrument's price, and from then on every 1m candle reaches the market as it closes.
 */
export function syntheticSource(market: Market, instruments: readonly ListedInstrument[], options: { seed: number; startMs: number; historyDays: number }): PacedSource {
  const liveFromMs = Math.floor(options.startMs / MINUTE_MS) * MINUTE_MS;
  const originMs = Math.floor((liveFromMs - options.historyDays * INTERVAL_MS.D) / INTERVAL_MS.D) * INTERVAL_MS.D;
  const source = new SyntheticCandleSource({
    seed: options.seed,
    startMs: originMs,
    // A day of minutes, so the forming daily kline can be rebuilt from them.
    historyLimit: 1_500,
    instruments: instruments.map((listed) => {
      const entry = { id: listed.instrument.id, tickSize: listed.instrument.tickSize, lotStep: listed.instrument.lotStep, startPrice: listed.startPrice };
      return listed.turnoverPerMinute === undefined ? entry : { ...entry, turnoverPerMinute: listed.turnoverPerMinute };
    }),
  });
  source.advanceTo(liveFromMs);
  for (const listed of instruments) {
    const id = listed.instrument.id;
    for (const [interval, timeframe] of Object.entries(TIMEFRAME_OF) as [Interval, Timeframe][]) {
      market.klines.seed(listed.symbol, interval, source.history(id, timeframe, 1_000, liveFromMs));
    }
    const minutes = source.history(id, '1m', 1_500, liveFromMs);
    for (const minute of minutes) market.klines.addMinute(listed.symbol, minute);
    const last = minutes[minutes.length - 1];
    // The engine needs a price before the first live minute; no order exists yet, so this fills nothing.
    if (last !== undefined) market.primeEngine(last);
    source.subscribe(id, '1m', (candle) => market.deliver(candle));
  }
  return { nextCloseTime: () => source.nextCloseTime(), advanceTo: (ms) => source.advanceTo(ms) };
}

/**
 * Replayed 1m klines (Binance or Bybit exports named <SYMBOL>-1m[...].csv|json, as `supervisor backtest --data`
 * reads them) for the listed symbols found in `path`. The market starts at the first candle; each one is delivered
 * when the clock passes its close, and the market stands still after the last.
 */
export function replaySource(market: Market, instruments: readonly ListedInstrument[], path: string): { source: PacedSource; startMs: number; findings: string[] } {
  const { files } = findDataFiles(path);
  const present = new Set(files.map((file) => file.symbol));
  const replayed = instruments.filter((listed) => present.has(listed.symbol));
  if (replayed.length === 0) throw new InvalidInputError(`${path}: no kline file for any listed symbol (${instruments.map((listed) => listed.symbol).join(', ')}); name them <SYMBOL>-1m.csv or .json`);
  for (const file of files) {
    if (file.timeframe !== '1m' && replayed.some((listed) => listed.symbol === file.symbol)) {
      throw new InvalidInputError(`${basename(file.path)}: the stand-in replays 1m klines only (its engine matches each minute); got ${file.timeframe}`);
    }
  }
  const loaded = loadData({ path, instruments: replayed.map((listed) => listed.instrument.id), timeframes: ['1m'] });
  const candles: Candle[] = [];
  for (let candle = loaded.feed.next(); candle !== undefined; candle = loaded.feed.next()) candles.push(candle);
  const first = candles[0];
  if (first === undefined) throw new InvalidInputError(`${path}: no klines to replay`);
  let next = 0;
  const source: PacedSource = {
    nextCloseTime: () => {
      const candle = candles[next];
      return candle === undefined ? null : candle.openTime + candle.durationMs;
    },
    advanceTo: (ms) => {
      while (next < candles.length && (candles[next] as Candle).openTime + MINUTE_MS <= ms) market.deliver(candles[next++] as Candle);
    },
  };
  return { source, startMs: first.openTime, findings: loaded.findings };
}

/** Emits each candle as the clock passes its close, until the source runs out or `signal` aborts. */
export async function runPacedSource(clock: Clock & { readonly speed?: number }, source: PacedSource, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    const next = source.nextCloseTime();
    if (next === null) return;
    if (!(await sleepUntil(clock, next, signal))) return;
    source.advanceTo(clock.now());
  }
}
