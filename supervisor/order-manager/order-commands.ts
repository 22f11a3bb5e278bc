import { Decimal } from '../../core/decimal.ts';
import type { DecisionReason } from '../../core/decision.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { BotId, ClientOrderId, InstrumentId, IntentId } from '../../core/ids.ts';
import { parseClientOrderId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { quantizePrice } from '../../core/instrument.ts';
import type { SubmitOrder } from '../../core/order.ts';
import { isOpenStatus } from '../../core/order.ts';
import type { TradingState } from '../../core/trading-state.ts';
import type { Ledger, OrderRecord } from '../../ledger/types.ts';
import { stopCoverage } from './protection.ts';

/**
 * The answer to a cancel or a stop move: these are commands on existing orders, not new intents. `replacement` is
 * the new stop of a move done by replacement; null for a cancel and for a move done by amending the stop in place.
 */
export type CommandResult =
  | { outcome: 'ACCEPTED'; clientOrderId: ClientOrderId; replacement: ClientOrderId | null }
  | { outcome: 'DENIED'; reason: DecisionReason; detail: string };

/** What commands on existing orders need of the order manager. */
export interface OrderCommandsPort {
  ledger(botId: BotId): Ledger | undefined;
  instrument(instrumentId: InstrumentId): Instrument | undefined;
  effectiveState(botId: BotId): TradingState;
  /** Why the bot may not trade yet (reconciliation), or null. */
  reconciliationBlock(botId: BotId): string | null;
  /** The replacement already on its way for a stop, or null. */
  replacementOf(clientOrderId: ClientOrderId): ClientOrderId | null;
  /** The trigger an amend already on its way for a stop asks for, or null. */
  amendmentOf(clientOrderId: ClientOrderId): Decimal | null;
  /** Whether the instrument's venue amends an order in place (capabilities.amend). */
  amends(instrumentId: InstrumentId): boolean;
  /** Records the amend of the stop's trigger, counts it and asks the venue (stop-amendments.ts). */
  sendAmendment(order: OrderRecord, intentId: IntentId, triggerPrice: Decimal): void;
  rateAllows(botId: BotId, requests: number): boolean;
  /** Records the replacement (with its link to the stop it replaces), counts and sends it. */
  sendReplacement(botId: BotId, replacement: SubmitOrder, replaced: ClientOrderId): void;
  /** Cancels by client order ID, counted against the rate limit. */
  cancel(order: OrderRecord): void;
}

const denied = (reason: DecisionReason, detail: string): CommandResult => ({ outcome: 'DENIED', reason, detail });

/**
 * Commands a bot gives on its own existing orders: a cancel by client order ID, and a stop move, which is a safe
 * replace (see stop-replacements.ts: the old stop goes only once its replacement is accepted). Neither ever touches
 * another bot's order, nor an order Flotilla did not make.
 */
export class OrderCommands {
  readonly #port: OrderCommandsPort;

  constructor(port: OrderCommandsPort) {
    this.#port = port;
  }

  #ownOpenOrder(botId: BotId, clientOrderId: ClientOrderId): OrderRecord | CommandResult {
    let owner: BotId;
    try {
      owner = parseClientOrderId(clientOrderId).bot;
    } catch (error) {
      return denied('NOT_OWN_ORDER', (error as Error).message);
    }
    if (owner !== botId) return denied('NOT_OWN_ORDER', `${clientOrderId} belongs to bot ${owner}, not ${botId}`);
    const order = this.#port.ledger(botId)?.order(clientOrderId) ?? null;
    if (order === null || !isOpenStatus(order.status)) return denied('ORDER_NOT_OPEN', `${clientOrderId} is ${order === null ? 'not in the ledger' : order.status}`);
    return order;
  }

  /** Cancels one of the bot's own orders by client order ID; allowed in every trading state. */
  cancel(botId: BotId, clientOrderId: ClientOrderId): CommandResult {
    const order = this.#ownOpenOrder(botId, clientOrderId);
    if ('outcome' in order) return order;
    this.#port.cancel(order);
    return { outcome: 'ACCEPTED', clientOrderId, replacement: null };
  }

  /**
   * Moves a protective stop. Where the venue amends in place, the stop's trigger is amended under its own ID and the
   * old trigger stays in force until the venue confirms (stop-amendments.ts). Elsewhere it is replaced: the
   * replacement is recorded and sent, and the old stop is cancelled by its ID only once the venue has accepted the
   * replacement. Either way, if the venue refuses, the old stop keeps working and the failure is reported. The
   * take-profit is never touched. A replacement names the stop's entry only while that entry is open, so it never
   * names a parent the venue cannot know, and it is never larger than the position. Idempotent on the move's intent
   * ID; one move per stop at a time.
   */
  moveStop(botId: BotId, clientOrderId: ClientOrderId, triggerPrice: Decimal, intentId: IntentId): CommandResult {
    const ledger = this.#port.ledger(botId);
    const earlier = ledger?.ordersForIntent(intentId) ?? [];
    if (earlier[0] !== undefined) return { outcome: 'ACCEPTED', clientOrderId, replacement: earlier[0].clientOrderId };
    if ((ledger?.stopAmendment(intentId) ?? null) !== null) return { outcome: 'ACCEPTED', clientOrderId, replacement: null };
    const order = this.#ownOpenOrder(botId, clientOrderId);
    if ('outcome' in order || ledger === undefined) return 'outcome' in order ? order : denied('NOT_OWN_ORDER', `bot ${botId} has no ledger`);
    if (order.role !== 'STOP') return denied('INVALID_INTENT', `${clientOrderId} is a ${order.role} order, not a stop`);
    if (this.#port.effectiveState(botId) === 'HALTED') return denied('TRADING_HALTED', `bot ${botId} is halted`);
    const blocked = this.#port.reconciliationBlock(botId);
    if (blocked !== null) return denied('NOT_RECONCILED', `bot ${botId} may not move a stop yet: ${blocked}`);
    const inFlight = this.#port.replacementOf(clientOrderId);
    if (inFlight !== null) return denied('STOP_MOVE_IN_FLIGHT', `${clientOrderId} is already being replaced by ${inFlight}; move that one once the venue has accepted it`);
    const amending = this.#port.amendmentOf(clientOrderId);
    if (amending !== null) return denied('STOP_MOVE_IN_FLIGHT', `${clientOrderId} is already being amended to ${amending.toString()}; move it again once the venue has answered`);
    const instrument = this.#port.instrument(order.instrumentId);
    if (instrument === undefined) return denied('UNKNOWN_INSTRUMENT', `${order.instrumentId} is not configured`);
    const amend = this.#port.amends(order.instrumentId);
    const requests = amend ? 1 : 2;
    if (!this.#port.rateAllows(botId, requests)) return denied('RATE_LIMIT_EXCEEDED', `no room for ${requests} request(s) on ${order.subAccountId}`);
    let trigger: Decimal;
    try {
      trigger = quantizePrice(instrument, triggerPrice, order.side === 'SELL' ? 'up' : 'down');
    } catch (error) {
      if (error instanceof InvalidInputError) return denied('INVALID_INTENT', error.message);
      throw error;
    }
    if (amend) {
      // Only the trigger changes: the venue keeps the stop's quantity (and cuts a reduce-only order to its position).
      if (order.triggerPrice === null || !order.triggerPrice.eq(trigger)) this.#port.sendAmendment(order, intentId, trigger);
      return { outcome: 'ACCEPTED', clientOrderId, replacement: null };
    }
    const parent = order.parentClientOrderId === null ? null : ledger.order(order.parentClientOrderId);
    const followsOpenEntry = parent !== null && isOpenStatus(parent.status) && order.activatesOnParentFill;
    let quantity: Decimal;
    if (followsOpenEntry) {
      quantity = order.quantity.sub(order.filledQuantity);
    } else {
      // What the old stop protects, and never more than the position: a reduce-only order is never larger than it.
      const held = ledger.position(order.instrumentId)?.quantity.abs() ?? Decimal.ZERO;
      quantity = Decimal.min(stopCoverage(order, parent), held);
    }
    if (!quantity.isPositive()) return denied('NOTHING_TO_REDUCE', `no open position on ${order.instrumentId} for ${clientOrderId} to protect`);
    const replacement: SubmitOrder = {
      clientOrderId: ledger.allocateClientOrderId('STOP'),
      botId,
      subAccountId: order.subAccountId,
      intentId,
      instrumentId: order.instrumentId,
      role: 'STOP',
      side: order.side,
      type: 'STOP_MARKET',
      quantity,
      limitPrice: null,
      triggerPrice: trigger,
      timeInForce: order.timeInForce,
      reduceOnly: true,
      parentClientOrderId: followsOpenEntry ? order.parentClientOrderId : null,
      activatesOnParentFill: followsOpenEntry,
    };
    this.#port.sendReplacement(botId, replacement, clientOrderId);
    return { outcome: 'ACCEPTED', clientOrderId, replacement: replacement.clientOrderId };
  }
}
