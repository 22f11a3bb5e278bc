import { Decimal } from 'flotilla/strategy';
import type { Direction } from './entry-rules.ts';

/** Prices and quantities leave the strategy with this many decimals; the order manager quantizes to the instrument. */
export const PRICE_PLACES = 8;
export const QUANTITY_PLACES = 6;

export interface EntrySizing {
  equity: Decimal;
  price: number;
  stopDistance: number;
  riskFraction: number;
  /** The drawdown multiplier, from drawdownScale(). */
  scale: number;
  leverage: number;
}

/**
 * Quantity to enter: the risk-based size (equity × risk × drawdown scale ÷ stop distance), but never more
 * notional than equity × leverage. Leverage only caps the size; profit and loss are quantity × price move either way.
 */
export function entryQuantity(sizing: EntrySizing): Decimal {
  if (!sizing.equity.isPositive() || !(sizing.stopDistance > 0) || !(sizing.price > 0)) return Decimal.ZERO;
  const fraction = Decimal.fromNumber(sizing.riskFraction * sizing.scale, 10, 'risk fraction');
  const byRisk = sizing.equity.mul(fraction).div(Decimal.fromNumber(sizing.stopDistance, 10, 'stop distance'), 'floor');
  const byLeverage = sizing.equity.mul(Decimal.fromNumber(sizing.leverage, 10, 'leverage')).div(Decimal.fromNumber(sizing.price, 10, 'price'), 'floor');
  return Decimal.min(byRisk, byLeverage).round(QUANTITY_PLACES, 'floor');
}

/** What the strategy remembers of the trade it holds on one instrument. */
export interface Trade {
  direction: Direction;
  /** The initial stop distance in price: one R. */
  riskPerUnit: number;
  /** The best price reached since entry (highest high long, lowest low short). */
  extreme: number;
  partialTaken: boolean;
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
