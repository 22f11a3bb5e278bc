import type { Decimal } from '../../core/decimal.ts';
import { isFlotillaClientOrderId, parseVenueOrderId, type ClientOrderId, type SubAccountId, type VenueOrderId } from '../../core/ids.ts';
import type { OrderReport } from '../../core/order.ts';
import { statusRank, type BybitOrderRow } from './order-mapping.ts';

/**
 * What the adapter last knew of each order it saw, so that Bybit's order updates become reports exactly once and
 * in a sensible order. The private stream may repeat an update, deliver them out of order, or deliver an order's
 * states newest first: an update older than what is known (by update time, then status, then filled quantity) is
 * dropped, an ended order stays ended (a late "New" never reopens a filled order), and an amendment is reported
 * only when the quantity or a price really changed. Fills are not taken from order updates: they come from
 * executions, one per trade ID.
 */

interface Tracked {
  venueOrderId: VenueOrderId | null;
  /** As Bybit holds the order; null until known. */
  quantity: Decimal | null;
  limitPrice: Decimal | null;
  triggerPrice: Decimal | null;
  rank: number;
  filled: Decimal | null;
  updatedTime: number;
  accepted: boolean;
  ended: boolean;
}

/** Ended orders kept to swallow late updates; beyond this many the oldest are forgotten. */
const ENDED_KEPT = 5_000;

const samePrice = (a: Decimal | null, b: Decimal | null): boolean => (a === null || b === null ? a === b : a.eq(b));

export class OrderTracker {
  readonly #orders = new Map<string, Tracked>();
  #ended = 0;

