import { RollingBollingerBands } from 'flotilla/strategy';
import { ADX, ATR, EMA, RMA } from 'trading-signals';
import type { AggressiveParameters } from './parameters.ts';
import { RollingRank } from './rolling-rank.ts';

/** What the regime and the confidence read from one instrument's indicators after a candle. */
export interface Reading {
  close: number;
  atr: number;
  adx: number;
  /** +DI and -DI as fractions. */
  plusDirectional: number;
  minusDirectional: number;
  /** Share of the last atrPercentileLookback ATR/close values at or below the current one (0-1]. */
  atrPercentile: number;
  /** (upper - lower) / middle band. */
  bandWidth: number;
  /** Where the close sits between the lower (0) and the upper (1) band. */
  bandPosition: number;
  /** EMA change over slopeLookback candles, in ATRs. */
  slope: number;
}

/**
 * One instrument's indicators, updated in place once per candle. The readings are fields rather than a fresh
 * object so that a backtest pushing hundreds of thousands of candles through allocates almost nothing.
 */
export class InstrumentIndicators implements Reading {
  close = 0;
  atr = 0;
  adx = 0;
  plusDirectional = 0;
  minusDirectional = 0;
  atrPercentile = 0;
  bandWidth = 0;
  bandPosition = 0;
  slope = 0;

  readonly #ema: EMA;
  readonly #emaPeriod: number;
  readonly #atr: ATR;
  readonly #adx: ADX;
  readonly #bands: RollingBollingerBands;
  /** The last slopeLookback EMA values, oldest at #emaNext once full. */
  readonly #emaHistory: Float64Array;
  #emaNext = 0;
  #emaCount = 0;
  /** Ranks ATR as a share of the close, so a drifting price level does not move the percentile. */
  readonly #atrRank: RollingRank;

  constructor(p: AggressiveParameters) {
    this.#ema = new EMA(p.emaPeriod);
    this.#emaPeriod = p.emaPeriod;
    // Wilder's smoothing as RMA rather than the default WSMA: the same 1/period weights, without WSMA's inner
    // SMA window, so ADX and ATR update almost twice as fast; the two differ only in their seed, which has
    // decayed to nothing by the time the ATR percentile window is full.
    this.#atr = new ATR(p.atrPeriod, RMA);
    this.#adx = new ADX(p.adxPeriod, RMA);
    // trading-signals' own BollingerBands recomputes its whole window on every update, 40% of this class's time over a
    // backtest year; the rolling version gives the same bands (checked on every update in its tests) in constant time.
    this.#bands = new RollingBollingerBands(p.bollingerPeriod, p.bollingerDeviation);
    this.#emaHistory = new Float64Array(p.slopeLookback);
    this.#atrRank = new RollingRank(p.atrPercentileLookback);
  }

  /** Feeds one candle; true once every reading is warm. */
  update(high: number, low: number, close: number): boolean {
    // ATR and ADX keep the previous candle by reference, so each candle needs its own object.
    const candle = { high, low, close };
    const ema = this.#ema.add(close);
    const atr = this.#atr.add(candle);
    const adx = this.#adx.add(candle);
    const bands = this.#bands.add(close);
    this.close = close;

    // EMA values are kept once the EMA is warm; the slope needs the one from slopeLookback candles ago.
    const emaHistory = this.#emaHistory;
    const stored = ++this.#emaCount - this.#emaPeriod;
    const emaThen = emaHistory[this.#emaNext] ?? 0;
    const slopeReady = stored >= emaHistory.length;
    if (stored >= 0 && ema !== null) {
      emaHistory[this.#emaNext] = ema;
      this.#emaNext = (this.#emaNext + 1) % emaHistory.length;
    }
    // The ATR is ranked from its first value, so the percentile window fills while the slower ADX warms up.
    const atrPercentile = atr === null ? 0 : this.#atrRank.push(atr / close);
    if (atr === null || adx === null || bands === null || ema === null || atr <= 0 || !slopeReady || !this.#atrRank.full) return false;
    const span = bands.upper - bands.lower;

    this.atr = atr;
    this.adx = adx;
    this.plusDirectional = this.#adx.pdi ?? 0;
    this.minusDirectional = this.#adx.mdi ?? 0;
    this.atrPercentile = atrPercentile;
    this.bandWidth = span / bands.middle;
    this.bandPosition = span > 0 ? (close - bands.lower) / span : 0.5;
    this.slope = (ema - emaThen) / atr;
    return true;
  }
}
