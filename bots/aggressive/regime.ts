import type { Reading } from './indicators.ts';
import type { AggressiveParameters } from './parameters.ts';

export const REGIMES = ['STRONG_UPTREND', 'STRONG_DOWNTREND', 'SIDEWAYS_QUIET', 'SIDEWAYS_CHOPPY', 'HIGH_VOLATILITY'] as const;
export type Regime = (typeof REGIMES)[number];

/**
 * The market an instrument is in. High volatility is checked first: an ATR far above its recent range
 * dominates whatever trend there is. A trend needs both strength (ADX) and direction (EMA slope in ATRs);
 * anything else is a range, quiet or choppy by the Bollinger band width.
 */
export function classifyRegime(reading: Pick<Reading, 'adx' | 'slope' | 'atrPercentile' | 'bandWidth'>, p: AggressiveParameters): Regime {
  if (reading.atrPercentile >= p.highVolatilityPercentile) return 'HIGH_VOLATILITY';
  if (reading.adx >= p.trendAdx) {
    if (reading.slope >= p.trendSlopeAtr) return 'STRONG_UPTREND';
    if (reading.slope <= -p.trendSlopeAtr) return 'STRONG_DOWNTREND';
  }
  return reading.bandWidth <= p.quietBandWidth ? 'SIDEWAYS_QUIET' : 'SIDEWAYS_CHOPPY';
}

/** Each regime's pair of threshold adjustments, by parameter name: one table instead of two parallel switches. */
const ADJUSTMENTS: Readonly<Record<Regime, { long: keyof AggressiveParameters; short: keyof AggressiveParameters }>> = {
  STRONG_UPTREND: { long: 'uptrendLongAdjustment', short: 'uptrendShortAdjustment' },
  STRONG_DOWNTREND: { long: 'downtrendLongAdjustment', short: 'downtrendShortAdjustment' },
  SIDEWAYS_QUIET: { long: 'quietLongAdjustment', short: 'quietShortAdjustment' },
  SIDEWAYS_CHOPPY: { long: 'choppyLongAdjustment', short: 'choppyShortAdjustment' },
  HIGH_VOLATILITY: { long: 'highVolatilityLongAdjustment', short: 'highVolatilityShortAdjustment' },
};

/** The confidence a long needs in this regime: the base plus the regime's additive adjustment. */
export function longThreshold(regime: Regime, p: AggressiveParameters): number {
  return p.baseThreshold + (p[ADJUSTMENTS[regime].long]);
}

/** The confidence a short needs in this regime. */
export function shortThreshold(regime: Regime, p: AggressiveParameters): number {
  return p.baseThreshold + (p[ADJUSTMENTS[regime].short]);
}

const clamp = (value: number): number => (value > 1 ? 1 : value < -1 ? -1 : value);

/**
 * Confidence in a long, 0-1; a short's is one minus it. Three votes, each from -1 (all short) to +1 (all
 * long), weighted: +DI against -DI, the EMA slope measured against the trend slope, and the close's place
 * between the Bollinger bands. 0.5 means the votes cancel out.
 */
export function longConfidence(reading: Pick<Reading, 'plusDirectional' | 'minusDirectional' | 'slope' | 'bandPosition'>, p: AggressiveParameters): number {
  const directionalSum = reading.plusDirectional + reading.minusDirectional;
  const directional = directionalSum > 0 ? (reading.plusDirectional - reading.minusDirectional) / directionalSum : 0;
  const slope = clamp(reading.slope / p.trendSlopeAtr);
  const band = clamp(2 * reading.bandPosition - 1);
  const weights = p.directionalWeight + p.slopeWeight + p.bandWeight;
  const vote = (p.directionalWeight * directional + p.slopeWeight * slope + p.bandWeight * band) / weights;
  return 0.5 + 0.5 * vote;
}
