import type { Decimal } from './decimal.ts';
import type { BotId, ClientOrderId, InstrumentId, IntentId, OrderRole, SubAccountId, TradeId, VenueOrderId } from './ids.ts';
import type { OrderType, Side } from './intent.ts';

export type OrderStatus = 'PENDING_SUBMIT' | 'ACCEPTED' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';
export const ORDER_STATUSES: readonly OrderStatus[] = ['PENDING_SUBMIT', 'ACCEPTED', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'];

export function isOpenStatus(status: OrderStatus): boolean {
  return status === 'PENDING_SUBMIT' || status === 'ACCEPTED' || status === 'PARTIALLY_FILLED';
}

export type TimeInForce = 'GTC' | 'IOC';

/** The command sent to a venue. Written to the bot's ledger before it is sent. */
export interface SubmitOrder {
  clientOrderId: ClientOrderId;
  botId: BotId;
  subAccountId: SubAccountId;
  intentId: IntentId;
  instrumentId: InstrumentId;
  role: OrderRole;
  side: Side;
  type: OrderType;
  quantity: Decimal;
  limitPrice: Decimal | null;
  triggerPrice: Decimal | null;
  timeInForce: TimeInForce;
  reduceOnly: boolean;
  /**
   * For protective orders: the entry they protect. The venue activates a child when its parent fills and
   * cancels the other children of the same parent when one of them fills (one cancels the other).
   */
  parentClientOrderId: ClientOrderId | null;
  /** True for bracket children that must wait for the parent's fill; false for a replacement stop on a filled entry. */
  activatesOnParentFill: boolean;
}

export interface Fill {
  tradeId: TradeId;
  clientOrderId: ClientOrderId;
  instrumentId: InstrumentId;
  side: Side;
  quantity: Decimal;
  price: Decimal;
  /** In the quote currency; positive is paid, negative is a rebate. */
  fee: Decimal;
  liquidity: 'MAKER' | 'TAKER';
  at: number;
}

/** Why a venue refused or ended an order; the venue's own words stay in the detail. */
export const REJECTION_REASONS = [
  'DUPLICATE_CLIENT_ORDER_ID',
  'INSUFFICIENT_BALANCE',
  'INVALID_ORDER',
  'UNKNOWN_INSTRUMENT',
  'REDUCE_ONLY_WOULD_INCREASE',
  'UNKNOWN_ORDER',
  'VENUE_ERROR',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** Events from a venue, past tense. Every one names the order by its client order ID. */
export type ExecutionReport =
  | { type: 'ORDER_ACCEPTED'; subAccountId: SubAccountId; clientOrderId: ClientOrderId; venueOrderId: VenueOrderId; at: number }
  | { type: 'ORDER_REJECTED'; subAccountId: SubAccountId; clientOrderId: ClientOrderId; reason: RejectionReason; detail: string; at: number }
  | { type: 'ORDER_CANCELED'; subAccountId: SubAccountId; clientOrderId: ClientOrderId; detail: string; at: number }
  | { type: 'ORDER_EXPIRED'; subAccountId: SubAccountId; clientOrderId: ClientOrderId; detail: string; at: number }
  | { type: 'ORDER_FILLED'; subAccountId: SubAccountId; fill: Fill; cumulativeQuantity: Decimal; leavesQuantity: Decimal }
  | { type: 'CANCEL_REJECTED'; subAccountId: SubAccountId; clientOrderId: ClientOrderId; reason: RejectionReason; detail: string; at: number }
  /**
   * The venue changed a working order: on request (Venue.amendOrder) or on its own, e.g. a reduce-only order cut
   * to the position it protects once that position shrank. `quantity` is the new total, the filled part included.
   */
  | {
      type: 'ORDER_AMENDED';
      subAccountId: SubAccountId;
      clientOrderId: ClientOrderId;
      quantity: Decimal;
      limitPrice: Decimal | null;
      triggerPrice: Decimal | null;
      detail: string;
      at: number;
    }
  /** An amend request the venue refused; the order stands as it was. */
  | { type: 'AMEND_REJECTED'; subAccountId: SubAccountId; clientOrderId: ClientOrderId; reason: RejectionReason; detail: string; at: number }
  /**
   * A funding payment the venue settled on a position: not a fill and not an order's event. Booked once per
   * fundingId; `amount` is in the quote currency, positive when the sub-account received it, negative when it paid.
   */
  | {
      type: 'FUNDING_SETTLED';
      subAccountId: SubAccountId;
      fundingId: string;
      instrumentId: InstrumentId;
      amount: Decimal;
      /** The funding rate applied, when the venue says. */
      rate: Decimal | null;
      /** The signed position the payment was on (short negative), when the venue says. */
      positionQuantity: Decimal | null;
      /** The price the position was valued at, when the venue says. */
      markPrice: Decimal | null;
      at: number;
    };

/** The reports that name an order (every one but a funding settlement). */
export type OrderReport = Exclude<ExecutionReport, { type: 'FUNDING_SETTLED' }>;

/** The client order ID a report is about; null for a funding settlement, which is about a position. */
export function reportClientOrderId(report: ExecutionReport): ClientOrderId | null {
  if (report.type === 'FUNDING_SETTLED') return null;
  return report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
}
