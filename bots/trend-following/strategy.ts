import { Decimal, defineStrategy, scaledForDrawdown } from 'flotilla/strategy';
import type { BotStateView, InstrumentId, PositionView, StrategyAction, TimeframeCandle } from 'flotilla/strategy';
import { DailyTrend, TRENDS } from './daily-trend.ts';
import type { Trend } from './daily-trend.ts';
import { isBreakout, isPullbackResumption, RecentBars } from './entry-rules.ts';
import type { Bar, Direction } from './entry-rules.ts';
import { parameters } from './parameters.ts';
import type { TrendFollowingParameters } from './parameters.ts';
import { entryQuantity, heldNotional, priceOf, QUANTITY_PLACES, shouldMoveStop, trailingStop } from './position-rules.ts';
import type { Trade } from './position-rules.ts';

/**
 * Trend following on two timeframes. The daily candles decide the trend: fast EMA above slow EMA with ADX at or
 * above the threshold is UP, the mirror is DOWN, anything else NONE. The 4-hour candles time entries in that
 * direction only — a breakout beyond the recent extreme, or a resumption after a pullback of some daily ATRs.
 * The initial stop sits a few daily ATRs away; a chandelier stop trails the best price since entry by a multiple
 * of the daily ATR and only ever tightens. A partial profit is taken once at a multiple of the initial risk, and
 * the daily EMA alignment turning against the position closes it (a reversal, not a pause: a fading ADX alone
 * leaves the trade to its trailing stop). Size is risk-based, capped so that the bot's whole book stays within
 * equity × leverage of notional, and scaled down in drawdown by the order manager after its caps.
 */

const ENTRY_TIMEFRAME = '4h';
const TREND_TIMEFRAME = '1d';

interface Book {
  daily: DailyTrend;
  /** The last trend reported in a TREND note; NONE until the indicators are warm. */
  reported: Trend;
  bars: RecentBars;
  trade: Trade | null;
}

const toBar = (candle: TimeframeCandle): Bar => ({ high: candle.high.toNumber(), low: candle.low.toNumber(), close: candle.close.toNumber() });

/**
 * Warm-up replays history against today's state, so a position held now would look held on every old candle.
 * A candle that closed at least one candle-length before `now` is history: it feeds the indicators only.
 */
const isLive = (candle: TimeframeCandle, state: BotStateView): boolean => state.now < candle.openTime + 2 * candle.durationMs;

const heldPosition = (state: BotStateView, instrumentId: InstrumentId): PositionView | null => {
  const position = state.positions.get(instrumentId);
  return position === undefined || position.quantity.isZero() ? null : position;
};

