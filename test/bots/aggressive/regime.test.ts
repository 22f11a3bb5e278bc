import { describe, expect, it } from 'vitest';
import { InstrumentIndicators } from '../../../bots/aggressive/indicators.ts';
import type { AggressiveParameters } from '../../../bots/aggressive/parameters.ts';
import { classifyRegime, longConfidence, longThreshold, REGIMES, shortThreshold } from '../../../bots/aggressive/regime.ts';
import type { Regime } from '../../../bots/aggressive/regime.ts';
import type { Segment } from './fixtures.ts';
import { BTC, CHOPPY, DEFAULTS, DOWNTREND, market, QUIET, SPIKE, UPTREND, WARM_UP } from './fixtures.ts';
import { replay } from './harness.ts';

const p = (change: Partial<AggressiveParameters> = {}): AggressiveParameters => ({ ...DEFAULTS, ...change });

/** The regime of every warm candle of a market, in order. */
function regimes(segments: readonly Segment[]): Regime[] {
  const indicators = new InstrumentIndicators(DEFAULTS);
  const out: Regime[] = [];
  for (const candle of market(BTC, segments)) {
    if (indicators.update(candle.high.toNumber(), candle.low.toNumber(), candle.close.toNumber())) out.push(classifyRegime(indicators, DEFAULTS));
  }
  return out;
}

describe('aggressive regime classification on synthetic markets', () => {
  it.each([
    ['a steady uptrend', UPTREND, 'STRONG_UPTREND', 30],
    ['a steady downtrend', DOWNTREND, 'STRONG_DOWNTREND', 30],
    ['a quiet range', QUIET, 'SIDEWAYS_QUIET', 30],
    ['a choppy range', CHOPPY, 'SIDEWAYS_CHOPPY', 30],
    ['a volatility spike', SPIKE, 'HIGH_VOLATILITY', 10],
  ] as const)('test_classify_when_the_market_is_%s_then_%s', (_, segment, expected, settled) => {
    // Act
    const seen = regimes([WARM_UP, segment]);
    // Assert: once the indicators have caught up, every candle of the stretch is in the expected regime.
    expect(seen.slice(-settled)).toEqual(Array.from({ length: settled }, () => expected));
  });

  it('test_classify_when_the_same_markets_go_through_the_strategy_then_the_regime_notes_say_the_same', () => {
    // Arrange: a reducing bot never enters, so its notes are the regime changes alone.
    const expected: Array<[Segment, Regime]> = [[UPTREND, 'STRONG_UPTREND'], [DOWNTREND, 'STRONG_DOWNTREND'], [QUIET, 'SIDEWAYS_QUIET'], [CHOPPY, 'SIDEWAYS_CHOPPY'], [SPIKE, 'HIGH_VOLATILITY']];
    for (const [segment, regime] of expected) {
      // Act
      const run = replay([market(BTC, [WARM_UP, segment])], { tradingState: 'REDUCING' });
      // Assert
      expect(run.errors).toEqual([]);
      expect(run.entries).toEqual([]);
      expect(run.notes.at(-1)?.value).toBe(regime);
      expect(run.notes.every((note) => note.instrumentId === BTC)).toBe(true);
    }
  });
});

