import type { Decimal } from '../core/decimal.ts';
import type { BotId, ClientOrderId, FundingId, InstrumentId, IntentId, OrderRole, VenueOrderId } from '../core/ids.ts';
import type { Decision } from '../core/decision.ts';
import type { ExecutionReport, Fill, OrderStatus, SubmitOrder } from '../core/order.ts';

/** An order as the ledger knows it: the command as sent, plus what the venue has said since. */
export interface OrderRecord extends SubmitOrder {
  /** The sequence inside the client order ID; orders are listed in this order. */
  sequence: number;
  createdAt: number;
  status: OrderStatus;
  venueOrderId: VenueOrderId | null;
  filledQuantity: Decimal;
  /** Volume-weighted average fill price; null until the first fill. */
  averageFillPrice: Decimal | null;
  updatedAt: number;
  /** The venue's last words on this order (rejection or cancel detail); empty when none. */
  detail: string;
}

/**
 * A netted position per instrument, derived from fills only.
 * quantity and costBasis are signed (short is negative); unrealized PnL at a mark is quantity × mark − costBasis.
 */
export interface PositionRecord {
  instrumentId: InstrumentId;
  quantity: Decimal;
  costBasis: Decimal;
  /** costBasis / quantity, zero when flat; for display and risk, never for PnL arithmetic. */
  averageEntryPrice: Decimal;
  /** Gross realized PnL over the ledger's whole life on this instrument, fees not deducted. */
  realizedPnl: Decimal;
  /** Fees paid over the ledger's whole life on this instrument. */
  fees: Decimal;
  /** Distinct entry orders that have filled into the current position: 1 for a fresh position, 2 after one add. */
  entryOrders: number;
  updatedAt: number;
}

/**
 * One perpetual funding payment: a ledger entry of its own, never a fill. It moves cash (so balance, equity and
 * PnL) and nothing else: no position, no order. Venue-agnostic; a backtest books the ones its funding rates imply, a
 * live venue adapter the ones the venue reports (Bybit: executions of execType Funding), each under the venue's id.
 */
export interface FundingPayment {
  /** The venue's id of the payment; a payment is recorded once per id, however often it is reported. */
  fundingId: FundingId;
  instrumentId: InstrumentId;
  /** Signed quote currency: positive received, negative paid. */
  amount: Decimal;
  /** The funding rate applied (positive: longs pay shorts). */
  rate: Decimal;
  /** The signed position the payment was on (short is negative). */
  positionQuantity: Decimal;
  /** The price the position was valued at. */
  markPrice: Decimal;
  at: number;
}

/** What recording a funding payment did. */
export interface FundingRecorded {
  /** The payment as the ledger holds it: the first one recorded under its id. */
  payment: FundingPayment;
  /** True when a payment with this id was already recorded; nothing changed. */
  duplicate: boolean;
}

export interface EquitySnapshot {
  at: number;
  /** Capital plus realized PnL minus fees plus funding. */
  balance: Decimal;
  unrealizedPnl: Decimal;
  equity: Decimal;
}

/** What applying one execution report did. */
export interface ReportApplied {
  /** The order after the report; null when the report named an order this ledger never recorded. */
  order: OrderRecord | null;
  /** True when the report was already applied (a fill's trade ID seen before, a repeated terminal event). */
  duplicate: boolean;
  /** The position after a fill; null for reports without a fill. */
  position: PositionRecord | null;
  fill: Fill | null;
}

/** A stop move asked of the venue as an amend of the stop's trigger, in place. */
export interface StopAmendmentRequest {
  /** The move's intent ID: a move is asked of the venue once, however often the bot sends it. */
  intentId: IntentId;
  clientOrderId: ClientOrderId;
  triggerPrice: Decimal;
}

/** AMENDED: the venue holds the new trigger. FAILED: it refused, or the stop ended, or the amend never took effect. */
export type StopAmendmentOutcome = 'AMENDED' | 'FAILED';

export interface StopAmendment extends StopAmendmentRequest {
  id: number;
  requestedAt: number;
  /** Null while the venue's answer is awaited. */
  outcome: StopAmendmentOutcome | null;
  detail: string;
  settledAt: number | null;
}

/** What else commits in the same transaction as a batch of orders. */
export interface RecordOrdersOptions {
  /** The approval that made the orders: a crash can then never leave an order without its decision. */
  decision?: { decision: Decision; intentJson: string };
  /** replacement → replaced: a stop sent to replace another, which is cancelled only once this one is accepted. */
  replaces?: ReadonlyMap<ClientOrderId, ClientOrderId>;
}

