import type { Decimal } from './decimal.ts';
import type { ClientOrderId, InstrumentId, SubAccountId } from './ids.ts';
import type { ExecutionReport, SubmitOrder } from './order.ts';

export interface VenueOpenOrder {
  /** Whatever ID the venue holds; may be foreign (not Flotilla's), and foreign orders are never touched. */
  clientOrderId: string;
  instrumentId: InstrumentId;
  leavesQuantity: Decimal;
}

export interface VenuePosition {
  instrumentId: InstrumentId;
  /** Signed: positive long, negative short. */
  quantity: Decimal;
  averagePrice: Decimal;
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
}

/**
 * A venue adapter. Commands return once the venue has the request; outcomes arrive as execution reports.
 * There is deliberately no way to cancel every order at once: a cancel names one order by its client order ID.
 */
export interface Venue {
  readonly name: string;
  submitOrder(order: SubmitOrder): Promise<void>;
  cancelOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void>;
  /**
   * Changes one working order, named by its client order ID, in place; the outcome arrives as ORDER_AMENDED or
   * AMEND_REJECTED. The order keeps its ID, its place in any bracket and its filled quantity.
   */
  amendOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): Promise<void>;
  readonly capabilities: VenueCapabilities;
  /** Registers a listener for every report on every sub-account; returns the way to stop listening. */
  onExecutionReport(listener: (report: ExecutionReport) => void): () => void;
  openOrders(subAccountId: SubAccountId): Promise<VenueOpenOrder[]>;
  positions(subAccountId: SubAccountId): Promise<VenuePosition[]>;
  /** Cash balance in the quote currency, excluding unrealized PnL. */
  balance(subAccountId: SubAccountId): Promise<Decimal>;
}
