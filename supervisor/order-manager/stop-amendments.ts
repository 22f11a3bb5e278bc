import type { Decimal } from '../../core/decimal.ts';
import type { BotId, ClientOrderId, IntentId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport, OrderStatus } from '../../core/order.ts';
import { isOpenStatus } from '../../core/order.ts';
import type { Venue, VenueOrder } from '../../core/venue.ts';
import type { Ledger, OrderRecord, StopAmendment } from '../../ledger/types.ts';
import { venueOrderReports } from '../reconciliation/reconcile.ts';

/** A stop move by amend that did not take effect while the stop kept working, as it was. */
export interface AmendFailure {
  botId: BotId;
  stop: ClientOrderId;
  status: OrderStatus;
  detail: string;
}

export interface StopAmendmentsPort {
  ledger(botId: BotId): Ledger;
  venue(order: OrderRecord): Venue;
  /** The one report path (the order manager's applyReport). */
  apply(report: ExecutionReport): void;
  now(): number;
  /** Keeps a venue call in the order manager's pending requests, so idle() waits for it. */
  track(call: Promise<void>): void;
  requestFailed(botId: BotId, clientOrderId: ClientOrderId, error: string): void;
  failed(failure: AmendFailure): void;
  logger: Logger;
}

interface Pending {
  botId: BotId;
  amendment: StopAmendment;
}

const sameTrigger = (order: OrderRecord, amendment: StopAmendment): boolean => order.triggerPrice !== null && order.triggerPrice.eq(amendment.triggerPrice);

/**
 * Stop moves done by amending the stop's trigger in place, on venues that can (capabilities.amend). The request is
 * in the ledger before the venue hears of it; the stop's trigger in the ledger changes only when the venue confirms
 * (ORDER_AMENDED), so the old trigger protects the position until then, and the stop is never off the book. A
 * refusal (AMEND_REJECTED) leaves the stop as it was and is reported. A lost answer is settled by asking the venue
 * for the order by its client order ID, never by amending again; a crash, by reconciliation, where the venue's
 * trigger wins. One amend per stop at a time.
 */
export class StopAmendments {
  readonly #port: StopAmendmentsPort;
  /** stop → its amend awaiting the venue's answer. */
  readonly #pending = new Map<ClientOrderId, Pending>();

  constructor(port: StopAmendmentsPort) {
    this.#port = port;
  }

  /** Reloads the amends a crash left unanswered; part of every start, settled once the venues are reconciled. */
  recover(botId: BotId, ledger: Ledger): void {
    for (const amendment of ledger.unsettledStopAmendments()) this.#pending.set(amendment.clientOrderId, { botId, amendment });
  }

  /** The amend already on its way for a stop, if any. */
  inFlight(stop: ClientOrderId): StopAmendment | null {
    return this.#pending.get(stop)?.amendment ?? null;
  }

  /** Records the amend durably, then asks the venue; its answer arrives as a report (see settle). */
  send(order: OrderRecord, intentId: IntentId, triggerPrice: Decimal): StopAmendment {
    const { botId, subAccountId, instrumentId, clientOrderId } = order;
    const amendment = this.#port.ledger(botId).recordStopAmendment({ intentId, clientOrderId, triggerPrice }, this.#port.now());
    const entry: Pending = { botId, amendment };
    this.#pending.set(clientOrderId, entry);
    const venue = this.#port.venue(order);
    const call = venue.amendOrder(subAccountId, instrumentId, clientOrderId, { triggerPrice }).catch(async (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      this.#port.requestFailed(botId, clientOrderId, message);
      await this.#ask(entry, venue, message);
    });
    this.#port.track(call);
    return amendment;
  }

  /** Called with the stop's latest state after each of its reports while an amend of it is in flight. */
  settle(order: OrderRecord, report: ExecutionReport): void {
    const entry = this.#pending.get(order.clientOrderId);
    if (entry === undefined) return;
    const refused = report.type === 'AMEND_REJECTED' ? `the venue refused the amend: ${order.detail}` : null;
    this.#conclude(entry, order, refused);
  }

  /**
   * Settles every amend still unanswered, after the venues were reconciled (the venue's trigger is then the
   * ledger's): in force means amended; anything else means it never took effect. Only `botId`'s when given.
   */
  settleAll(botId?: BotId): void {
    for (const entry of [...this.#pending.values()]) {
      if (botId !== undefined && entry.botId !== botId) continue;
      const order = this.#port.ledger(entry.botId).order(entry.amendment.clientOrderId);
      const trigger = order?.triggerPrice?.toString() ?? 'none';
      this.#conclude(entry, order, `not in force at the venue after reconciliation (it holds trigger ${trigger}); the move was not carried out`);
    }
  }

  /** The venue's answer was lost: it is asked what it holds, by client order ID, and what it holds is recorded. */
  async #ask(entry: Pending, venue: Venue, why: string): Promise<void> {
    const { botId, amendment } = entry;
    const ledger = this.#port.ledger(botId);
    const order = ledger.order(amendment.clientOrderId);
    if (this.#pending.get(amendment.clientOrderId) !== entry || order === null) return;
    let atVenue: VenueOrder | null;
    try {
      atVenue = await venue.queryOrder(order.subAccountId, order.instrumentId, order.clientOrderId);
    } catch (error) {
      // Still unknown: the move stays in flight and reconciliation settles it from the venue's record.
      this.#port.logger.warn({ botId, clientOrderId: order.clientOrderId, error: (error as Error).message }, 'a stop amend went unanswered and the venue could not be asked; reconciliation settles it');
      return;
    }
    if (this.#pending.get(amendment.clientOrderId) !== entry) return;
    const current = ledger.order(amendment.clientOrderId);
    if (atVenue !== null && current !== null) for (const report of venueOrderReports(current, atVenue, current.subAccountId, this.#port.now())) this.#port.apply(report);
    if (this.#pending.get(amendment.clientOrderId) !== entry) return;
    const held = atVenue === null ? 'does not know the stop' : `holds trigger ${atVenue.triggerPrice?.toString() ?? 'none'}`;
    this.#conclude(entry, ledger.order(amendment.clientOrderId), `the venue's answer was lost (${why}); asked by client order ID, it ${held}`);
  }

  /**
   * Ends an amend when its outcome is known: the stop carries the new trigger (amended), or the stop has ended, or
   * `failure` says why it did not take effect. Without any of these it stays in flight.
   */
  #conclude(entry: Pending, order: OrderRecord | null, failure: string | null): void {
    const { botId, amendment } = entry;
    const ledger = this.#port.ledger(botId);
    const now = this.#port.now();
    if (order !== null && isOpenStatus(order.status) && sameTrigger(order, amendment)) {
      this.#pending.delete(amendment.clientOrderId);
      ledger.settleStopAmendment(amendment.id, 'AMENDED', 'the venue holds the new trigger', now);
      return;
    }
    if (order === null || !isOpenStatus(order.status)) {
      // The stop did its job or was cancelled meanwhile: nothing kept working to report a failed move against.
      this.#pending.delete(amendment.clientOrderId);
      ledger.settleStopAmendment(amendment.id, 'FAILED', `the stop ended (${order?.status ?? 'unknown'}) before the amend was confirmed`, now);
      return;
    }
    if (failure === null) return;
    this.#pending.delete(amendment.clientOrderId);
    ledger.settleStopAmendment(amendment.id, 'FAILED', failure, now);
    this.#port.failed({ botId, stop: order.clientOrderId, status: order.status, detail: failure });
  }
}
