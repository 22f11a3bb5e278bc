import type { BybitExecution, BybitOrder, OrderStatus } from '../order-book.ts';
import { OPEN_STATUSES, ORDER_STATUSES, isConditional } from '../order-book.ts';
import { parseAmend, parseCreate, parseOrderName, requireLinear } from '../order-params.ts';
import { executionWire, orderWire } from '../wire-shapes.ts';
import { BybitError, makeCursor, optionalEnum, optionalInteger, optionalString, parameterError, readCursor, type Params } from '../wire.ts';
import { ok, type RouteContext, type RouteTable } from './route.ts';

/** Orders: create, amend, cancel, batch cancel, open orders, order history and the execution list, each by UID. */

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
const BATCH_MAX = 20;

/** startTime/endTime as Bybit reads them: a week back from now by default, a week from whichever end is given, at most a week. */
function timeWindow(params: Params, now: number): { from: number; to: number } {
  const start = optionalInteger(params, 'startTime', 0, Number.MAX_SAFE_INTEGER);
  const end = optionalInteger(params, 'endTime', 0, Number.MAX_SAFE_INTEGER);
  if (start !== undefined && end !== undefined) {
    if (end < start) throw parameterError('endTime must not be before startTime');
    if (end - start > WEEK_MS) throw parameterError('the time between startTime and endTime must not exceed 7 days');
    return { from: start, to: end };
  }
  if (start !== undefined) return { from: start, to: start + WEEK_MS };
  if (end !== undefined) return { from: end - WEEK_MS, to: end };
  return { from: now - WEEK_MS, to: now };
}

interface OrderFilters {
  symbol: string | undefined;
  baseCoin: string | undefined;
  settleCoin: string | undefined;
  orderId: string | undefined;
  orderLinkId: string | undefined;
  orderFilter: 'Order' | 'StopOrder' | undefined;
}

function orderFilters(context: RouteContext): OrderFilters {
  const { params } = context;
  requireLinear(params);
  const filters: OrderFilters = {
    symbol: optionalString(params, 'symbol'),
    baseCoin: optionalString(params, 'baseCoin'),
    settleCoin: optionalString(params, 'settleCoin'),
    orderId: optionalString(params, 'orderId'),
    orderLinkId: optionalString(params, 'orderLinkId'),
    orderFilter: optionalEnum(params, 'orderFilter', ['Order', 'StopOrder'] as const),
  };
  if (filters.settleCoin !== undefined && filters.settleCoin !== 'USDT') throw parameterError('settleCoin must be USDT');
  return filters;
}

function matches(order: BybitOrder, filters: OrderFilters, context: RouteContext): boolean {
  if (filters.orderId !== undefined && order.orderId !== filters.orderId) return false;
  if (filters.orderLinkId !== undefined && order.orderLinkId !== filters.orderLinkId) return false;
  if (filters.symbol !== undefined && order.symbol !== filters.symbol) return false;
  if (filters.baseCoin !== undefined && context.exchange.instrument(order.symbol)?.baseCoin !== filters.baseCoin) return false;
  if (filters.orderFilter === 'Order' && isConditional(order)) return false;
  if (filters.orderFilter === 'StopOrder' && !isConditional(order)) return false;
  return true;
}

function orderPage(context: RouteContext, keep: (order: BybitOrder) => boolean): unknown {
  const limit = optionalInteger(context.params, 'limit', 1, 50) ?? 20;
  const page = context.exchange.book.orders(context.uid, keep, limit, readCursor(context.params));
  return { category: 'linear', list: page.list.map((order) => orderWire(order)), nextPageCursor: page.nextCursor === null ? '' : makeCursor(page.nextCursor) };
}

