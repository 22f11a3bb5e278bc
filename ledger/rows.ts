import { Decimal } from '../core/decimal.ts';
import type { BotId, ClientOrderId, FundingId, InstrumentId, IntentId, OrderRole, SubAccountId, TradeId } from '../core/ids.ts';
import type { OrderType, Side } from '../core/intent.ts';
import type { Fill, OrderReport, TimeInForce } from '../core/order.ts';
import type { Amendment } from './order-reducer.ts';
import type { FundingPayment, OrderRecord, PositionRecord } from './types.ts';

/** The ledger's rows as node:sqlite returns them, and their conversions to and from the domain records. */

export const decimalOrNull = (value: Decimal | null): string | null => (value === null ? null : value.toString());
export const parseOrNull = (value: string | null): Decimal | null => (value === null ? null : Decimal.parse(value));

export interface OrderRow {
  client_order_id: string;
  sequence: number;
  bot: string;
  sub_account: string;
  intent_id: string;
  instrument: string;
  role: string;
  side: string;
  type: string;
  quantity: string;
  limit_price: string | null;
  trigger_price: string | null;
  time_in_force: string;
  reduce_only: number;
  parent_client_order_id: string | null;
  activates_on_parent_fill: number;
  created_at: number;
}

export interface EventRow {
  client_order_id: string;
  type: Exclude<OrderReport['type'], 'ORDER_FILLED'>;
  venue_order_id: string | null;
  detail: string;
  at: number;
  /** ORDER_AMENDED only (schema version 2): what the order became. */
  quantity: string | null;
  limit_price: string | null;
  trigger_price: string | null;
}

/** The amendment an ORDER_AMENDED row records; null for every other event. */
export function amendmentFromRow(row: EventRow): Amendment | null {
  if (row.type !== 'ORDER_AMENDED' || row.quantity === null) return null;
  return { quantity: Decimal.parse(row.quantity), limitPrice: parseOrNull(row.limit_price), triggerPrice: parseOrNull(row.trigger_price) };
}

export interface FillRow {
  trade_id: string;
  sequence: number;
  client_order_id: string;
  instrument: string;
  side: string;
  quantity: string;
  price: string;
  fee: string;
  liquidity: string;
  leaves_quantity: string;
  at: number;
}

export interface FundingRow {
  funding_id: string;
  sequence: number;
  instrument: string;
  amount: string;
  rate: string;
  position_quantity: string;
  mark_price: string;
  at: number;
}

export function fundingFromRow(row: FundingRow): FundingPayment {
  return {
    fundingId: row.funding_id as FundingId,
    instrumentId: row.instrument as InstrumentId,
    amount: Decimal.parse(row.amount),
    rate: Decimal.parse(row.rate),
    positionQuantity: Decimal.parse(row.position_quantity),
    markPrice: Decimal.parse(row.mark_price),
    at: row.at,
  };
}

export interface PositionRow {
  instrument: string;
  quantity: string;
  cost_basis: string;
  realized_pnl: string;
  fees: string;
  entry_orders: number;
  updated_at: number;
}

export function orderFromRow(row: OrderRow): OrderRecord {
  return {
    clientOrderId: row.client_order_id as ClientOrderId,
    botId: row.bot as BotId,
    subAccountId: row.sub_account as SubAccountId,
    intentId: row.intent_id as IntentId,
    instrumentId: row.instrument as InstrumentId,
    role: row.role as OrderRole,
    side: row.side as Side,
    type: row.type as OrderType,
    quantity: Decimal.parse(row.quantity),
    limitPrice: parseOrNull(row.limit_price),
    triggerPrice: parseOrNull(row.trigger_price),
    timeInForce: row.time_in_force as TimeInForce,
    reduceOnly: row.reduce_only === 1,
    parentClientOrderId: row.parent_client_order_id as ClientOrderId | null,
    activatesOnParentFill: row.activates_on_parent_fill === 1,
    sequence: row.sequence,
    createdAt: row.created_at,
    status: 'PENDING_SUBMIT',
    venueOrderId: null,
    filledQuantity: Decimal.ZERO,
    averageFillPrice: null,
    updatedAt: row.created_at,
    detail: '',
  };
}

export function fillFromRow(row: FillRow): Fill {
  return {
    tradeId: row.trade_id as TradeId,
    clientOrderId: row.client_order_id as ClientOrderId,
    instrumentId: row.instrument as InstrumentId,
    side: row.side as Side,
    quantity: Decimal.parse(row.quantity),
    price: Decimal.parse(row.price),
    fee: Decimal.parse(row.fee),
    liquidity: row.liquidity as Fill['liquidity'],
    at: row.at,
  };
}

/** The cache row a position is stored as; compared as text on open, so a corrupted or stale row is caught. */
export function positionRow(position: PositionRecord): PositionRow {
  return {
    instrument: position.instrumentId,
    quantity: position.quantity.toString(),
    cost_basis: position.costBasis.toString(),
    realized_pnl: position.realizedPnl.toString(),
    fees: position.fees.toString(),
    entry_orders: position.entryOrders,
    updated_at: position.updatedAt,
  };
}

export function samePositionRow(a: PositionRow, b: PositionRow | undefined): boolean {
  return (
    b !== undefined &&
    a.quantity === b.quantity &&
    a.cost_basis === b.cost_basis &&
    a.realized_pnl === b.realized_pnl &&
    a.fees === b.fees &&
    a.entry_orders === b.entry_orders &&
    a.updated_at === b.updated_at
  );
}
