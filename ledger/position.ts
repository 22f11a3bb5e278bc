import { Decimal } from '../core/decimal.ts';
import { InvalidInputError } from '../core/errors.ts';
import type { InstrumentId, OrderRole } from '../core/ids.ts';
import type { Fill } from '../core/order.ts';
import { sideSign } from '../core/intent.ts';
import type { PositionRecord } from './types.ts';

/** A fill as position arithmetic needs it, plus what the ledger knows about the order that made it. */
export interface PositionFill extends Pick<Fill, 'instrumentId' | 'side' | 'quantity' | 'price' | 'fee' | 'at'> {
  role: OrderRole;
  /** True when the order had no earlier fill; only an entry order's first fill into a position counts as a new entry. */
  firstFillOfOrder: boolean;
}

export function flatPosition(instrumentId: InstrumentId, at: number): PositionRecord {
  return {
    instrumentId,
    quantity: Decimal.ZERO,
    costBasis: Decimal.ZERO,
    averageEntryPrice: Decimal.ZERO,
    realizedPnl: Decimal.ZERO,
    fees: Decimal.ZERO,
    entryOrders: 0,
    updatedAt: at,
  };
}

export function averageEntryPrice(quantity: Decimal, costBasis: Decimal): Decimal {
  return quantity.isZero() ? Decimal.ZERO : costBasis.div(quantity);
}

/**
 * Nets one fill into a position. The closing part removes a proportional share of the cost basis and the
 * opening part is valued at fill quantity × price minus the closing part, so realized + unrealized equals the
 * mark-to-market of all fills exactly, whatever the rounding of the share removed.
 */
export function applyFill(position: PositionRecord | null, fill: PositionFill): PositionRecord {
  if (!fill.quantity.isPositive()) throw new InvalidInputError(`fill quantity must be positive, got ${fill.quantity.toString()}`);
  if (!fill.price.isPositive()) throw new InvalidInputError(`fill price must be positive, got ${fill.price.toString()}`);
  const before = position ?? flatPosition(fill.instrumentId, fill.at);
  if (before.instrumentId !== fill.instrumentId) {
    throw new InvalidInputError(`a ${fill.instrumentId} fill cannot be applied to a ${before.instrumentId} position`);
  }
  const signedQuantity = sideSign(fill.side) === 1 ? fill.quantity : fill.quantity.neg();
  const signedValue = signedQuantity.mul(fill.price);
  const fees = before.fees.add(fill.fee);
  const isEntry = fill.role === 'ENTRY';
  const held = before.quantity;

  if (held.isZero() || held.sign() === signedQuantity.sign()) {
    const quantity = held.add(signedQuantity);
    const costBasis = before.costBasis.add(signedValue);
    const counts = isEntry && (held.isZero() || fill.firstFillOfOrder);
    const entryOrders = held.isZero() ? (isEntry ? 1 : 0) : before.entryOrders + (counts ? 1 : 0);
    return { ...before, quantity, costBasis, averageEntryPrice: averageEntryPrice(quantity, costBasis), fees, entryOrders, updatedAt: fill.at };
  }

  const heldSize = held.abs();
  const closing = Decimal.min(fill.quantity, heldSize);
  const removed = closing.eq(heldSize) ? before.costBasis : before.costBasis.mulDiv(closing, heldSize);
  // The closing part's signed value; what is left of signedValue opens the other way, so no rounding is lost.
  const closingValue = (held.isPositive() ? closing.neg() : closing).mul(fill.price);
  const realizedPnl = before.realizedPnl.sub(closingValue).sub(removed);
  const quantity = held.add(signedQuantity);
  let costBasis = before.costBasis.sub(removed);
  let entryOrders = before.entryOrders;
  if (quantity.isZero()) {
    entryOrders = 0;
  } else if (quantity.sign() !== held.sign()) {
    costBasis = signedValue.sub(closingValue);
    entryOrders = isEntry ? 1 : 0;
  }
  return { ...before, quantity, costBasis, averageEntryPrice: averageEntryPrice(quantity, costBasis), realizedPnl, fees, entryOrders, updatedAt: fill.at };
}

/** quantity × mark − costBasis: what closing the whole position at the mark would realize, before fees. */
export function unrealizedPnl(position: Pick<PositionRecord, 'quantity' | 'costBasis'>, mark: Decimal): Decimal {
  return position.quantity.mul(mark).sub(position.costBasis);
}

/** Leverage sets the margin a position ties up, never its PnL. */
export function marginRequired(position: Pick<PositionRecord, 'quantity'>, mark: Decimal, leverage: Decimal): Decimal {
  if (!leverage.isPositive()) throw new InvalidInputError(`leverage must be positive, got ${leverage.toString()}`);
  return position.quantity.mul(mark).abs().div(leverage);
}