export default defineStrategy<TrendFollowingParameters>({
  interfaceVersion: 1,
  parameters,
  notes: { TREND: TRENDS },
  create({ parameters: p, timeframes }) {
    if (!timeframes.includes(ENTRY_TIMEFRAME) || !timeframes.includes(TREND_TIMEFRAME)) {
      throw new Error(`trend-following needs the ${ENTRY_TIMEFRAME} and ${TREND_TIMEFRAME} timeframes, got ${timeframes.join(', ')}`);
    }
    const books = new Map<InstrumentId, Book>();
    const bookOf = (instrumentId: InstrumentId): Book => {
      let book = books.get(instrumentId);
      if (book === undefined) {
        book = { daily: new DailyTrend(p), reported: 'NONE', bars: new RecentBars(Math.max(p.breakoutLookback, p.pullbackLookback)), trade: null };
        books.set(instrumentId, book);
      }
      return book;
    };

    /**
     * What leverage must leave room beside: the positions held, at their marks, and the entries still on their way,
     * at the notional they were asked for, since instruments whose candles close together would each see the other
     * as not yet held.
     */
    function committedNotional(state: BotStateView): Decimal {
      let total = heldNotional(state.positions);
      for (const [instrumentId, book] of books) {
        if (book.trade === null || heldPosition(state, instrumentId) !== null) continue;
        const inFlight = state.pendingEntries.has(instrumentId) || state.openOrders.some((order) => order.instrumentId === instrumentId && order.role === 'ENTRY');
        if (inFlight) total = total.add(book.trade.plannedNotional);
      }
      return total;
    }

    function onDailyCandle(candle: TimeframeCandle, state: BotStateView, book: Book): StrategyAction[] {
      const reading = book.daily.update(toBar(candle));
      const actions: StrategyAction[] = [];
      if (reading.trend !== book.reported) {
        book.reported = reading.trend;
        actions.push({ type: 'NOTE', name: 'TREND', value: reading.trend, instrumentId: candle.instrumentId });
      }
      const position = heldPosition(state, candle.instrumentId);
      if (position === null || !p.exitOnTrendReversal || !isLive(candle, state) || state.tradingState === 'HALTED') return actions;
      const against = position.quantity.isPositive() ? 'DOWN' : 'UP';
      if (reading.alignment === against) actions.push({ type: 'EXIT', instrumentId: candle.instrumentId, reason: `daily EMAs turned ${against} against the position` });
      return actions;
    }

    function manage(candle: TimeframeCandle, state: BotStateView, book: Book, position: PositionView): StrategyAction[] {
      const direction: Direction = position.quantity.isPositive() ? 1 : -1;
      const atr = book.daily.reading.atr;
      const close = candle.close.toNumber();
      const stop = state.openOrders.find((order) => order.instrumentId === candle.instrumentId && order.role === 'STOP' && order.triggerPrice !== null);
      if (book.trade === null || book.trade.direction !== direction) {
        // A position the strategy did not see opened (a restart): R from the stop it has, else from today's ATR.
        const fromStop = stop?.triggerPrice == null ? 0 : direction * (position.averageEntryPrice.toNumber() - stop.triggerPrice.toNumber());
        book.trade = { direction, riskPerUnit: fromStop > 0 ? fromStop : p.initialStopAtr * (atr ?? 0), extreme: close, partialTaken: false, plannedNotional: Decimal.ZERO };
      }
      const trade = book.trade;
      trade.extreme = direction === 1 ? Math.max(trade.extreme, candle.high.toNumber()) : Math.min(trade.extreme, candle.low.toNumber());
      if (state.tradingState === 'HALTED') return [];

      const actions: StrategyAction[] = [];
      const gained = direction * (close - position.averageEntryPrice.toNumber());
      if (!trade.partialTaken && trade.riskPerUnit > 0 && gained >= p.partialExitAtR * trade.riskPerUnit) {
        trade.partialTaken = true;
        const quantity = position.quantity.abs().mul(Decimal.fromNumber(p.partialExitFraction, 10)).round(QUANTITY_PLACES, 'floor');
        if (quantity.isPositive()) actions.push({ type: 'EXIT', instrumentId: candle.instrumentId, quantity, reason: `partial profit at ${p.partialExitAtR}R` });
      }
      if (stop?.triggerPrice != null && atr !== null) {
        const candidate = trailingStop(trade, atr, p.trailAtr);
        if (shouldMoveStop(direction, candidate, stop.triggerPrice.toNumber(), close, p.trailStepAtr * atr)) {
          actions.push({ type: 'MOVE_STOP', clientOrderId: stop.clientOrderId, triggerPrice: priceOf(candidate), reason: `trail ${p.trailAtr} daily ATRs behind the best price` });
        }
      }
      return actions;
    }

    function enter(candle: TimeframeCandle, state: BotStateView, book: Book, previous: readonly Bar[]): StrategyAction[] {
      const { trend, atr } = book.daily.reading;
      if (trend === 'NONE' || atr === null || state.tradingState !== 'ACTIVE') return [];
      const direction: Direction = trend === 'UP' ? 1 : -1;
      const bar = toBar(candle);
      const why = isPullbackResumption(previous, bar, direction, p.pullbackLookback, p.pullbackDepthAtr * atr)
        ? 'pullback'
        : isBreakout(previous, bar, direction, p.breakoutLookback)
          ? 'breakout'
          : null;
      if (why === null) return [];
      const distance = p.initialStopAtr * atr;
      const stopLoss = bar.close - direction * distance;
      if (stopLoss <= 0) return [];
      const quantity = entryQuantity({ equity: state.equity, price: candle.close, stopDistance: distance, riskFraction: p.riskFraction, leverage: p.leverage, heldNotional: committedNotional(state) });
      const size = quantity.isPositive() ? scaledForDrawdown({ kind: 'QUANTITY', quantity }, state, p.drawdownFloor) : null;
      if (size === null) return [];
      book.trade = { direction, riskPerUnit: distance, extreme: bar.close, partialTaken: false, plannedNotional: quantity.mul(candle.close) };
      return [
        {
          type: 'ENTER',
          instrumentId: candle.instrumentId,
          side: direction === 1 ? 'BUY' : 'SELL',
          size,
          orderType: 'MARKET',
          stopLoss: priceOf(stopLoss),
          reason: `${why} in a daily ${trend.toLowerCase()}trend`,
        },
        { type: 'NOTE', name: 'TREND', value: trend, instrumentId: candle.instrumentId },
      ];
    }

    function onEntryCandle(candle: TimeframeCandle, state: BotStateView, book: Book): StrategyAction[] {
      const previous = book.bars.bars.slice();
      book.bars.push(toBar(candle));
      if (!isLive(candle, state)) return [];
      const position = heldPosition(state, candle.instrumentId);
      if (position !== null) return manage(candle, state, book, position);
      const mine = state.openOrders.filter((order) => order.instrumentId === candle.instrumentId);
      if (state.pendingEntries.has(candle.instrumentId) || mine.some((order) => order.role === 'ENTRY')) return [];
      book.trade = null;
      // The order manager cancels protection left by a stop or take-profit fill, not by the strategy's own EXIT.
      const orphans: StrategyAction[] = mine
        .filter((order) => order.role === 'STOP' || order.role === 'TAKE_PROFIT')
        .map((order) => ({ type: 'CANCEL', clientOrderId: order.clientOrderId, reason: 'protection left over from a closed position' }));
      return [...orphans, ...enter(candle, state, book, previous)];
    }

    return {
      onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
        if (candle.timeframe === TREND_TIMEFRAME) return onDailyCandle(candle, state, bookOf(candle.instrumentId));
        if (candle.timeframe === ENTRY_TIMEFRAME) return onEntryCandle(candle, state, bookOf(candle.instrumentId));
        return [];
      },
    };
  },
});
