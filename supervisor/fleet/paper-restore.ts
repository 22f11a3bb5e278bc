import type { BotId, ClientOrderId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { SubmitOrder } from '../../core/order.ts';
import type { Ledger, OrderRecord } from '../../ledger/types.ts';
import type { PaperVenue } from '../../venues/paper/paper-venue.ts';
import type { OrderManagerConfig } from '../order-manager/config.ts';

/**
 * The paper venue lives in memory, so at every start it is rebuilt from the ledgers, the books of record: each
 * sub-account's cash and positions, then every open order put back as it stood (its filled quantity kept, matched
 * by the next candles from where it rested, never filled on arrival at today's price). Children of entries that
 * have ended come back as plain reduce-only orders, which cannot flip a position; the order manager keeps their
 * one-cancels-the-other. Those ended entries are made known to the venue again, so that a replacement stop naming
 * one as its parent is never refused for naming an order the venue cannot know. An order the venue never
 * acknowledged (PENDING_SUBMIT) is submitted now, as reconciliation by client order ID would.
 * On a fresh start the ledgers are empty and this does nothing.
 */
export function restorePaperVenue(venue: PaperVenue, ledgers: ReadonlyMap<BotId, Ledger>, config: OrderManagerConfig, logger: Logger): void {
  for (const [botId, ledger] of ledgers) {
    const bot = config.bots.get(botId);
    if (bot === undefined) continue;
    const positions = ledger.openPositions().map((position) => ({ instrumentId: position.instrumentId, quantity: position.quantity, averagePrice: position.averageEntryPrice }));
    venue.engine.restoreAccount(bot.subAccountId, ledger.balance(), positions);
    const open = ledger.openOrders().sort((a, b) => a.sequence - b.sequence);
    const openIds = new Set<ClientOrderId>(open.map((order) => order.clientOrderId));
    for (const parent of endedParents(ledger, open, openIds)) {
      const problem = venue.engine.restoreEndedOrder(submitted(parent), parent.filledQuantity);
      if (problem !== null) logger.warn({ botId, clientOrderId: parent.clientOrderId, problem }, 'an ended parent order could not be made known to the paper venue');
    }
    for (const order of open) {
      const parentOpen = order.parentClientOrderId !== null && openIds.has(order.parentClientOrderId);
      const request = parentOpen ? submitted(order) : { ...submitted(order), parentClientOrderId: null, activatesOnParentFill: false };
      // A child waiting for its entry is PENDING_SUBMIT by design; it waits again rather than being sent anew.
      const neverAcknowledged = order.status === 'PENDING_SUBMIT' && !(parentOpen && order.activatesOnParentFill);
      // Reports from these calls go through the order manager like any other.
      if (neverAcknowledged) void venue.submitOrder(request);
      else venue.restoreOrder({ order: request, filledQuantity: order.filledQuantity, venueOrderId: order.venueOrderId });
    }
    if (open.length > 0 || positions.length > 0) logger.info({ botId, positions: positions.length, orders: open.length }, 'paper venue restored from the ledger');
  }
}

/** The parents, no longer open, that open orders name: once in the order of their sequence. */
function endedParents(ledger: Ledger, open: readonly OrderRecord[], openIds: ReadonlySet<ClientOrderId>): OrderRecord[] {
  const ended = new Map<ClientOrderId, OrderRecord>();
  for (const order of open) {
    const id = order.parentClientOrderId;
    if (id === null || openIds.has(id) || ended.has(id)) continue;
    const parent = ledger.order(id);
    if (parent !== null) ended.set(id, parent);
  }
  return [...ended.values()].sort((a, b) => a.sequence - b.sequence);
}

/** The command as it was sent (amendments applied), without what the ledger learned since. */
function submitted(record: OrderRecord): SubmitOrder {
  const { clientOrderId, botId, subAccountId, intentId, instrumentId, role, side, type, quantity, limitPrice, triggerPrice, timeInForce, reduceOnly } = record;
  const { parentClientOrderId, activatesOnParentFill } = record;
  return { clientOrderId, botId, subAccountId, intentId, instrumentId, role, side, type, quantity, limitPrice, triggerPrice, timeInForce, reduceOnly, parentClientOrderId, activatesOnParentFill };
}
