import type { Decimal } from '../../../core/decimal.ts';
import {
  optionalBoolean,
  optionalDecimal,
  optionalEnum,
  optionalInteger,
  optionalString,
  parameterError,
  requiredDecimal,
  requiredEnum,
  requiredString,
  type Params,
} from './wire.ts';

/**
 * Reading order requests the way Bybit V5 takes them (POST /v5/order/create, amend, cancel), refusing what the
 * stand-in does not serve with a sentence that says so rather than silently ignoring it.
 */

export const ORDER_LINK_ID = /^[A-Za-z0-9_-]{1,36}$/;

/** Parameters Bybit takes that the stand-in does not serve: refused so a test never believes they worked. */
const NOT_SERVED = ['takeProfit', 'stopLoss', 'tpTriggerBy', 'slTriggerBy', 'tpslMode', 'tpLimitPrice', 'slLimitPrice', 'tpOrderType', 'slOrderType', 'orderIv', 'smpType', 'marketUnit', 'slippageToleranceType', 'slippageTolerance'] as const;

export interface CreateRequest {
  symbol: string;
  side: 'Buy' | 'Sell';
  orderType: 'Market' | 'Limit';
  qty: Decimal;
  price: Decimal | null;
  timeInForce: 'GTC' | 'IOC';
  orderLinkId: string;
  reduceOnly: boolean;
  closeOnTrigger: boolean;
  triggerPrice: Decimal | null;
  triggerDirection: 0 | 1 | 2;
}

export function requireLinear(params: Params): void {
  const category = requiredString(params, 'category');
  if (category !== 'linear') throw parameterError(`category ${JSON.stringify(category)} is not served: the stand-in lists linear perpetuals only`);
}

function refuseNotServed(params: Params): void {
  for (const name of NOT_SERVED) {
    if (params[name] !== undefined && params[name] !== null && params[name] !== '') throw parameterError(`${name} is not served by the stand-in: place take-profits and stops as their own orders`);
  }
}

export function optionalLinkId(params: Params): string | undefined {
  const orderLinkId = optionalString(params, 'orderLinkId');
  if (orderLinkId !== undefined && !ORDER_LINK_ID.test(orderLinkId)) throw parameterError('orderLinkId must be 1-36 characters of A-Z, a-z, 0-9, "_" and "-"');
  return orderLinkId;
}

export function parseCreate(params: Params): CreateRequest {
  requireLinear(params);
  refuseNotServed(params);
  const symbol = requiredString(params, 'symbol');
  const side = requiredEnum(params, 'side', ['Buy', 'Sell'] as const);
  const orderType = requiredEnum(params, 'orderType', ['Market', 'Limit'] as const);
  const qty = requiredDecimal(params, 'qty');
  const price = optionalDecimal(params, 'price') ?? null;
  if (orderType === 'Limit' && price === null) throw parameterError('a Limit order needs a price');
  const timeInForceGiven = optionalEnum(params, 'timeInForce', ['GTC', 'IOC', 'FOK', 'PostOnly'] as const);
  if (timeInForceGiven === 'FOK' || timeInForceGiven === 'PostOnly') throw parameterError(`timeInForce ${timeInForceGiven} is not served by the stand-in (GTC and IOC are)`);
  // A market order is immediate-or-cancel at Bybit whatever was sent.
  const timeInForce = orderType === 'Market' ? 'IOC' : (timeInForceGiven ?? 'GTC');
  const positionIdx = optionalInteger(params, 'positionIdx', 0, 2) ?? 0;
  if (positionIdx !== 0) throw parameterError('position idx not match position mode: the stand-in runs one-way mode (positionIdx 0)');
  const triggerPrice = optionalDecimal(params, 'triggerPrice') ?? null;
  const directionGiven = optionalInteger(params, 'triggerDirection', 1, 2);
  const triggerBy = optionalEnum(params, 'triggerBy', ['LastPrice', 'MarkPrice', 'IndexPrice'] as const);
  let triggerDirection: 0 | 1 | 2 = 0;
  if (triggerPrice !== null) {
    if (triggerPrice.isZero()) throw parameterError('triggerPrice must be positive');
    if (directionGiven === undefined) throw parameterError('a conditional order needs triggerDirection: 1 (rises to) or 2 (falls to)');
    if (orderType !== 'Market') throw parameterError('conditional Limit orders are not served by the stand-in: a conditional order is Market with triggerPrice');
    // The paper engine's stop triggers on the way through its level: a buy stop rising to it, a sell stop falling to it.
    if ((side === 'Buy') !== (directionGiven === 1)) throw parameterError('the stand-in serves stop orders only: Buy with triggerDirection 1, Sell with triggerDirection 2');
    triggerDirection = directionGiven as 1 | 2;
  } else if (directionGiven !== undefined || triggerBy !== undefined) {
    throw parameterError('triggerDirection and triggerBy need a triggerPrice');
  }
  return {
    symbol,
    side,
    orderType,
    qty,
    price: orderType === 'Limit' ? price : null,
    timeInForce,
    orderLinkId: optionalLinkId(params) ?? '',
    reduceOnly: optionalBoolean(params, 'reduceOnly') ?? false,
    closeOnTrigger: optionalBoolean(params, 'closeOnTrigger') ?? false,
    triggerPrice,
    triggerDirection,
  };
}

/** An order named by exactly one of orderId and orderLinkId: both at once is refused (bybit-api issue #289). */
export interface OrderName {
  symbol: string;
  orderId: string | undefined;
  orderLinkId: string | undefined;
}

export function parseOrderName(params: Params): OrderName {
  const symbol = requiredString(params, 'symbol');
  const orderId = optionalString(params, 'orderId');
  const orderLinkId = optionalLinkId(params);
  if (orderId === undefined && orderLinkId === undefined) throw parameterError('either orderId or orderLinkId is required');
  if (orderId !== undefined && orderLinkId !== undefined) throw parameterError('orderId and orderLinkId cannot both be given: name the order by one of them');
  return { symbol, orderId, orderLinkId };
}

export interface AmendRequest extends OrderName {
  qty: Decimal | undefined;
  price: Decimal | undefined;
  triggerPrice: Decimal | undefined;
}

export function parseAmend(params: Params): AmendRequest {
  requireLinear(params);
  refuseNotServed(params);
  const name = parseOrderName(params);
  const request = { ...name, qty: optionalDecimal(params, 'qty'), price: optionalDecimal(params, 'price'), triggerPrice: optionalDecimal(params, 'triggerPrice') };
  if (request.qty === undefined && request.price === undefined && request.triggerPrice === undefined) throw parameterError('nothing to amend: give qty, price or triggerPrice');
  return request;
}
