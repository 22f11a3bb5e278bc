import type { Bar } from '../../../bots/adaptive/layers.ts';
import { breakoutBar, mirror, pullbackBar, quietBar, run, uptrend } from './fixtures.ts';

/** Fixed candle paths shared by the tests; each is named for the regime it puts the strategy in. */

export const WARM_UP = uptrend(90);
/** The candle after the warm-up: index 90. */
export const SIGNAL = WARM_UP.length;

const followedByRun = (bars: Bar[], sign: 1 | -1, count = 20, step = 0.15): Bar[] => [...bars, ...run(bars, sign, count, step)];

/** Uptrend, a breakout on heavy volume, then 20 candles of +0.15 each: entry, break-even, wide trail, take-profit. */
export const BREAKOUT_RUN = followedByRun([...WARM_UP, breakoutBar(WARM_UP, 1)], 1);
/** The same, upside down: the short side. */
export const SHORT_BREAKOUT_RUN = mirror(BREAKOUT_RUN);
/** Uptrend, then a candle dipping to 0.15 ATR above the fast EMA and closing above it: a pullback entry. */
export const PULLBACK_RUN = followedByRun([...WARM_UP, pullbackBar(WARM_UP, 1, -0.15)], 1);
/** Uptrend, then a small candle on heavy volume, clear of the fast EMA: layers 1 and 2 pass, no trigger. */
export const QUIET = [...WARM_UP, quietBar(WARM_UP, 1)];

/** A heavy-volume quiet candle, then a breakout on somewhat less volume: only a short volume average sees it as ordinary. */
export const VOLUME_BUILD_UP = ((): Bar[] => {
  const bars = [...WARM_UP, quietBar(WARM_UP, 1)];
  return [...bars, breakoutBar(bars, 1, 0.5, 0.05, 200)];
})();

/**
 * A downtrend, then 16 straight candles of +0.2 and a breakout: ADX and the DI pair already say up, the fast EMA
 * is above the mid, but the 50-candle EMA still sits above the 21-candle one. Layer 2 blocks with the defaults.
 */
export const V_TURN = ((): Bar[] => {
  const down = mirror(uptrend(70));
  const bars = [...down, ...run(down, 1, 16, 0.2)];
  return [...bars, breakoutBar(bars, 1)];
})();
