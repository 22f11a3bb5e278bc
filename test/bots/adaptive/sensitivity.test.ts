import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../bots/adaptive/layers.ts';
import type { Overrides, SimulateOptions } from './fixtures.ts';
import { MANIFEST, simulate, strategy } from './fixtures.ts';
import { BREAKOUT_RUN, PULLBACK_RUN, QUIET, SHORT_BREAKOUT_RUN, V_TURN, VOLUME_BUILD_UP } from './scenarios.ts';

interface Case {
  /** The regime in which the parameter matters, in a sentence. */
  regime: string;
  bars: Bar[];
  change: Overrides;
  /** Parameters every run of this case shares, e.g. the signal model switched on. */
  base?: Overrides;
  options?: SimulateOptions;
}

const withModel: Overrides = { signalModel: { enabled: true } };
const IN_DRAWDOWN: SimulateOptions = { drawdown: '0.04', drawdownThreshold: '0.08' };
const TAKE_PROFIT_UNFILLED: SimulateOptions = { takeProfitFills: false };

/** One case per manifest parameter: on its fixture, the changed value must change the actions. */
const CASES: Record<string, Case> = {
  adxPeriod: { regime: 'a 4-candle ADX weighs the last down candle heavily and reads ≈ 19, under the threshold: layer 1 blocks', bars: QUIET, change: { adxPeriod: 4 } },
  adxThreshold: { regime: 'the trend fixture has ADX ≈ 27: a threshold of 30 blocks it at layer 1', bars: BREAKOUT_RUN, change: { adxThreshold: 30 } },
  bollingerPeriod: { regime: 'over 5 candles the quiet candle makes the bands too narrow: layer 1 instead of layer 3 blocks', bars: QUIET, change: { bollingerPeriod: 5 } },
  bollingerDeviations: { regime: '5 deviations widen the bands past bandWidthMax', bars: BREAKOUT_RUN, change: { bollingerDeviations: 5 } },
  bandWidthMin: { regime: 'band width ≈ 0.022 falls below a minimum of 0.03', bars: BREAKOUT_RUN, change: { bandWidthMin: 0.03 } },
  bandWidthMax: { regime: 'band width ≈ 0.022 rises above a maximum of 0.02', bars: BREAKOUT_RUN, change: { bandWidthMax: 0.02 } },
  volumePeriod: { regime: 'a 2-candle average includes the heavy candle before the breakout, so the breakout is not a spike', bars: VOLUME_BUILD_UP, change: { volumePeriod: 2 } },
  volumeK: { regime: 'the breakout has 2.5× the average volume: k = 3 blocks it', bars: BREAKOUT_RUN, change: { volumeK: 3 } },
  fastEmaPeriod: { regime: 'a 2-candle fast EMA hugs the price, so the quiet candle becomes a pullback to it', bars: QUIET, change: { fastEmaPeriod: 2 } },
  midEmaPeriod: { regime: 'after a V-turn a 12-candle mid EMA is already above the slow one: layer 2 lets the breakout through', bars: V_TURN, change: { midEmaPeriod: 12 } },
  slowEmaPeriod: { regime: 'after a V-turn a 30-candle slow EMA is already below the mid one: layer 2 lets the breakout through', bars: V_TURN, change: { slowEmaPeriod: 30 } },
  breakoutK: { regime: 'the breakout body is 0.5 × the previous range plus a little: k = 0.7 is not reached', bars: BREAKOUT_RUN, change: { breakoutK: 0.7 } },
  pullbackToleranceAtr: { regime: 'the pullback stops 0.15 ATR short of the fast EMA: a tolerance of 0.1 ATR does not count it', bars: PULLBACK_RUN, change: { pullbackToleranceAtr: 0.1 } },
  atrPeriod: { regime: 'the stop and take-profit are ATR multiples', bars: BREAKOUT_RUN, change: { atrPeriod: 7 } },
  stopAtr: { regime: 'the stop distance', bars: BREAKOUT_RUN, change: { stopAtr: 2 } },
  rewardRisk: { regime: 'the take-profit distance', bars: BREAKOUT_RUN, change: { rewardRisk: 3 } },
  breakEvenAtR: { regime: 'the break-even move comes two candles later at 1.3R', bars: BREAKOUT_RUN, change: { breakEvenAtR: 1.3 } },
  wideTrailFromR: { regime: 'the wide trail starts later at 1.8R', bars: BREAKOUT_RUN, change: { wideTrailFromR: 1.8 } },
  wideTrailAtr: { regime: 'a 1.5-ATR wide trail sits closer to the price', bars: BREAKOUT_RUN, change: { wideTrailAtr: 1.5 } },
  tightTrailFromR: { regime: 'past 2R, which only a position whose take-profit has not (fully) filled reaches: the tight trail starts at 2.4R instead', bars: BREAKOUT_RUN, change: { tightTrailFromR: 2.4 }, options: TAKE_PROFIT_UNFILLED },
  tightTrailAtr: { regime: 'past 2R with the take-profit unfilled: a 0.5-ATR trail instead of 1', bars: BREAKOUT_RUN, change: { tightTrailAtr: 0.5 }, options: TAKE_PROFIT_UNFILLED },
  minStopStepAtr: { regime: 'trailing past 2R moves the stop every candle; a 0.5-ATR minimum step skips most moves', bars: BREAKOUT_RUN, change: { minStopStepAtr: 0.5 }, options: TAKE_PROFIT_UNFILLED },
  riskFraction: { regime: 'the risk asked for in every entry', bars: BREAKOUT_RUN, change: { riskFraction: 0.002 } },
  drawdownFloor: { regime: 'in a drawdown halfway to the threshold the size falls towards the floor', bars: BREAKOUT_RUN, change: { drawdownFloor: 0.5 }, options: IN_DRAWDOWN },
  'signalModel.enabled': { regime: 'the shipped model is loaded: status ACTIVE and the size follows its confidence', bars: PULLBACK_RUN, change: { signalModel: { enabled: true } } },
  'signalModel.path': { regime: 'with the model enabled, a missing file means FALLBACK', bars: BREAKOUT_RUN, base: withModel, change: { signalModel: { path: 'no-such-model.json' } } },
  'signalModel.weight': { regime: 'with the model enabled, a larger weight moves confidence further from 1', bars: PULLBACK_RUN, base: withModel, change: { signalModel: { weight: 4 } } },
  'signalModel.minConfidence': { regime: 'with the model enabled, the pullback scores just under 1: a minimum of 1 refuses it', bars: PULLBACK_RUN, base: withModel, change: { signalModel: { minConfidence: 1 } } },
  'signalModel.maxConfidence': { regime: 'with the model enabled, the breakout scores just over 1: a cap of 1.5 lets the size grow', bars: BREAKOUT_RUN, base: withModel, change: { signalModel: { maxConfidence: 1.5 } } },
};

