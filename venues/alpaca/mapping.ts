import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError, VenueReplyError } from '../../core/errors.ts';
import { isFlotillaClientOrderId, parseVenueOrderId, type ClientOrderId, type InstrumentId } from '../../core/ids.ts';
import type { OrderType, Side } from '../../core/intent.ts';
import type { OrderStatus, SubmitOrder } from '../../core/order.ts';
import type { VenueOrder } from '../../core/venue.ts';

/**
 * Flotilla's orders as Alpaca's, and back. A replace (PATCH) makes a new Alpaca order, which needs a new
 * client_order_id: the n-th replacement of Flotilla's order X is sent as "X.r<n>" (a dot never occurs in Flotilla's
 * IDs), so every order of the chain names its Flotilla order by itself, across restarts too.
 */

/** One Alpaca order, read field by field from its JSON (snake_case; the SDK's objects keep the raw fields). */
export interface AlpacaOrderRow {
  id: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  type: OrderType;
  status: string;
  qty: Decimal;
  filledQty: Decimal;
  limitPrice: Decimal | null;
  stopPrice: Decimal | null;
  replacedBy: string | null;
  replaces: string | null;
  updatedAt: number;
  /** `simple`, or `oco` for both orders of an exit pair. */
  orderClass: string;
  /** An oco parent's legs, as nested answers carry them (empty otherwise). */
  legs: AlpacaOrderRow[];
}

function text(row: Record<string, unknown>, name: string, what: string): string {
  const value = row[name];
  if (typeof value !== 'string' || value === '') throw new VenueReplyError(`${what}: ${name} is missing or not a string`);
  return value;
}

function decimal(row: Record<string, unknown>, name: string, what: string): Decimal | null {
  const value = row[name];
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') throw new VenueReplyError(`${what}: ${name} is not a decimal string`);
  return Decimal.parse(value, `${what} ${name}`);
}

function time(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  return Number.NaN;
}

export function readOrder(raw: unknown, what: string): AlpacaOrderRow {
  if (typeof raw !== 'object' || raw === null) throw new VenueReplyError(`${what}: not an order object`);
  // The SDK keeps an order's raw snake_case fields, but maps its nested legs to camelCase only: read either.
  const source = raw as Record<string, unknown>;
  const row: Record<string, unknown> = { ...source };
  for (const [snake, camel] of CAMEL) if (row[snake] === undefined && source[camel] !== undefined) row[snake] = source[camel];
  const type = text(row, 'type', what);
  const side = text(row, 'side', what);
  if (side !== 'buy' && side !== 'sell') throw new VenueReplyError(`${what}: side ${JSON.stringify(side)}`);
  const updatedAt = time(row['updated_at']);
  return {
    id: text(row, 'id', what),
    clientOrderId: typeof row['client_order_id'] === 'string' ? (row['client_order_id'] as string) : '',
    symbol: text(row, 'symbol', what),
    side: side === 'buy' ? 'BUY' : 'SELL',
    type: type === 'limit' ? 'LIMIT' : type === 'stop' ? 'STOP_MARKET' : 'MARKET',
    status: text(row, 'status', what),
    qty: decimal(row, 'qty', what) ?? Decimal.ZERO,
    filledQty: decimal(row, 'filled_qty', what) ?? Decimal.ZERO,
    limitPrice: decimal(row, 'limit_price', what),
    stopPrice: decimal(row, 'stop_price', what),
    replacedBy: typeof row['replaced_by'] === 'string' ? (row['replaced_by'] as string) : null,
    replaces: typeof row['replaces'] === 'string' ? (row['replaces'] as string) : null,
    updatedAt: Number.isNaN(updatedAt) ? 0 : updatedAt,
    orderClass: typeof row['order_class'] === 'string' && row['order_class'] !== '' ? (row['order_class'] as string) : 'simple',
    legs: Array.isArray(row['legs']) ? row['legs'].map((leg, index) => readOrder(leg, `${what} legs[${index}]`)) : [],
  };
}

const CAMEL: ReadonlyArray<readonly [string, string]> = [
  ['client_order_id', 'clientOrderId'],
  ['filled_qty', 'filledQty'],
  ['limit_price', 'limitPrice'],
  ['stop_price', 'stopPrice'],
  ['replaced_by', 'replacedBy'],
  ['updated_at', 'updatedAt'],
  ['order_class', 'orderClass'],
];

/**
 * The Flotilla order an Alpaca client_order_id belongs to, and which replacement it is; null for a foreign one. An
 * exit pair's oco parent is "<take-profit ID>.oco.<stop ID>": the take-profit's order, naming the stop its leg
 * carries, so that which Flotilla order an Alpaca-named leg is survives a restart at Alpaca itself.
 */
export function flotillaIdOf(clientOrderId: string): { id: ClientOrderId; generation: number; stopLeg: ClientOrderId | null; sentAs: string } | null {
  const match = /^(.*)\.r(\d{1,6})$/.exec(clientOrderId);
  const sentAs = match === null ? clientOrderId : (match[1] ?? '');
  const generation = match === null ? 0 : Number(match[2]);
  // An order sent again after a close that did not fill (see exits.ts) is "<first client_order_id>.s<n>".
  const resent = /^(.*)\.s[0-9a-z]{1,12}$/.exec(sentAs);
  const base = resent === null ? sentAs : (resent[1] ?? '');
  const oco = /^([^.]+)\.oco\.([^.]+)$/.exec(base);
  if (oco !== null) {
    const [, takeProfit = '', stop = ''] = oco;
    if (!isFlotillaClientOrderId(takeProfit) || !isFlotillaClientOrderId(stop)) return null;
    return { id: takeProfit as ClientOrderId, generation, stopLeg: stop as ClientOrderId, sentAs };
  }
  if (!isFlotillaClientOrderId(base)) return null;
  return { id: base as ClientOrderId, generation, stopLeg: null, sentAs };
}

