import type { BotId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { Ledger } from '../../ledger/types.ts';
import type { PaperVenue } from '../../venues/paper/paper-venue.ts';
import type { OrderManagerConfig } from '../order-manager/config.ts';

/**
 * The paper venue lives in memory, so at every start it is rebuilt from the ledgers, the books of record:
 * each sub-account's cash and positions, then every open order sent again. Children of entries that already
 * filled go back as plain reduce-only orders, which cannot flip a position, so the bracket still holds.
 * On a fresh start the ledgers are empty and this does nothing.
 */
export function restorePaperVenue(venue: PaperVenue, ledgers: ReadonlyMap<BotId, Ledger>, config: OrderManagerConfig, logger: Logger): void {
  for (const [botId, ledger] of ledgers) {
    const bot = config.bots.get(botId);
    if (bot === undefined) continue;
    const positions = ledger.openPositions().map((position) => ({ instrumentId: position.instrumentId, quantity: position.quantity, averagePrice: position.averageEntryPrice }));
    venue.engine.restoreAccount(bot.subAccountId, ledger.balance(), positions);
    const open = ledger.openOrders().sort((a, b) => a.sequence - b.sequence);
    const openIds = new Set(open.map((order) => order.clientOrderId));
    for (const order of open) {
      const parent = order.parentClientOrderId === null ? null : ledger.order(order.parentClientOrderId);
      const parentOpen = parent !== null && openIds.has(parent.clientOrderId);
      const parentWaiting = parentOpen && parent.filledQuantity.isZero();
      // Reports from these calls go through the order manager like any other: an acceptance it already knows is a duplicate.
      if (parentWaiting) {
        void venue.submitOrder(order);
        continue;
      }
      void venue.submitOrder({ ...order, quantity: order.quantity.sub(order.filledQuantity), parentClientOrderId: parentOpen ? order.parentClientOrderId : null, activatesOnParentFill: false });
    }
    if (open.length > 0 || positions.length > 0) logger.info({ botId, positions: positions.length, orders: open.length }, 'paper venue restored from the ledger');
  }
}