export const orderRoutes: RouteTable = {
  'POST /v5/order/create': {
    access: 'trade',
    handle: ({ exchange, uid, params }) => {
      const order = exchange.placeOrder(uid, parseCreate(params));
      return ok({ orderId: order.orderId, orderLinkId: order.orderLinkId });
    },
  },

  'POST /v5/order/amend': {
    access: 'trade',
    handle: ({ exchange, uid, params }) => {
      const order = exchange.amendOrder(uid, parseAmend(params));
      return ok({ orderId: order.orderId, orderLinkId: order.orderLinkId });
    },
  },

  'POST /v5/order/cancel': {
    access: 'trade',
    handle: ({ exchange, uid, params }) => {
      requireLinear(params);
      const order = exchange.cancelOrder(uid, parseOrderName(params));
      return ok({ orderId: order.orderId, orderLinkId: order.orderLinkId });
    },
  },

  'POST /v5/order/cancel-batch': {
    access: 'trade',
    limitsItself: true,
    handle: ({ exchange, uid, params, limiter, route, now }) => {
      requireLinear(params);
      const requests = params['request'];
      if (!Array.isArray(requests) || requests.length === 0) throw parameterError('request must be a non-empty list of {symbol, orderId | orderLinkId}');
      if (requests.length > BATCH_MAX) throw parameterError(`at most ${BATCH_MAX} orders can be cancelled per request`);
      // Each order in the batch takes one unit of the endpoint's limit; those past it fail with 10006, the rest go through.
      const admission = limiter.admit(uid, route, now, requests.length);
      const granted = admission?.granted ?? requests.length;
      const list: Record<string, string>[] = [];
      const outcomes: { code: number; msg: string }[] = [];
      requests.forEach((item: unknown, index) => {
        const entry = typeof item === 'object' && item !== null ? (item as Params) : {};
        const echo = { category: 'linear', symbol: String(entry['symbol'] ?? ''), orderId: String(entry['orderId'] ?? ''), orderLinkId: String(entry['orderLinkId'] ?? '') };
        try {
          if (index >= granted) throw new BybitError('TOO_MANY_VISITS');
          const order = exchange.cancelOrder(uid, parseOrderName(entry));
          list.push({ ...echo, orderId: order.orderId, orderLinkId: order.orderLinkId });
          outcomes.push({ code: 0, msg: 'OK' });
        } catch (error) {
          if (!(error instanceof BybitError)) throw error;
          list.push(echo);
          outcomes.push({ code: error.retCode, msg: error.retMsg });
        }
      });
      return { result: { list }, retExtInfo: { list: outcomes }, limit: admission };
    },
  },

  'GET /v5/order/realtime': {
    access: 'read',
    handle: (context) => {
      const filters = orderFilters(context);
      const byId = filters.orderId !== undefined || filters.orderLinkId !== undefined;
      if (!byId && filters.symbol === undefined && filters.baseCoin === undefined && filters.settleCoin === undefined) {
        throw parameterError('symbol, baseCoin, settleCoin, orderId or orderLinkId is required for linear');
      }
      const openOnly = optionalInteger(context.params, 'openOnly', 0, 2) ?? 0;
      // By ID an order is found in any status; otherwise openOnly 0 lists open orders and 1 or 2 recent closed ones.
      const statusWanted = (order: BybitOrder): boolean => byId || (openOnly === 0) === OPEN_STATUSES.has(order.status);
      return ok(orderPage(context, (order) => statusWanted(order) && matches(order, filters, context)));
    },
  },

  'GET /v5/order/history': {
    access: 'read',
    handle: (context) => {
      const filters = orderFilters(context);
      const orderStatus = optionalEnum(context.params, 'orderStatus', ORDER_STATUSES) as OrderStatus | undefined;
      const { from, to } = timeWindow(context.params, context.marketNow);
      return ok(orderPage(context, (order) => order.createdTime >= from && order.createdTime <= to && (orderStatus === undefined || order.status === orderStatus) && matches(order, filters, context)));
    },
  },

  'GET /v5/execution/list': {
    access: 'read',
    handle: (context) => {
      const { params, exchange, uid } = context;
      requireLinear(params);
      const symbol = optionalString(params, 'symbol');
      const orderId = optionalString(params, 'orderId');
      const orderLinkId = optionalString(params, 'orderLinkId');
      const baseCoin = optionalString(params, 'baseCoin');
      const execType = optionalEnum(params, 'execType', ['Trade', 'AdlTrade', 'Funding', 'BustTrade', 'Delivery', 'Settle', 'BlockTrade', 'MovePosition'] as const);
      const limit = optionalInteger(params, 'limit', 1, 100) ?? 50;
      const { from, to } = timeWindow(params, context.marketNow);
      const keep = (execution: BybitExecution): boolean =>
        execution.execTime >= from &&
        execution.execTime <= to &&
        (execType === undefined || execType === execution.execType) &&
        (symbol === undefined || execution.symbol === symbol) &&
        (orderId === undefined || execution.orderId === orderId) &&
        (orderLinkId === undefined || execution.orderLinkId === orderLinkId) &&
        (baseCoin === undefined || exchange.instrument(execution.symbol)?.baseCoin === baseCoin);
      const page = exchange.book.executions(uid, keep, limit, readCursor(params));
      return ok({ category: 'linear', list: page.list.map((execution) => executionWire(execution)), nextPageCursor: page.nextCursor === null ? '' : makeCursor(page.nextCursor) });
    },
  },
};