/** A client_order_id for an order sent again under the same Flotilla order (unique: Alpaca never reuses one). */
export function resentClientOrderId(sentAs: string, at: number, attempt: number): string {
  return `${sentAs}.s${at.toString(36)}${attempt.toString(36)}`;
}

/** The client_order_id of an exit pair's oco parent (see flotillaIdOf). */
export function ocoClientOrderId(takeProfit: ClientOrderId, stop: ClientOrderId): string {
  return `${takeProfit}.oco.${stop}`;
}

export function chainClientOrderId(id: string, generation: number): string {
  return generation === 0 ? id : `${id}.r${generation}`;
}

/** Alpaca's statuses as Flotilla's; `replaced` is not an end, the chain goes on, and is never passed here. */
export function statusOf(row: AlpacaOrderRow): Exclude<OrderStatus, 'PENDING_SUBMIT'> {
  switch (row.status) {
    case 'filled':
      return 'FILLED';
    case 'canceled':
      return 'CANCELED';
    case 'expired':
      return 'EXPIRED';
    case 'rejected':
    case 'suspended':
      return 'REJECTED';
    case 'partially_filled':
      return 'PARTIALLY_FILLED';
    default:
      // new, accepted, pending_new, accepted_for_bidding, held, stopped, calculated, done_for_day, pending_*: working.
      return row.filledQty.isPositive() ? 'PARTIALLY_FILLED' : 'ACCEPTED';
  }
}

export function isEnded(row: AlpacaOrderRow): boolean {
  const status = statusOf(row);
  return status === 'FILLED' || status === 'CANCELED' || status === 'EXPIRED' || status === 'REJECTED';
}

export function venueOrderOf(row: AlpacaOrderRow, instrumentId: InstrumentId, clientOrderId: string, rootId: string, reduceOnly: boolean): VenueOrder {
  const status = statusOf(row);
  const open = status === 'ACCEPTED' || status === 'PARTIALLY_FILLED';
  return {
    clientOrderId,
    venueOrderId: parseVenueOrderId(rootId),
    instrumentId,
    side: row.side,
    type: row.type,
    status,
    quantity: row.qty,
    filledQuantity: row.filledQty,
    leavesQuantity: open ? row.qty.sub(row.filledQty) : Decimal.ZERO,
    limitPrice: row.limitPrice,
    triggerPrice: row.stopPrice,
    reduceOnly,
    detail: open ? '' : `Alpaca status ${row.status}`,
  };
}

/** The POST /v2/orders body (the SDK's camelCase input); every amount a decimal string. */
export function orderInput(order: SubmitOrder, symbol: string, quantity: Decimal): Record<string, unknown> {
  // Alpaca takes fractional quantities as day orders only.
  const fractional = !quantity.isMultipleOf(Decimal.ONE);
  const timeInForce = order.timeInForce === 'IOC' ? 'ioc' : order.type === 'MARKET' || fractional ? 'day' : 'gtc';
  return {
    symbol,
    qty: quantity.toString(),
    side: order.side === 'BUY' ? 'buy' : 'sell',
    type: order.type === 'LIMIT' ? 'limit' : order.type === 'STOP_MARKET' ? 'stop' : 'market',
    timeInForce,
    clientOrderId: order.clientOrderId,
    ...(order.limitPrice === null ? {} : { limitPrice: order.limitPrice.toString() }),
    ...(order.triggerPrice === null ? {} : { stopPrice: order.triggerPrice.toString() }),
  };
}

/**
 * An exit pair as one oco order: the take-profit limit is the parent (with take_profit.limit_price), the stop its
 * stop_loss leg, the same shares reserved once. Wire shape: POST /v2/orders {order_class: "oco", type: "limit",
 * take_profit: {limit_price}, stop_loss: {stop_price}} (the SDK's PostOrderRequest takeProfit/stopLoss).
 */
export function ocoInput(takeProfit: SubmitOrder, stop: SubmitOrder, symbol: string, quantity: Decimal): Record<string, unknown> {
  if (takeProfit.limitPrice === null || stop.triggerPrice === null) throw new InvalidInputError('an exit pair needs a take-profit limit price and a stop trigger');
  const fractional = !quantity.isMultipleOf(Decimal.ONE);
  return {
    symbol,
    qty: quantity.toString(),
    side: takeProfit.side === 'BUY' ? 'buy' : 'sell',
    type: 'limit',
    timeInForce: fractional ? 'day' : 'gtc',
    clientOrderId: ocoClientOrderId(takeProfit.clientOrderId, stop.clientOrderId),
    orderClass: 'oco',
    takeProfit: { limitPrice: takeProfit.limitPrice.toString() },
    stopLoss: { stopPrice: stop.triggerPrice.toString() },
  };
}
