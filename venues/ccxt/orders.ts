import type { Exchange } from 'ccxt';
import type { Clock } from '../../core/clock.ts';
import type { Decimal } from '../../core/decimal.ts';
import { OutcomeUnknownError, TemporaryVenueError } from '../../core/errors.ts';
import { parseClientOrderId, parseVenueOrderId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { Side } from '../../core/intent.ts';
import type { Logger } from '../../core/logger.ts';
import type { OrderReport, RejectionReason, SubmitOrder } from '../../core/order.ts';
import type { OrderChanges } from '../../core/venue.ts';
import type { OrderTracker } from '../bybit/order-tracker.ts';
import type { Redactor } from '../bybit/redact.ts';
import { wire } from './amounts.ts';
import type { CcxtTimeouts } from './config.ts';
import type { Markets } from './markets.ts';
import { createArgs, type OrderRow } from './order-mapping.ts';
import { describeError, outcomeOf, type Outcome } from './outcomes.ts';
import type { ExchangeProfile } from './profiles.ts';
import type { AccountReads } from './reads.ts';

/**
 * Orders through ccxt: create, cancel and amend, each naming the order by its client order ID. An outcome the
 * exchange states is reported. One it leaves open (a timeout, a reset, a 5xx: ccxt's RequestTimeout, NetworkError,
 * ExchangeNotAvailable, or an exchange code the profile sorts so) is settled by asking for the order by its client
 * order ID, never by sending the create again: found, its state is reported; still not found after settleMs, the
 * submit throws OutcomeUnknownError and the order stays PENDING_SUBMIT for reconciliation, which settles it by the
 * same ID. A create that certainly did not happen (rate-limited, not sent) is sent again until its deadline. A cancel
 * or amend sets an absolute state, so sending one again after asking is safe. A cancel or amend waits for a submit of
 * the same order still under way, so no cancel races the create it cancels.
 */

const FIRST_PAUSE_MS = 100;
const MAX_PAUSE_MS = 2_000;

export interface OrderCommandsOptions {
  client: (subAccountId: SubAccountId) => Exchange;
  profile: ExchangeProfile;
  reads: AccountReads;
  tracker: OrderTracker;
  markets: Markets;
  exchange: string;
  timeouts: CcxtTimeouts;
  clock: Clock;
  logger: Logger;
  redactor: Redactor;
  emit: (report: OrderReport) => void;
}

function pause(attempt: number, baseMs = FIRST_PAUSE_MS): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.min(baseMs * 2 ** attempt, Math.max(MAX_PAUSE_MS, baseMs * 10))));
}

function isEntry(clientOrderId: ClientOrderId, reduceOnly: boolean): boolean {
  if (reduceOnly) return false;
  try {
    return parseClientOrderId(clientOrderId).role === 'ENTRY';
  } catch {
    return true;
  }
}

const open = (row: OrderRow): boolean => row.status === 'ACCEPTED' || row.status === 'PARTIALLY_FILLED';

export class OrderCommands {
  readonly #options: OrderCommandsOptions;
  readonly #submitting = new Map<string, Promise<unknown>>();
  /** What editOrder needs and the exchange does not keep for us: each sent order's ccxt type and side. */
  readonly #shapes = new Map<string, { type: 'market' | 'limit'; side: 'buy' | 'sell' }>();
  #stopped = false;

  constructor(options: OrderCommandsOptions) {
    this.#options = options;
  }

