import type { OrderParamsV5 } from 'bybit-api';
import { Decimal } from '../../core/decimal.ts';
import { parseVenueOrderId, type InstrumentId } from '../../core/ids.ts';
import type { OrderType, Side } from '../../core/intent.ts';
import type { OrderStatus, SubmitOrder } from '../../core/order.ts';
import type { VenueOrder } from '../../core/venue.ts';
import { RowReader } from './wire.ts';

/**
 * Flotilla's orders in Bybit's words and back. Entries are Market or Limit orders; the protective stop is a
 * conditional reduce-only Market order (triggerPrice, triggerDirection 1 rising for a Buy stop, 2 falling for a
 * Sell stop, closeOnTrigger so it closes even when margin is short); the take-profit is a reduce-only Limit. Every
 * order carries its client order ID as orderLinkId, and amounts go as decimal strings.
 */

export const CATEGORY = 'linear' as const;

/** The parameters of POST /v5/order/create for an order, for `quantity` (a bracket child's may be less than its own). */
export function createParams(order: SubmitOrder, symbol: string, quantity: Decimal = order.quantity): OrderParamsV5 {
  const side = order.side === 'BUY' ? 'Buy' : 'Sell';
  const base = { category: CATEGORY, symbol, side, qty: quantity.toString(), orderLinkId: order.clientOrderId, positionIdx: 0 as const, reduceOnly: order.reduceOnly } satisfies Partial<OrderParamsV5>;
  switch (order.type) {
    case 'MARKET':
      return { ...base, orderType: 'Market' };
    case 'LIMIT':
      if (order.limitPrice === null) throw new RangeError(`${order.clientOrderId}: a LIMIT order needs a limit price`);
      return { ...base, orderType: 'Limit', price: order.limitPrice.toString(), timeInForce: order.timeInForce };
    case 'STOP_MARKET':
      if (order.triggerPrice === null) throw new RangeError(`${order.clientOrderId}: a STOP_MARKET order needs a trigger price`);
      return {
        ...base,
        orderType: 'Market',
        triggerPrice: order.triggerPrice.toString(),
        // A buy stop fires when the price rises to its trigger, a sell stop when it falls to it.
        triggerDirection: order.side === 'BUY' ? 1 : 2,
        triggerBy: 'LastPrice',
        closeOnTrigger: order.reduceOnly,
      };
  }
}

/**
 * Bybit's order statuses in Flotilla's: Created, New, Untriggered and Triggered are working (partly filled once
 * something has filled); Deactivated is a stop cancelled before it triggered.
 */
export function statusOf(orderStatus: string, filled: Decimal): Exclude<OrderStatus, 'PENDING_SUBMIT'> | null {
  switch (orderStatus) {
    case 'Created':
    case 'New':
    case 'Untriggered':
    case 'Triggered':
    case 'Active':
      return filled.isPositive() ? 'PARTIALLY_FILLED' : 'ACCEPTED';
    case 'PartiallyFilled':
      return 'PARTIALLY_FILLED';
    case 'Filled':
      return 'FILLED';
    case 'Cancelled':
    case 'PartiallyFilledCanceled':
    case 'Deactivated':
      return 'CANCELED';
    case 'Rejected':
      return 'REJECTED';
    default:
      return null;
  }
}

/** Higher means later in an order's life; a report never moves an order back down. */
export function statusRank(status: Exclude<OrderStatus, 'PENDING_SUBMIT'>): number {
  return status === 'ACCEPTED' ? 1 : status === 'PARTIALLY_FILLED' ? 2 : 3;
}

export interface BybitOrderRow {
  orderId: string;
  orderLinkId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  orderStatus: string;
  status: Exclude<OrderStatus, 'PENDING_SUBMIT'>;
  quantity: Decimal;
  filled: Decimal;
  leaves: Decimal;
  limitPrice: Decimal | null;
  triggerPrice: Decimal | null;
  reduceOnly: boolean;
  updatedTime: number;
  detail: string;
}

/** One order as REST or the order topic gives it; null for a status Flotilla does not know (logged by the caller). */
export function readOrderRow(row: unknown, where: string): BybitOrderRow | null {
  const reader = new RowReader(row, where);
  const quantity = reader.decimal('qty');
  const filled = reader.decimal('cumExecQty');
  const orderStatus = reader.string('orderStatus');
  const status = statusOf(orderStatus, filled);
  if (status === null) return null;
  const orderType = reader.string('orderType');
  const triggerPrice = reader.priceOrNull('triggerPrice');
  // A Market order's price at Bybit is its slippage bound, not a limit: Flotilla's MARKET and STOP_MARKET have none.
  const type: OrderType = triggerPrice !== null && orderType === 'Market' ? 'STOP_MARKET' : orderType === 'Limit' ? 'LIMIT' : 'MARKET';
  const open = status === 'ACCEPTED' || status === 'PARTIALLY_FILLED';
  return {
    orderId: reader.string('orderId'),
    orderLinkId: reader.optionalString('orderLinkId'),
    symbol: reader.string('symbol'),
    side: reader.string('side') === 'Buy' ? 'BUY' : 'SELL',
    type,
    orderStatus,
    status,
    quantity,
    filled,
    leaves: open ? reader.decimal('leavesQty') : Decimal.ZERO,
    limitPrice: type === 'LIMIT' ? reader.priceOrNull('price') : null,
    triggerPrice: type === 'STOP_MARKET' ? triggerPrice : null,
    reduceOnly: reader.raw['reduceOnly'] === true || reader.raw['reduceOnly'] === 'true',
    updatedTime: reader.time('updatedTime'),
    detail: endDetail(orderStatus, reader.optionalString('cancelType'), reader.optionalString('rejectReason')),
  };
}

/** What Bybit says about how an order ended, in a sentence; empty for a working order. */
export function endDetail(orderStatus: string, cancelType: string, rejectReason: string): string {
  const reason = rejectReason !== '' && rejectReason !== 'EC_NoError' ? rejectReason : '';
  const why = cancelType !== '' && cancelType !== 'UNKNOWN' ? cancelType : '';
  switch (orderStatus) {
    case 'Cancelled':
    case 'PartiallyFilledCanceled':
      return `cancelled at Bybit${why === '' ? '' : ` (${why})`}${reason === '' ? '' : `: ${reason}`}`;
    case 'Deactivated':
      return `stop deactivated at Bybit before it triggered${why === '' ? '' : ` (${why})`}`;
    case 'Rejected':
      return `rejected by Bybit${reason === '' ? '' : `: ${reason}`}`;
    default:
      return '';
  }
}

/** A Bybit order as the Venue interface lists it: the client order ID is the orderLinkId, or "#<orderId>" when it has none. */
export function venueOrderOf(row: BybitOrderRow, instrumentId: InstrumentId): VenueOrder {
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
