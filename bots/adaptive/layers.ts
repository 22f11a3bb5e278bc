import { ADX, ATR, BollingerBands, BollingerBandsWidth, EMA, SMA } from 'trading-signals';

/** One closed candle as plain numbers: converted from Decimals once per candle, then shared by every layer. */
export interface Bar {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** What the indicators say after a candle; only meaningful when IndicatorTrack.update returned true. */
export interface Reading {
  adx: number;
  /** +DI and −DI as fractions, as trading-signals gives them. */
  plusDi: number;
  minusDi: number;
  /** (upper − lower) ÷ middle of the Bollinger bands. */
  bandWidth: number;
  /** This candle's volume over the average of the candles before it. */
  volumeRatio: number;
  fastEma: number;
  midEma: number;
  slowEma: number;
  atr: number;
  /** High − low of the candle before this one. */
  previousRange: number;
}

export interface IndicatorParameters {
  adxPeriod: number;
  bollingerPeriod: number;
  bollingerDeviations: number;
  volumePeriod: number;
  fastEmaPeriod: number;
  midEmaPeriod: number;
  slowEmaPeriod: number;
  atrPeriod: number;
}

export interface LayerParameters {
  adxThreshold: number;
  bandWidthMin: number;
  bandWidthMax: number;
  volumeK: number;
  breakoutK: number;
  pullbackToleranceAtr: number;
}

export type Layer = 'ENVIRONMENT' | 'DIRECTION' | 'TRIGGER';
export type Direction = 'LONG' | 'SHORT';
export type Trigger = 'BREAKOUT' | 'PULLBACK';

export type Verdict = { blocked: Layer } | { blocked: null; direction: Direction; trigger: Trigger };

/**
 * One instrument's indicators, fed once per closed candle. The reading object is reused between candles so a
 * year of 15-minute candles does not allocate one per candle.
 */
export class IndicatorTrack {
  readonly reading: Reading = { adx: 0, plusDi: 0, minusDi: 0, bandWidth: 0, volumeRatio: 0, fastEma: 0, midEma: 0, slowEma: 0, atr: 0, previousRange: 0 };
  readonly #adx: ADX;
  readonly #bandWidth: BollingerBandsWidth;
  readonly #volume: SMA;
  readonly #fast: EMA;
  readonly #mid: EMA;
  readonly #slow: EMA;
  readonly #atr: ATR;
  #previousRange: number | null = null;

  constructor(p: IndicatorParameters) {
    this.#adx = new ADX(p.adxPeriod);
    this.#bandWidth = new BollingerBandsWidth(new BollingerBands(p.bollingerPeriod, p.bollingerDeviations));
    this.#volume = new SMA(p.volumePeriod);
    this.#fast = new EMA(p.fastEmaPeriod);
    this.#mid = new EMA(p.midEmaPeriod);
    this.#slow = new EMA(p.slowEmaPeriod);
    this.#atr = new ATR(p.atrPeriod);
  }

  /** Feeds one candle; true when every indicator is warm and finite, so the reading can be judged. */
  update(bar: Bar): boolean {
    // The average is read before this candle joins it, so a spike is measured against the candles before it.
    const averageVolume = this.#volume.getResult();
    this.#volume.add(bar.volume);
    const hlc = { high: bar.high, low: bar.low, close: bar.close };
    const adx = this.#adx.add(hlc);
    const atr = this.#atr.add(hlc);
    const bandWidth = this.#bandWidth.add(bar.close);
    this.#fast.add(bar.close);
    this.#mid.add(bar.close);
    this.#slow.add(bar.close);
    const previousRange = this.#previousRange;
    this.#previousRange = bar.high - bar.low;
    const plusDi = this.#adx.pdi;
    const minusDi = this.#adx.mdi;
    if (adx === null || atr === null || bandWidth === null || averageVolume === null || previousRange === null || !this.#slow.isStable) return false;
    if (typeof plusDi !== 'number' || typeof minusDi !== 'number') return false;
    const r = this.reading;
    r.adx = adx;
    r.plusDi = plusDi;
    r.minusDi = minusDi;
    r.bandWidth = bandWidth;
    r.volumeRatio = averageVolume > 0 ? bar.volume / averageVolume : 0;
    r.fastEma = this.#fast.getResultOrThrow();
    r.midEma = this.#mid.getResultOrThrow();
    r.slowEma = this.#slow.getResultOrThrow();
    r.atr = atr;
    r.previousRange = previousRange;
    // Flat candles make trading-signals divide by a zero ATR; such a reading can say nothing.
    return Number.isFinite(adx + plusDi + minusDi + bandWidth + r.volumeRatio + atr) && atr > 0;
  }
}

/** Layer 1: is the market trending, neither asleep nor wild, and is anyone trading it? */
export function environmentPasses(r: Reading, p: LayerParameters): boolean {
  return r.adx >= p.adxThreshold && r.bandWidth >= p.bandWidthMin && r.bandWidth <= p.bandWidthMax && r.volumeRatio >= p.volumeK;
}

/** Layer 2: the side allowed, or null. A filter only: it never makes an entry by itself. */
export function directionOf(r: Reading): Direction | null {
  if (r.fastEma > r.midEma && r.midEma > r.slowEma && r.plusDi > r.minusDi) return 'LONG';
  if (r.fastEma < r.midEma && r.midEma < r.slowEma && r.minusDi > r.plusDi) return 'SHORT';
  return null;
}

/** Layer 3: a volatility breakout beyond open ± k × the previous range, or a pullback to the fast EMA that holds. */
export function triggerOf(bar: Bar, r: Reading, direction: Direction, p: LayerParameters): Trigger | null {
  const reach = p.breakoutK * r.previousRange;
  const tolerance = p.pullbackToleranceAtr * r.atr;
  if (direction === 'LONG') {
    if (bar.close > bar.open + reach) return 'BREAKOUT';
    if (bar.low <= r.fastEma + tolerance && bar.close > r.fastEma) return 'PULLBACK';
    return null;
  }
  if (bar.close < bar.open - reach) return 'BREAKOUT';
  if (bar.high >= r.fastEma - tolerance && bar.close < r.fastEma) return 'PULLBACK';
  return null;
}

/** The three layers in order: the first that fails is the one named. */
export function judge(bar: Bar, r: Reading, p: LayerParameters): Verdict {
  if (!environmentPasses(r, p)) return { blocked: 'ENVIRONMENT' };
  const direction = directionOf(r);
  if (direction === null) return { blocked: 'DIRECTION' };
  const trigger = triggerOf(bar, r, direction, p);
  if (trigger === null) return { blocked: 'TRIGGER' };
  return { blocked: null, direction, trigger };
}
