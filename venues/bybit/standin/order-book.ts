import { Decimal } from '../../../core/decimal.ts';
import type { ClientOrderId } from '../../../core/ids.ts';

/**
 * Orders and executions as Bybit reports them, per UID: every order with its orderId, orderLinkId and status
 * history (for realtime and history queries), and every execution with a sequence number that cursors page by.
 * The paper engine is the matching truth; this is the exchange's record of what it said.
 */

export const ORDER_STATUSES = ['New', 'PartiallyFilled', 'Filled', 'Cancelled', 'Rejected', 'Untriggered', 'Triggered', 'Deactivated'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Open orders are what /v5/order/realtime lists by default. */
export const OPEN_STATUSES: ReadonlySet<OrderStatus> = new Set(['New', 'PartiallyFilled', 'Untriggered', 'Triggered']);

export type CancelType = 'UNKNOWN' | 'CancelByUser' | 'CancelByReduceOnly';
export type RejectReason = 'EC_NoError' | 'EC_NoImmediateQtyToFill' | 'EC_Others';

export interface BybitOrder {
  /** Creation order within the exchange; cursors page by it. */
  readonly sequence: number;
  readonly uid: number;
  readonly orderId: string;
  /** "" when the client gave none. */
  readonly orderLinkId: string;
  /** The ID the paper engine knows the order by: the orderLinkId, or "#" + orderId when there is none. */
  readonly engineId: ClientOrderId;
  readonly symbol: string;
  readonly side: 'Buy' | 'Sell';
  readonly orderType: 'Market' | 'Limit';
  readonly timeInForce: 'GTC' | 'IOC';
  readonly reduceOnly: boolean;
  readonly closeOnTrigger: boolean;
  /** 0 for an ordinary order, 1 (rises to) or 2 (falls to) for a conditional one. */
  readonly triggerDirection: 0 | 1 | 2;
  readonly lastPriceOnCreated: Decimal | null;
  readonly createdTime: number;
  price: Decimal | null;
  qty: Decimal;
  triggerPrice: Decimal | null;
  status: OrderStatus;
  /** Every status the order has had, with when, oldest first. */
  readonly statusHistory: { status: OrderStatus; at: number }[];
  cancelType: CancelType;
  rejectReason: RejectReason;
  cumExecQty: Decimal;
  cumExecValue: Decimal;
  cumExecFee: Decimal;
  leavesQty: Decimal;
  updatedTime: number;
  /** A cancel the owner asked for, so the cancel that follows is reported as CancelByUser. */
  cancelRequested: boolean;
}

export interface BybitExecution {
  readonly sequence: number;
  /** A trade of an order, or a funding settlement on a position (no order: orderId and orderLinkId are ""). */
  readonly execType: 'Trade' | 'Funding';
  readonly uid: number;
  readonly execId: string;
  readonly orderId: string;
  readonly orderLinkId: string;
  readonly symbol: string;
  readonly side: 'Buy' | 'Sell';
  readonly orderPrice: Decimal | null;
  readonly orderQty: Decimal;
  readonly leavesQty: Decimal;
  readonly orderType: 'Market' | 'Limit' | 'UNKNOWN';
  readonly stopOrderType: '' | 'Stop' | 'UNKNOWN';
  readonly execPrice: Decimal;
  readonly execQty: Decimal;
  readonly execValue: Decimal;
  readonly execFee: Decimal;
  readonly feeRate: Decimal;
  readonly isMaker: boolean;
  readonly execTime: number;
  readonly markPrice: Decimal;
  /** How much of the fill closed an opposite position, and the PnL that closing realized (before fees). */
  readonly closedSize: Decimal;
  readonly execPnl: Decimal;
}

export function isConditional(order: BybitOrder): boolean {
  return order.triggerDirection !== 0;
}

export function setStatus(order: BybitOrder, status: OrderStatus, at: number): void {
  order.status = status;
  order.updatedTime = at;
  order.statusHistory.push({ status, at });
}

export function averagePrice(order: BybitOrder): Decimal | null {
  return order.cumExecQty.isZero() ? null : order.cumExecValue.div(order.cumExecQty).round(8);
}

interface UidRecords {
  readonly orders: BybitOrder[];
  readonly byOrderId: Map<string, BybitOrder>;
  readonly byLinkId: Map<string, BybitOrder>;
  readonly byEngineId: Map<ClientOrderId, BybitOrder>;
  readonly executions: BybitExecution[];
  /** Running totals per symbol of realized PnL (before fees) and fees, so a wallet snapshot need not re-add every fill. */
  readonly realized: Map<string, { pnl: Decimal; fees: Decimal }>;
}

export interface Page<T> {
  list: T[];
  nextCursor: number | null;
}

/** Newest first, strictly older than the cursor, at most `limit`; the next cursor is the last one listed. */
function pageNewestFirst<T extends { sequence: number }>(items: readonly T[], keep: (item: T) => boolean, limit: number, cursor: number | undefined): Page<T> {
  const list: T[] = [];
  for (let index = items.length - 1; index >= 0; index--) {
    const item = items[index] as T;
    if (cursor !== undefined && item.sequence >= cursor) continue;
    if (!keep(item)) continue;
    if (list.length === limit) return { list, nextCursor: (list[list.length - 1] as T).sequence };
    list.push(item);
  }
  return { list, nextCursor: null };
}

export class OrderBook {
  readonly #byUid = new Map<number, UidRecords>();
  #sequence = 0;

  nextSequence(): number {
    return ++this.#sequence;
  }

  #records(uid: number): UidRecords {
    let records = this.#byUid.get(uid);
    if (records === undefined) {
      records = { orders: [], byOrderId: new Map(), byLinkId: new Map(), byEngineId: new Map(), executions: [], realized: new Map() };
      this.#byUid.set(uid, records);
    }
    return records;
  }

  addOrder(order: BybitOrder): void {
    const records = this.#records(order.uid);
    records.orders.push(order);
    records.byOrderId.set(order.orderId, order);
    if (order.orderLinkId !== '') records.byLinkId.set(order.orderLinkId, order);
    records.byEngineId.set(order.engineId, order);
  }

  addExecution(execution: BybitExecution): void {
    const records = this.#records(execution.uid);
    records.executions.push(execution);
    const total = records.realized.get(execution.symbol) ?? { pnl: Decimal.ZERO, fees: Decimal.ZERO };
    records.realized.set(execution.symbol, { pnl: total.pnl.add(execution.execPnl), fees: total.fees.add(execution.execFee) });
  }

  hasLinkId(uid: number, orderLinkId: string): boolean {
    return this.#records(uid).byLinkId.has(orderLinkId);
  }

  byEngineId(uid: number, engineId: ClientOrderId): BybitOrder | undefined {
    return this.#records(uid).byEngineId.get(engineId);
  }

  /** By orderId or orderLinkId (one of them), as cancel and amend name an order. */
  find(uid: number, orderId: string | undefined, orderLinkId: string | undefined): BybitOrder | undefined {
    const records = this.#records(uid);
    if (orderId !== undefined) return records.byOrderId.get(orderId);
    if (orderLinkId !== undefined) return records.byLinkId.get(orderLinkId);
    return undefined;
  }

  openCount(uid: number, symbol: string): number {
    let count = 0;
    for (const order of this.#records(uid).orders) if (order.symbol === symbol && OPEN_STATUSES.has(order.status)) count++;
    return count;
  }

  orders(uid: number, keep: (order: BybitOrder) => boolean, limit: number, cursor: number | undefined): Page<BybitOrder> {
    return pageNewestFirst(this.#records(uid).orders, keep, limit, cursor);
  }

  executions(uid: number, keep: (execution: BybitExecution) => boolean, limit: number, cursor: number | undefined): Page<BybitExecution> {
    return pageNewestFirst(this.#records(uid).executions, keep, limit, cursor);
  }

  /** Realized PnL of every close on the symbol (or on all symbols), before fees, and the fees paid. */
  realizedPnl(uid: number, symbol?: string): { pnl: Decimal; fees: Decimal } {
    const realized = this.#records(uid).realized;
    if (symbol !== undefined) return realized.get(symbol) ?? { pnl: Decimal.ZERO, fees: Decimal.ZERO };
    return { pnl: Decimal.sum([...realized.values()].map((total) => total.pnl)), fees: Decimal.sum([...realized.values()].map((total) => total.fees)) };
  }
}
