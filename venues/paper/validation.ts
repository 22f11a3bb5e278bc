import type { Decimal } from '../../core/decimal.ts';
import { checkMinimums, type Instrument } from '../../core/instrument.ts';
import type { SubmitOrder } from '../../core/order.ts';
import type { OrderChanges } from '../../core/venue.ts';
import { isOpen, type PaperOrder } from './paper-order.ts';

function priceProblem(instrument: Instrument, what: string, price: Decimal): string | null {
  if (!price.isPositive()) return `${what} must be positive, got ${price.toString()}`;
  if (!price.isMultipleOf(instrument.tickSize)) return `${what} ${price.toString()} is not a multiple of the tick size ${instrument.tickSize.toString()}`;
  return null;
}

/**
 * What is wrong with an order's own fields for this instrument, or null; the venue rejects it as INVALID_ORDER.
 * `closesPosition`: a reduce-only order for the whole position, which may be below the minimum notional (as on
 * venues, so that a small remainder can always be closed); the minimum quantity still applies.
 */
export function orderProblem(order: SubmitOrder, instrument: Instrument, lastPrice: Decimal | null, closesPosition = false): string | null {
  const { quantity, limitPrice, triggerPrice, type } = order;
  if (!quantity.isPositive()) return `quantity must be positive, got ${quantity.toString()}`;
  if (!quantity.isMultipleOf(instrument.lotStep)) return `quantity ${quantity.toString()} is not a multiple of the lot step ${instrument.lotStep.toString()}`;

  if (type === 'LIMIT' && limitPrice === null) return 'a LIMIT order needs a limit price';
  if (type !== 'LIMIT' && limitPrice !== null) return `a ${type} order takes no limit price`;
  if (type === 'STOP_MARKET' && triggerPrice === null) return 'a STOP_MARKET order needs a trigger price';
  if (type !== 'STOP_MARKET' && triggerPrice !== null) return `a ${type} order takes no trigger price`;
  const price = limitPrice ?? triggerPrice;
  if (price !== null) {
    const problem = priceProblem(instrument, limitPrice !== null ? 'limit price' : 'trigger price', price);
    if (problem !== null) return problem;
  }
  const reference = price ?? lastPrice;
  const minimums = reference === null || closesPosition ? null : checkMinimums(instrument, quantity, reference);
  if (minimums !== null && !minimums.ok) return minimums.problem;
  if (minimums === null && quantity.lt(instrument.minQuantity)) {
    return `quantity ${quantity.toString()} is below the minimum ${instrument.minQuantity.toString()} for ${instrument.id}`;
  }

  if (order.activatesOnParentFill && order.parentClientOrderId === null) return 'activatesOnParentFill needs a parentClientOrderId';
  if (order.parentClientOrderId !== null && type === 'MARKET') return 'a bracket child must be a LIMIT or STOP_MARKET order';
  if (order.timeInForce === 'IOC' && (type === 'STOP_MARKET' || order.parentClientOrderId !== null)) {
    return 'IOC is only for MARKET and LIMIT orders without a parent';
  }
  return null;
}

/** What is wrong with the parent a bracket child names, or null. */
export function parentProblem(order: SubmitOrder, parent: PaperOrder): string | null {
  if (parent.parent !== null) return `parent ${parent.request.clientOrderId} is itself a bracket child`;
  if (parent.request.instrumentId !== order.instrumentId) return `parent ${parent.request.clientOrderId} is on ${parent.request.instrumentId}, not ${order.instrumentId}`;
  if (order.activatesOnParentFill && !isOpen(parent) && parent.filled.isZero()) {
    return `parent ${parent.request.clientOrderId} ended without a fill, so the child would never activate`;
  }
  return null;
}

/** What is wrong with an amendment of an open order, or null; the venue answers AMEND_REJECTED (INVALID_ORDER). */
export function amendProblem(order: PaperOrder, changes: OrderChanges): string | null {
  const { request, book } = order;
  const instrument = book.instrument;
  const { quantity, limitPrice, triggerPrice } = changes;
  if (quantity === undefined && limitPrice === undefined && triggerPrice === undefined) return 'the amendment changes nothing';
  if (limitPrice !== undefined && request.type !== 'LIMIT') return `a ${request.type} order has no limit price to amend`;
  if (triggerPrice !== undefined && request.type !== 'STOP_MARKET') return `a ${request.type} order has no trigger price to amend`;
  if (triggerPrice !== undefined && order.triggered) return 'the stop has already triggered; its trigger can no longer change';
  if (limitPrice !== undefined) {
    const problem = priceProblem(instrument, 'limit price', limitPrice);
    if (problem !== null) return problem;
  }
  if (triggerPrice !== undefined) {
    const problem = priceProblem(instrument, 'trigger price', triggerPrice);
    if (problem !== null) return problem;
  }
  const total = quantity ?? request.quantity;
  if (quantity !== undefined) {
    if (!quantity.isPositive()) return `quantity must be positive, got ${quantity.toString()}`;
    if (!quantity.isMultipleOf(instrument.lotStep)) return `quantity ${quantity.toString()} is not a multiple of the lot step ${instrument.lotStep.toString()}`;
    if (quantity.lte(order.filled)) return `quantity ${quantity.toString()} is not above the ${order.filled.toString()} already filled; cancel the order instead`;
  }
  const reference = limitPrice ?? triggerPrice ?? request.limitPrice ?? request.triggerPrice ?? book.lastPrice;
  const minimums = reference === null ? null : checkMinimums(instrument, total, reference);
  if (minimums !== null && !minimums.ok) return minimums.problem;
  return null;
}
