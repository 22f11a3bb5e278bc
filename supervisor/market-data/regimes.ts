import type { SeededRandom } from './random.ts';

export const MARKET_REGIMES = ['TRENDING_UP', 'TRENDING_DOWN', 'QUIET_RANGE', 'CHOPPY_RANGE', 'HIGH_VOLATILITY'] as const;
export type MarketRegime = (typeof MARKET_REGIMES)[number];

const MINUTES_PER_DAY = 1440;
const HOUR = 60;

/** GARCH(1,1) weights of the last squared shock and the last variance; their sum (0.98 per minute) sets how long a burst lasts. */
export const GARCH_ALPHA = 0.07;
export const GARCH_BETA = 0.91;

/** The 1m volatility of an ordinary day (3 % daily); volume is scaled by how far a candle moved against it. */
export const REFERENCE_VOLATILITY_PER_MINUTE = 0.03 / Math.sqrt(MINUTES_PER_DAY);

export interface RegimeParameters {
  regime: MarketRegime;
  /** Expected 1m log return. */
  driftPerMinute: number;
  /** The 1m volatility the variance process reverts to while this regime lasts. */
  volatilityPerMinute: number;
  /** GARCH constant term: volatilityPerMinute² × (1 − α − β), so the long-run variance is the regime's. */
  omega: number;
  /** Share of the log distance to the regime's anchor price taken back each minute; 0 outside the ranges. */
  reversionPerMinute: number;
  /** Volume as a multiple of the instrument's base volume. */
  volumeFactor: number;
  minDwellMinutes: number;
  meanDwellMinutes: number;
  /** Where the chain goes when the regime ends, as weights; a regime never follows itself. */
  next: readonly (readonly [MarketRegime, number])[];
}

function regime(
  name: MarketRegime,
  values: { dailyDrift: number; dailyVolatility: number; reversionHalfLifeMinutes: number | null; volumeFactor: number; minDwellHours: number; meanDwellHours: number; next: Partial<Record<MarketRegime, number>> },
): RegimeParameters {
  const volatilityPerMinute = values.dailyVolatility / Math.sqrt(MINUTES_PER_DAY);
  const next = Object.entries(values.next) as [MarketRegime, number][];
  return {
    regime: name,
    driftPerMinute: values.dailyDrift / MINUTES_PER_DAY,
    volatilityPerMinute,
    omega: volatilityPerMinute * volatilityPerMinute * (1 - GARCH_ALPHA - GARCH_BETA),
    reversionPerMinute: values.reversionHalfLifeMinutes === null ? 0 : 1 - 2 ** (-1 / values.reversionHalfLifeMinutes),
    volumeFactor: values.volumeFactor,
    minDwellMinutes: values.minDwellHours * HOUR,
    meanDwellMinutes: values.meanDwellHours * HOUR,
    next,
  };
}

/** Loosely calibrated on crypto majors: trends of a day or so, long quiet ranges, short violent spells. */
export const REGIMES: Readonly<Record<MarketRegime, RegimeParameters>> = {
  TRENDING_UP: regime('TRENDING_UP', {
    dailyDrift: 0.05,
    dailyVolatility: 0.03,
    reversionHalfLifeMinutes: null,
    volumeFactor: 1.2,
    minDwellHours: 3,
    meanDwellHours: 18,
    next: { QUIET_RANGE: 0.3, CHOPPY_RANGE: 0.35, HIGH_VOLATILITY: 0.2, TRENDING_DOWN: 0.15 },
  }),
  TRENDING_DOWN: regime('TRENDING_DOWN', {
    dailyDrift: -0.06,
    dailyVolatility: 0.038,
    reversionHalfLifeMinutes: null,
    volumeFactor: 1.4,
    minDwellHours: 2,
    meanDwellHours: 14,
    next: { QUIET_RANGE: 0.25, CHOPPY_RANGE: 0.3, HIGH_VOLATILITY: 0.3, TRENDING_UP: 0.15 },
  }),
  QUIET_RANGE: regime('QUIET_RANGE', {
    dailyDrift: 0,
    dailyVolatility: 0.014,
    reversionHalfLifeMinutes: 6 * HOUR,
    volumeFactor: 0.6,
    minDwellHours: 6,
    meanDwellHours: 36,
    next: { TRENDING_UP: 0.35, TRENDING_DOWN: 0.3, CHOPPY_RANGE: 0.25, HIGH_VOLATILITY: 0.1 },
  }),
  CHOPPY_RANGE: regime('CHOPPY_RANGE', {
    dailyDrift: 0,
    dailyVolatility: 0.032,
    reversionHalfLifeMinutes: 90,
    volumeFactor: 1,
    minDwellHours: 3,
    meanDwellHours: 20,
    next: { TRENDING_UP: 0.3, TRENDING_DOWN: 0.3, QUIET_RANGE: 0.25, HIGH_VOLATILITY: 0.15 },
  }),
  HIGH_VOLATILITY: regime('HIGH_VOLATILITY', {
    dailyDrift: 0,
    dailyVolatility: 0.09,
    reversionHalfLifeMinutes: null,
    volumeFactor: 2.5,
    minDwellHours: 1,
    meanDwellHours: 6,
    next: { TRENDING_DOWN: 0.3, TRENDING_UP: 0.2, CHOPPY_RANGE: 0.35, QUIET_RANGE: 0.15 },
  }),
};

/** No regime lasts longer than this, however long the exponential tail draws. */
const MAX_DWELL_MINUTES = 10 * MINUTES_PER_DAY;

/** Minutes the regime lasts: a floor plus an exponential tail, so spells run hours to days and never a few minutes. */
export function drawDwellMinutes(parameters: RegimeParameters, random: SeededRandom): number {
  const tail = random.exponential(parameters.meanDwellMinutes - parameters.minDwellMinutes);
  return Math.min(MAX_DWELL_MINUTES, Math.max(1, Math.round(parameters.minDwellMinutes + tail)));
}

/** One step of the Markov chain over regimes, weighted by the current regime's row. */
export function drawNextRegime(current: MarketRegime, random: SeededRandom): MarketRegime {
  const row = REGIMES[current].next;
  let total = 0;
  for (const [, weight] of row) total += weight;
  let pick = random.uniform() * total;
  for (const [next, weight] of row) {
    pick -= weight;
    if (pick <= 0) return next;
  }
  return row[row.length - 1]?.[0] ?? current;
}

export function drawFirstRegime(random: SeededRandom): MarketRegime {
  return MARKET_REGIMES[Math.floor(random.uniform() * MARKET_REGIMES.length)] ?? 'QUIET_RANGE';
}
