import { z } from 'zod';

const period = z.number().int().min(2);
const fraction = z.number().min(0).max(1);
const atrMultiple = z.number().positive();
/** A threshold adjustment that may only ease entries (lower the threshold) or leave it alone. */
const easing = z.number().min(-1).max(0);
/** A threshold adjustment that may only tighten entries (raise the threshold) or leave it alone. */
const tightening = z.number().min(0).max(1);
/** A threshold adjustment for the side against a trend: the issue names no direction, so either is allowed. */
const either = z.number().min(-1).max(1);

/**
 * Every number the scalper uses. Each is read somewhere in this folder; test/bots/aggressive shows a change to
 * each one changing the bot's actions.
 */
export const parameters = z
  .strictObject({
    /** EMA of the close whose slope tells trend from range. */
    emaPeriod: period,
    /** Candles over which the EMA's slope is measured. */
    slopeLookback: z.number().int().min(1),
    adxPeriod: period,
    atrPeriod: period,
    bollingerPeriod: period,
    /** Standard deviations from the Bollinger middle band to each outer band. */
    bollingerDeviation: z.number().positive(),
    /** Candles of ATR (as a share of the close) that the current ATR is ranked against. */
    atrPercentileLookback: z.number().int().min(10),

    /** ADX at or above which a market with enough EMA slope is trending. */
    trendAdx: z.number().min(0).max(100),
    /** EMA move over slopeLookback candles, in ATRs, that makes a trend; it also scales the slope's vote in the confidence. */
    trendSlopeAtr: z.number().positive(),
    /** ATR percentile rank (0-1) at or above which the market is HIGH_VOLATILITY, whatever else it does. */
    highVolatilityPercentile: z.number().gt(0).max(1),
    /** Bollinger band width (as a share of the middle band) at or below which a range is quiet rather than choppy. */
    quietBandWidth: z.number().positive(),

    /** Weights of the three votes in the confidence: +DI against -DI, EMA slope, close within the bands. */
    directionalWeight: fraction,
    slopeWeight: fraction,
    bandWeight: fraction,

    /** Confidence (0-1) a side needs before the regime's adjustment. */
    baseThreshold: z.number().gt(0).max(1),
    uptrendLongAdjustment: easing,
    uptrendShortAdjustment: either,
    downtrendLongAdjustment: either,
    downtrendShortAdjustment: easing,
    highVolatilityLongAdjustment: tightening,
    highVolatilityShortAdjustment: tightening,
    quietLongAdjustment: tightening,
    quietShortAdjustment: tightening,
    choppyLongAdjustment: tightening,
    choppyShortAdjustment: tightening,

    /** Stop-loss distance from the entry, in ATRs; the order manager sizes the trade from it. */
    stopAtr: atrMultiple,
    /** Take-profit distance from the entry, in ATRs. */
    takeProfitAtr: atrMultiple,
    /** Distance the trailing stop keeps behind the close, in ATRs. */
    trailingAtr: atrMultiple,
    /** Favourable move from the entry, in ATRs, before the stop starts to trail. */
    trailingActivationAtr: z.number().min(0),
    /** Smallest improvement, in ATRs, worth a cancel-and-replace of the stop. */
    trailingStepAtr: z.number().min(0),

    maxConcurrentPositions: z.number().int().min(1),
    /** Entries are considered on every n-th candle of the timeframe (1: every candle); stops trail on every candle. */
    scanIntervalCandles: z.number().int().min(1),
    /** Share of equity lost at the stop; the order manager caps it at the manifest's riskPerTrade. */
    riskFraction: z.number().positive().max(0.05),
    /** Share of riskFraction still taken at the drawdown halt threshold; risk falls linearly to it. */
    drawdownFloor: fraction,
  })
  .refine((p) => p.directionalWeight + p.slopeWeight + p.bandWeight > 0, 'at least one confidence weight must be positive');

export type AggressiveParameters = z.output<typeof parameters>;
