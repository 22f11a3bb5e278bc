import { resolve } from 'node:path';
import { Decimal } from '../../../core/decimal.ts';
import type { InstrumentId } from '../../../core/ids.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import type { AggressiveParameters } from '../../../bots/aggressive/parameters.ts';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const BOT_PATH = resolve(PROJECT_ROOT, 'bots', 'aggressive');
export const FIVE_MINUTES = 300_000;
/** A Monday 00:00 UTC: on a 5-minute boundary, and on every scan-interval boundary a test uses. */
export const T0 = Date.UTC(2026, 2, 2, 0, 0);

export const BTC = parseInstrumentId('BTCUSDT.BYBIT');
export const ETH = parseInstrumentId('ETHUSDT.BYBIT');
export const SOL = parseInstrumentId('SOLUSDT.BYBIT');
export const XRP = parseInstrumentId('XRPUSDT.BYBIT');
export const DOGE = parseInstrumentId('DOGEUSDT.BYBIT');
export const ADA = parseInstrumentId('ADAUSDT.BYBIT');
export const LINK = parseInstrumentId('LINKUSDT.BYBIT');

/** The manifest's defaults, restated so the tests notice if the manifest drifts from what they assume. */
export const DEFAULTS: AggressiveParameters = {
  emaPeriod: 21,
  slopeLookback: 5,
  adxPeriod: 14,
  atrPeriod: 14,
  bollingerPeriod: 20,
  bollingerDeviation: 2,
  atrPercentileLookback: 200,
  trendAdx: 25,
  trendSlopeAtr: 0.5,
  highVolatilityPercentile: 0.9,
  quietBandWidth: 0.004,
  directionalWeight: 0.4,
  slopeWeight: 0.35,
  bandWeight: 0.25,
  baseThreshold: 0.7,
  uptrendLongAdjustment: -0.08,
  uptrendShortAdjustment: 0.1,
  downtrendLongAdjustment: 0.1,
  downtrendShortAdjustment: -0.08,
  highVolatilityLongAdjustment: 0.1,
  highVolatilityShortAdjustment: 0.1,
  quietLongAdjustment: 0.05,
  quietShortAdjustment: 0.05,
  choppyLongAdjustment: 0.12,
  choppyShortAdjustment: 0.12,
  stopAtr: 1.2,
  takeProfitAtr: 1.8,
  trailingAtr: 0.8,
  trailingActivationAtr: 0.6,
  trailingStepAtr: 0.1,
  maxConcurrentPositions: 3,
  scanIntervalCandles: 1,
  riskFraction: 0.0005,
  drawdownFloor: 0.25,
};

/**
 * One stretch of a synthetic market, as shares of the price per candle: `drift` is the trend, `swing` the
 * amplitude of a zig-zag of `period` candles around it, `noise` a seeded random jitter and `wick` how far
 * highs and lows reach beyond the body.
 */
export interface Segment {
  candles: number;
  drift: number;
  swing: number;
  period: number;
  noise: number;
  wick: number;
}

/** A wide sideways market: the warm-up before each regime, so later ATRs are ranked against a busy history. */
export const WARM_UP: Segment = { candles: 240, drift: 0, swing: 0.004, period: 6, noise: 0.0015, wick: 0.002 };
export const UPTREND: Segment = { candles: 60, drift: 0.0012, swing: 0.0004, period: 4, noise: 0.0002, wick: 0.0006 };
export const DOWNTREND: Segment = { ...UPTREND, drift: -0.0012 };
export const QUIET: Segment = { candles: 60, drift: 0, swing: 0.0004, period: 6, noise: 0.0002, wick: 0.0003 };
export const CHOPPY: Segment = { candles: 60, drift: 0, swing: 0.003, period: 6, noise: 0.001, wick: 0.0012 };
/** Sharp turns against a trend while the regime still says trend: where counter-trend entries happen. */
export const DIP: Segment = { candles: 4, drift: -0.004, swing: 0, period: 2, noise: 0.0003, wick: 0.0006 };
export const BOUNCE: Segment = { ...DIP, drift: 0.004 };
/** A fall with wide candles: high volatility with the shorts' votes behind it. */
export const PANIC: Segment = { candles: 12, drift: -0.004, swing: 0.002, period: 4, noise: 0.004, wick: 0.006 };
export const SPIKE: Segment = { candles: 12, drift: 0, swing: 0.012, period: 4, noise: 0.006, wick: 0.008 };

/** A small linear congruential generator: the same seed gives the same market on every machine. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296 - 0.5;
  };
}

/** Candles for the segments in order, starting at `start` (a price) and T0 (a time). */
export function market(instrumentId: InstrumentId, segments: readonly Segment[], options: { start?: number; seed?: number; from?: number } = {}): TimeframeCandle[] {
  const next = random(options.seed ?? 7);
  const candles: TimeframeCandle[] = [];
  let price = options.start ?? 100;
  let time = options.from ?? T0;
  let step = 0;
  for (const segment of segments) {
    for (let i = 0; i < segment.candles; i++, step++) {
      const phase = step % segment.period;
      const zig = phase < segment.period / 2 ? segment.swing : -segment.swing;
      const open = price;
      const close = open * (1 + segment.drift + zig + segment.noise * next());
      const high = Math.max(open, close) * (1 + segment.wick * (0.5 + next()));
      const low = Math.min(open, close) * (1 - segment.wick * (0.5 + next()));
      candles.push(candleAt(instrumentId, time, open, high, low, close));
      price = close;
      time += FIVE_MINUTES;
    }
  }
  return candles;
}

export function candleAt(instrumentId: InstrumentId, openTime: number, open: number, high: number, low: number, close: number): TimeframeCandle {
  const price = (value: number) => Decimal.fromNumber(value, 6);
  return { instrumentId, timeframe: '5m', openTime, durationMs: FIVE_MINUTES, open: price(open), high: price(high), low: price(low), close: price(close), volume: Decimal.parse('100') };
}
