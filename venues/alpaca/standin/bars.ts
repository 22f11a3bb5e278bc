import type { Candle } from '../../../core/candle.ts';
import { Decimal } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { newYorkDate, newYorkOffsetHours } from '../../../core/us-equity-calendar.ts';
import { invalid } from './wire.ts';

/**
 * Every closed 1m bar per symbol, and Alpaca's larger timeframes built from them on request: N Min and N Hour
 * buckets aligned to the epoch, 1Day on the New York calendar date (stamped at New York midnight, as Alpaca does).
 */

export interface Bar {
  t: number;
  o: Decimal;
  h: Decimal;
  l: Decimal;
  c: Decimal;
  v: Decimal;
  n: number;
}

const MINUTE_MS = 60_000;
const MAX_MINUTES = 200_000;

export interface Timeframe {
  text: string;
  bucket(t: number): number;
}

export function parseTimeframe(text: string): Timeframe {
  const match = /^(\d+)(Min|T|Hour|H|Day|D)$/.exec(text);
  if (match === null) throw invalid(`invalid timeframe ${JSON.stringify(text)} (the stand-in serves NMin, NHour and 1Day)`);
  const amount = Number(match[1]);
  const unit = match[2];
  if (unit === 'Min' || unit === 'T') {
    if (amount < 1 || amount > 59) throw invalid('minute timeframes go from 1Min to 59Min');
    return { text, bucket: (t) => t - (t % (amount * MINUTE_MS)) };
  }
  if (unit === 'Hour' || unit === 'H') {
    if (amount < 1 || amount > 23) throw invalid('hour timeframes go from 1Hour to 23Hour');
    return { text, bucket: (t) => t - (t % (amount * 60 * MINUTE_MS)) };
  }
  if (amount !== 1) throw invalid('the stand-in serves 1Day only');
  return {
    text,
    bucket: (t) => {
      const { year, month, day } = newYorkDate(t);
      return Date.UTC(year, month, day) - newYorkOffsetHours(year, month, day) * 3_600_000;
    },
  };
}

export class BarBook {
  readonly #minutes = new Map<string, Bar[]>();

  constructor(symbols: readonly string[]) {
    for (const symbol of symbols) this.#minutes.set(symbol, []);
  }

  serves(symbol: string): boolean {
    return this.#minutes.has(symbol);
  }

  lastMinute(symbol: string): number | undefined {
    return this.#minutes.get(symbol)?.at(-1)?.t;
  }

  /** Refuses a bar that is not the symbol's next minute; nothing is changed then. */
  check(symbol: string, candle: Candle): void {
    const minutes = this.#minutes.get(symbol);
    if (minutes === undefined) throw new InvalidInputError(`the stand-in does not list ${symbol}`);
    if (candle.durationMs !== MINUTE_MS || candle.openTime % MINUTE_MS !== 0) throw new InvalidInputError(`${symbol}: bars are whole 1m bars`);
    const last = minutes.at(-1);
    if (last !== undefined && candle.openTime <= last.t) throw new InvalidInputError(`${symbol}: a bar at ${new Date(candle.openTime).toISOString()} is not after the last one`);
  }

  add(symbol: string, candle: Candle): Bar {
    this.check(symbol, candle);
    const minutes = this.#minutes.get(symbol) as Bar[];
    const bar: Bar = { t: candle.openTime, o: candle.open, h: candle.high, l: candle.low, c: candle.close, v: candle.volume, n: 1 };
    minutes.push(bar);
    if (minutes.length > MAX_MINUTES) minutes.splice(0, minutes.length - MAX_MINUTES);
    return bar;
  }

  /** Bars of `timeframe` whose start is in [start, end], oldest first; a bucket is built from the minutes it holds. */
  bars(symbol: string, timeframe: Timeframe, start: number, end: number): Bar[] {
    const out: Bar[] = [];
    let current: Bar | null = null;
    for (const minute of this.#minutes.get(symbol) ?? []) {
      const bucket = timeframe.bucket(minute.t);
      if (bucket < start || bucket > end) continue;
      if (current === null || current.t !== bucket) {
        current = { ...minute, t: bucket };
        out.push(current);
      } else {
        current.h = Decimal.max(current.h, minute.h);
        current.l = Decimal.min(current.l, minute.l);
        current.c = minute.c;
        current.v = current.v.add(minute.v);
        current.n += minute.n;
      }
    }
    return out;
  }
}
