import type { Decimal } from './decimal.ts';
import type { BotId, ClientOrderId, InstrumentId, IntentId } from './ids.ts';

export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP_MARKET';

export function oppositeSide(side: Side): Side {
  return side === 'BUY' ? 'SELL' : 'BUY';
}

/** +1 for buys, -1 for sells: the sign a fill of this side gives a position. */
export function sideSign(side: Side): 1 | -1 {
  return side === 'BUY' ? 1 : -1;
}

/** An exact quantity, or a request to size so that the loss at the stop is this fraction of the bot's equity. */
/**
 * QUANTITY is taken as asked, RISK as equity × riskFraction ÷ stop distance, each up to the order manager's caps.
 * The optional `scale` (0, 1] is applied after the caps, so that a bot sizing down in drawdown takes less even
 * when a notional or risk cap is what limits the entry.
 */
export type SizeRequest = ({ kind: 'QUANTITY'; quantity: Decimal } | { kind: 'RISK'; riskFraction: Decimal }) & { scale?: Decimal };

export interface Bracket {
  stopLoss: Decimal;
  takeProfit?: Decimal;
}

/** What a bot wants to do. The order manager decides whether, and how much of it, becomes an order. */
export interface Intent {
  intentId: IntentId;
  botId: BotId;
  instrumentId: InstrumentId;
  side: Side;
  size: SizeRequest;
  orderType: OrderType;
  /** Required for LIMIT. */
  limitPrice?: Decimal;
  /** Required for STOP_MARKET. */
  triggerPrice?: Decimal;
  reduceOnly: boolean;
  /** Protective orders placed when the entry fills; an entry without a stop has no measurable risk and is denied. */
  bracket?: Bracket;
  /** A few words from the strategy, kept with the decision. */
  reason: string;
}

/** Commands a bot may send; every one of them goes through the order manager. */
export type BotCommand =
  | { type: 'SUBMIT_ORDER'; intent: Intent }
  | { type: 'CANCEL_ORDER'; botId: BotId; clientOrderId: ClientOrderId }
  /** intentId makes a move idempotent: its replacement order carries it, so a resent move finds that order. */
  | { type: 'MOVE_STOP'; botId: BotId; intentId: IntentId; clientOrderId: ClientOrderId; triggerPrice: Decimal };
