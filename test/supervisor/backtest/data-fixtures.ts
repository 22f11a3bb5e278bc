import { DataError } from '../../../supervisor/backtest/klines.ts';

/** What the data tests share: kline files of flat 5m candles in Binance's CSV layout from 2024-01-01T00:00Z, and catching a refusal. */

export const KLINES_START = Date.UTC(2024, 0, 1);
const FIVE_MINUTES = 300_000;

/** One row per candle index given: candle i opens at KLINES_START + i × 5m. */
export function fiveMinuteKlines(indexes: Iterable<number>): string {
  return [...indexes].map((index) => `${KLINES_START + index * FIVE_MINUTES},100,101,99,100.5,1,0,0,0,0,0,0`).join('\n');
}

/** `count` consecutive candle indexes from `from`. */
export const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, index) => from + index);

/** A day of 5m candles keeping 2 in every 40: 272 of 288 missing (94.4%), yet spaced as 5m candles. */
export const MOSTLY_MISSING_DAY = range(0, 288).filter((index) => index % 40 < 2);

/** The DataError `run` throws; anything else, or nothing, fails the test. */
export function refusal(run: () => unknown): DataError {
  try {
    run();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError');
}
