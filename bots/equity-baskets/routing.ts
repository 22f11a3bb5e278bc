import { Decimal } from 'flotilla/strategy';
import type { BotStateView, InstrumentId } from 'flotilla/strategy';

/** The notes' closed sets that belong to orders: what was routed, and which order-manager denials came back. */
export const ROUTES = ['ENTRY', 'ADD', 'STOCK_LONG', 'ETF_DIRECT'] as const;
export type Route = (typeof ROUTES)[number];
export const BLOCKS = ['IN_FLIGHT_LOCK', 'WOULD_HEDGE', 'WOULD_STACK', 'PYRAMID_LIMIT', 'MARKET_CLOSED', 'OTHER'] as const;
export type Block = (typeof BLOCKS)[number];

/** A denial reason of the order manager as a block note's value. */
export function blockOf(reason: string): Block {
  return (BLOCKS as readonly string[]).includes(reason) ? (reason as Block) : 'OTHER';
}

/**
 * A long bracket for a market entry near `close`: the stop max(stopPercent × close, stopAtr × ATR) below it, the
 * take-profit rewardRisk times that distance above it.
 */
export function longBracket(close: number, atr: number, p: { stopPercent: number; stopAtr: number; rewardRisk: number }): { stopLoss: number; takeProfit: number; distance: number } {
  const distance = Math.max(p.stopPercent * close, p.stopAtr * atr);
  return { stopLoss: close - distance, takeProfit: close + p.rewardRisk * distance, distance };
}

/** A price for the order manager, far finer than any tick it rounds to. */
export function price(value: number): Decimal {
  return Decimal.fromNumber(value, 8);
}

/** Whether an entry on the instrument is on its way: sent and unanswered, or resting as an order. */
export function entering(state: BotStateView, instrumentId: InstrumentId): boolean {
  if (state.pendingEntries.has(instrumentId)) return true;
  return state.openOrders.some((order) => order.instrumentId === instrumentId && order.role === 'ENTRY');
}

/** The bot's long position on an instrument, or null when it holds none. */
export function heldLong(state: BotStateView, instrumentId: InstrumentId): { quantity: number; averageEntry: number; mark: number } | null {
  const position = state.positions.get(instrumentId);
  if (position === undefined || !position.quantity.isPositive()) return null;
  const quantity = position.quantity.toNumber();
  const averageEntry = position.averageEntryPrice.toNumber();
  return { quantity, averageEntry, mark: averageEntry + position.unrealizedPnl.toNumber() / quantity };
}

/** Adds made to the position: each entry brings its own protective stop, so stops beyond the first are adds. */
export function addsHeld(state: BotStateView, instrumentId: InstrumentId): number {
  let stops = 0;
  for (const order of state.openOrders) if (order.instrumentId === instrumentId && order.role === 'STOP') stops++;
  return Math.max(0, stops - 1);
}

/**
 * The loss if every position hit its stop from the mark, as a share of equity, plus riskFraction for every entry on
 * its way (its size is the order manager's to set). A position without a working stop counts its whole value.
 */
export function openRiskShare(state: BotStateView, riskFraction: number): number {
  const equity = state.equity.toNumber();
  if (!(equity > 0)) return Number.POSITIVE_INFINITY;
  let risk = 0;
  for (const [instrumentId, position] of state.positions) {
    if (position.quantity.isZero()) continue;
    const quantity = Math.abs(position.quantity.toNumber());
    const mark = position.averageEntryPrice.toNumber() + position.unrealizedPnl.toNumber() / position.quantity.toNumber();
    let worst: number | null = null;
    for (const order of state.openOrders) {
      if (order.instrumentId !== instrumentId || order.role !== 'STOP' || order.triggerPrice === null) continue;
      const loss = Math.max(0, position.quantity.isPositive() ? mark - order.triggerPrice.toNumber() : order.triggerPrice.toNumber() - mark);
      worst = worst === null ? loss : Math.max(worst, loss);
    }
    risk += quantity * (worst ?? mark);
  }
  let inFlight = state.pendingEntries.size;
  for (const order of state.openOrders) if (order.role === 'ENTRY' && !state.pendingEntries.has(order.instrumentId)) inFlight++;
  return risk / equity + inFlight * riskFraction;
}
