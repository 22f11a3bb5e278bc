import type { Decimal } from './decimal.ts';
import type { ClientOrderId, InstrumentId, SubAccountId, TradeId, VenueOrderId } from './ids.ts';
import type { OrderType, Side } from './intent.ts';
import type { ExecutionReport, OrderStatus, SubmitOrder } from './order.ts';

/**
 * One order as the venue knows it, when asked (open orders, a query by client order ID). Statuses are Flotilla's
 * (an adapter maps its venue's), and never PENDING_SUBMIT: an order the venue holds has been received.
 */
export interface VenueOrder {
  /** Whatever ID the venue holds; may be foreign (not Flotilla's), and foreign orders are never touched. */
  clientOrderId: string;
  venueOrderId: VenueOrderId | null;
  instrumentId: InstrumentId;
  side: Side;
  type: OrderType;
  status: Exclude<OrderStatus, 'PENDING_SUBMIT'>;
  /** The order's total quantity, the filled part included. */
  quantity: Decimal;
  filledQuantity: Decimal;
  /** What may still fill: quantity − filled while open, zero once ended. */
  leavesQuantity: Decimal;
  limitPrice: Decimal | null;
  triggerPrice: Decimal | null;
  reduceOnly: boolean;
  /** The venue's last words on the order (a rejection or cancel reason); empty when none. */
  detail: string;
}

/** An open order, as listed by openOrders. */
export type VenueOpenOrder = VenueOrder;

/** A fill as the venue lists it: like a Fill, but its order may be foreign. */
export interface VenueFill {
  tradeId: TradeId;
  clientOrderId: string;
  instrumentId: InstrumentId;
  side: Side;
  quantity: Decimal;
  price: Decimal;
  fee: Decimal;
  liquidity: 'MAKER' | 'TAKER';
  at: number;
}

/**
 * A position in the venue's listing of fills, defined by the adapter and opaque to everyone else: the ledger keeps
 * the last one it has applied, and reconciliation asks for what came after it.
 */
export type FillCursor = string;

export interface FillPage {
  /** In the venue's order, oldest first. */
  fills: VenueFill[];
  /** Where the next page starts; after the last page, the position after its last fill (keep it for next time). */
  cursor: FillCursor | null;
  /** True when the venue has nothing after this page. */
  complete: boolean;
}

export interface VenuePosition {
  instrumentId: InstrumentId;
  /** Signed: positive long, negative short. */
  quantity: Decimal;
  averagePrice: Decimal;
}

/** Reference data the venue publishes for an instrument; checked against the fleet's catalog at start. */
export interface VenueInstrument {
  instrumentId: InstrumentId;
  tickSize: Decimal;
  lotStep: Decimal;
  minQuantity: Decimal;
  minNotional: Decimal;
}

/** The changes an amend asks for; what is absent stays as it is. */
export interface OrderChanges {
  /** The new total quantity, the filled part included; it must stay above what has already filled. */
  quantity?: Decimal;
  limitPrice?: Decimal;
  triggerPrice?: Decimal;
}

/** What an adapter can do beyond the core commands, so callers choose a path without trying and failing. */
export interface VenueCapabilities {
  /**
   * Whether amendOrder changes a working order in place. Without it, amendOrder answers AMEND_REJECTED and the
   * caller replaces the order instead (submit the new one, then cancel the old one by ID).
   */
  amend: boolean;
  /** How many orders one cancelOrders request may name; 1 when the venue cancels one order per request. */
  maxBatchCancel: number;
  /**
   * How long after a trade the venue's fill listing may still lack it (executions listed out of time order); 0 or
   * absent when a listing is complete the moment it is read. Reconciliation lists fills once more after it before
   * it calls a position mismatch.
   */
  fillSettleMs?: number;
}

/** An order named for a cancel: its client order ID, and the instrument the venue files it under. */
export interface OrderToCancel {
  instrumentId: InstrumentId;
  clientOrderId: ClientOrderId;
}

/**
 * The private stream's state. DISCONNECTED: reports may be missing from now on; CONNECTED: the stream is back, and
 * what it missed must be fetched (reconciliation) before the sub-account trades again; RESYNCED: that was done.
 */
export type VenueConnectionEvent =
  | { type: 'CONNECTED'; subAccountId: SubAccountId | null; at: number }
  | { type: 'DISCONNECTED'; subAccountId: SubAccountId | null; at: number; detail: string }
  | { type: 'RESYNCED'; subAccountId: SubAccountId | null; at: number };

/**
 * A venue adapter. Commands return once the venue has the request; outcomes arrive as execution reports. Every
 * order is named by its client order ID, which makes submitting idempotent: a second submit of an ID the venue
 * already holds creates nothing (the adapter reports the order's state instead). There is deliberately no way to
 * cancel every order at once: a cancel names its orders by their client order IDs. Credentials, when the venue
 * needs them, are the adapter's alone and never leave the supervisor.
 */
export interface Venue {
  readonly name: string;
  readonly capabilities: VenueCapabilities;
  /** Connects (streams, clocks); resolves once the venue can take commands. Idempotent. */
  start(): Promise<void>;
  /** Disconnects and stops every timer; no report is delivered after it resolves. */
  stop(): Promise<void>;

  submitOrder(order: SubmitOrder): Promise<void>;
  cancelOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void>;
  /**
   * Cancels several orders of one sub-account by ID, on any of its instruments, in batches of
   * capabilities.maxBatchCancel; each outcome arrives as a report.
   */
  cancelOrders(subAccountId: SubAccountId, orders: readonly OrderToCancel[]): Promise<void>;
  /**
   * Changes one working order, named by its client order ID, in place; the outcome arrives as ORDER_AMENDED or
   * AMEND_REJECTED. The order keeps its ID, its place in any bracket and its filled quantity.
   */
  amendOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): Promise<void>;

  /** One order by its client order ID, open or ended; null when the venue has never received it. */
  queryOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<VenueOrder | null>;
  openOrders(subAccountId: SubAccountId): Promise<VenueOrder[]>;
  /** Fills after `cursor` (from the start of what the venue keeps when null), one page at a time. */
  fillsSince(subAccountId: SubAccountId, cursor: FillCursor | null, limit?: number): Promise<FillPage>;
  positions(subAccountId: SubAccountId): Promise<VenuePosition[]>;
  /** Cash balance in the quote currency, excluding unrealized PnL. */
  balance(subAccountId: SubAccountId): Promise<Decimal>;
  /** Balance plus unrealized PnL at the venue's marks. */
  equity(subAccountId: SubAccountId): Promise<Decimal>;
  instruments(): Promise<VenueInstrument[]>;

  /** Registers a listener for every report on every sub-account; returns the way to stop listening. */
  onExecutionReport(listener: (report: ExecutionReport) => void): () => void;
  /** Registers a listener for the private stream's connection events; returns the way to stop listening. */
  onConnectionEvent(listener: (event: VenueConnectionEvent) => void): () => void;
}
