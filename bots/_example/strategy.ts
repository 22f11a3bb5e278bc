import { ATR, EMA } from 'trading-signals';
import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';
import type { BotStateView, InstrumentId, StrategyAction, TimeframeCandle } from 'flotilla/strategy';

/**
 * The template bot: a moving-average cross with an ATR stop, a take-profit at a multiple of the risk, and the
 * stop moved to break-even once the trade has gone one risk unit its way. Small on purpose — copy it, then make it yours.
 */
const parameters = z.strictObject({
  fastPeriod: z.number().int().min(2),
  slowPeriod: z.number().int().min(3),
  atrPeriod: z.number().int().min(2),
  /** Stop distance in ATRs. */
  stopAtr: z.number().positive(),
  /** Take-profit distance in stop distances (reward to risk). */
  rewardRisk: z.number().positive(),
  /** Share of equity risked per trade; the order manager caps it at the manifest's riskPerTrade. */
  riskFraction: z.number().positive().max(0.05),
  /** Move the stop to the entry price after this many risk units of favourable move. */
  breakEvenAtR: z.number().positive(),
  /** MARKET enters at once; LIMIT rests limitOffsetAtr ATRs better than the close and may never fill. */
  entryOrderType: z.enum(['MARKET', 'LIMIT']),
  limitOffsetAtr: z.number().min(0),
}).refine((p) => p.fastPeriod < p.slowPeriod, 'fastPeriod must be shorter than slowPeriod');

type Parameters = z.output<typeof parameters>;

interface Track {
  fast: EMA;
  slow: EMA;
  atr: ATR;
  fastAboveSlow: boolean | null;
}

function priceOf(value: number): Decimal {
  return Decimal.fromNumber(value, 10);
}

export default defineStrategy<Parameters>({
  interfaceVersion: 1,
  parameters,
  create({ parameters: p, timeframes }) {
    const tracks = new Map<InstrumentId, Track>();
    const timeframe = timeframes[0];
    return {
      onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
        if (candle.timeframe !== timeframe) return [];
        let track = tracks.get(candle.instrumentId);
        if (track === undefined) {
          track = { fast: new EMA(p.fastPeriod), slow: new EMA(p.slowPeriod), atr: new ATR(p.atrPeriod), fastAboveSlow: null };
          tracks.set(candle.instrumentId, track);
        }
        const close = candle.close.toNumber();
        track.fast.add(close);
        track.slow.add(close);
        track.atr.add({ high: candle.high.toNumber(), low: candle.low.toNumber(), close });
        const fast = track.fast.getResult();
        const slow = track.slow.getResult();
        const atr = track.atr.getResult();
        if (fast === null || slow === null || atr === null || !track.slow.isStable || atr <= 0) return [];
        const above = fast > slow;
        const crossed = track.fastAboveSlow !== null && above !== track.fastAboveSlow;
        track.fastAboveSlow = above;

        const position = state.positions.get(candle.instrumentId);
        if (position !== undefined && !position.quantity.isZero()) {
          const long = position.quantity.isPositive();
          const entry = position.averageEntryPrice.toNumber();
          const stop = state.openOrders.find((order) => order.instrumentId === candle.instrumentId && order.role === 'STOP');
          if (stop?.triggerPrice == null) return [];
          const risk = Math.abs(entry - stop.triggerPrice.toNumber());
          const gained = long ? close - entry : entry - close;
          const stopBehindEntry = long ? stop.triggerPrice.toNumber() < entry : stop.triggerPrice.toNumber() > entry;
          if (risk > 0 && stopBehindEntry && gained >= p.breakEvenAtR * risk) {
            return [{ type: 'MOVE_STOP', clientOrderId: stop.clientOrderId, triggerPrice: priceOf(entry), reason: 'break-even' }];
          }
          return [];
        }
        const entering = state.pendingEntries.has(candle.instrumentId) || state.openOrders.some((order) => order.instrumentId === candle.instrumentId && order.role === 'ENTRY');
        if (!crossed || entering || state.tradingState !== 'ACTIVE') return [];
        const distance = p.stopAtr * atr;
        const long = above;
        const limit = p.entryOrderType === 'LIMIT';
        const entry = limit ? (long ? close - p.limitOffsetAtr * atr : close + p.limitOffsetAtr * atr) : close;
        return [
          {
            type: 'ENTER',
            instrumentId: candle.instrumentId,
            side: long ? 'BUY' : 'SELL',
            size: { kind: 'RISK', riskFraction: Decimal.fromNumber(p.riskFraction, 6) },
            orderType: p.entryOrderType,
            ...(limit ? { limitPrice: priceOf(entry) } : {}),
            stopLoss: priceOf(long ? entry - distance : entry + distance),
            takeProfit: priceOf(long ? entry + p.rewardRisk * distance : entry - p.rewardRisk * distance),
            reason: long ? 'fast EMA crossed above slow' : 'fast EMA crossed below slow',
          },
        ];
      },
    };
  },
});
