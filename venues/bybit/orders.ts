import type { Clock } from '../../core/clock.ts';
import type { Decimal } from '../../core/decimal.ts';
import { OutcomeUnknownError, TemporaryVenueError } from '../../core/errors.ts';
import { parseClientOrderId, parseVenueOrderId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { OrderReport, RejectionReason, SubmitOrder } from '../../core/order.ts';
import type { OrderChanges, OrderToCancel } from '../../core/venue.ts';
import { classifyCode, refusalDetail } from './codes.ts';
import type { BybitTimeouts } from './config.ts';
import { TransportError, type BybitHttp, type Invoke, type Reply } from './http.ts';
import type { InstrumentMap } from './instruments.ts';
import { CATEGORY, createParams, type BybitOrderRow } from './order-mapping.ts';
import type { OrderTracker } from './order-tracker.ts';
import { NotSentError, type Priority, type RequestLane } from './rate-limit.ts';
import type { AccountReads } from './reads.ts';
import { RowReader } from './wire.ts';

/**
 * Orders at Bybit: create, cancel (one or a batch), amend. An outcome Bybit states is reported; an outcome it
 * leaves open (a timeout, a 5xx, a connection reset after sending) is never answered by sending blindly: the order
 * is asked for by its orderLinkId first; found, its state is reported; not found, it is sent again under the same
 * orderLinkId, so that if the first request lands after all, Bybit refuses the second (110072, "query, it exists").
 * A submit whose outcome stays unknown past settleMs throws OutcomeUnknownError: the order stays PENDING_SUBMIT for
 * reconciliation. A submit or amend for an order whose submit is still under way waits for it, so no cancel ever
 * races the create it would cancel.
 */

const CREATE = 'POST /v5/order/create';
const AMEND = 'POST /v5/order/amend';
const CANCEL = 'POST /v5/order/cancel';
const CANCEL_BATCH = 'POST /v5/order/cancel-batch';
/** Bybit's limit for one batch cancel of linear orders. */
export const MAX_BATCH_CANCEL = 20;
const RETRY_PAUSE_MS = 200;

export interface OrderCommandsOptions {
  http: BybitHttp;
  lane: (subAccountId: SubAccountId) => RequestLane;
  reads: AccountReads;
  tracker: OrderTracker;
  instruments: InstrumentMap;
  timeouts: BybitTimeouts;
  clock: Clock;
  logger: Logger;
  emit: (report: OrderReport) => void;
}

type Settled = 'FOUND' | 'NOT_FOUND' | 'UNREACHABLE';

/** Cancels and protective orders go before new entries when requests wait. */
export function priorityOf(clientOrderId: ClientOrderId, reduceOnly: boolean): Priority {
  if (reduceOnly) return 'PROTECT';
  try {
    return parseClientOrderId(clientOrderId).role === 'ENTRY' ? 'ENTRY' : 'PROTECT';
  } catch {
    return 'ENTRY';
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The wait before sending again after the n-th unsettled attempt: short at first, never hammering. */
function resendPause(resends: number): Promise<void> {
  return pause(Math.min(RETRY_PAUSE_MS * 2 ** resends, 2_000));
}

export class OrderCommands {
  readonly #options: OrderCommandsOptions;
  /** Submits under way, per "sub id". */
  readonly #submitting = new Map<string, Promise<unknown>>();
  #stopped = false;

  constructor(options: OrderCommandsOptions) {
    this.#options = options;
  }

  /** Settles once any submit of this order under way has ended, however it ended. */
  submitted(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Promise<void> {
    const pending = this.#submitting.get(`${subAccountId} ${clientOrderId}`);
    return pending === undefined ? Promise.resolve() : pending.then(() => undefined, () => undefined);
  }

  isSubmitting(subAccountId: SubAccountId, clientOrderId: ClientOrderId): boolean {
    return this.#submitting.has(`${subAccountId} ${clientOrderId}`);
  }

  /** From now on nothing is sent or asked again; commands under way end as soon as they next wait. */
  stop(): void {
    this.#stopped = true;
  }

  /** Creates the order at Bybit for `quantity`; true when Bybit holds it (or held it), false when it was refused. */
  submit(order: SubmitOrder, quantity: Decimal = order.quantity): Promise<boolean> {
    const key = `${order.subAccountId} ${order.clientOrderId}`;
    const previous = this.#submitting.get(key);
    const run = (previous === undefined ? Promise.resolve() : previous.then(() => undefined, () => undefined)).then(() => this.#submit(order, quantity));
    this.#submitting.set(key, run);
    const forget = (): void => {
      if (this.#submitting.get(key) === run) this.#submitting.delete(key);
    };
    run.then(forget, forget);
    return run;
  }

  async #submit(order: SubmitOrder, quantity: Decimal): Promise<boolean> {
    const { http, lane, tracker, instruments, timeouts } = this.#options;
    const { subAccountId, clientOrderId } = order;
    const params = createParams(order, instruments.symbol(order.instrumentId), quantity);
    const priority = priorityOf(clientOrderId, order.reduceOnly);
    // A new entry sent late is a different trade: it waits for rate limits only so long. Protection waits as long as it takes.
    const deadline = priority === 'ENTRY' ? Date.now() + timeouts.entryDeadlineMs : null;
    const settleBy = Date.now() + timeouts.settleMs;
    const sendBy = deadline ?? settleBy;
    tracker.sent(subAccountId, clientOrderId, quantity, order.type === 'LIMIT' ? order.limitPrice : null, order.type === 'STOP_MARKET' ? order.triggerPrice : null);
    let unknown: string | null = null;
    let resynced = false;
    let resends = 0;
    for (;;) {
      let reply: Reply;
      try {
        reply = await lane(subAccountId).schedule(priority, CREATE, () => http.call(subAccountId, CREATE, (client) => client.submitOrder(params)), deadline);
      } catch (error) {
        if (error instanceof NotSentError && unknown === null) {
          this.#rejected(order, 'VENUE_ERROR', error.message);
          return false;
        }
        if (!(error instanceof TransportError) && !(error instanceof NotSentError)) throw error;
        if (error instanceof TransportError && error.failure.kind === 'NOT_SENT' && unknown === null) {
          if (Date.now() > sendBy || this.#stopped) {
            this.#rejected(order, 'VENUE_ERROR', `not sent: Bybit could not be reached (${error.failure.detail})`);
            return false;
          }
          await pause(RETRY_PAUSE_MS);
          continue;
        }
        unknown = error.message;
        const settled = await this.#settle(subAccountId, order.instrumentId, clientOrderId, priority, settleBy);
        if (settled === 'FOUND') return true;
        if (settled === 'UNREACHABLE' || Date.now() > settleBy || error instanceof NotSentError || this.#stopped) throw this.#unknown(order, unknown);
        // Not at Bybit: send it again under the same orderLinkId, which Bybit takes only once.
        await resendPause(resends++);
        continue;
      }
      const found = classifyCode(reply.retCode);
      switch (found.kind) {
        case 'OK': {
          const orderId = new RowReader(reply.result, `${CREATE} result`).string('orderId');
          this.#accepted(subAccountId, clientOrderId, orderId);
          return true;
        }
        case 'DUPLICATE':
        case 'UNKNOWN_OUTCOME': {
          if (found.kind === 'UNKNOWN_OUTCOME') unknown = refusalDetail(reply.retCode, reply.retMsg);
          const settled = await this.#settle(subAccountId, order.instrumentId, clientOrderId, priority, settleBy);
          if (settled === 'FOUND') return true;
          if (found.kind === 'DUPLICATE') throw this.#unknown(order, `Bybit says orderLinkId ${clientOrderId} is taken, yet does not list the order`);
          if (settled === 'UNREACHABLE' || Date.now() > settleBy) throw this.#unknown(order, unknown ?? '');
          await resendPause(resends++);
          continue;
        }
        case 'CLOCK':
          if (!resynced) {
            resynced = true;
            await http.syncClock();
            continue;
          }
          this.#rejected(order, 'VENUE_ERROR', `${refusalDetail(reply.retCode, reply.retMsg)}: the clock offset was measured again and Bybit still refused the timestamp`);
          return false;
        case 'REFUSED':
          this.#rejected(order, found.reason, refusalDetail(reply.retCode, reply.retMsg, found.hint));
          return false;
        case 'ACCESS':
          this.#rejected(order, 'VENUE_ERROR', refusalDetail(reply.retCode, reply.retMsg, found.hint));
          return false;
        case 'NOT_FOUND':
        case 'RATE_LIMITED':
          this.#rejected(order, 'VENUE_ERROR', refusalDetail(reply.retCode, reply.retMsg));
          return false;
      }
    }
  }

  /** Cancels one order by its orderLinkId; the outcome is reported (ORDER_CANCELED or CANCEL_REJECTED). */
  async cancel(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void> {
    await this.submitted(subAccountId, clientOrderId);
    const symbol = this.#options.instruments.symbol(instrumentId);
    const invoke: Invoke = (client) => client.cancelOrder({ category: CATEGORY, symbol, orderLinkId: clientOrderId });
    const reply = await this.#send(subAccountId, instrumentId, clientOrderId, 'CANCEL', CANCEL, invoke, (row) => row.status !== 'ACCEPTED' && row.status !== 'PARTIALLY_FILLED');
    if (reply === null) return;
    await this.#cancelAnswered(subAccountId, instrumentId, clientOrderId, reply);
  }

  /**
   * Cancels orders by ID, MAX_BATCH_CANCEL per request, each entry naming its own symbol; an order the batch could not
   * cancel goes through cancel() alone.
   */
  async cancelBatch(subAccountId: SubAccountId, orders: readonly OrderToCancel[]): Promise<void> {
    const { http, lane, instruments } = this.#options;
    await Promise.all(orders.map((order) => this.submitted(subAccountId, order.clientOrderId)));
    const singles: Promise<void>[] = [];
    for (let start = 0; start < orders.length; start += MAX_BATCH_CANCEL) {
      const chunk = orders.slice(start, start + MAX_BATCH_CANCEL);
      const request = chunk.map((order) => ({ symbol: instruments.symbol(order.instrumentId), orderLinkId: order.clientOrderId }));
      let reply: Reply | null = null;
      try {
        reply = await lane(subAccountId).schedule('CANCEL', CANCEL_BATCH, () => http.call(subAccountId, CANCEL_BATCH, (client) => client.batchCancelOrders(CATEGORY, request)));
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
      }
      const outcomes = reply !== null && reply.retCode === 0 ? this.#batchOutcomes(reply, chunk.length) : null;
      chunk.forEach(({ instrumentId, clientOrderId }, index) => {
        if (outcomes?.[index] === 0) {
          // The stream may have told the cancel first: it is reported once.
          if (this.#options.tracker.end(subAccountId, clientOrderId)) this.#emit({ type: 'ORDER_CANCELED', subAccountId, clientOrderId, detail: 'cancelled at Bybit on request', at: this.#options.clock.now() });
        } else {
          // Refused, rate-limited, or unknown: the single cancel asks, waits or reports as the case needs.
          singles.push(this.cancel(subAccountId, instrumentId, clientOrderId));
        }
      });
    }
    await Promise.all(singles);
  }

  /** Amends a working order in place; reported as ORDER_AMENDED (as it now stands) or AMEND_REJECTED. */
  async amend(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): Promise<void> {
    await this.submitted(subAccountId, clientOrderId);
    const params = this.#amendParams(instrumentId, clientOrderId, changes);
    const applied = (row: BybitOrderRow): boolean =>
      row.status !== 'ACCEPTED' && row.status !== 'PARTIALLY_FILLED'
        ? true
        : (changes.quantity === undefined || row.quantity.eq(changes.quantity)) && (changes.limitPrice === undefined || (row.limitPrice?.eq(changes.limitPrice) ?? false)) && (changes.triggerPrice === undefined || (row.triggerPrice?.eq(changes.triggerPrice) ?? false));
    const reply = await this.#send(subAccountId, instrumentId, clientOrderId, priorityOf(clientOrderId, false), AMEND, (client) => client.amendOrder(params), applied, changes);
    if (reply === null) return;
    const at = this.#options.clock.now();
    const found = classifyCode(reply.retCode);
    if (found.kind === 'OK') {
      await this.#amendConfirmed(subAccountId, instrumentId, clientOrderId, changes);
      return;
    }
    const reason: RejectionReason = found.kind === 'NOT_FOUND' ? 'UNKNOWN_ORDER' : found.kind === 'REFUSED' ? found.reason : 'VENUE_ERROR';
    this.#emit({ type: 'AMEND_REJECTED', subAccountId, clientOrderId, reason, detail: refusalDetail(reply.retCode, reply.retMsg), at });
  }

  /**
   * Grows a bracket child Bybit holds to its entry's fill, reported as ORDER_AMENDED (once, whether the answer or the
   * stream tells it first), so the ledger never holds less of a stop than Bybit does.
   */
  async resize(order: SubmitOrder, quantity: Decimal): Promise<void> {
    const { subAccountId, clientOrderId, instrumentId } = order;
    const params = this.#amendParams(instrumentId, clientOrderId, { quantity });
    const reply = await this.#send(subAccountId, instrumentId, clientOrderId, 'PROTECT', AMEND, (client) => client.amendOrder(params), (row) => row.quantity.eq(quantity) || (row.status !== 'ACCEPTED' && row.status !== 'PARTIALLY_FILLED'), { quantity });
    if (reply === null) return;
    if (reply.retCode !== 0) throw new TemporaryVenueError(`growing ${clientOrderId} to ${quantity.toString()}: ${refusalDetail(reply.retCode, reply.retMsg)}`);
    await this.#amendConfirmed(subAccountId, instrumentId, clientOrderId, { quantity }, `grown to its entry's fill of ${quantity.toString()}`);
  }

  #amendParams(instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): { category: typeof CATEGORY; symbol: string; orderLinkId: string; qty?: string; price?: string; triggerPrice?: string } {
    return {
      category: CATEGORY,
      symbol: this.#options.instruments.symbol(instrumentId),
      orderLinkId: clientOrderId,
      ...(changes.quantity === undefined ? {} : { qty: changes.quantity.toString() }),
      ...(changes.limitPrice === undefined ? {} : { price: changes.limitPrice.toString() }),
      ...(changes.triggerPrice === undefined ? {} : { triggerPrice: changes.triggerPrice.toString() }),
    };
  }

  /**
   * Sends a request about an existing order (cancel, amend) and returns Bybit's answer, after one clock resync at
   * most. When the outcome is unknown it asks for the order: if `done` holds for what Bybit has, the outcome is
   * settled here (reported through the tracker, or as an amendment) and null is returned; else it sends again.
   */
  async #send(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, priority: Priority, route: string, invoke: Invoke, done: (row: BybitOrderRow) => boolean, changes?: OrderChanges): Promise<Reply | null> {
    const { http, lane, timeouts } = this.#options;
    const settleBy = Date.now() + timeouts.settleMs;
    let resynced = false;
    let resends = 0;
    for (;;) {
      let reply: Reply;
      try {
        reply = await lane(subAccountId).schedule(priority, route, () => http.call(subAccountId, route, invoke));
      } catch (error) {
        if (!(error instanceof TransportError)) throw error;
        const row = await this.#ask(subAccountId, instrumentId, clientOrderId, priority, settleBy);
        if (row === 'UNREACHABLE') throw new TemporaryVenueError(`${route} for ${clientOrderId}: the outcome is unknown (${error.failure.detail}) and Bybit could not be asked; reconciliation settles it`);
        if (row === null || done(row)) {
          if (row === null) this.#unknownOrder(route, subAccountId, clientOrderId, 'Bybit has no order with this orderLinkId');
          else if (changes !== undefined && (row.status === 'ACCEPTED' || row.status === 'PARTIALLY_FILLED')) await this.#amendConfirmed(subAccountId, instrumentId, clientOrderId, changes);
          else this.#ended(subAccountId, clientOrderId, route, row);
          return null;
        }
        if (Date.now() > settleBy || this.#stopped) throw new TemporaryVenueError(`${route} for ${clientOrderId}: still not carried out after ${timeouts.settleMs} ms; reconciliation settles it`);
        await resendPause(resends++);
        continue;
      }
      const found = classifyCode(reply.retCode);
      if (found.kind === 'CLOCK' && !resynced) {
        resynced = true;
        await http.syncClock();
        continue;
      }
      if (found.kind === 'UNKNOWN_OUTCOME' && Date.now() <= settleBy) {
        const row = await this.#ask(subAccountId, instrumentId, clientOrderId, priority, settleBy);
        if (row !== 'UNREACHABLE' && row !== null && done(row)) {
          if (changes !== undefined && (row.status === 'ACCEPTED' || row.status === 'PARTIALLY_FILLED')) await this.#amendConfirmed(subAccountId, instrumentId, clientOrderId, changes);
          else this.#ended(subAccountId, clientOrderId, route, row);
          return null;
        }
        await resendPause(resends++);
        continue;
      }
      return reply;
    }
  }

  async #cancelAnswered(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, reply: Reply): Promise<void> {
    const at = this.#options.clock.now();
    const found = classifyCode(reply.retCode);
    if (found.kind === 'OK') {
      // The stream may have told the cancel first: it is reported once.
      if (this.#options.tracker.end(subAccountId, clientOrderId)) this.#emit({ type: 'ORDER_CANCELED', subAccountId, clientOrderId, detail: 'cancelled at Bybit on request', at });
      return;
    }
    const detail = refusalDetail(reply.retCode, reply.retMsg);
    if (found.kind === 'NOT_FOUND') {
      // Gone already (filled, or cancelled by Bybit): say how it ended, then that the cancel found nothing to cancel.
      const row = await this.#ask(subAccountId, instrumentId, clientOrderId, 'CANCEL', Date.now() + this.#options.timeouts.settleMs);
      if (row !== null && row !== 'UNREACHABLE') for (const report of this.#options.tracker.update(subAccountId, row, this.#options.clock.now())) this.#emit(report);
      this.#unknownOrder(CANCEL, subAccountId, clientOrderId, `${detail}${row !== null && row !== 'UNREACHABLE' ? `; the order is ${row.status}` : ''}`);
      return;
    }
    this.#emit({ type: 'CANCEL_REJECTED', subAccountId, clientOrderId, reason: found.kind === 'REFUSED' ? found.reason : 'VENUE_ERROR', detail, at });
  }

  #unknownOrder(route: string, subAccountId: SubAccountId, clientOrderId: ClientOrderId, detail: string): void {
    const at = this.#options.clock.now();
    if (route === CANCEL) this.#emit({ type: 'CANCEL_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail, at });
    else this.#emit({ type: 'AMEND_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail, at });
  }

  /** The order ended before the request could act on it: report how it ended (once), and that the request found nothing. */
  #ended(subAccountId: SubAccountId, clientOrderId: ClientOrderId, route: string, row: BybitOrderRow): void {
    const reports = this.#options.tracker.update(subAccountId, row, this.#options.clock.now());
    for (const report of reports) this.#emit(report);
    if (route === AMEND) this.#unknownOrder(AMEND, subAccountId, clientOrderId, `the order is ${row.status} at Bybit`);
  }

  async #amendConfirmed(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges, detail = 'amended at Bybit on request'): Promise<void> {
    const tracked = this.#options.tracker.amended(subAccountId, clientOrderId, changes);
    if (tracked !== null && !tracked.news) return; // the stream reported it first
    let state: { quantity: Decimal; limitPrice: Decimal | null; triggerPrice: Decimal | null } | null = tracked;
    if (state === null) {
      // The adapter never knew this order whole (a restart since it was sent): Bybit's record says what it is now.
      const row = await this.#options.reads.order(subAccountId, instrumentId, clientOrderId, 'PROTECT');
      if (row === null) return;
      state = { quantity: row.quantity, limitPrice: row.limitPrice, triggerPrice: row.triggerPrice };
      this.#options.tracker.update(subAccountId, row, this.#options.clock.now());
    }
    const { quantity, limitPrice, triggerPrice } = state;
    this.#emit({ type: 'ORDER_AMENDED', subAccountId, clientOrderId, quantity, limitPrice, triggerPrice, detail, at: this.#options.clock.now() });
  }

  #batchOutcomes(reply: Reply, count: number): number[] | null {
    const list = (reply.retExtInfo as { list?: unknown } | null)?.list;
    if (!Array.isArray(list) || list.length !== count) return null;
    return list.map((entry) => {
      const code = (entry as { code?: unknown } | null)?.code;
      return typeof code === 'number' ? code : -1;
    });
  }

  /** Asks Bybit for the order until it answers or `settleBy` passes. */
  async #ask(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, priority: Priority, settleBy: number): Promise<BybitOrderRow | null | 'UNREACHABLE'> {
    for (;;) {
      try {
        return await this.#options.reads.order(subAccountId, instrumentId, clientOrderId, priority);
      } catch (error) {
        if (Date.now() > settleBy || this.#stopped) return 'UNREACHABLE';
        this.#options.logger.debug({ clientOrderId, error: (error as Error).message }, 'asking Bybit for an order failed; asking again');
        await pause(RETRY_PAUSE_MS);
      }
    }
  }

  async #settle(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, priority: Priority, settleBy: number): Promise<Settled> {
    const row = await this.#ask(subAccountId, instrumentId, clientOrderId, priority, settleBy);
    if (row === 'UNREACHABLE') return row;
    if (row === null) return 'NOT_FOUND';
    for (const report of this.#options.tracker.update(subAccountId, row, this.#options.clock.now())) this.#emit(report);
    return 'FOUND';
  }

  #accepted(subAccountId: SubAccountId, clientOrderId: ClientOrderId, orderId: string): void {
    const venueOrderId = parseVenueOrderId(orderId);
    if (this.#options.tracker.accept(subAccountId, clientOrderId, venueOrderId)) this.#emit({ type: 'ORDER_ACCEPTED', subAccountId, clientOrderId, venueOrderId, at: this.#options.clock.now() });
  }

  #rejected(order: SubmitOrder, reason: RejectionReason, detail: string): void {
    if (this.#options.tracker.end(order.subAccountId, order.clientOrderId)) this.#emit({ type: 'ORDER_REJECTED', subAccountId: order.subAccountId, clientOrderId: order.clientOrderId, reason, detail, at: this.#options.clock.now() });
  }

  #unknown(order: SubmitOrder, why: string): OutcomeUnknownError {
    this.#options.logger.error({ clientOrderId: order.clientOrderId, subAccountId: order.subAccountId, why }, 'the outcome of a submit to Bybit is unknown; the order stays PENDING_SUBMIT for reconciliation');
    return new OutcomeUnknownError(`submit of ${order.clientOrderId} to Bybit: the outcome is unknown (${why}); the order stays PENDING_SUBMIT and reconciliation settles it by its client order ID`);
  }

  #emit(report: OrderReport): void {
    this.#options.emit(report);
  }
}
