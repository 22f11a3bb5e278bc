import type { Decimal } from '../../../core/decimal.ts';
import type { ClientOrderId } from '../../../core/ids.ts';
import { amount, iso } from './wire.ts';

/** An order as Alpaca keeps it, and its JSON (the v2 trading API's order entity, snake_case). */

export type AlpacaStatus = 'new' | 'partially_filled' | 'filled' | 'canceled' | 'expired' | 'replaced' | 'rejected';
export const OPEN_STATUSES: ReadonlySet<AlpacaStatus> = new Set(['new', 'partially_filled']);

export interface AlpacaOrder {
  readonly id: string;
  readonly clientOrderId: string;
  readonly accountId: string;
  /** The order's name in the matching engine; a replacement takes over its predecessor's. */
  readonly engineId: ClientOrderId;
  readonly symbol: string;
  readonly assetId: string;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit' | 'stop';
  /** `oco`: the take-profit parent (a limit order) and its stop-loss leg, one reservation of shares for both. */
  readonly orderClass: 'simple' | 'oco';
  /** An oco parent's legs (their current order IDs); an oco leg's parent (its current order ID). */
  legs: string[];
  parentId: string | null;
  readonly timeInForce: 'day' | 'gtc' | 'ioc';
  qty: Decimal;
  limitPrice: Decimal | null;
  stopPrice: Decimal | null;
  status: AlpacaStatus;
  filledQty: Decimal;
  /** Σ price × qty of its fills, for filled_avg_price. */
  filledValue: Decimal;
  readonly createdAt: number;
  updatedAt: number;
  filledAt: number | null;
  canceledAt: number | null;
  expiredAt: number | null;
  failedAt: number | null;
  replacedAt: number | null;
  replacedBy: string | null;
  readonly replaces: string | null;
  /** Creation order, for listings. */
  readonly sequence: number;
}

/** `legs`: the oco parent's legs as nested listings and single-order answers show them; null elsewhere. */
export function orderJson(order: AlpacaOrder, legs: readonly AlpacaOrder[] | null = null): Record<string, unknown> {
  const average = order.filledQty.isZero() ? null : order.filledValue.div(order.filledQty, 'half-even');
  return {
    id: order.id,
    client_order_id: order.clientOrderId,
    created_at: iso(order.createdAt),
    updated_at: iso(order.updatedAt),
    submitted_at: iso(order.createdAt),
    filled_at: iso(order.filledAt),
    expired_at: iso(order.expiredAt),
    canceled_at: iso(order.canceledAt),
    failed_at: iso(order.failedAt),
    replaced_at: iso(order.replacedAt),
    replaced_by: order.replacedBy,
    replaces: order.replaces,
    asset_id: order.assetId,
    symbol: order.symbol,
    asset_class: 'us_equity',
    notional: null,
    qty: order.qty.toString(),
    filled_qty: order.filledQty.toString(),
    filled_avg_price: amount(average),
    order_class: order.orderClass,
    order_type: order.type,
    type: order.type,
    side: order.side,
    position_intent: order.side === 'buy' ? 'buy_to_open' : 'sell_to_close',
    time_in_force: order.timeInForce,
    limit_price: amount(order.limitPrice),
    stop_price: amount(order.stopPrice),
    status: order.status,
    extended_hours: false,
    legs: legs === null ? null : legs.map((leg) => orderJson(leg)),
    trail_percent: null,
    trail_price: null,
    hwm: null,
  };
}
