import { Decimal } from 'flotilla/strategy';
import type { Direction } from './entry-rules.ts';

/** Prices and quantities leave the strategy with this many decimals; the order manager quantizes to the instrument. */
export const PRICE_PLACES = 8;
export const QUANTITY_PLACES = 6;

export interface EntrySizing {
  equity: Decimal;
  /** The candle's close as it came, so the notional is worked out without a float. */
  price: Decimal;
  stopDistance: number;
  riskFraction: number;
  leverage: number;
  /** Notional of the positions the bot already holds, at their latest prices. */
  heldNotional: Decimal;
}

/**
 * Quantity to enter: the risk-based size (equity × risk ÷ stop distance), but never so much that the bot's whole
 * book exceeds equity × leverage of notional. Leverage only caps the size; profit and loss are quantity × price
 * move either way. The drawdown scale is not applied here: the order manager applies it after its own caps.
 */
export function entryQuantity(sizing: EntrySizing): Decimal {
  if (!sizing.equity.isPositive() || !(sizing.stopDistance > 0) || !sizing.price.isPositive()) return Decimal.ZERO;
  const fraction = Decimal.fromNumber(sizing.riskFraction, 10, 'risk fraction');
  const byRisk = sizing.equity.mul(fraction).div(Decimal.fromNumber(sizing.stopDistance, 10, 'stop distance'), 'floor');
  const room = sizing.equity.mul(Decimal.fromNumber(sizing.leverage, 10, 'leverage')).sub(sizing.heldNotional);
  if (!room.isPositive()) return Decimal.ZERO;
  const byLeverage = room.div(sizing.price, 'floor');
  return Decimal.min(byRisk, byLeverage).round(QUANTITY_PLACES, 'floor');
}

/** What the bot's open positions are worth at their latest marks: quantity × entry price plus the unrealized PnL. */
export function heldNotional(positions: ReadonlyMap<unknown, { quantity: Decimal; averageEntryPrice: Decimal; unrealizedPnl: Decimal }>): Decimal {
  let total = Decimal.ZERO;
  for (const position of positions.values()) total = total.add(position.quantity.mul(position.averageEntryPrice).add(position.unrealizedPnl).abs());
  return total;
}

/** What the strategy remembers of the trade it holds on one instrument. */
export interface Trade {
  direction: Direction;
  /** The initial stop distance in price: one R. */
  riskPerUnit: number;
  /** The best price reached since entry (highest high long, lowest low short). */
  extreme: number;
  partialTaken: boolean;
  /** The notional the entry asked for, counted against leverage until the position shows up. */
  plannedNotional: Decimal;
}

/** The chandelier stop: `trailAtr` daily ATRs behind the best price since entry. */
export function trailingStop(trade: Pick<Trade, 'direction' | 'extreme'>, atr: number, trailAtr: number): number {
  return trade.extreme - trade.direction * trailAtr * atr;
}

/** A new stop is taken only if it is tighter than the current one by more than `minStep` and still on the losing side of the price. */
export function shouldMoveStop(direction: Direction, candidate: number, current: number, close: number, minStep: number): boolean {
  const tightening = direction * (candidate - current);
  return tightening > 0 && tightening >= minStep && direction * (close - candidate) > 0;
}

export function priceOf(value: number): Decimal {
  return Decimal.fromNumber(value, PRICE_PLACES, 'price');
}
