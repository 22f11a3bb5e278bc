import { ADX, ATR, EMA } from 'trading-signals';

export type Trend = 'UP' | 'DOWN' | 'NONE';
export const TRENDS: readonly Trend[] = ['UP', 'DOWN', 'NONE'];

export interface DailyTrendSettings {
  dailyFastEmaPeriod: number;
  dailySlowEmaPeriod: number;
  adxPeriod: number;
  adxThreshold: number;
  atrPeriod: number;
}

export interface DailyReading {
  /** Which way the daily EMAs point, or null before they are warm (or exactly equal). */
  alignment: 'UP' | 'DOWN' | null;
  /** The alignment, when ADX confirms it is a trend; NONE otherwise. */
  trend: Trend;
  adx: number | null;
  /** The daily ATR, or null before it is warm. */
  atr: number | null;
}

const COLD: DailyReading = { alignment: null, trend: 'NONE', adx: null, atr: null };

/**
 * The daily trend of one instrument, from closed daily candles only: EMA alignment for the direction and ADX
 * for its strength. Direction and strength are kept apart because a reversal of the alignment ends a trade
 * while a fading ADX only stops new entries.
 */
export class DailyTrend {
  readonly #fast: EMA;
  readonly #slow: EMA;
  readonly #adx: ADX;
  readonly #atr: ATR;
  readonly #threshold: number;
  #reading: DailyReading = COLD;

  constructor(settings: DailyTrendSettings) {
    this.#fast = new EMA(settings.dailyFastEmaPeriod);
    this.#slow = new EMA(settings.dailySlowEmaPeriod);
    this.#adx = new ADX(settings.adxPeriod);
    this.#atr = new ATR(settings.atrPeriod);
    this.#threshold = settings.adxThreshold;
  }

  get reading(): DailyReading {
    return this.#reading;
  }

  update(candle: { high: number; low: number; close: number }): DailyReading {
    this.#fast.add(candle.close);
    this.#slow.add(candle.close);
    this.#adx.add(candle);
    this.#atr.add(candle);
    const fast = this.#fast.getResult();
    const slow = this.#slow.getResult();
    const adxValue = this.#adx.getResult();
    const atrValue = this.#atr.getResult();
    // A market that never moves gives ADX 0/0; such a value confirms nothing.
    const adx = adxValue !== null && Number.isFinite(adxValue) ? adxValue : null;
    const atr = atrValue !== null && Number.isFinite(atrValue) && atrValue > 0 ? atrValue : null;
    const warm = fast !== null && slow !== null && this.#slow.isStable;
    const alignment = !warm || fast === slow ? null : fast > slow ? 'UP' : 'DOWN';
    const trend: Trend = alignment !== null && adx !== null && atr !== null && adx >= this.#threshold ? alignment : 'NONE';
    this.#reading = { alignment, trend, adx, atr };
    return this.#reading;
  }
}
