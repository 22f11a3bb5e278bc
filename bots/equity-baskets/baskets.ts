import type { BasketSettings } from './parameters.ts';

/** Why a basket (or a direct signal) did not act on an evaluation: the first check that failed. */
export const SUPPRESS_REASONS = [
  'BELOW_BREADTH',
  'MEAN_TOO_WEAK',
  'NOT_PERSISTENT',
  'NOT_FALLING',
  'LOCKED',
  'CONFLICT',
  'MARKET_CLOSED',
  'RISK_FULL',
  /** The position already has its adds. */
  'ADD_USED',
  /** A position is held and the inverse ETF has not risen addMinMove above its entry: no further decline. */
  'NO_FURTHER_DECLINE',
  /** The instrument to buy has no warm reading yet (no price or ATR for the bracket). */
  'NOT_READY',
  /** The bot is REDUCING or HALTED: no entry is asked for. */
  'NOT_ACTIVE',
] as const;
export type SuppressReason = (typeof SUPPRESS_REASONS)[number];

/** Each basket's state after an evaluation, noted per inverse ETF. */
export const BASKET_STATES = ['IDLE', 'WATCHING', 'ACTIONABLE', 'HOLDING', 'ADDED'] as const;
export type BasketState = (typeof BASKET_STATES)[number];

/** What a basket's stocks say on one evaluation. */
export interface BasketReading {
  size: number;
  /** Stocks with |score| above the threshold, either way. */
  signalling: number;
  /** Stocks with a score below −threshold. */
  negative: number;
  /** Mean score of the stocks that have one; null when none has. */
  mean: number | null;
  /** Equal-weighted return of the stocks over trendMinutes; null without the history. */
  trend: number | null;
}

/** Reads one evaluation from the stocks' scores and their returns over the trend window (null: not known). */
export function readBasket(scores: readonly (number | null)[], returns: readonly (number | null)[], threshold: number): BasketReading {
  let signalling = 0;
  let negative = 0;
  let sum = 0;
  let scored = 0;
  for (const score of scores) {
    if (score === null) continue;
    scored++;
    sum += score;
    if (Math.abs(score) > threshold) signalling++;
    if (score < -threshold) negative++;
  }
  const known = returns.filter((value): value is number => value !== null);
  return {
    size: scores.length,
    signalling,
    negative,
    mean: scored === 0 ? null : sum / scored,
    trend: known.length === 0 ? null : known.reduce((a, b) => a + b, 0) / known.length,
  };
}

/**
 * The basket's condition on one evaluation: breadth (enough stocks signalling, enough of the basket negative), then
 * the mean score. Null when both hold; else the first that fails.
 */
export function conditionProblem(reading: BasketReading, basket: Pick<BasketSettings, 'minSignalling' | 'minNegativeShare'>, maxMeanScore: number): 'BELOW_BREADTH' | 'MEAN_TOO_WEAK' | null {
  // A tiny tolerance, so 4 of 6 (0.6666...) meets 0.66 and 3 of 5 meets 0.6 whatever the float rounding.
  if (reading.signalling < basket.minSignalling || reading.negative / reading.size < basket.minNegativeShare - 1e-9) return 'BELOW_BREADTH';
  if (reading.mean === null || reading.mean > maxMeanScore) return 'MEAN_TOO_WEAK';
  return null;
}

/** Counts the consecutive evaluations (one a minute) on which the condition held; a missed minute starts again. */
export class Persistence {
  #count = 0;
  #lastMinute = Number.NEGATIVE_INFINITY;

  /** The condition's outcome on the evaluation of the minute opening at `minute`; returns the run's length. */
  observe(minute: number, holds: boolean): number {
    const consecutive = minute - this.#lastMinute === 60_000;
    this.#lastMinute = minute;
    this.#count = holds ? (consecutive ? this.#count + 1 : 1) : 0;
    return this.#count;
  }

  reset(): void {
    this.#count = 0;
  }
}

export interface BasketVerdict {
  /** Null: every condition holds and the basket may act (subject to the order checks in routing). */
  problem: 'BELOW_BREADTH' | 'MEAN_TOO_WEAK' | 'NOT_PERSISTENT' | 'NOT_FALLING' | null;
  /** The run of consecutive evaluations the condition has held for, this one included. */
  persisted: number;
}

/** Breadth, mean, persistence and a falling trend, in that order: the first that fails is the verdict. */
export function judgeBasket(minute: number, reading: BasketReading, basket: BasketSettings, persistence: Persistence, p: { maxMeanScore: number; persistEvaluations: number }): BasketVerdict {
  const condition = conditionProblem(reading, basket, p.maxMeanScore);
  const persisted = persistence.observe(minute, condition === null);
  if (condition !== null) return { problem: condition, persisted };
  if (persisted < p.persistEvaluations) return { problem: 'NOT_PERSISTENT', persisted };
  if (reading.trend === null || !(reading.trend < 0)) return { problem: 'NOT_FALLING', persisted };
  return { problem: null, persisted };
}