  submitted(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Promise<void> {
    const pending = this.#submitting.get(`${subAccountId} ${clientOrderId}`);
    return pending === undefined ? Promise.resolve() : pending.then(() => undefined, () => undefined);
  }

  isSubmitting(subAccountId: SubAccountId, clientOrderId: ClientOrderId): boolean {
    return this.#submitting.has(`${subAccountId} ${clientOrderId}`);
  }

  stop(): void {
    this.#stopped = true;
  }

  /** Creates the order for `quantity`; true when the exchange holds (or held) it, false when it was refused. */
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
    const { client, profile, markets, tracker, timeouts, redactor } = this.#options;
    const { subAccountId, clientOrderId, instrumentId } = order;
    const symbol = markets.symbol(instrumentId);
    if (symbol === null) {
      this.#rejected(order, 'UNKNOWN_INSTRUMENT', `${this.#options.exchange} lists no market for ${instrumentId}`);
      return false;
    }
    const args = createArgs(order, quantity, profile);
    this.#shapes.set(`${subAccountId} ${clientOrderId}`, { type: args.type, side: args.side });
    // A new entry sent late is a different trade: it waits for limits only so long. Protection waits as long as settling may.
    const sendBy = Date.now() + (isEntry(clientOrderId, order.reduceOnly) ? timeouts.entryDeadlineMs : timeouts.settleMs);
    const settleBy = Date.now() + timeouts.settleMs;
    tracker.sent(subAccountId, clientOrderId, quantity, order.type === 'LIMIT' ? order.limitPrice : null, order.type === 'STOP_MARKET' ? order.triggerPrice : null);
    let resynced = false;
    for (let waits = 0; ; ) {
      let outcome: Outcome & { code: string | null };
      let detail: string;
      try {
        const placed = await client(subAccountId).createOrder(symbol, args.type, args.side, args.amount, args.price, args.params);
        if (typeof placed.id === 'string' && placed.id !== '') {
          this.#accepted(subAccountId, clientOrderId, placed.id);
          return true;
        }
        outcome = { kind: 'UNKNOWN_OUTCOME', code: null };
        detail = 'the exchange answered without an order ID';
      } catch (error) {
        outcome = outcomeOf(error, profile.codes);
        detail = describeError(error, redactor);
      }
      switch (outcome.kind) {
        case 'NOT_SENT':
        case 'RATE_LIMITED':
          if (Date.now() > sendBy || this.#stopped) {
            this.#rejected(order, 'VENUE_ERROR', `not sent: ${detail}`);
            return false;
          }
          await pause(waits++, outcome.kind === 'RATE_LIMITED' ? timeouts.rateLimitBackoffMs : FIRST_PAUSE_MS);
          continue;
        case 'CLOCK':
          if (!resynced) {
            resynced = true;
            await client(subAccountId).loadTimeDifference().catch(() => undefined);
            continue;
          }
          this.#rejected(order, 'VENUE_ERROR', `${detail}: the clock offset was measured again and the exchange still refused the timestamp`);
          return false;
        case 'DUPLICATE':
        case 'UNKNOWN_OUTCOME': {
          const found = await this.#settle(subAccountId, instrumentId, clientOrderId, outcome.kind === 'DUPLICATE' ? Date.now() : settleBy);
          if (found) return true;
          throw this.#unknown(order, outcome.kind === 'DUPLICATE' ? `${this.#options.exchange} says ${clientOrderId} is taken, yet does not list the order (${detail})` : detail);
        }
        case 'NOT_FOUND':
          this.#rejected(order, 'VENUE_ERROR', detail);
          return false;
        case 'REFUSED':
          this.#rejected(order, outcome.reason, `${detail}: ${outcome.hint}`);
          return false;
        case 'ACCESS':
          this.#rejected(order, 'VENUE_ERROR', `${detail}: ${outcome.hint}`);
          return false;
      }
    }
  }

