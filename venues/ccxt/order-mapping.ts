import type { Order } from 'ccxt';
import { Decimal } from '../../core/decimal.ts';
import { parseVenueOrderId, type InstrumentId } from '../../core/ids.ts';
import type { OrderType } from '../../core/intent.ts';
import type { OrderStatus, SubmitOrder } from '../../core/order.ts';
import type { VenueOrder } from '../../core/venue.ts';
import type { BybitOrderRow } from '../bybit/order-mapping.ts';
import { decimalOf, decimalOrNull, wire } from './amounts.ts';
import type { ExchangeProfile } from './profiles.ts';

/**
 * Flotilla's orders as ccxt's createOrder arguments, and ccxt's unified orders as the rows the order tracker reads.
 * Entries are ccxt "market" or "limit" orders; a protective stop is a "market" order with the profile's trigger
 * parameters; every order carries its client order ID (`clientOrderId`, which ccxt maps to the exchange's field).
 */

/** An order as the tracker reads it (the Bybit adapter's row: the tracker is shared). */
export type OrderRow = BybitOrderRow;

export interface CreateArgs {
  type: 'market' | 'limit';
  side: 'buy' | 'sell';
  amount: number;
  price: number | undefined;
  params: Record<string, unknown>;
}

/** createOrder's arguments for an order, for `quantity` (a bracket child's may be less than its own). */
export function createArgs(order: SubmitOrder, quantity: Decimal, profile: ExchangeProfile): CreateArgs {
  const side = order.side === 'BUY' ? 'buy' : 'sell';
  const params: Record<string, unknown> = { clientOrderId: order.clientOrderId, ...(order.reduceOnly ? { reduceOnly: true } : {}) };
  switch (order.type) {
    case 'MARKET':
      return { type: 'market', side, amount: wire(quantity), price: undefined, params };
    case 'LIMIT':
      if (order.limitPrice === null) throw new RangeError(`${order.clientOrderId}: a LIMIT order needs a limit price`);
      return { type: 'limit', side, amount: wire(quantity), price: wire(order.limitPrice), params: { ...params, timeInForce: order.timeInForce } };
    case 'STOP_MARKET':
      if (order.triggerPrice === null) throw new RangeError(`${order.clientOrderId}: a STOP_MARKET order needs a trigger price`);
      return { type: 'market', side, amount: wire(quantity), price: undefined, params: { ...params, ...profile.stopParams(order.side, order.triggerPrice.toString(), order.reduceOnly) } };
  }
}

/** ccxt's unified status in Flotilla's; "closed" short of its amount was cancelled after a partial fill. */
function statusOf(status: string | undefined, filled: Decimal, amount: Decimal): Exclude<OrderStatus, 'PENDING_SUBMIT'> | null {
  switch (status) {
    case 'open':
      return filled.isPositive() ? 'PARTIALLY_FILLED' : 'ACCEPTED';
    case 'closed':
      return filled.gte(amount) ? 'FILLED' : 'CANCELED';
    case 'canceled':
    case 'expired':
      // An expiry is reported as a cancel: the tracker knows no other end for a working order.
      return 'CANCELED';
    case 'rejected':
      return 'REJECTED';
    default:
      return null;
  }
}

/** One ccxt order as a row; null for a status ccxt did not unify (the caller logs it). */
export function readOrder(order: Order, exchange: string): OrderRow | null {
  const where = `${exchange} order ${order.id}`;
  const quantity = decimalOf(order.amount, `${where} amount`);
  const filled = decimalOrNull(order.filled, `${where} filled`) ?? Decimal.ZERO;
  const status = statusOf(order.status, filled, quantity);
  if (status === null) return null;
  const triggerPrice = decimalOrNull(order.triggerPrice, `${where} triggerPrice`, true);
  // A market order's price at some exchanges is a slippage bound, not a limit: MARKET and STOP_MARKET have none.
  const type: OrderType = order.type === 'limit' ? 'LIMIT' : triggerPrice !== null ? 'STOP_MARKET' : 'MARKET';
  const open = status === 'ACCEPTED' || status === 'PARTIALLY_FILLED';
  const remaining = decimalOrNull(order.remaining, `${where} remaining`);
  return {
    orderId: order.id ?? '',
    orderLinkId: order.clientOrderId ?? '',
    symbol: order.symbol ?? '',
    side: order.side === 'buy' ? 'BUY' : 'SELL',
    type,
    orderStatus: order.status ?? '',
    status,
    quantity,
    filled,
    leaves: open ? (remaining ?? Decimal.max(quantity.sub(filled), Decimal.ZERO)) : Decimal.ZERO,
    limitPrice: type === 'LIMIT' ? decimalOrNull(order.price, `${where} price`, true) : null,
    triggerPrice: type === 'STOP_MARKET' ? triggerPrice : null,
    reduceOnly: order.reduceOnly === true,
    updatedTime: order.lastUpdateTimestamp ?? order.timestamp ?? 0,
    detail: endDetail(order.status, exchange),
  };
}

function endDetail(status: string | undefined, exchange: string): string {
  switch (status) {
    case 'canceled':
      return `cancelled at ${exchange}`;
    case 'expired':
      return `expired at ${exchange}`;
    case 'rejected':
      return `rejected by ${exchange}`;
    case 'closed':
      return `ended at ${exchange}`;
    default:
      return '';
  }
}

/** A row as the Venue interface lists it: the client order ID, or "#<order id>" for an order placed without one. */
export function venueOrderOf(row: OrderRow, instrumentId: InstrumentId): VenueOrder {
  return {
    clientOrderId: row.orderLinkId === '' ? `#${row.orderId}` : row.orderLinkId,
    venueOrderId: parseVenueOrderId(row.orderId),
    instrumentId,
    side: row.side,
    type: row.type,
    status: row.status,
    quantity: row.quantity,
    filledQuantity: row.filled,
    leavesQuantity: row.leaves,
    limitPrice: row.limitPrice,
    triggerPrice: row.triggerPrice,
    reduceOnly: row.reduceOnly,
    detail: row.detail,
  };
}
