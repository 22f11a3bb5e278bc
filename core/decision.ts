import type { Decimal } from './decimal.ts';
import type { BotId, ClientOrderId, InstrumentId, IntentId } from './ids.ts';

export type DecisionOutcome = 'APPROVED' | 'RESIZED' | 'DENIED';

/**
 * Why an intent was denied or resized. A closed set: stable codes an operator can grep for and a bounded
 * Prometheus label. "Denied" is always local; a venue's refusal is a rejection (see RejectionReason).
 */
export const DECISION_REASONS = [
  'TRADING_HALTED',
  'REDUCE_ONLY_STATE',
  'WOULD_HEDGE',
  'WOULD_STACK',
  'IN_FLIGHT_LOCK',
  'PYRAMID_LIMIT',
  'RISK_PER_TRADE_EXCEEDED',
  'CONCURRENT_RISK_EXCEEDED',
  'NOTIONAL_EXCEEDS_MAX',
  'RATE_LIMIT_EXCEEDED',
  'BELOW_MIN_QUANTITY',
  'INVALID_INTENT',
  'UNKNOWN_INSTRUMENT',
  'INSTRUMENT_NOT_ALLOWED',
  'NO_MARK_PRICE',
  'NOTHING_TO_REDUCE',
  'EXCEEDS_POSITION',
  'NOT_OWN_ORDER',
  'ORDER_NOT_OPEN',
  'STOP_MOVE_IN_FLIGHT',
  'ENTRY_COOLDOWN',
  'ADD_TOO_CLOSE',
  'NOT_RECONCILED',
  'MARKET_CLOSED',
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export interface Decision {
  intentId: IntentId;
  botId: BotId;
  instrumentId: InstrumentId;
  outcome: DecisionOutcome;
  /** Null only for a plain approval. */
  reason: DecisionReason | null;
  /** Human detail for the operator; never parsed. */
  detail: string;
  requestedQuantity: Decimal | null;
  approvedQuantity: Decimal | null;
  /** The entry (or close) order's ID when approved. */
  clientOrderId: ClientOrderId | null;
  decidedAt: number;
  latencyNs: number;
}
