import { z } from 'zod';

/**
 * The trend follower's settings; every one is a number (or switch) in manifest.json. Lookbacks on the entry
 * timeframe are counted in 4-hour candles; distances are in daily ATRs so they scale with the market's volatility.
 */
export const parameters = z
  .strictObject({
    /** Daily EMA periods: the trend is up while the fast EMA is above the slow one, down while below. */
    dailyFastEmaPeriod: z.number().int().min(2),
    dailySlowEmaPeriod: z.number().int().min(3),
    /** Daily ADX period, and the ADX (0–100) at or above which the EMA alignment counts as a confirmed trend. */
    adxPeriod: z.number().int().min(2),
    adxThreshold: z.number().min(0).max(100),
    /** Daily ATR period; the ATR sets the stop, the trailing distance and the pullback depth. */
    atrPeriod: z.number().int().min(2),
    /** Breakout entry: a 4h close beyond the extreme of this many previous 4h candles. */
    breakoutLookback: z.number().int().min(2),
    /** Pullback entry: the window of previous 4h candles in which the swing extreme and the pullback are sought. */
    pullbackLookback: z.number().int().min(3),
    /** Pullback entry: how far, in daily ATRs, price must have come back from the swing extreme before a resumption counts. */
    pullbackDepthAtr: z.number().positive(),
    /** Initial stop distance from the entry close, in daily ATRs; also the risk unit R. */
    initialStopAtr: z.number().positive(),
    /** Trailing stop distance from the best price since entry, in daily ATRs. */
    trailAtr: z.number().positive(),
    /** The trailing stop moves only when it tightens by at least this many daily ATRs, so a trade is not a stream of order replacements. */
    trailStepAtr: z.number().min(0),
    /** Close the whole position on the daily candle whose EMA alignment points against it. */
    exitOnTrendReversal: z.boolean(),
    /** Take a partial profit once the trade has gained this many R (initial stop distances)... */
    partialExitAtR: z.number().positive(),
    /** ...closing this share of the position, once per trade; the trailing stop keeps the rest. */
    partialExitFraction: z.number().positive().max(1),
    /** Largest entry notional as a multiple of equity: a cap on size, never a factor in profit or loss. */
    leverage: z.number().positive().max(10),
    /** Share of equity lost at the initial stop; the order manager also caps it at the manifest's riskPerTrade. */
    riskFraction: z.number().positive().max(0.05),
    /** Size multiplier at the drawdown halt threshold; size falls linearly from 1 at no drawdown to this. */
    drawdownFloor: z.number().min(0).max(1),
  })
  .refine((p) => p.dailyFastEmaPeriod < p.dailySlowEmaPeriod, 'dailyFastEmaPeriod must be shorter than dailySlowEmaPeriod');

export type TrendFollowingParameters = z.output<typeof parameters>;
