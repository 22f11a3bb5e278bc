import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { Decimal, defineStrategy, riskSize } from 'flotilla/strategy';
import type { BotStateView, InstrumentId, OrderView, Strategy, StrategyAction, StrategyContext, TimeframeCandle } from 'flotilla/strategy';
import { IndicatorTrack, judge } from './layers.ts';
import type { Bar, Direction, Trigger } from './layers.ts';
import { confidenceFrom, loadLinearModel } from './signal-model.ts';
import type { SignalModel, SignalModelStatus } from './signal-model.ts';
import { observe, openTrade, phaseOf, stopToMove } from './trailing.ts';
import type { OpenTrade } from './trailing.ts';

/**
 * ABT v2, Adaptive Breakout-Trend, on 15-minute candles (layers.ts). Three layers decide an entry, and the first
 * that fails is noted as ENTRY_BLOCKED: the environment (ADX, Bollinger band width, volume against its average),
 * the direction (EMAs stacked and the DI pair agreeing; a filter, never a trigger) and the trigger (a volatility
 * breakout past open ± k × the previous range, or a pullback to the fast EMA that holds).
 *
 * Exits are the bracket's stop at 1R (stopAtr ATRs) and take-profit at rewardRisk R, with the stop trailed in
 * phases by MOVE_STOP (trailing.ts). There are no partial closes: the take-profit already takes the whole position
 * at 2R, and closing part of it sooner would pull the average win under 2R and the break-even win rate above the
 * 33.3% the design rests on. So phase 3 (past tightTrailFromR, 2R) acts only on what a partly filled take-profit
 * leaves open, or when rewardRisk is set above tightTrailFromR.
 *
 * The optional signal model (signal-model.ts) scales the size by its confidence and may veto an entry. It ships
 * disabled: its weights are an illustration, not fitted to any market, and should not size real trades until a
 * fitted model has been backtested against the rules alone.
 */

const period = z.number().int().min(2);
const positive = z.number().positive();

const relativePath = z
  .string()
  .min(1)
  .refine((path) => !isAbsolute(path) && !path.split(/[\\/]/).includes('..'), 'must be a path inside the bot folder');

export const parameters = z
  .strictObject({
    adxPeriod: period,
    /** Layer 1: the least ADX (0–100) that counts as a trend. */
    adxThreshold: z.number().min(0).max(100),
    bollingerPeriod: period,
    bollingerDeviations: positive,
    /** Layer 1: band width ((upper − lower) ÷ middle) must lie in [bandWidthMin, bandWidthMax]. */
    bandWidthMin: z.number().min(0),
    bandWidthMax: positive,
    volumePeriod: period,
    /** Layer 1: volume must be at least volumeK times its average over volumePeriod candles. */
    volumeK: z.number().min(0),
    fastEmaPeriod: period,
    midEmaPeriod: period,
    slowEmaPeriod: period,
    /** Layer 3: a breakout closes beyond open ± breakoutK × the previous candle's range. */
    breakoutK: z.number().min(0),
    /** Layer 3: a pullback reaches within this many ATRs of the fast EMA and closes on the trend's side of it. */
    pullbackToleranceAtr: z.number().min(0),
    atrPeriod: period,
    /** Stop distance (1R) in ATRs. */
    stopAtr: positive,
    /** Take-profit distance in R. */
    rewardRisk: positive,
    /** Trailing phase 1 starts at this many R: stop to break-even. */
    breakEvenAtR: positive,
    /** Phase 2 starts at this many R: a trail wideTrailAtr ATRs behind the best price. */
    wideTrailFromR: positive,
    wideTrailAtr: positive,
    /** Phase 3 starts at this many R: a trail tightTrailAtr ATRs behind the best price. */
    tightTrailFromR: positive,
    tightTrailAtr: positive,
    /** A trailing move smaller than this many ATRs is not worth two venue requests. */
    minStopStepAtr: z.number().min(0),
    /** Share of equity risked per trade before drawdown and confidence scaling; the order manager caps it at risk.riskPerTrade. */
    riskFraction: positive.max(0.05),
    /** Share of normal risk taken at the drawdown halt threshold (linear from 1 at no drawdown). */
    drawdownFloor: z.number().min(0).max(1),
    signalModel: z.strictObject({
      enabled: z.boolean(),
      /** The model file, relative to this bot's folder. */
      path: relativePath,
      /** Confidence = 1 + weight × the model's adjustment, kept within [0, maxConfidence]. */
      weight: z.number().min(0),
      /** Below this confidence the entry is not taken (noted as a TRIGGER block: the trigger was judged too weak). */
      minConfidence: z.number().positive().max(1),
      maxConfidence: z.number().min(1).max(2),
    }),
  })
  .refine((p) => p.fastEmaPeriod < p.midEmaPeriod && p.midEmaPeriod < p.slowEmaPeriod, 'EMA periods must satisfy fastEmaPeriod < midEmaPeriod < slowEmaPeriod')
  .refine((p) => p.bandWidthMin < p.bandWidthMax, 'bandWidthMin must be below bandWidthMax')
  .refine((p) => p.breakEvenAtR <= p.wideTrailFromR && p.wideTrailFromR <= p.tightTrailFromR, 'trailing boundaries must satisfy breakEvenAtR <= wideTrailFromR <= tightTrailFromR')
  .refine((p) => p.tightTrailAtr <= p.wideTrailAtr, 'tightTrailAtr must not be wider than wideTrailAtr');