/**
 * One bot's ledger: one SQLite file, one writer. Orders, order events and fills are append-only; positions
 * are derived from fills. An order is recorded before it is sent, so a crash in between is recoverable by
 * client order ID.
 */
export interface Ledger {
  readonly botId: BotId;
  /** Base-36 ledger creation time, part of every client order ID this ledger makes. */
  readonly epoch: string;
  readonly path: string;

  /** Reserves the next client order ID; it becomes durable when an order carrying it is recorded. */
  allocateClientOrderId(role: OrderRole): ClientOrderId;
  /**
   * Writes orders as PENDING_SUBMIT in one transaction, with their decision and replacement links if given;
   * refuses an ID it already holds or did not allocate.
   */
  recordOrders(orders: readonly SubmitOrder[], at: number, options?: RecordOrdersOptions): OrderRecord[];
  /** The latest approvals recorded with their orders, newest first: what a crash may have kept from the supervisor store. */
  recentDecisions(limit: number): Array<{ decision: Decision; intentJson: string }>;
  /** replacement → replaced, for every replacement recorded while the stop it replaces is still open. */
  openReplacements(): Map<ClientOrderId, ClientOrderId>;
  /** Records a stop amend before the venue is asked; committed at once, like an order. */
  recordStopAmendment(request: StopAmendmentRequest, at: number): StopAmendment;
  /** Records how an amend ended; the first outcome stands. */
  settleStopAmendment(id: number, outcome: StopAmendmentOutcome, detail: string, at: number): StopAmendment | null;
  /** The amend a move's intent became, or null. */
  stopAmendment(intentId: IntentId): StopAmendment | null;
  /** Amends still awaiting the venue's answer, oldest first: what a restart must settle. */
  unsettledStopAmendments(): StopAmendment[];
  /** Where the ledger stands in a venue's listing of fills (an opaque cursor the venue's adapter made); null at first. */
  fillCursor(venue: string): string | null;
  /** Committed with whatever is pending, so a crash never leaves the cursor ahead of the fills it passed. */
  setFillCursor(venue: string, cursor: string): void;
  /** Appends a venue event; fills are idempotent on trade ID and update the position in the same transaction. */
  applyReport(report: ExecutionReport): ReportApplied;

  order(clientOrderId: ClientOrderId): OrderRecord | null;
  /** The orders an intent became, in sequence order; empty when it became none. */
  ordersForIntent(intentId: IntentId): OrderRecord[];
  openOrders(): OrderRecord[];
  /** Newest first. */
  recentOrders(limit: number): OrderRecord[];
  fills(): Fill[];
  position(instrumentId: InstrumentId): PositionRecord | null;
  /** Whether the instrument's position is not flat: what every new mark asks, answered without a copy. */
  holds(instrumentId: InstrumentId): boolean;
  /** Non-flat positions. */
  openPositions(): PositionRecord[];
  /** Every instrument ever traded, flat ones included, for realized PnL and fees. */
  allPositions(): PositionRecord[];

  /** Deposits (positive) and withdrawals (negative) of quote currency. */
  recordCapital(amount: Decimal, at: number, note: string): void;
  capital(): Decimal;
  /** Books a perpetual funding payment; idempotent on its fundingId, in the group commit like a fill. */
  recordFunding(payment: FundingPayment): FundingRecorded;
  /** Every funding payment, in the order recorded. */
  fundingPayments(): FundingPayment[];
  /** Funding received minus funding paid, per instrument ever funded. */
  fundingByInstrument(): Map<InstrumentId, Decimal>;
  /** Capital plus realized PnL minus fees plus funding. */
  balance(): Decimal;
  /** Balance plus unrealized PnL at the given marks; a position without a mark is valued at its cost. */
  equity(marks: ReadonlyMap<InstrumentId, Decimal>, at: number): EquitySnapshot;
  recordEquitySnapshot(snapshot: EquitySnapshot): void;
  equitySnapshots(sinceMs: number): EquitySnapshot[];

  close(): void;

  /**
   * The latest time recorded here: of orders, their events, fills, funding payments and equity snapshots, ms; null when there is none.
   * A restarted market clock never resumes before it.
   */
  latestRecordedAt(): number | null;
}