  /** Cancels one order by its client order ID; the outcome is reported (ORDER_CANCELED or CANCEL_REJECTED). */
  async cancel(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void> {
    await this.submitted(subAccountId, clientOrderId);
    const { profile, markets, tracker } = this.#options;
    const symbol = markets.symbol(instrumentId);
    if (symbol === null) {
      this.#report({ type: 'CANCEL_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_INSTRUMENT', detail: `${this.#options.exchange} lists no market for ${instrumentId}`, at: this.#now() });
      return;
    }
    const answered = await this.#request(subAccountId, instrumentId, clientOrderId, 'cancel', (client) => client.cancelOrder(undefined as unknown as string, symbol, { [profile.clientIdParam]: clientOrderId }), (row) => !open(row));
    if (answered === 'SETTLED') return;
    if (answered === 'OK') {
      // The stream may have told the cancel first: it is reported once.
      if (tracker.end(subAccountId, clientOrderId)) this.#report({ type: 'ORDER_CANCELED', subAccountId, clientOrderId, detail: `cancelled at ${this.#options.exchange} on request`, at: this.#now() });
      return;
    }
    this.#report({ type: 'CANCEL_REJECTED', subAccountId, clientOrderId, reason: answered.reason, detail: answered.detail, at: this.#now() });
  }

  /** Amends a working order in place; reported as ORDER_AMENDED (as it now stands) or AMEND_REJECTED. */
  async amend(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges, detail = `amended at ${this.#options.exchange} on request`): Promise<void> {
    await this.submitted(subAccountId, clientOrderId);
    const refused = (reason: RejectionReason, why: string): void => this.#report({ type: 'AMEND_REJECTED', subAccountId, clientOrderId, reason, detail: why, at: this.#now() });
    const symbol = this.#options.markets.symbol(instrumentId);
    if (symbol === null) return refused('UNKNOWN_INSTRUMENT', `${this.#options.exchange} lists no market for ${instrumentId}`);
    const shape = await this.#shape(subAccountId, instrumentId, clientOrderId);
    if (shape === null) return refused('UNKNOWN_ORDER', `${this.#options.exchange} has no order ${clientOrderId}`);
    const params: Record<string, unknown> = { [this.#options.profile.clientIdParam]: clientOrderId, ...(changes.triggerPrice === undefined ? {} : { triggerPrice: changes.triggerPrice.toString() }) };
    const amount = changes.quantity === undefined ? undefined : wire(changes.quantity);
    const price = changes.limitPrice === undefined ? undefined : wire(changes.limitPrice);
    const applied = (row: OrderRow): boolean =>
      !open(row) || ((changes.quantity === undefined || row.quantity.eq(changes.quantity)) && (changes.limitPrice === undefined || (row.limitPrice?.eq(changes.limitPrice) ?? false)) && (changes.triggerPrice === undefined || (row.triggerPrice?.eq(changes.triggerPrice) ?? false)));
    const answered = await this.#request(subAccountId, instrumentId, clientOrderId, 'amend', (client) => client.editOrder(undefined as unknown as string, symbol, shape.type, shape.side, amount, price, params), applied, changes, detail);
    if (answered === 'SETTLED') return;
    if (answered === 'OK') return this.#amendConfirmed(subAccountId, instrumentId, clientOrderId, changes, detail);
    refused(answered.reason, answered.detail);
  }

  /** Grows a bracket child the exchange holds to its entry's fill (ORDER_AMENDED once); throws when it could not. */
  async resize(order: SubmitOrder, quantity: Decimal): Promise<void> {
    let refusal: string | null = null;
    const unsubscribe = this.#intercept(order.subAccountId, order.clientOrderId, (why) => (refusal = why));
    try {
      await this.amend(order.subAccountId, order.instrumentId, order.clientOrderId, { quantity }, `grown to its entry's fill of ${quantity.toString()}`);
    } finally {
      unsubscribe();
    }
    if (refusal !== null) throw new TemporaryVenueError(`growing ${order.clientOrderId} to ${quantity.toString()}: ${refusal}`);
  }

  // ------------------------------------------------------------------------------------------------------

  readonly #interceptors = new Map<string, (why: string) => void>();

  /** While a resize runs, its AMEND_REJECTED becomes an error for the bracket instead of a report. */
  #intercept(subAccountId: SubAccountId, clientOrderId: ClientOrderId, onRefused: (why: string) => void): () => void {
    const key = `${subAccountId} ${clientOrderId}`;
    this.#interceptors.set(key, onRefused);
    return () => this.#interceptors.delete(key);
  }

  /**
   * Sends a request about an existing order and says how it went: OK, SETTLED (its outcome was unknown, the order
   * was asked for and what it is now has been reported), or a refusal. On an unknown outcome the order is asked for:
   * when `done` holds for it, it is settled; else the request goes again, until settleMs has passed.
   */
  async #request(
    subAccountId: SubAccountId,
    instrumentId: InstrumentId,
    clientOrderId: ClientOrderId,
    what: 'cancel' | 'amend',
    send: (client: Exchange) => Promise<unknown>,
    done: (row: OrderRow) => boolean,
    changes?: OrderChanges,
    detail?: string,
  ): Promise<'OK' | 'SETTLED' | { reason: RejectionReason; detail: string }> {
    const { client, profile, redactor, timeouts } = this.#options;
    const settleBy = Date.now() + timeouts.settleMs;
    let resynced = false;
    for (let waits = 0; ; ) {
      let outcome: Outcome;
      let said: string;
      try {
        await send(client(subAccountId));
        return 'OK';
      } catch (error) {
        outcome = outcomeOf(error, profile.codes);
        said = describeError(error, redactor);
      }
      switch (outcome.kind) {
        case 'CLOCK':
          if (resynced) return { reason: 'VENUE_ERROR', detail: said };
          resynced = true;
          await client(subAccountId).loadTimeDifference().catch(() => undefined);
          continue;
        case 'NOT_SENT':
        case 'RATE_LIMITED':
        case 'UNKNOWN_OUTCOME': {
          if (outcome.kind === 'UNKNOWN_OUTCOME') {
            const row = await this.#ask(subAccountId, instrumentId, clientOrderId, settleBy);
            if (row === null) return { reason: 'UNKNOWN_ORDER', detail: `${said}; ${this.#options.exchange} has no order ${clientOrderId}` };
            if (row !== 'UNREACHABLE' && done(row)) {
              if (changes !== undefined && open(row)) await this.#amendConfirmed(subAccountId, instrumentId, clientOrderId, changes, detail);
              else this.#ended(subAccountId, clientOrderId, what, row);
              return 'SETTLED';
            }
          }
          if (Date.now() > settleBy || this.#stopped) throw new TemporaryVenueError(`${what} of ${clientOrderId} at ${this.#options.exchange}: still not carried out after ${timeouts.settleMs} ms (${said}); reconciliation settles it`);
          await pause(waits++, outcome.kind === 'RATE_LIMITED' ? timeouts.rateLimitBackoffMs : FIRST_PAUSE_MS);
          continue;
        }
        case 'NOT_FOUND':
        case 'DUPLICATE': {
          // Gone already (filled, or ended by the exchange): say how it ended, then that the request found nothing.
          const row = await this.#ask(subAccountId, instrumentId, clientOrderId, Date.now() + timeouts.settleMs);
          if (row !== null && row !== 'UNREACHABLE') for (const report of this.#options.tracker.update(subAccountId, row, this.#now())) this.#report(report);
          return { reason: 'UNKNOWN_ORDER', detail: `${said}${row !== null && row !== 'UNREACHABLE' ? `; the order is ${row.status}` : ''}` };
        }
        case 'REFUSED':
          return { reason: outcome.reason, detail: `${said}: ${outcome.hint}` };
        case 'ACCESS':
          return { reason: 'VENUE_ERROR', detail: `${said}: ${outcome.hint}` };
      }
    }
  }

  /** The order ended before the request could act on it: report how it ended (once), and that an amend found nothing. */
  #ended(subAccountId: SubAccountId, clientOrderId: ClientOrderId, what: 'cancel' | 'amend', row: OrderRow): void {
    for (const report of this.#options.tracker.update(subAccountId, row, this.#now())) this.#report(report);
    if (what === 'amend') this.#report({ type: 'AMEND_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail: `the order is ${row.status} at ${this.#options.exchange}`, at: this.#now() });
  }

  async #amendConfirmed(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges, detail = `amended at ${this.#options.exchange} on request`): Promise<void> {
    const tracked = this.#options.tracker.amended(subAccountId, clientOrderId, changes);
    if (tracked !== null && !tracked.news) return; // the stream reported it first
    let state: { quantity: Decimal; limitPrice: Decimal | null; triggerPrice: Decimal | null } | null = tracked;
    if (state === null) {
      // The adapter never knew this order whole (a restart since it was sent): the exchange's record says what it is now.
      const row = await this.#options.reads.order(subAccountId, instrumentId, clientOrderId);
      if (row === null) return;
      state = { quantity: row.quantity, limitPrice: row.limitPrice, triggerPrice: row.triggerPrice };
      this.#options.tracker.update(subAccountId, row, this.#now());
    }
    this.#report({ type: 'ORDER_AMENDED', subAccountId, clientOrderId, ...state, detail, at: this.#now() });
  }

  /** The ccxt type and side of an order: as sent, or (after a restart) as the exchange has it; null when it has none. */
  async #shape(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<{ type: 'market' | 'limit'; side: 'buy' | 'sell' } | null> {
    const known = this.#shapes.get(`${subAccountId} ${clientOrderId}`);
    if (known !== undefined) return known;
    const row = await this.#options.reads.order(subAccountId, instrumentId, clientOrderId);
    if (row === null) return null;
    const side: Side = row.side;
    return { type: row.type === 'LIMIT' ? 'limit' : 'market', side: side === 'BUY' ? 'buy' : 'sell' };
  }

  /** Asks for the order until the exchange answers or `settleBy` passes. */
  async #ask(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, settleBy: number): Promise<OrderRow | null | 'UNREACHABLE'> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#options.reads.order(subAccountId, instrumentId, clientOrderId);
      } catch (error) {
        if (Date.now() > settleBy || this.#stopped) return 'UNREACHABLE';
        this.#options.logger.debug({ clientOrderId, error: (error as Error).message }, 'asking the exchange for an order failed; asking again');
        await pause(attempt);
      }
    }
  }

  /** Asks for an order whose create has an unknown outcome until it is found or `settleBy` passes; reports what it is. */
  async #settle(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, settleBy: number): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const row = await this.#ask(subAccountId, instrumentId, clientOrderId, settleBy);
      if (row !== null && row !== 'UNREACHABLE') {
        for (const report of this.#options.tracker.update(subAccountId, row, this.#now())) this.#report(report);
        return true;
      }
      // Not there (yet): a request still in flight may land; it is asked for again, never sent again.
      if (row === 'UNREACHABLE' || Date.now() > settleBy || this.#stopped) return false;
      await pause(attempt, 200);
    }
  }

  #accepted(subAccountId: SubAccountId, clientOrderId: ClientOrderId, orderId: string): void {
    const venueOrderId = parseVenueOrderId(orderId);
    if (this.#options.tracker.accept(subAccountId, clientOrderId, venueOrderId)) this.#report({ type: 'ORDER_ACCEPTED', subAccountId, clientOrderId, venueOrderId, at: this.#now() });
  }

  #rejected(order: SubmitOrder, reason: RejectionReason, detail: string): void {
    if (this.#options.tracker.end(order.subAccountId, order.clientOrderId)) this.#report({ type: 'ORDER_REJECTED', subAccountId: order.subAccountId, clientOrderId: order.clientOrderId, reason, detail, at: this.#now() });
  }

  #unknown(order: SubmitOrder, why: string): OutcomeUnknownError {
    this.#options.logger.error({ clientOrderId: order.clientOrderId, subAccountId: order.subAccountId, why }, 'the outcome of a submit is unknown; the order stays PENDING_SUBMIT for reconciliation');
    return new OutcomeUnknownError(`submit of ${order.clientOrderId} to ${this.#options.exchange}: the outcome is unknown (${why}); the order stays PENDING_SUBMIT and reconciliation settles it by its client order ID`);
  }

  #report(report: OrderReport): void {
    if (report.type === 'AMEND_REJECTED') {
      const intercepted = this.#interceptors.get(`${report.subAccountId} ${report.clientOrderId}`);
      if (intercepted !== undefined) return intercepted(report.detail);
    }
    this.#options.emit(report);
  }

  #now(): number {
    return this.#options.clock.now();
  }
}