function leafKeys(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([key, inner]) => (inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? leafKeys(inner as Record<string, unknown>, `${prefix}${key}.`) : [`${prefix}${key}`]));
}

function merge(base: Overrides = {}, change: Overrides = {}): Overrides {
  return { ...base, ...change, signalModel: { ...base.signalModel, ...change.signalModel } };
}

describe('adaptive bot parameter sensitivity', () => {
  it('test_cases_when_compared_with_the_manifest_then_every_parameter_has_exactly_one', () => {
    // Arrange / Act
    const manifestKeys = leafKeys(MANIFEST.parameters as unknown as Record<string, unknown>).sort();
    // Assert
    expect(Object.keys(CASES).sort()).toEqual(manifestKeys);
  });

  it.each(Object.entries(CASES))('test_%s_when_changed_then_the_actions_change', (_key, c) => {
    // Arrange
    const before = simulate(strategy(merge(c.base)), c.bars, c.options).log;
    // Act
    const after = simulate(strategy(merge(c.base, c.change)), c.bars, c.options).log;
    // Assert
    expect(before.some((line) => line.includes('ENTER') || line.includes('NOTE'))).toBe(true);
    expect(after, c.regime).not.toEqual(before);
  });

  it('test_short_fixture_when_run_then_it_mirrors_the_long_one', () => {
    // Arrange: prices and sides taken out, what is left is which decision came on which candle.
    const shape = (line: string): string => line.replace(/BUY|SELL/, 'SIDE').replace(/long|short/, 'DIRECTION').replace(/\d+\.\d+/g, '#');
    // Act
    const long = simulate(strategy(), BREAKOUT_RUN).log.map(shape);
    const short = simulate(strategy(), SHORT_BREAKOUT_RUN).log.map(shape);
    // Assert
    expect(short).toEqual(long);
    expect(long.some((line) => line.includes('ENTER'))).toBe(true);
  });
});