export type AdaptiveParameters = z.output<typeof parameters>;

export const NOTES = {
  ENTRY_BLOCKED: ['ENVIRONMENT', 'DIRECTION', 'TRIGGER'],
  SIGNAL_MODEL: ['DISABLED', 'ACTIVE', 'FALLBACK'],
} as const;

export interface AdaptiveOptions {
  /** Loads the model at a path relative to the bot folder; replaceable so tests can hand in any model. */
  loadModel?: (path: string) => SignalModel;
}

const loadFromBotFolder = (path: string): SignalModel => loadLinearModel(new URL(path, import.meta.url));


function priceOf(value: number): Decimal {
  return Decimal.fromNumber(value, 10);
}

function isFlat(state: BotStateView, instrumentId: InstrumentId): boolean {
  const position = state.positions.get(instrumentId);
  return position === undefined || position.quantity.isZero();
}

/** The bot's stop on an instrument; the most protective one while a move's replacement and original overlap. */
function stopOrder(state: BotStateView, instrumentId: InstrumentId, sign: 1 | -1): { order: OrderView; price: number } | null {
  let best: { order: OrderView; price: number } | null = null;
  for (const order of state.openOrders) {
    if (order.instrumentId !== instrumentId || order.role !== 'STOP' || order.triggerPrice === null) continue;
    const price = order.triggerPrice.toNumber();
    if (best === null || sign * (price - best.price) > 0) best = { order, price };
  }
  return best;
}

