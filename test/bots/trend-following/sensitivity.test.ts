import { describe, expect, it } from 'vitest';
import type { TrendFollowingParameters } from '../../../bots/trend-following/parameters.ts';
import { candlesFrom, createStrategy, DEFAULTS, MANIFEST_JSON, PaperAccount, randomMarket, SMOOTH_UP, transcript, warmed } from './harness.ts';

type Overrides = Partial<TrendFollowingParameters>;

/**
 * The common fixture: fourteen months of a seeded index-like market (trends, ranges, reversals) traded from an
 * account in a 5 % drawdown (threshold 15 %), so that the drawdown floor is in play.
 */
function market(overrides: Overrides): PaperAccount {
  return new PaperAccount(createStrategy(overrides), { drawdown: '0.05', drawdownThreshold: '0.15' }).feed(candlesFrom(randomMarket(7, 425)));
}

/**
 * Where the breakout lookback matters. In a noisy market nearly every new extreme comes after a dip deep enough
 * for the pullback rule, which fires first; the lookback decides alone when price drifts back too little for a
 * pullback and then turns: here twelve 4h candles sag 0.03 daily ATRs each after a steady rise, and the next
 * closes above the last ten highs but under the last thirty.
 */
function shallowSagThenTurn(overrides: Overrides): PaperAccount {
  const w = warmed(SMOOTH_UP, overrides);
  const sag = Array.from({ length: 12 }, (_, i) => ({ close: w.close - (i + 1) * 0.03 * w.atr }));
  return w.live([...sag, { close: w.close - 0.04 * w.atr }]);
}

/** Every parameter, a changed value, what it governs, and the fixture on which the change shows. */
const CHANGES: Record<keyof TrendFollowingParameters, { value: number | boolean; governs: string; fixture?: (overrides: Overrides) => PaperAccount }> = {
  dailyFastEmaPeriod: { value: 10, governs: 'when the daily alignment turns, so trend notes, entries and reversal exits' },
  dailySlowEmaPeriod: { value: 100, governs: 'when the daily alignment turns, and how long warm-up lasts' },
  adxPeriod: { value: 28, governs: 'how fast ADX confirms or drops a trend' },
  adxThreshold: { value: 30, governs: 'which aligned days count as a trend to enter' },
  atrPeriod: { value: 28, governs: 'the daily ATR behind stops, trailing and pullback depth' },
  breakoutLookback: { value: 10, governs: 'which closes are breakouts', fixture: shallowSagThenTurn },
  pullbackLookback: { value: 8, governs: 'how far back the swing extreme of a pullback is sought' },
  pullbackDepthAtr: { value: 2, governs: 'which retracements count as pullbacks' },
  initialStopAtr: { value: 3, governs: 'the entry stop, the size (risk over distance) and R for the partial' },
  trailAtr: { value: 2, governs: 'how close the trailing stop follows the best price' },
  trailStepAtr: { value: 0.5, governs: 'how often the trailing stop is moved' },
  exitOnTrendReversal: { value: false, governs: 'whether a daily EMA flip against the position closes it' },
  partialExitAtR: { value: 2, governs: 'when the partial profit is taken' },
  partialExitFraction: { value: 0.25, governs: 'how much the partial profit closes' },
  // Only a binding value shows: with the defaults the risk size is far below twice equity.
  leverage: { value: 0.1, governs: 'the notional cap on entries, once equity × leverage ÷ price is below the risk size' },
  riskFraction: { value: 0.003, governs: 'the entry quantity' },
  drawdownFloor: { value: 0.5, governs: 'the entry quantity while in drawdown' },
};

/** Each fixture's run with the manifest's defaults, made once. */
const baselines = new Map<(overrides: Overrides) => PaperAccount, string>();
function baselineOf(fixture: (overrides: Overrides) => PaperAccount): string {
  const known = baselines.get(fixture);
  if (known !== undefined) return known;
  const made = transcript(fixture({}));
  baselines.set(fixture, made);
  return made;
}

describe('every parameter changes the decisions', () => {
  it('test_changes_table_when_compared_with_the_manifest_then_covers_every_parameter_key', () => {
    // Act
    const baseline = market({});
    // Assert
    expect(Object.keys(CHANGES).sort()).toEqual(Object.keys(MANIFEST_JSON.parameters).sort());
    expect(baseline.ofType('ENTER').length).toBeGreaterThan(5);
    expect(baseline.ofType('EXIT').length).toBeGreaterThan(0);
    expect(baseline.ofType('MOVE_STOP').length).toBeGreaterThan(0);
  });

  it.each(Object.entries(CHANGES).map(([key, change]) => [key, change.governs, change] as const))('test_%s_when_changed_then_the_action_sequence_changes (%s)', (key, _, { value, fixture = market }) => {
    // Arrange
    expect(value).not.toEqual(DEFAULTS[key as keyof TrendFollowingParameters]);
    const baseline = baselineOf(fixture);
    // Act
    const changed = fixture({ [key]: value });
    // Assert
    expect(transcript(changed)).not.toBe(baseline);
  });

  it('test_breakout_lookback_when_shorter_on_the_shallow_sag_then_it_alone_makes_the_entry', () => {
    // Act
    const standard = shallowSagThenTurn({});
    const shorter = shallowSagThenTurn({ breakoutLookback: 10 });
    // Assert
    expect(standard.ofType('ENTER')).toEqual([]);
    expect(shorter.ofType('ENTER')).toEqual([expect.objectContaining({ side: 'BUY', reason: 'breakout in a daily uptrend' })]);
  });
});
