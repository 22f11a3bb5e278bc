import { describe, expect, it } from 'vitest';
import { parameters as schema } from '../../../bots/aggressive/parameters.ts';
import type { AggressiveParameters } from '../../../bots/aggressive/parameters.ts';
import type { Regime } from '../../../bots/aggressive/regime.ts';
import { BOUNCE, BTC, CHOPPY, DEFAULTS, DIP, DOWNTREND, ETH, market, PANIC, QUIET, SOL, SPIKE, UPTREND, WARM_UP, XRP } from './fixtures.ts';
import type { ReplayOptions } from './harness.ts';
import { replay } from './harness.ts';

/**
 * One fixed market for every parameter: four instruments going through every regime, with a dip inside an
 * uptrend and a bounce inside a downtrend (where counter-trend adjustments matter), a panic (high volatility
 * with the shorts' votes behind it), and the bot in a 3% drawdown (so the drawdown floor matters).
 */
const MARKETS = [
  market(BTC, [WARM_UP, UPTREND, CHOPPY, DOWNTREND, QUIET, SPIKE, CHOPPY]),
  market(ETH, [WARM_UP, DOWNTREND, QUIET, UPTREND, PANIC, CHOPPY, QUIET], { seed: 11, start: 50 }),
  market(SOL, [WARM_UP, { ...UPTREND, candles: 40 }, DIP, { ...UPTREND, candles: 20 }, QUIET, PANIC], { seed: 23, start: 20 }),
  market(XRP, [WARM_UP, { ...DOWNTREND, candles: 40 }, BOUNCE, { ...DOWNTREND, candles: 20 }, CHOPPY, SPIKE], { seed: 7, start: 10 }),
];
const OPTIONS: ReplayOptions = { drawdown: '0.03', drawdownThreshold: '0.08' };

/** For every parameter, a changed value; for the threshold adjustments, the regime whose entries it changes. */
const CHANGES: Record<keyof AggressiveParameters, { value: number; regime?: Regime }> = {
  emaPeriod: { value: 30 },
  slopeLookback: { value: 8 },
  adxPeriod: { value: 20 },
  atrPeriod: { value: 20 },
  bollingerPeriod: { value: 30 },
  bollingerDeviation: { value: 2.5 },
  atrPercentileLookback: { value: 150 },
  trendAdx: { value: 35 },
  trendSlopeAtr: { value: 1 },
  highVolatilityPercentile: { value: 0.97 },
  quietBandWidth: { value: 0.002 },
  directionalWeight: { value: 0.1 },
  slopeWeight: { value: 0.1 },
  bandWeight: { value: 0.6 },
  baseThreshold: { value: 0.75 },
  uptrendLongAdjustment: { value: 0, regime: 'STRONG_UPTREND' },
  uptrendShortAdjustment: { value: -0.5, regime: 'STRONG_UPTREND' },
  downtrendLongAdjustment: { value: -0.5, regime: 'STRONG_DOWNTREND' },
  downtrendShortAdjustment: { value: 0, regime: 'STRONG_DOWNTREND' },
  highVolatilityLongAdjustment: { value: 0.2, regime: 'HIGH_VOLATILITY' },
  highVolatilityShortAdjustment: { value: 0.2, regime: 'HIGH_VOLATILITY' },
  quietLongAdjustment: { value: 0.2, regime: 'SIDEWAYS_QUIET' },
  quietShortAdjustment: { value: 0.2, regime: 'SIDEWAYS_QUIET' },
  choppyLongAdjustment: { value: 0.2, regime: 'SIDEWAYS_CHOPPY' },
  choppyShortAdjustment: { value: 0.2, regime: 'SIDEWAYS_CHOPPY' },
  stopAtr: { value: 2 },
  takeProfitAtr: { value: 3 },
  trailingAtr: { value: 1.2 },
  trailingActivationAtr: { value: 1.2 },
  trailingStepAtr: { value: 0.3 },
  maxConcurrentPositions: { value: 1 },
  scanIntervalCandles: { value: 3 },
  riskFraction: { value: 0.002 },
  drawdownFloor: { value: 0.5 },
};

const baseline = replay(MARKETS, OPTIONS);
const entriesIn = (run: typeof baseline, regime: Regime): string[] => run.events.filter((event) => event.includes(`ENTER`) && event.includes(`(${regime}:`));

describe('aggressive parameter sensitivity', () => {
  it('test_changes_when_listed_then_they_cover_every_parameter_of_the_schema_and_are_valid', () => {
    // Assert
    expect(Object.keys(CHANGES).sort()).toEqual(Object.keys(schema.shape).sort());
    expect(Object.keys(DEFAULTS).sort()).toEqual(Object.keys(schema.shape).sort());
    for (const [key, { value }] of Object.entries(CHANGES)) {
      expect(value, key).not.toBe(DEFAULTS[key as keyof AggressiveParameters]);
      expect(schema.safeParse({ ...DEFAULTS, [key]: value }).success, key).toBe(true);
    }
  });

  it('test_replay_when_the_baseline_runs_then_it_trades_long_and_short_in_every_regime', () => {
    // Assert: the fixture exercises what the parameters act on.
    expect(baseline.errors).toEqual([]);
    for (const regime of ['STRONG_UPTREND', 'STRONG_DOWNTREND', 'SIDEWAYS_QUIET', 'SIDEWAYS_CHOPPY', 'HIGH_VOLATILITY'] as const) {
      expect(entriesIn(baseline, regime).length, regime).toBeGreaterThan(0);
    }
    expect(baseline.entries.some(({ intent }) => intent.side === 'BUY')).toBe(true);
    expect(baseline.entries.some(({ intent }) => intent.side === 'SELL')).toBe(true);
    expect(baseline.moves.length).toBeGreaterThan(0);
  });

  it('test_replay_when_run_twice_on_the_same_market_then_identical_events', () => {
    // Act
    const again = replay(MARKETS, OPTIONS);
    // Assert: the comparisons below mean something only if a run is reproducible.
    expect(again.events).toEqual(baseline.events);
  });

  it.each(Object.entries(CHANGES))('test_replay_when_%s_changes_then_the_actions_change', (key, { value, regime }) => {
    // Act
    const changed = replay(MARKETS, { ...OPTIONS, parameters: { [key]: value } });
    // Assert
    expect(changed.errors).toEqual([]);
    expect(changed.events).not.toEqual(baseline.events);
    if (regime !== undefined) expect(entriesIn(changed, regime)).not.toEqual(entriesIn(baseline, regime));
  });
});