export function createAdaptiveStrategy(context: StrategyContext<AdaptiveParameters>, options: AdaptiveOptions = {}): Strategy {
  const p = context.parameters;
  const timeframe = context.timeframes[0];
  const tracks = new Map<InstrumentId, IndicatorTrack>();
  const trades = new Map<InstrumentId, OpenTrade>();
  /** The stop distance of the last entry asked for per instrument, for when its stop cannot be read. */
  const plannedRisk = new Map<InstrumentId, number>();
  const bar: Bar = { open: 0, high: 0, low: 0, close: 0, volume: 0 };

  let model: SignalModel | null = null;
  let modelStatus: SignalModelStatus = 'DISABLED';
  if (p.signalModel.enabled) {
    try {
      model = (options.loadModel ?? loadFromBotFolder)(p.signalModel.path);
      modelStatus = 'ACTIVE';
    } catch {
      // A missing or broken model must not stop the bot: it trades on the rules and says so.
      modelStatus = 'FALLBACK';
    }
  }
  /**
   * The status last noted: a note per change is enough, as the host passes on the latest note made in warm-up and
   * the bot's channel replays it after a reconnect.
   */
  let announced: SignalModelStatus | null = null;

  /** Confidence in an entry the layers allowed: 1 by the rules, adjusted by the model while it works. */
  function confidence(direction: Direction, trigger: Trigger, track: IndicatorTrack): number {
    if (model === null) return 1;
    const r = track.reading;
    const sign = direction === 'LONG' ? 1 : -1;
    let value: number;
    try {
      value = confidenceFrom(
        model.evaluate({ adx: r.adx, bandWidth: r.bandWidth, volumeRatio: r.volumeRatio, diSpread: sign * (r.plusDi - r.minusDi) * 100, breakout: trigger === 'BREAKOUT' ? 1 : 0 }),
        p.signalModel,
      );
    } catch {
      value = Number.NaN;
    }
    if (Number.isNaN(value)) {
      // A model that failed once is not trusted again in this run: the rules carry on alone.
      model = null;
      modelStatus = 'FALLBACK';
      return 1;
    }
    return value;
  }

  function manage(instrumentId: InstrumentId, state: BotStateView, track: IndicatorTrack, ready: boolean, actions: StrategyAction[]): void {
    const position = state.positions.get(instrumentId);
    if (position === undefined) return;
    const sign: 1 | -1 = position.quantity.isPositive() ? 1 : -1;
    const entry = position.averageEntryPrice.toNumber();
    const stop = stopOrder(state, instrumentId, sign);
    let trade = trades.get(instrumentId);
    if (trade === undefined || trade.sign !== sign || trade.entry !== entry) {
      // The initial risk is read off the stop while it is still behind the entry; after a restart that moved it
      // already, the planned distance or the current ATR stand in.
      const fromStop = stop === null ? 0 : sign * (entry - stop.price);
      const risk = fromStop > 0 ? fromStop : (plannedRisk.get(instrumentId) ?? (ready ? p.stopAtr * track.reading.atr : 0));
      if (!(risk > 0)) return;
      trade = openTrade(sign, entry, risk);
      trades.set(instrumentId, trade);
      plannedRisk.delete(instrumentId);
    }
    observe(trade, bar.high, bar.low, bar.close);
    if (stop === null || !ready || state.tradingState === 'HALTED') return;
    const level = stopToMove(trade, stop.price, bar.close, track.reading.atr, p);
    if (level !== null) actions.push({ type: 'MOVE_STOP', clientOrderId: stop.order.clientOrderId, triggerPrice: priceOf(level), reason: `trailing phase ${phaseOf(trade.peakR, p)}` });
  }

  function consider(instrumentId: InstrumentId, state: BotStateView, track: IndicatorTrack, actions: StrategyAction[]): void {
    const verdict = judge(bar, track.reading, p);
    if (verdict.blocked !== null) {
      actions.push({ type: 'NOTE', name: 'ENTRY_BLOCKED', value: verdict.blocked, instrumentId });
      return;
    }
    const confident = confidence(verdict.direction, verdict.trigger, track);
    if (confident < p.signalModel.minConfidence) {
      actions.push({ type: 'NOTE', name: 'ENTRY_BLOCKED', value: 'TRIGGER', instrumentId });
      return;
    }
    // A drawdown floor of 0 leaves nothing to risk at the threshold: no entry, rather than one the order manager denies.
    const size = riskSize(state, p.riskFraction * confident, p.drawdownFloor);
    if (size === null) return;
    const long = verdict.direction === 'LONG';
    const distance = p.stopAtr * track.reading.atr;
    const close = bar.close;
    plannedRisk.set(instrumentId, distance);
    actions.push({
      type: 'ENTER',
      instrumentId,
      side: long ? 'BUY' : 'SELL',
      size,
      orderType: 'MARKET',
      stopLoss: priceOf(long ? close - distance : close + distance),
      takeProfit: priceOf(long ? close + p.rewardRisk * distance : close - p.rewardRisk * distance),
      reason: `${verdict.trigger === 'BREAKOUT' ? 'breakout' : 'pullback'} ${long ? 'long' : 'short'}`,
    });
  }

  return {
    onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
      if (candle.timeframe !== timeframe) return [];
      const instrumentId = candle.instrumentId;
      let track = tracks.get(instrumentId);
      if (track === undefined) {
        track = new IndicatorTrack(p);
        tracks.set(instrumentId, track);
      }
      bar.open = candle.open.toNumber();
      bar.high = candle.high.toNumber();
      bar.low = candle.low.toNumber();
      bar.close = candle.close.toNumber();
      bar.volume = candle.volume.toNumber();
      const ready = track.update(bar);

      const actions: StrategyAction[] = [];
      if (!isFlat(state, instrumentId)) {
        manage(instrumentId, state, track, ready, actions);
      } else {
        trades.delete(instrumentId);
        const entering = state.pendingEntries.has(instrumentId) || state.openOrders.some((order) => order.instrumentId === instrumentId && order.role === 'ENTRY');
        if (ready && !entering && state.tradingState === 'ACTIVE') consider(instrumentId, state, track, actions);
      }

      if (announced !== modelStatus) {
        announced = modelStatus;
        actions.push({ type: 'NOTE', name: 'SIGNAL_MODEL', value: modelStatus });
      }
      return actions;
    },
  };
}

export default defineStrategy<AdaptiveParameters>({
  interfaceVersion: 1,
  parameters,
  notes: NOTES,
  create: (context) => createAdaptiveStrategy(context),
});
