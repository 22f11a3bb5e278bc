import { z } from 'zod';

const period = z.number().int().min(2);
const weight = z.number().min(0).max(1);
const share = z.number().gt(0).max(1);

/** One basket: stocks whose negative signals, together and only together, may buy one inverse ETF. */
const basket = z.strictObject({
  /** For people and notes' readers: MEGATECH, SEMIS. */
  name: z.string().regex(/^[A-Z][A-Z0-9_]{0,19}$/, 'must be a name in capitals, e.g. "MEGATECH"'),
  /** Instrument IDs of the stocks; each must be in the manifest's instruments and in no other basket. */
  stocks: z.array(z.string()).min(2),
  /** The inverse ETF the basket buys when it falls together; it must be in the manifest's instruments. */
  inverseEtf: z.string(),
  /** At least this many of the stocks must signal (|score| above signalThreshold), either way. */
  minSignalling: z.number().int().min(1),
  /** At least this share of the basket's stocks must signal short (score below -signalThreshold). */
  minNegativeShare: share,
});

/**
 * Every setting of the equity-baskets bot. Each is read in this folder; the manifest's `risk` section is the order
 * manager's side of the same limits (riskPerTrade, maxOpenRisk, maxAdds, entryLockMs).
 */
export const parameters = z
  .strictObject({
    // The score (scoring.ts).
    fastEmaPeriod: period,
    slowEmaPeriod: period,
    /** Candles over which momentum (the change of the close) is measured. */
    momentumPeriod: z.number().int().min(1),
    rsiPeriod: period,
    atrPeriod: period,
    volumePeriod: period,
    /** The EMA gap, in ATRs, that makes a full trend vote. */
    trendAtr: z.number().positive(),
    /** The close's change over momentumPeriod, in ATRs, that makes a full momentum vote. */
    momentumAtr: z.number().positive(),
    trendWeight: weight,
    momentumWeight: weight,
    rsiWeight: weight,
    /** The least a quiet candle's volume keeps of its score (volume at or above its average keeps all of it). */
    volumeFloor: z.number().min(0).max(1),
    /** |score| above this is a signal. */
    signalThreshold: z.number().gt(0).lt(1),

    // The baskets (baskets.ts).
    baskets: z.array(basket).min(1),
    /** A basket acts only with its mean score at or below this. */
    maxMeanScore: z.number().gt(-1).lt(0),
    /** ... and with breadth and mean held on this many consecutive evaluations (one a minute). */
    persistEvaluations: z.number().int().min(1),
    /** ... and with the basket's equal-weighted return over this many minutes below zero (a falling trend). */
    trendMinutes: z.number().int().min(1),
    /** With a position held, an add needs the inverse ETF this far (a fraction) above its average entry: a further decline. */
    addMinMove: z.number().positive().lt(1),
    /** Adds to a basket's ETF position, at most (the manifest's risk.maxAdds is the order manager's own limit). */
    maxAdds: z.number().int().min(0),
    /** After a WOULD_HEDGE or WOULD_STACK denial the basket does not ask again for this many minutes (suppress CONFLICT). */
    conflictBackoffMinutes: z.number().int().min(0),
    /** Whether a positive stock signal buys the stock (long only). */
    buyStockSignals: z.boolean(),

    // Risk and the bracket (routing.ts).
    /** Share of equity lost at the stop, per entry; the order manager caps it at the manifest's riskPerTrade. */
    riskFraction: z.number().positive().max(0.05),
    /** The bot's own open-risk budget (a share of equity): no entry when less than riskFraction of it is left (RISK_FULL). */
    openRiskBudget: z.number().positive().max(0.2),
    /** Stop distance from the entry: the larger of this share of the price and stopAtr ATRs. */
    stopPercent: z.number().positive().lt(0.5),
    stopAtr: z.number().positive(),
    /** Take-profit at this many R (stop distances) from the entry. */
    rewardRisk: z.number().positive(),
    /** Share of riskFraction still taken at the drawdown halt threshold; risk falls linearly to it. */
    drawdownFloor: z.number().min(0).max(1),
  })
  .refine((p) => p.fastEmaPeriod < p.slowEmaPeriod, 'fastEmaPeriod must be below slowEmaPeriod')
  .refine((p) => p.trendWeight + p.momentumWeight + p.rsiWeight > 0, 'at least one of trendWeight, momentumWeight, rsiWeight must be positive')
  .refine((p) => p.riskFraction <= p.openRiskBudget, 'riskFraction must not be above openRiskBudget')
  .refine((p) => p.baskets.every((b) => b.minSignalling <= b.stocks.length), 'a basket cannot need more signalling stocks than it has')
  .refine((p) => new Set(p.baskets.flatMap((b) => b.stocks)).size === p.baskets.reduce((n, b) => n + b.stocks.length, 0), 'a stock is in two baskets, or twice in one')
  .refine((p) => new Set(p.baskets.map((b) => b.inverseEtf)).size === p.baskets.length, 'two baskets route to the same inverse ETF');

export type BasketParameters = z.output<typeof parameters>;
export type BasketSettings = BasketParameters['baskets'][number];