describe('aggressive regime rules', () => {
  const calm = { adx: 10, slope: 0, atrPercentile: 0.5, bandWidth: 0.01 };

  it('test_classify_when_atr_percentile_reaches_the_high_volatility_line_then_high_volatility_even_in_a_trend', () => {
    expect(classifyRegime({ adx: 60, slope: 3, atrPercentile: 0.9, bandWidth: 0.01 }, p())).toBe('HIGH_VOLATILITY');
    expect(classifyRegime({ adx: 60, slope: 3, atrPercentile: 0.89, bandWidth: 0.01 }, p())).toBe('STRONG_UPTREND');
    expect(classifyRegime({ adx: 60, slope: 3, atrPercentile: 0.9, bandWidth: 0.01 }, p({ highVolatilityPercentile: 0.95 }))).toBe('STRONG_UPTREND');
  });

  it('test_classify_when_adx_or_slope_falls_short_then_sideways', () => {
    expect(classifyRegime({ ...calm, adx: 25, slope: 0.5 }, p())).toBe('STRONG_UPTREND');
    expect(classifyRegime({ ...calm, adx: 25, slope: -0.5 }, p())).toBe('STRONG_DOWNTREND');
    expect(classifyRegime({ ...calm, adx: 24.9, slope: 0.5 }, p())).toBe('SIDEWAYS_CHOPPY');
    expect(classifyRegime({ ...calm, adx: 25, slope: 0.49 }, p())).toBe('SIDEWAYS_CHOPPY');
    expect(classifyRegime({ ...calm, adx: 25, slope: 0.5 }, p({ trendAdx: 30 }))).toBe('SIDEWAYS_CHOPPY');
    expect(classifyRegime({ ...calm, adx: 25, slope: 0.5 }, p({ trendSlopeAtr: 0.6 }))).toBe('SIDEWAYS_CHOPPY');
  });

  it('test_classify_when_a_range_is_narrower_than_the_quiet_band_width_then_quiet_else_choppy', () => {
    expect(classifyRegime({ ...calm, bandWidth: 0.004 }, p())).toBe('SIDEWAYS_QUIET');
    expect(classifyRegime({ ...calm, bandWidth: 0.0041 }, p())).toBe('SIDEWAYS_CHOPPY');
    expect(classifyRegime({ ...calm, bandWidth: 0.0041 }, p({ quietBandWidth: 0.005 }))).toBe('SIDEWAYS_QUIET');
  });

  it('test_thresholds_when_read_per_regime_then_base_plus_that_regimes_adjustment_for_each_side', () => {
    // Arrange
    const params = p();
    const expected: Record<Regime, [number, number]> = {
      STRONG_UPTREND: [0.7 - 0.08, 0.7 + 0.1],
      STRONG_DOWNTREND: [0.7 + 0.1, 0.7 - 0.08],
      SIDEWAYS_QUIET: [0.7 + 0.05, 0.7 + 0.05],
      SIDEWAYS_CHOPPY: [0.7 + 0.12, 0.7 + 0.12],
      HIGH_VOLATILITY: [0.7 + 0.1, 0.7 + 0.1],
    };
    for (const regime of REGIMES) {
      // Act / Assert
      expect(longThreshold(regime, params)).toBeCloseTo(expected[regime][0], 12);
      expect(shortThreshold(regime, params)).toBeCloseTo(expected[regime][1], 12);
    }
    // An uptrend eases longs, a downtrend eases shorts, high volatility and both ranges tighten both sides.
    expect(longThreshold('STRONG_UPTREND', params)).toBeLessThan(params.baseThreshold);
    expect(shortThreshold('STRONG_DOWNTREND', params)).toBeLessThan(params.baseThreshold);
    for (const regime of ['HIGH_VOLATILITY', 'SIDEWAYS_QUIET', 'SIDEWAYS_CHOPPY'] as const) {
      expect(longThreshold(regime, params)).toBeGreaterThan(params.baseThreshold);
      expect(shortThreshold(regime, params)).toBeGreaterThan(params.baseThreshold);
    }
  });

  it('test_thresholds_when_one_sideways_adjustment_changes_then_only_that_regime_and_side_move', () => {
    // Arrange
    const before = p();
    const after = p({ quietLongAdjustment: 0.2 });
    // Act
    const moved = REGIMES.flatMap((regime) => [
      ...(longThreshold(regime, before) === longThreshold(regime, after) ? [] : [`${regime} long`]),
      ...(shortThreshold(regime, before) === shortThreshold(regime, after) ? [] : [`${regime} short`]),
    ]);
    // Assert
    expect(moved).toEqual(['SIDEWAYS_QUIET long']);
  });

  it('test_long_confidence_when_votes_agree_or_cancel_then_one_zero_or_a_half', () => {
    const allLong = { plusDirectional: 0.4, minusDirectional: 0, slope: 5, bandPosition: 1.3 };
    const allShort = { plusDirectional: 0, minusDirectional: 0.4, slope: -5, bandPosition: -0.2 };
    const even = { plusDirectional: 0.2, minusDirectional: 0.2, slope: 0, bandPosition: 0.5 };
    expect(longConfidence(allLong, p())).toBe(1);
    expect(longConfidence(allShort, p())).toBe(0);
    expect(longConfidence(even, p())).toBe(0.5);
  });

  it('test_long_confidence_when_only_one_vote_has_weight_then_it_alone_decides', () => {
    // Arrange: the DI vote says long, the slope vote says short, the band vote is neutral.
    const mixed = { plusDirectional: 0.3, minusDirectional: 0.1, slope: -0.25, bandPosition: 0.5 };
    // Act / Assert
    expect(longConfidence(mixed, p({ directionalWeight: 1, slopeWeight: 0, bandWeight: 0 }))).toBeCloseTo(0.75, 12);
    expect(longConfidence(mixed, p({ directionalWeight: 0, slopeWeight: 1, bandWeight: 0 }))).toBeCloseTo(0.25, 12);
    expect(longConfidence(mixed, p({ directionalWeight: 0, slopeWeight: 0, bandWeight: 1 }))).toBeCloseTo(0.5, 12);
    // The slope vote is measured against the trend slope: the same slope counts for more when the bar is lower.
    expect(longConfidence(mixed, p({ directionalWeight: 0, slopeWeight: 1, bandWeight: 0, trendSlopeAtr: 0.25 }))).toBeCloseTo(0, 12);
  });
});