  #key(subAccountId: SubAccountId, clientOrderId: string): string {
    return `${subAccountId} ${clientOrderId}`;
  }

  #get(subAccountId: SubAccountId, clientOrderId: string): Tracked {
    const key = this.#key(subAccountId, clientOrderId);
    let tracked = this.#orders.get(key);
    if (tracked === undefined) {
      tracked = { venueOrderId: null, quantity: null, limitPrice: null, triggerPrice: null, rank: 0, filled: null, updatedTime: 0, accepted: false, ended: false };
      this.#orders.set(key, tracked);
    }
    return tracked;
  }

  /** The order as sent: what Bybit should now hold. */
  sent(subAccountId: SubAccountId, clientOrderId: ClientOrderId, quantity: Decimal, limitPrice: Decimal | null, triggerPrice: Decimal | null): void {
    const tracked = this.#get(subAccountId, clientOrderId);
    if (tracked.ended) return;
    tracked.quantity = quantity;
    tracked.limitPrice = limitPrice;
    tracked.triggerPrice = triggerPrice;
  }

  /** Whether ORDER_ACCEPTED still needs reporting; marks it reported. */
  accept(subAccountId: SubAccountId, clientOrderId: ClientOrderId, venueOrderId: VenueOrderId): boolean {
    const tracked = this.#get(subAccountId, clientOrderId);
    tracked.venueOrderId ??= venueOrderId;
    if (tracked.accepted) return false;
    tracked.accepted = true;
    return true;
  }

  /**
   * An amendment Bybit confirmed: the order as it now stands, and whether that is news (the stream may have told it
   * already); null when the adapter never knew the order whole.
   */
  amended(
    subAccountId: SubAccountId,
    clientOrderId: ClientOrderId,
    changes: { quantity?: Decimal; limitPrice?: Decimal; triggerPrice?: Decimal },
  ): { quantity: Decimal; limitPrice: Decimal | null; triggerPrice: Decimal | null; news: boolean } | null {
    const tracked = this.#orders.get(this.#key(subAccountId, clientOrderId));
    if (tracked === undefined || tracked.quantity === null || tracked.ended) return null;
    const quantity = changes.quantity ?? tracked.quantity;
    const limitPrice = changes.limitPrice ?? tracked.limitPrice;
    const triggerPrice = changes.triggerPrice ?? tracked.triggerPrice;
    const news = !quantity.eq(tracked.quantity) || !samePrice(limitPrice, tracked.limitPrice) || !samePrice(triggerPrice, tracked.triggerPrice);
    tracked.quantity = quantity;
    tracked.limitPrice = limitPrice;
    tracked.triggerPrice = triggerPrice;
    return { quantity, limitPrice, triggerPrice, news };
  }

  /** Marks an order ended (a cancel Bybit confirmed); later updates for it are dropped. False when it had ended already. */
  end(subAccountId: SubAccountId, clientOrderId: ClientOrderId): boolean {
    const tracked = this.#get(subAccountId, clientOrderId);
    if (tracked.ended) return false;
    this.#markEnded(tracked);
    return true;
  }

  /** Whether the adapter has seen or sent this order. */
  knows(subAccountId: SubAccountId, clientOrderId: string): boolean {
    return this.#orders.has(this.#key(subAccountId, clientOrderId));
  }

  isEnded(subAccountId: SubAccountId, clientOrderId: string): boolean {
    return this.#orders.get(this.#key(subAccountId, clientOrderId))?.ended ?? false;
  }

  /** The reports an order update from Bybit makes, at `at`; none for an update already known or older. */
  update(subAccountId: SubAccountId, row: BybitOrderRow, at: number): OrderReport[] {
    if (!isFlotillaClientOrderId(row.orderLinkId)) return [];
    const clientOrderId = row.orderLinkId as ClientOrderId;
    const tracked = this.#get(subAccountId, clientOrderId);
    if (tracked.ended) return [];
    const rank = statusRank(row.status);
    const older = row.updatedTime < tracked.updatedTime || (row.updatedTime === tracked.updatedTime && (rank < tracked.rank || (tracked.filled !== null && row.filled.lt(tracked.filled))));
    if (older) return [];
    const reports: OrderReport[] = [];
    const venueOrderId = parseVenueOrderId(row.orderId);
    if (row.status !== 'REJECTED' && this.accept(subAccountId, clientOrderId, venueOrderId)) reports.push({ type: 'ORDER_ACCEPTED', subAccountId, clientOrderId, venueOrderId, at });
    const open = row.status === 'ACCEPTED' || row.status === 'PARTIALLY_FILLED';
    const changed = tracked.quantity !== null && (!row.quantity.eq(tracked.quantity) || !samePrice(row.limitPrice, tracked.limitPrice) || !samePrice(row.triggerPrice, tracked.triggerPrice));
    if (open && changed) {
      reports.push({ type: 'ORDER_AMENDED', subAccountId, clientOrderId, quantity: row.quantity, limitPrice: row.limitPrice, triggerPrice: row.triggerPrice, detail: 'changed at Bybit', at });
    }
    tracked.quantity = row.quantity;
    tracked.limitPrice = row.limitPrice;
    tracked.triggerPrice = row.triggerPrice;
    tracked.rank = rank;
    tracked.filled = row.filled;
    tracked.updatedTime = row.updatedTime;
    if (row.status === 'CANCELED') reports.push({ type: 'ORDER_CANCELED', subAccountId, clientOrderId, detail: row.detail, at });
    else if (row.status === 'REJECTED') reports.push({ type: 'ORDER_REJECTED', subAccountId, clientOrderId, reason: 'VENUE_ERROR', detail: row.detail, at });
    if (!open) this.#markEnded(tracked);
    return reports;
  }

  #markEnded(tracked: Tracked): void {
    tracked.ended = true;
    this.#ended++;
    if (this.#ended <= ENDED_KEPT * 2) return;
    // Forget the oldest ended orders; a very late update for one is at worst a duplicate the ledger ignores.
    for (const [key, entry] of this.#orders) {
      if (this.#ended <= ENDED_KEPT) break;
      if (!entry.ended) continue;
      this.#orders.delete(key);
      this.#ended--;
    }
  }
}
