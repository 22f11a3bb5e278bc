import type { Candle } from '../../../core/candle.ts';
import { Decimal } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';

/**
 * Every kline the stand-in can serve, per symbol and interval: closed klines (the newest `limit` of them) and the
 * one still forming. Intervals above 1m are built from the 1m candles the market delivers, so a 5m kline is always
 * the exact aggregate of its minutes, on REST and on the WebSocket alike.
 */

export const INTERVALS = ['1', '5', '15', '60', '240', 'D'] as const;
export type Interval = (typeof INTERVALS)[number];

export const INTERVAL_MS: Record<Interval, number> = { '1': 60_000, '5': 300_000, '15': 900_000, '60': 3_600_000, '240': 14_400_000, D: 86_400_000 };

export interface Kline {
  start: number;
  open: Decimal;
  high: Decimal;
  low: Decimal;
  close: Decimal;
  volume: Decimal;
  turnover: Decimal;
}

/** What changed with one 1m candle: each interval's kline as it now stands, and whether it closed with it. */
export interface KlineUpdate {
  symbol: string;
  interval: Interval;
  kline: Kline;
  confirm: boolean;
}

interface Series {
  closed: Kline[];
  forming: Kline | null;
}

export const DEFAULT_KLINE_LIMIT = 1000;

function klineOf(candle: Candle): Kline {
  return { start: candle.openTime, open: candle.open, high: candle.high, low: candle.low, close: candle.close, volume: candle.volume, turnover: candle.volume.mul(candle.close).round(8) };
}

function fold(into: Kline, minute: Kline): void {
  if (minute.high.gt(into.high)) into.high = minute.high;
  if (minute.low.lt(into.low)) into.low = minute.low;
  into.close = minute.close;
  into.volume = into.volume.add(minute.volume);
  into.turnover = into.turnover.add(minute.turnover);
}

export class KlineBook {
  readonly #limit: number;
  readonly #series = new Map<string, Map<Interval, Series>>();
  readonly #lastMinute = new Map<string, number>();

  constructor(symbols: readonly string[], limit = DEFAULT_KLINE_LIMIT) {
    this.#limit = limit;
    for (const symbol of symbols) this.#series.set(symbol, new Map(INTERVALS.map((interval) => [interval, { closed: [], forming: null }])));
  }

  /** Closed klines from a source's history, oldest first; the forming one is then built from the minutes that follow. */
  seed(symbol: string, interval: Interval, candles: readonly Candle[]): void {
    const series = this.#of(symbol, interval);
    series.closed = candles.slice(-this.#limit).map(klineOf);
  }

  /** Refuses a candle the market cannot take, before anything (the engine included) has seen it. */
  checkMinute(symbol: string, candle: Candle): void {
    if (candle.durationMs !== INTERVAL_MS['1'] || candle.openTime % INTERVAL_MS['1'] !== 0) {
      throw new InvalidInputError(`${symbol}: a market candle must be one whole minute, got ${candle.durationMs} ms at ${candle.openTime}`);
    }
    const last = this.#lastMinute.get(symbol);
    if (last !== undefined && candle.openTime <= last) throw new InvalidInputError(`${symbol}: candle at ${candle.openTime} is not after the last one at ${last}`);
    const { open, high, low, close, volume } = candle;
    if (!low.isPositive() || low.gt(open) || low.gt(close) || high.lt(open) || high.lt(close) || volume.isNegative()) {
      throw new InvalidInputError(`${symbol}: candle at ${candle.openTime} is inconsistent: O ${open.toString()} H ${high.toString()} L ${low.toString()} C ${close.toString()} V ${volume.toString()}`);
    }
  }

  /** Folds one closed 1m candle into every interval; returns the updates in interval order. */
  addMinute(symbol: string, candle: Candle): KlineUpdate[] {
    this.checkMinute(symbol, candle);
    this.#lastMinute.set(symbol, candle.openTime);
    const minute = klineOf(candle);
    const updates: KlineUpdate[] = [];
    for (const interval of INTERVALS) {
      const series = this.#of(symbol, interval);
      const length = INTERVAL_MS[interval];
      const start = Math.floor(candle.openTime / length) * length;
      const lastClosed = series.closed[series.closed.length - 1];
      if (lastClosed !== undefined && lastClosed.start >= start) continue;
      if (series.forming !== null && series.forming.start !== start) this.#close(series);
      if (series.forming === null) series.forming = { ...minute, start };
      else fold(series.forming, minute);
      const confirm = candle.openTime + INTERVAL_MS['1'] === start + length;
      const kline = { ...series.forming };
      if (confirm) this.#close(series);
      updates.push({ symbol, interval, kline, confirm });
    }
    return updates;
  }

  /** Newest first, as /v5/market/kline answers: the forming kline (if any) and then closed ones, within [start, end]. */
  list(symbol: string, interval: Interval, limit: number, startMs?: number, endMs?: number): Kline[] {
    const series = this.#of(symbol, interval);
    const all = series.forming === null ? series.closed : [...series.closed, series.forming];
    const rows: Kline[] = [];
    for (let index = all.length - 1; index >= 0 && rows.length < limit; index--) {
      const kline = all[index] as Kline;
      if (endMs !== undefined && kline.start > endMs) continue;
      if (startMs !== undefined && kline.start < startMs) break;
      rows.push(kline);
    }
    return rows;
  }

  lastMinute(symbol: string): number | undefined {
    return this.#lastMinute.get(symbol);
  }

  #close(series: Series): void {
    if (series.forming === null) return;
    series.closed.push(series.forming);
    series.forming = null;
    if (series.closed.length >= 2 * this.#limit) series.closed.splice(0, series.closed.length - this.#limit);
  }

  #of(symbol: string, interval: Interval): Series {
    const series = this.#series.get(symbol)?.get(interval);
    if (series === undefined) throw new InvalidInputError(`no kline series for ${symbol} ${interval}`);
    return series;
  }
}
