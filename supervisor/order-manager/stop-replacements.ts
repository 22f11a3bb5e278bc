import type { BotId, ClientOrderId } from '../../core/ids.ts';
import type { ExecutionReport } from '../../core/order.ts';
import { isOpenStatus } from '../../core/order.ts';
import type { Ledger, OrderRecord } from '../../ledger/types.ts';

/** How a replacement stop ended before it could take over; the old stop stays in every case. */
export type ReplacementFailure = { replacement: ClientOrderId; replaced: ClientOrderId; botId: BotId; status: OrderRecord['status']; detail: string };

export interface StopReplacementsPort {
  ledger(botId: BotId): Ledger;
  /** Cancels an order by its client order ID. */
  cancel(order: OrderRecord): void;
  failed(failure: ReplacementFailure): void;
}

/**
 * Stop moves in flight. A move sends a replacement and remembers which stop it replaces; the old stop is cancelled
 * only once the venue has accepted the replacement (or filled it), and kept if the replacement is refused, so a
 * position is never without a live stop. The pairs are in the ledger too, so a restart picks up where it stood.
 */
export class StopReplacements {
  readonly #port: StopReplacementsPort;
  /** replacement → the stop it replaces. */
  readonly #pending = new Map<ClientOrderId, { botId: BotId; replaced: ClientOrderId }>();

  constructor(port: StopReplacementsPort) {
    this.#port = port;
  }

  /** Reloads the pairs whose old stop is still open; part of every start. */
  recover(botId: BotId, ledger: Ledger): void {
    for (const [replacement, replaced] of ledger.openReplacements()) this.#pending.set(replacement, { botId, replaced });
  }

  add(botId: BotId, replacement: ClientOrderId, replaced: ClientOrderId): void {
    this.#pending.set(replacement, { botId, replaced });
  }

  /** The replacement already on its way for a stop, if any: a second move of the same stop would leave two. */
  replacementOf(replaced: ClientOrderId): ClientOrderId | null {
    for (const [replacement, pair] of this.#pending) if (pair.replaced === replaced) return replacement;
    return null;
  }

  isReplacement(clientOrderId: ClientOrderId): boolean {
    return this.#pending.has(clientOrderId);
  }

  /** Called with a replacement's latest state after each of its reports, and for every pair at start. */
  settle(order: OrderRecord, report: ExecutionReport | null): void {
    const pair = this.#pending.get(order.clientOrderId);
    if (pair === undefined) return;
    const ledger = this.#port.ledger(pair.botId);
    if (order.status === 'PENDING_SUBMIT') return;
    this.#pending.delete(order.clientOrderId);
    const taken = order.status === 'ACCEPTED' || order.status === 'PARTIALLY_FILLED' || order.filledQuantity.isPositive();
    if (taken) {
      const old = ledger.order(pair.replaced);
      if (old !== null && isOpenStatus(old.status)) this.#port.cancel(old);
      return;
    }
    const detail = report !== null && report.type !== 'ORDER_FILLED' && 'detail' in report ? report.detail : order.detail;
    this.#port.failed({ replacement: order.clientOrderId, replaced: pair.replaced, botId: pair.botId, status: order.status, detail });
  }

  /** Settles every pair whose replacement the venue has answered already: after a restart, before trading. */
  settleAll(): void {
    for (const [replacement, pair] of [...this.#pending]) {
      const order = this.#port.ledger(pair.botId).order(replacement);
      if (order === null) this.#pending.delete(replacement);
      else this.settle(order, null);
    }
  }
}
