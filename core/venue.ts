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

/**
 * A venue adapter. Commands return once the venue has the request; outcomes arrive as execution reports.
 * There is deliberately no way to cancel every order at once: a cancel names one order by its client order ID.
 */
export interface Venue {
  readonly name: string;
  submitOrder(order: SubmitOrder): Promise<void>;
  cancelOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void>;
  /** Registers a listener for every report on every sub-account; returns the way to stop listening. */
  onExecutionReport(listener: (report: ExecutionReport) => void): () => void;
  openOrders(subAccountId: SubAccountId): Promise<VenueOpenOrder[]>;
  positions(subAccountId: SubAccountId): Promise<VenuePosition[]>;
  /** Cash balance in the quote currency, excluding unrealized PnL. */
  balance(subAccountId: SubAccountId): Promise<Decimal>;
}
