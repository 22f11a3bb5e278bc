import { ATR, EMA, RMA, RSI, SMA } from 'trading-signals';

/**
 * A stock's score in [-1, +1] on its own 1-minute candles, from its own price and volume:
 *
 *   trend    = clamp((EMA(fast) − EMA(slow)) / (trendAtr × ATR))
 *   momentum = clamp((close − close momentumPeriod candles ago) / (momentumAtr × ATR))
 *   rsi      = (RSI − 50) / 50
 *   price    = (trendWeight × trend + momentumWeight × momentum + rsiWeight × rsi) / (sum of the weights)
 *   volume   = clamp(volume / SMA(volume, volumePeriod) before this candle, volumeFloor, 1)
 *   score    = price × volume
 *
 * clamp keeps a vote within [-1, +1]. The price votes say which way and how far the stock moves, measured in its
 * own ATR so a volatile stock needs a larger move; volume says how much to believe it: a move on thin volume keeps
 * only volumeFloor of its score, one on average volume or more keeps all of it. |score| > signalThreshold is a signal.
 */
export interface ScoreParameters {
  fastEmaPeriod: number;
  slowEmaPeriod: number;
  momentumPeriod: number;
  rsiPeriod: number;
  atrPeriod: number;
  volumePeriod: number;
  trendAtr: number;
  momentumAtr: number;
  trendWeight: number;
  momentumWeight: number;
  rsiWeight: number;
  volumeFloor: number;
}

const clamp = (value: number, low = -1, high = 1): number => (value > high ? high : value < low ? low : value);

/** One instrument's indicators and its latest score; fed once per closed 1-minute candle. */
export class Scorer {
  /** Null until every indicator is warm. */
  score: number | null = null;
  close = 0;
  atr = 0;
  /** The candle's open time the reading is of. */
  openTime = Number.NEGATIVE_INFINITY;
  readonly #p: ScoreParameters;
  readonly #fast: EMA;
  readonly #slow: EMA;
  readonly #rsi: RSI;
  readonly #atr: ATR;
  readonly #volume: SMA;
  /** Recent closes, newest last: momentum's look-back and the basket trend's. */
  readonly #closes: number[] = [];
  readonly #keep: number;

  constructor(p: ScoreParameters, keepCloses: number) {
    this.#p = p;
    this.#fast = new EMA(p.fastEmaPeriod);
    this.#slow = new EMA(p.slowEmaPeriod);
    this.#rsi = new RSI(p.rsiPeriod);
    this.#atr = new ATR(p.atrPeriod, RMA);
    this.#volume = new SMA(p.volumePeriod);
    this.#keep = Math.max(p.momentumPeriod, keepCloses) + 1;
  }

  /** Takes one candle; the score after it, or null while warming up. */
  update(openTime: number, high: number, low: number, close: number, volume: number): number | null {
    const p = this.#p;
    // The average is read before this candle joins it, so a spike is measured against the candles before it.
    const averageVolume = this.#volume.getResult();
    this.#volume.add(volume);
    const fast = this.#fast.add(close);
    const slow = this.#slow.add(close);
    const rsi = this.#rsi.add(close);
    const atr = this.#atr.add({ high, low, close });
    this.#closes.push(close);
    if (this.#closes.length > this.#keep) this.#closes.shift();
    this.close = close;
    this.openTime = openTime;
    const then = this.#closes.length > p.momentumPeriod ? this.#closes[this.#closes.length - 1 - p.momentumPeriod] : undefined;
    if (fast === null || slow === null || rsi === null || atr === null || averageVolume === null || then === undefined || !this.#slow.isStable) {
      this.score = null;
      return null;
    }
    this.atr = atr;
    this.score = scoreOf({ fast, slow, rsi, atr, close, then, volume, averageVolume }, p);
    return this.score;
  }

  /** close / (the close `minutes` candles ago) − 1, or null without that much history. */
  returnOver(minutes: number): number | null {
    const closes = this.#closes;
    const then = closes[closes.length - 1 - minutes];
    return then === undefined || then <= 0 ? null : this.close / then - 1;
  }
}

/** The formula above on one reading; exported so tests can hold it to the documentation. */
export function scoreOf(r: { fast: number; slow: number; rsi: number; atr: number; close: number; then: number; volume: number; averageVolume: number }, p: ScoreParameters): number {
  // Flat candles give no ATR; such a reading says nothing about direction.
  const trend = r.atr > 0 ? clamp((r.fast - r.slow) / (p.trendAtr * r.atr)) : 0;
  const momentum = r.atr > 0 ? clamp((r.close - r.then) / (p.momentumAtr * r.atr)) : 0;
  const rsi = Number.isFinite(r.rsi) ? clamp((r.rsi - 50) / 50) : 0;
  const weights = p.trendWeight + p.momentumWeight + p.rsiWeight;
  const price = (p.trendWeight * trend + p.momentumWeight * momentum + p.rsiWeight * rsi) / weights;
  const volume = r.averageVolume > 0 ? clamp(r.volume / r.averageVolume, p.volumeFloor, 1) : p.volumeFloor;
  const score = clamp(price * volume);
  return Number.isFinite(score) ? score : 0;
}

/** +1 long signal, −1 short signal, 0 none. */
export function signalOf(score: number | null, threshold: number): -1 | 0 | 1 {
  if (score === null) return 0;
  return score > threshold ? 1 : score < -threshold ? -1 : 0;
}
