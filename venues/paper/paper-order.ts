import { Decimal } from '../../core/decimal.ts';
import type { VenueOrderId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { SubmitOrder } from '../../core/order.ts';
import type { CandlePath } from './candle-path.ts';
import type { SubAccount } from './sub-account.ts';

/**
 * WAITING: a bracket child held until its parent fills (no report has been sent for it yet).
 * WORKING: accepted and resting on its instrument's book. FILLED and CANCELED are terminal.
 */
export type PaperOrderState = 'WAITING' | 'WORKING' | 'FILLED' | 'CANCELED';

/** Per-instrument state: the last price and every sub-account's working orders, so a candle touches only these. */
export interface InstrumentBook {
  readonly instrument: Instrument;
  lastPrice: Decimal | null;
  /** Working orders on this instrument, in arrival order. */
  readonly resting: Set<PaperOrder>;
  readonly path: CandlePath;
}

export interface PaperOrder {
  /** The order as it stands: the request as sent, with any amendment (quantity, limit, trigger) applied. */
  request: SubmitOrder;
  /** Engine-wide arrival sequence; breaks ties between orders reached at the same point of a candle's path. */
  readonly arrival: number;
  readonly account: SubAccount;
  readonly book: InstrumentBook;
  readonly isBuy: boolean;
  /** The limit or trigger price in Decimal units; unused for MARKET. */
  level: bigint;
  /** Limit buys and stop sells become marketable at or below their level; limit sells and stop buys at or above. */
  readonly atOrBelow: boolean;
  readonly parent: PaperOrder | null;
  /** Bracket children naming this order as parent: one OCO group. */
  readonly children: PaperOrder[];
  state: PaperOrderState;
  venueOrderId: VenueOrderId | null;
  filled: Decimal;
  /** A stop that has triggered is a market order from then on; its unfilled rest fills at later opens. */
  triggered: boolean;
  /** Which candle run the order is queued in (0 = none), so it is never queued twice in one candle. */
  queuedInRun: number;
  /** Participation used in candle run `budgetRun`. */
  budgetRun: number;
  budgetUsed: Decimal;
}

/** The limit or trigger price an order becomes marketable at, in Decimal units; 0 for MARKET. */
export function levelOf(request: SubmitOrder): bigint {
  const price = request.type === 'LIMIT' ? request.limitPrice : request.type === 'STOP_MARKET' ? request.triggerPrice : null;
  return price?.units ?? 0n;
}

export function createPaperOrder(request: SubmitOrder, arrival: number, account: SubAccount, book: InstrumentBook, parent: PaperOrder | null): PaperOrder {
  const isBuy = request.side === 'BUY';
  return {
    request,
    arrival,
    account,
    book,
    isBuy,
    level: levelOf(request),
    atOrBelow: request.type === 'LIMIT' ? isBuy : !isBuy,
    parent,
    children: [],
    state: 'WAITING',
    venueOrderId: null,
    filled: Decimal.ZERO,
    triggered: false,
    queuedInRun: 0,
    budgetRun: 0,
    budgetUsed: Decimal.ZERO,
  };
}

export function isOpen(order: PaperOrder): boolean {
  return order.state === 'WAITING' || order.state === 'WORKING';
}

/** A bracket child whose working quantity follows its parent's cumulative fill. */
export function followsParent(order: PaperOrder): order is PaperOrder & { parent: PaperOrder } {
  return order.parent !== null && order.request.activatesOnParentFill;
}

/**
 * The most this order can ever fill: its own quantity, or for a following child, its parent's quantity
 * while the parent is open and the parent's filled quantity once the parent has ended.
 */
export function targetQuantity(order: PaperOrder): Decimal {
  if (!followsParent(order)) return order.request.quantity;
  const parent = order.parent;
  return Decimal.min(order.request.quantity, isOpen(parent) ? parent.request.quantity : parent.filled);
}

/** What is still to fill; reported as leavesQuantity and listed by openOrders. */
export function leavesQuantity(order: PaperOrder): Decimal {
  return targetQuantity(order).sub(order.filled);
}

/** What may fill right now: a following child never fills more than its parent has. */
export function fillableQuantity(order: PaperOrder): Decimal {
  if (!followsParent(order)) return order.request.quantity.sub(order.filled);
  return Decimal.min(order.request.quantity, order.parent.filled).sub(order.filled);
}

/** True when the price (in Decimal units) has reached the order's limit or trigger. */
export function isMarketableAt(order: PaperOrder, price: bigint): boolean {
  if (order.request.type === 'MARKET' || order.triggered) return true;
  return order.atOrBelow ? price <= order.level : price >= order.level;
}
