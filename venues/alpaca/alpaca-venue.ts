import type { Alpaca } from '@alpacahq/alpaca-trade-api';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError, InvalidInputError, OutcomeUnknownError } from '../../core/errors.ts';
import { instrumentSymbol, isFlotillaClientOrderId, parseClientOrderId, parseIntentId, parseTradeId, parseVenueOrderId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport, RejectionReason, SubmitOrder } from '../../core/order.ts';
import type { FillCursor, FillPage, OrderChanges, OrderToCancel, VenueCapabilities, VenueConnectionEvent, VenueFill, VenueInstrument, VenueOrder, VenuePosition } from '../../core/venue.ts';
import type { LiveVenue, VenueCredentials } from '../registry.ts';
import { AccountApi, executionIdentity, type Chain } from './account-api.ts';
import { classify, createClient, failureError, Redactor, type Failure } from './client.ts';
import { resolveEnvironment, resolveTimeouts, type AlpacaEndpoints, type AlpacaTimeouts } from './config.ts';
import { Exits, FREED_DETAIL, type Holder } from './exits.ts';
import { chainClientOrderId, flotillaIdOf, isEnded, ocoClientOrderId, ocoInput, orderInput, readOrder, resentClientOrderId, statusOf, venueOrderOf, type AlpacaOrderRow } from './mapping.ts';
import { Protection } from './protection.ts';
import { ReportTracker } from './report-tracker.ts';
import { AlpacaSessionClock } from './session-clock.ts';

/**
 * Alpaca (US equities, paper or live) behind Flotilla's Venue contract, on @alpacahq/alpaca-trade-api 4.x. Alpaca has
 * no sub-accounts: each sub-account is an Alpaca account with its own key pair, held here only. Orders carry
 * Flotilla's client order ID; amends are replaces (PATCH), each a new Alpaca order in the same chain; cancels look
 * the order up by client order ID first. See README.md.
 */

export interface AlpacaVenueOptions {
  /** The venue in instrument IDs ("ALPACA"). */
  name: string;
  /** "paper", "live", or a stand-in's URL. */
  environment: string;
  credentials: ReadonlyMap<SubAccountId, VenueCredentials>;
  instruments: readonly Instrument[];
  clock: Clock;
  logger: Logger;
  timeouts?: Partial<AlpacaTimeouts>;
}

type TradingStream = ReturnType<Alpaca['trading']['stream']>;

interface Account {
  readonly subAccountId: SubAccountId;
  readonly api: AccountApi;
  stream: TradingStream | null;
  connected: boolean;
  /** The first listening after start resolves this; later ones are reconnects. */
  readonly firstListening: Promise<void>;
  markListening: () => void;
  everListened: boolean;
}

const CURSOR_PREFIX = 'alpaca1:';
/** Alpaca's documented minimum notional for fractional orders; it publishes no per-asset minimum. */
const MIN_NOTIONAL = Decimal.ONE;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class AlpacaVenue implements LiveVenue {
  readonly name: string;
  readonly capabilities: VenueCapabilities = { amend: true, maxBatchCancel: 1 };
  readonly #endpoints: AlpacaEndpoints;
  readonly #timeouts: AlpacaTimeouts;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #redactor = new Redactor();
  readonly #bySymbol = new Map<string, Instrument>();
  readonly #accounts = new Map<SubAccountId, Account>();
  readonly #tracker = new ReportTracker();
  readonly #protection: Protection;
  /** Alpaca order ID → the Flotilla order (or foreign client_order_id) and its chain's first order ID. */
  readonly #orderNames = new Map<string, { clientOrderId: string; rootId: string }>();
  readonly #submitting = new Map<string, Promise<void>>();
  /**
   * Exit pairs sent as one oco, by "<sub-account> <take-profit or stop ID>": the parent's client_order_id names both,
   * so the pairs are found again after a restart from Alpaca's nested order listing (once per account, on demand).
   */
  readonly #pairs = new Map<string, { takeProfit: ClientOrderId; stop: ClientOrderId; parentClientId: string }>();
  readonly #rediscovered = new Set<SubAccountId>();
  /** Lone protective orders sent again after a close that did not fill, by "<sub-account> <Flotilla ID>": their current client_order_id. */
  readonly #resent = new Map<string, string>();
  #resends = 0;
  readonly #exits: Exits;
  readonly #listeners: Array<(report: ExecutionReport) => void> = [];
  readonly #connectionListeners: Array<(event: VenueConnectionEvent) => void> = [];
  #state: 'NEW' | 'STARTED' | 'STOPPED' = 'NEW';
  /** The US equity session by Alpaca's own clock, asked with any account's keys. */
  readonly marketSession: AlpacaSessionClock;

  constructor(options: AlpacaVenueOptions) {
    this.name = options.name;
    this.#endpoints = resolveEnvironment(options.environment);
    this.#timeouts = resolveTimeouts(options.timeouts);
    this.#clock = options.clock;
    this.#logger = options.logger.child({ venue: this.name });
    for (const instrument of options.instruments) this.#bySymbol.set(instrumentSymbol(instrument.id), instrument);
    this.#protection = new Protection({
      send: (order, quantity) => this.#place(order, quantity),
      sendPair: (stop, takeProfit, quantity) => this.#placePair(stop, takeProfit, quantity),
      resize: async (order, quantity) => void (await this.#replace(order.subAccountId, order.clientOrderId, { quantity }, 'GROWN')),
      cancel: (subAccountId, clientOrderId) => this.#cancelAtAlpaca(subAccountId, clientOrderId),
      report: (report) => this.#emit(report),
      now: () => this.#clock.now(),
      logger: this.#logger,
    });
    this.#exits = new Exits({
      openOrders: (subAccountId) => this.#call(subAccountId, 'GET /v2/orders', (api) => api.openOrders()),
      position: async (subAccountId, symbol) => (await this.#call(subAccountId, 'GET /v2/positions', (api) => api.positions())).find((row) => row.symbol === symbol)?.qty ?? Decimal.ZERO,
      resize: (subAccountId, clientOrderId, quantity) => this.#replace(subAccountId, clientOrderId, { quantity }, 'FREED'),
      cancel: (subAccountId, row) => this.#cancelForExit(subAccountId, row),
      resend: (subAccountId, holder, quantity) => this.#resend(subAccountId, holder, quantity),
      place: (order) => this.#place(order, order.quantity),
      deliver: (report) => this.#emit(report),
      reopen: (subAccountId, clientOrderId) => this.#tracker.reopen(subAccountId, clientOrderId),
      now: () => this.#clock.now(),
      logger: this.#logger,
    });
    for (const [subAccountId, credentials] of options.credentials) this.#addAccount(subAccountId, credentials);
    this.marketSession = new AlpacaSessionClock({ name: this.name, read: () => this.#readClock(), readCalendar: (start, end) => this.#readCalendar(start, end), clock: this.#clock, pollMs: this.#timeouts.clockPollMs, logger: this.#logger });
  }

  async #readClock(): ReturnType<AccountApi['clock']> {
    const account = this.#accounts.values().next().value;
    if (account === undefined) throw new InvalidInputError(`${this.name} has no account to ask its clock with`);
    return this.#call(account.subAccountId, 'GET /v2/clock', (api) => api.clock());
  }

  async #readCalendar(start: string, end: string): ReturnType<AccountApi['calendar']> {
    const account = this.#accounts.values().next().value;
    if (account === undefined) throw new InvalidInputError(`${this.name} has no account to ask its calendar with`);
    return this.#call(account.subAccountId, 'GET /v2/calendar', (api) => api.calendar(start, end));
  }

  async start(): Promise<void> {
    if (this.#state !== 'NEW') return;
    this.#state = 'STARTED';
    const accounts = [...this.#accounts.values()];
    for (const account of accounts) this.#openStream(account);
    await Promise.all([this.#waitListening(accounts), this.marketSession.start()]);
  }

  async openAccount(subAccountId: SubAccountId, credentials: VenueCredentials): Promise<void> {
    if (this.#accounts.has(subAccountId)) throw new InvalidInputError(`${this.name} already has sub-account ${subAccountId}`);
    const account = this.#addAccount(subAccountId, credentials);
    if (this.#state === 'STARTED') {
      this.#openStream(account);
      await this.#waitListening([account]);
    }
  }

  async stop(): Promise<void> {
    if (this.#state === 'STOPPED') return;
    const wasStarted = this.#state === 'STARTED';
    this.#state = 'STOPPED';
    this.marketSession.stop();
    for (const account of this.#accounts.values()) {
      account.stream?.removeAllListeners();
      account.stream?.disconnect();
      account.stream = null;
      if (wasStarted) this.#deliverConnection({ type: 'DISCONNECTED', subAccountId: account.subAccountId, at: this.#clock.now(), detail: 'the adapter stopped' }, true);
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Commands

  async submitOrder(order: SubmitOrder): Promise<void> {
    this.#account(order.subAccountId);
    if (order.parentClientOrderId !== null && order.activatesOnParentFill) {
      // Registered before any await, so a sibling submitted in the same breath is paired with it (one oco).
      if (!this.#protection.isChild(order.subAccountId, order.clientOrderId)) this.#protection.expect(order);
      try {
        await this.#submitChild(order);
      } finally {
        this.#protection.forget(order.subAccountId, order.clientOrderId);
      }
      return;
    }
    const key = `${order.subAccountId} ${order.clientOrderId}`;
    // A close first frees the shares Alpaca holds for its protective orders (exits.ts).
    const running = order.role === 'CLOSE' ? this.#exits.submit(order, instrumentSymbol(order.instrumentId)) : this.#place(order, order.quantity);
    this.#submitting.set(key, running);
    try {
      await running;
    } finally {
      this.#submitting.delete(key);
    }
  }

  async cancelOrder(subAccountId: SubAccountId, _instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void> {
    this.#account(subAccountId);
    await this.#submitting.get(`${subAccountId} ${clientOrderId}`)?.catch(() => undefined);
    if (this.#protection.cancelHeld(subAccountId, clientOrderId)) return;
    await this.#cancelAtAlpaca(subAccountId, clientOrderId);
  }

  async cancelOrders(subAccountId: SubAccountId, orders: readonly OrderToCancel[]): Promise<void> {
    // Alpaca cancels one order per request, by its ID: never all at once.
    for (const { instrumentId, clientOrderId } of orders) await this.cancelOrder(subAccountId, instrumentId, clientOrderId);
  }

  async amendOrder(subAccountId: SubAccountId, _instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): Promise<void> {
    this.#account(subAccountId);
    await this.#submitting.get(`${subAccountId} ${clientOrderId}`)?.catch(() => undefined);
    if (this.#protection.amendHeld(subAccountId, clientOrderId, changes)) return;
    await this.#replace(subAccountId, clientOrderId, changes, 'REQUESTED');
  }

  // ------------------------------------------------------------------------------------------------------
  // Queries

  async queryOrder(subAccountId: SubAccountId, _instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<VenueOrder | null> {
    const held = this.#protection.heldOrder(subAccountId, clientOrderId);
    if (held !== null) return held;
    const chain = await this.#chainOf(subAccountId, clientOrderId);
    if (chain === null) return null;
    return this.#venueOrder(subAccountId, clientOrderId, chain.current, chain.root.id);
  }

  async openOrders(subAccountId: SubAccountId): Promise<VenueOrder[]> {
    const orders = this.#protection.heldOrders(subAccountId);
    const rows = await this.#call(subAccountId, 'GET /v2/orders', (api) => api.openOrders());
    for (const row of rows) {
      this.#learn(subAccountId, row);
      const flotilla = flotillaIdOf(row.clientOrderId);
      const name = flotilla?.id ?? row.clientOrderId;
      const rootId = flotilla === null || flotilla.generation === 0 ? row.id : (this.#orderNames.get(row.id)?.rootId ?? (await this.#rootOf(subAccountId, flotilla.id)));
      const order = this.#venueOrder(subAccountId, name, row, rootId);
      if (order !== null) orders.push(order);
      // An exit pair's stop is the parent's leg, listed inside it.
      for (const leg of row.legs) {
        const known = this.#orderNames.get(leg.id);
        if (known === undefined || isEnded(leg)) continue;
        const listed = this.#venueOrder(subAccountId, known.clientOrderId, leg, known.rootId);
        if (listed !== null) orders.push(listed);
      }
    }
    return orders;
  }

  /** FILL activities after the cursor, oldest first; the cursor is the last activity's ID. */
  async fillsSince(subAccountId: SubAccountId, cursor: FillCursor | null, limit = 100): Promise<FillPage> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInputError(`fillsSince limit must be a positive integer, got ${limit}`);
    if (cursor !== null && !cursor.startsWith(CURSOR_PREFIX)) throw new InvalidInputError(`${JSON.stringify(cursor)} is not an Alpaca fill cursor`);
    const after = cursor === null ? cursor : cursor.slice(CURSOR_PREFIX.length);
    const pageSize = Math.min(limit, 100);
    const rows = await this.#call(subAccountId, 'GET /v2/account/activities', (api) => api.fills(after, after === null ? new Date(this.#clock.now() - this.#timeouts.fillLookbackMs) : null, pageSize));
    const fills: VenueFill[] = [];
    for (const row of rows) {
      const instrument = this.#bySymbol.get(row.symbol);
      if (instrument === undefined) continue;
      const clientOrderId = await this.#clientOrderIdOf(subAccountId, row.orderId);
      fills.push({ tradeId: parseTradeId(row.executionId), clientOrderId, instrumentId: instrument.id, side: row.side, quantity: row.qty, price: row.price, fee: Decimal.ZERO, liquidity: 'TAKER', at: row.at });
    }
    const last = rows.at(-1);
    return { fills, cursor: last === undefined ? cursor : `${CURSOR_PREFIX}${last.id}`, complete: rows.length < pageSize };
  }

  async positions(subAccountId: SubAccountId): Promise<VenuePosition[]> {
    const rows = await this.#call(subAccountId, 'GET /v2/positions', (api) => api.positions());
    const positions: VenuePosition[] = [];
    for (const row of rows) {
      const instrument = this.#bySymbol.get(row.symbol);
      if (instrument !== undefined && !row.qty.isZero()) positions.push({ instrumentId: instrument.id, quantity: row.qty, averagePrice: row.averagePrice });
    }
    return positions;
  }

  /** Equity less the positions' unrealized PnL: cash plus what the positions cost, as the contract counts it. */
  async balance(subAccountId: SubAccountId): Promise<Decimal> {
    const [equity, positions] = await Promise.all([this.equity(subAccountId), this.#call(subAccountId, 'GET /v2/positions', (api) => api.positions())]);
    return positions.reduce((sum, position) => sum.sub(position.unrealized), equity);
  }

  async equity(subAccountId: SubAccountId): Promise<Decimal> {
    return this.#call(subAccountId, 'GET /v2/account', (api) => api.equity());
  }

  /** The fleet's instruments as Alpaca lists its assets (price and trade increments, minimum order size). */
  async instruments(): Promise<VenueInstrument[]> {
    const account = this.#accounts.keys().next();
    if (account.done === true) throw new ConfigurationError(`${this.name} has no account to read assets with`);
    const listed: VenueInstrument[] = [];
    for (const [symbol, instrument] of this.#bySymbol) {
      const asset = await this.#call(account.value, 'GET /v2/assets/{symbol}', (api) => api.asset(symbol));
      if (asset !== null) listed.push({ instrumentId: instrument.id, tickSize: asset.priceIncrement, lotStep: asset.tradeIncrement, minQuantity: asset.minOrderSize, minNotional: MIN_NOTIONAL });
    }
    return listed;
  }

  onExecutionReport(listener: (report: ExecutionReport) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners.splice(index, 1);
    };
  }

  onConnectionEvent(listener: (event: VenueConnectionEvent) => void): () => void {
    this.#connectionListeners.push(listener);
    return () => {
      const index = this.#connectionListeners.indexOf(listener);
      if (index >= 0) this.#connectionListeners.splice(index, 1);
    };
  }

  // ------------------------------------------------------------------------------------------------------
  // Orders at Alpaca

  /** POST /v2/orders; an ambiguous outcome is settled by asking by client order ID, never by sending again. */
  async #place(order: SubmitOrder, quantity: Decimal): Promise<void> {
    const input = orderInput(order, instrumentSymbol(order.instrumentId), quantity);
    await this.#post(order.subAccountId, order.clientOrderId, input, [order]);
  }

  /** An exit pair as one oco: the take-profit the parent (its client_order_id names both), the stop its leg. */
  async #placePair(stop: SubmitOrder, takeProfit: SubmitOrder, quantity: Decimal): Promise<void> {
    const parentClientId = ocoClientOrderId(takeProfit.clientOrderId, stop.clientOrderId);
    this.#pair(stop.subAccountId, { takeProfit: takeProfit.clientOrderId, stop: stop.clientOrderId, parentClientId });
    const input = ocoInput(takeProfit, stop, instrumentSymbol(takeProfit.instrumentId), quantity);
    await this.#post(stop.subAccountId, parentClientId, input, [takeProfit, stop]);
  }

  async #post(subAccountId: SubAccountId, sentClientId: string, input: Record<string, unknown>, orders: readonly SubmitOrder[]): Promise<void> {
    const api = this.#account(subAccountId).api;
    const named = orders.map((order) => order.clientOrderId).join(' + ');
    const deadline = Date.now() + this.#timeouts.settleMs;
    for (;;) {
      let failure: Failure;
      try {
        const row = await api.place(input);
        this.#reportPlaced(subAccountId, row, row.id, orders);
        return;
      } catch (error) {
        failure = classify(error, this.#redactor);
      }
      if (failure.kind === 'REFUSED') {
        if (failure.status === 422 && /client_order_id must be unique/i.test(failure.message)) {
          // Unique forever at Alpaca: the order exists. Report what it is.
          await this.#settle(subAccountId, sentClientId, orders, 'a reused client_order_id (422)');
          return;
        }
        if (failure.status === 401) throw new ConfigurationError(`${this.name} ${subAccountId}: the key pair was refused (${failure.message})`);
        if (failure.status === 429) throw failureError(failure, `${this.name} ${subAccountId} submit ${named}`);
        for (const order of orders) this.#emit({ type: 'ORDER_REJECTED', subAccountId, clientOrderId: order.clientOrderId, reason: rejectionReason(failure), detail: failure.message, at: this.#clock.now() });
        return;
      }
      if (failure.kind === 'NOT_SENT' && Date.now() < deadline) {
        await pause(Math.min(250, this.#timeouts.requestMs));
        continue;
      }
      if (failure.kind === 'NOT_SENT') throw failureError(failure, `${this.name} ${subAccountId} submit ${named} never reached Alpaca`);
      this.#logger.warn({ subAccountId, clientOrderId: named, error: failure.message }, 'submit outcome unknown; asking Alpaca by client order ID');
      await this.#settle(subAccountId, sentClientId, orders, failure.message);
      return;
    }
  }

  /** A placed order (or oco) as Alpaca answered it: the parent under the first order's ID, an oco's leg under the stop's. */
  #reportPlaced(subAccountId: SubAccountId, row: AlpacaOrderRow, rootId: string, orders: readonly SubmitOrder[]): void {
    const [first, stop] = orders;
    if (first === undefined) return;
    this.#remember(row, first.clientOrderId, rootId);
    this.#learn(subAccountId, row);
    this.#reportRow(subAccountId, first.clientOrderId, row, rootId);
    if (stop === undefined) return;
    const leg = row.legs[0];
    if (leg === undefined) {
      this.#logger.warn({ subAccountId, clientOrderId: stop.clientOrderId }, 'an oco answer without its stop leg; the stop is looked up again by the gap-fill or reconciliation');
      return;
    }
    this.#reportRow(subAccountId, stop.clientOrderId, leg, this.#orderNames.get(leg.id)?.rootId ?? leg.id);
  }

  /** Asks by client order ID until Alpaca answers or settleMs passes; reports what it finds, never sends again. */
  async #settle(subAccountId: SubAccountId, sentClientId: string, orders: readonly SubmitOrder[], why: string): Promise<void> {
    const api = this.#account(subAccountId).api;
    const deadline = Date.now() + this.#timeouts.settleMs;
    let last = why;
    while (Date.now() < deadline) {
      try {
        const chain = await api.chain(sentClientId);
        if (chain === null) break;
        this.#reportPlaced(subAccountId, chain.current, chain.root.id, orders);
        return;
      } catch (error) {
        last = classify(error, this.#redactor).message;
        await pause(Math.min(250, this.#timeouts.requestMs));
      }
    }
    throw new OutcomeUnknownError(`${this.name} ${subAccountId} submit ${orders.map((order) => order.clientOrderId).join(' + ')}: ${last}; Alpaca does not (yet) list it by client order ID; reconciliation settles it`);
  }

  // ------------------------------------------------------------------------------------------------------
  // Exit pairs (oco)

  #pair(subAccountId: SubAccountId, pair: { takeProfit: ClientOrderId; stop: ClientOrderId; parentClientId: string }): void {
    this.#pairs.set(`${subAccountId} ${pair.takeProfit}`, pair);
    this.#pairs.set(`${subAccountId} ${pair.stop}`, pair);
  }

  /** What an Alpaca order tells of exit pairs: an oco parent's client_order_id names both orders; its leg is the stop. */
  #learn(subAccountId: SubAccountId, row: AlpacaOrderRow): void {
    const flotilla = flotillaIdOf(row.clientOrderId);
    if (flotilla === null) return;
    // An order sent again (exits.ts) is the one to follow while it is open; an ended first one never displaces it.
    const open = !isEnded(row) && row.status !== 'replaced';
    if (flotilla.stopLeg === null) {
      if (flotilla.sentAs !== flotilla.id && open) this.#resent.set(`${subAccountId} ${flotilla.id}`, flotilla.sentAs);
      return;
    }
    const known = this.#pairs.get(`${subAccountId} ${flotilla.id}`);
    if (known === undefined || known.parentClientId === flotilla.sentAs || open) this.#pair(subAccountId, { takeProfit: flotilla.id, stop: flotilla.stopLeg, parentClientId: flotilla.sentAs });
    for (const leg of row.legs) {
      if (this.#orderNames.has(leg.id)) continue;
      // A replaced leg's successor keeps the chain's first order as its venue order ID.
      const rootId = (leg.replaces === null ? undefined : this.#orderNames.get(leg.replaces)?.rootId) ?? leg.id;
      this.#orderNames.set(leg.id, { clientOrderId: flotilla.stopLeg, rootId });
    }
  }

  /** The exit pair a stop or take-profit belongs to; after a restart, found once per account in Alpaca's listing. */
  async #pairOf(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Promise<{ takeProfit: ClientOrderId; stop: ClientOrderId; parentClientId: string } | null> {
    const known = this.#pairs.get(`${subAccountId} ${clientOrderId}`);
    if (known !== undefined) return known;
    if (!/_[ST][0-9a-z]+$/.test(clientOrderId) || this.#rediscovered.has(subAccountId)) return null;
    await this.#rediscover(subAccountId);
    return this.#pairs.get(`${subAccountId} ${clientOrderId}`) ?? null;
  }

  async #rediscover(subAccountId: SubAccountId): Promise<void> {
    const rows = await this.#call(subAccountId, 'GET /v2/orders?status=all&nested=true', (api) => api.recentOrders());
    this.#rediscovered.add(subAccountId);
    for (const row of rows) this.#learn(subAccountId, row);
  }

  /**
   * A Flotilla order's chain at Alpaca: by its client order ID, or, for an exit pair, the oco parent's chain (the
   * take-profit) or the parent's current stop leg (the stop; Alpaca names the leg itself).
   */
  async #chainOf(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Promise<Chain | null> {
    const pair = await this.#pairOf(subAccountId, clientOrderId);
    if (pair === null) {
      const chain = await this.#call(subAccountId, 'GET /v2/orders:by_client_order_id', (api) => api.chain(this.#resent.get(`${subAccountId} ${clientOrderId}`) ?? clientOrderId));
      // A lone stop or take-profit cancelled for a close and sent again under a new client_order_id: after a restart
      // it is found in the listing.
      if (chain === null || !isEnded(chain.current) || this.#rediscovered.has(subAccountId) || !/_[ST][0-9a-z]+$/.test(clientOrderId)) return chain;
      await this.#rediscover(subAccountId);
      const resent = this.#resent.get(`${subAccountId} ${clientOrderId}`);
      return resent === undefined ? chain : this.#call(subAccountId, 'GET /v2/orders:by_client_order_id', (api) => api.chain(resent));
    }
    const parent = await this.#call(subAccountId, 'GET /v2/orders:by_client_order_id', (api) => api.chain(pair.parentClientId));
    if (parent === null) return null;
    this.#learn(subAccountId, parent.current);
    if (clientOrderId === pair.takeProfit) return parent;
    const leg = parent.current.legs[0];
    if (leg === undefined) return null;
    const rootId = this.#orderNames.get(leg.id)?.rootId ?? leg.id;
    return { root: { ...leg, id: rootId }, current: leg, generation: 0 };
  }

  async #cancelAtAlpaca(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Promise<void> {
    const api = this.#account(subAccountId).api;
    // An exit pair's order is cancelled by its own Alpaca ID; Alpaca ends the pair's other order with it.
    const chain = await this.#chainOf(subAccountId, clientOrderId);
    if (chain === null) {
      this.#emit({ type: 'CANCEL_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail: 'Alpaca has no order with this client order ID', at: this.#clock.now() });
      return;
    }
    this.#remember(chain.current, clientOrderId, chain.root.id);
    if (isEnded(chain.current)) {
      this.#reportRow(subAccountId, clientOrderId, chain.current, chain.root.id);
      this.#emit({ type: 'CANCEL_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail: `order is already ${statusOf(chain.current)}`, at: this.#clock.now() });
      return;
    }
    try {
      await api.cancel(chain.current.id);
    } catch (error) {
      const failure = classify(error, this.#redactor);
      if (failure.kind === 'REFUSED' && failure.status !== 422 && failure.status !== 404) throw failureError(failure, `${this.name} ${subAccountId} cancel ${clientOrderId}`);
      // 422 (no longer cancelable) or an unknown outcome: what Alpaca holds now says which.
    }
    const now = await this.#call(subAccountId, 'GET /v2/orders/{id}', (client) => client.byId(chain.current.id));
    this.#reportRow(subAccountId, clientOrderId, now, chain.root.id);
  }

  /**
   * PATCH /v2/orders/{id}: the next order of the chain, reported as ORDER_AMENDED; `why`: asked for, a held child's
   * growth, or shares freed for a close (or given back). True when Alpaca made the replacement.
   */
  async #replace(subAccountId: SubAccountId, clientOrderId: ClientOrderId, changes: OrderChanges, why: 'REQUESTED' | 'GROWN' | 'FREED'): Promise<boolean> {
    const api = this.#account(subAccountId).api;
    const pair = await this.#pairOf(subAccountId, clientOrderId);
    const chain = await this.#chainOf(subAccountId, clientOrderId);
    const refuse = (reason: RejectionReason, detail: string): false => (this.#emit({ type: 'AMEND_REJECTED', subAccountId, clientOrderId, reason, detail, at: this.#clock.now() }), false);
    if (chain === null) return refuse('UNKNOWN_ORDER', 'Alpaca has no order with this client order ID');
    if (isEnded(chain.current)) return refuse('UNKNOWN_ORDER', `order is already ${statusOf(chain.current)}`);
    // An oco's stop leg is replaced by its own Alpaca ID and keeps an Alpaca-made client_order_id (the pair's parent
    // names it); any other order's replacement is the next of its chain of client_order_ids.
    const leg = pair !== null && pair.stop === clientOrderId;
    const next = leg ? null : chainClientOrderId(pair?.parentClientId ?? this.#resent.get(`${subAccountId} ${clientOrderId}`) ?? clientOrderId, chain.generation + 1);
    const patch = {
      ...(next === null ? {} : { clientOrderId: next }),
      ...(changes.quantity === undefined ? {} : { qty: changes.quantity.toString() }),
      ...(changes.limitPrice === undefined ? {} : { limitPrice: changes.limitPrice.toString() }),
      ...(changes.triggerPrice === undefined ? {} : { stopPrice: changes.triggerPrice.toString() }),
    };
    let row: AlpacaOrderRow;
    try {
      row = await api.replace(chain.current.id, patch);
    } catch (error) {
      const failure = classify(error, this.#redactor);
      if (failure.kind === 'REFUSED') return refuse(rejectionReason(failure), failure.message);
      // Ambiguous: the replacement exists if Alpaca knows its client order ID (a leg: if the pair's leg is a new order).
      const landed = next === null ? await this.#chainOf(subAccountId, clientOrderId).then((now) => (now === null || now.current.id === chain.current.id ? null : now.current)) : await this.#call(subAccountId, 'GET /v2/orders:by_client_order_id', (client) => client.byClientId(next));
      if (landed === null) throw failureError(failure, `${this.name} ${subAccountId} replace ${clientOrderId} (not applied)`);
      row = landed;
    }
    this.#remember(row, clientOrderId, chain.root.id);
    this.#learn(subAccountId, row);
    const detail = why === 'GROWN' ? 'grown with its entry' : why === 'FREED' ? FREED_DETAIL : 'replaced on request';
    this.#emit({ type: 'ORDER_AMENDED', subAccountId, clientOrderId, quantity: row.qty, limitPrice: row.limitPrice, triggerPrice: row.stopPrice, detail, at: this.#clock.now() });
    return true;
  }

  /**
   * DELETE /v2/orders/{id} of a protective order (an oco's parent ends its leg too), then asks until Alpaca lists it
   * ended: a DELETE is only a request (the order is `pending_cancel` until Alpaca ends it), and its shares are held
   * until then. True when it ended with nothing filled.
   */
  async #cancelForExit(subAccountId: SubAccountId, row: AlpacaOrderRow): Promise<boolean> {
    const api = this.#account(subAccountId).api;
    try {
      await api.cancel(row.id);
    } catch (error) {
      const failure = classify(error, this.#redactor);
      if (failure.kind === 'REFUSED' && failure.status !== 422 && failure.status !== 404) return false;
    }
    const deadline = Date.now() + this.#timeouts.settleMs;
    for (;;) {
      const now = await this.#call(subAccountId, 'GET /v2/orders/{id}', (client) => client.byId(row.id)).catch(() => null);
      // Ended: freed only if nothing of it filled meanwhile (a stop that fired took the shares itself).
      if (now !== null && isEnded(now) && now.legs.every(isEnded)) return [now, ...now.legs].every((order) => order.filledQty.isZero());
      if (Date.now() >= deadline) return false;
      await pause(Math.min(100, this.#timeouts.requestMs));
    }
  }

  /**
   * A protective order (or oco) cancelled to free shares for a close that then did not fill, sent again under the same
   * Flotilla IDs with a new client_order_id (see exits.ts); false when Alpaca refused it or its outcome stayed unknown.
   */
  async #resend(subAccountId: SubAccountId, holder: Holder, quantity: Decimal): Promise<boolean> {
    const instrument = this.#bySymbol.get(holder.row.symbol);
    if (instrument === undefined) return false;
    const leg = holder.row.legs[0];
    const base = (id: ClientOrderId, role: 'STOP' | 'TAKE_PROFIT', type: 'STOP_MARKET' | 'LIMIT', limitPrice: Decimal | null, triggerPrice: Decimal | null): SubmitOrder => ({
      clientOrderId: id, botId: parseClientOrderId(id).bot, subAccountId, intentId: parseIntentId(`resend.${id}`), instrumentId: instrument.id, role, side: holder.row.side, type, quantity,
      limitPrice, triggerPrice, timeInForce: 'GTC', reduceOnly: true, parentClientOrderId: null, activatesOnParentFill: false,
    });
    const attempt = ++this.#resends;
    let sent: string;
    let input: Record<string, unknown>;
    let orders: SubmitOrder[];
    const symbol = holder.row.symbol;
    if (holder.takeProfit !== null && holder.stop !== null) {
      const takeProfit = base(holder.takeProfit, 'TAKE_PROFIT', 'LIMIT', holder.row.limitPrice, null);
      const stop = base(holder.stop, 'STOP', 'STOP_MARKET', null, leg?.stopPrice ?? null);
      sent = resentClientOrderId(ocoClientOrderId(holder.takeProfit, holder.stop), this.#clock.now(), attempt);
      input = { ...ocoInput(takeProfit, stop, symbol, quantity), clientOrderId: sent };
      orders = [takeProfit, stop];
      this.#pair(subAccountId, { takeProfit: holder.takeProfit, stop: holder.stop, parentClientId: sent });
    } else {
      const id = (holder.stop ?? holder.takeProfit) as ClientOrderId;
      const order = holder.stop !== null ? base(id, 'STOP', 'STOP_MARKET', null, holder.row.stopPrice) : base(id, 'TAKE_PROFIT', 'LIMIT', holder.row.limitPrice, null);
      sent = resentClientOrderId(id, this.#clock.now(), attempt);
      input = { ...orderInput(order, symbol, quantity), clientOrderId: sent };
      orders = [order];
      this.#resent.set(`${subAccountId} ${id}`, sent);
    }
    let refused = false;
    const stopWatching = this.onExecutionReport((report) => {
      if (report.type === 'ORDER_REJECTED' && orders.some((order) => order.clientOrderId === report.clientOrderId)) refused = true;
    });
    try {
      await this.#post(subAccountId, sent, input, orders);
    } catch {
      return false;
    } finally {
      stopWatching();
    }
    return !refused;
  }

  async #submitChild(order: SubmitOrder): Promise<void> {
    const { subAccountId, clientOrderId } = order;
    const parentId = order.parentClientOrderId as ClientOrderId;
    if (this.#protection.isHeld(subAccountId, clientOrderId)) return;
    const sent = await this.#chainOf(subAccountId, clientOrderId);
    if (sent !== null) {
      this.#reportRow(subAccountId, clientOrderId, sent.current, sent.root.id);
      return;
    }
    await this.#submitting.get(`${subAccountId} ${parentId}`)?.catch(() => undefined);
    const parent = await this.#call(subAccountId, 'GET /v2/orders:by_client_order_id', (api) => api.chain(parentId));
    if (parent === null) {
      this.#emit({ type: 'ORDER_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail: `parent ${parentId} is not an order of this account at Alpaca`, at: this.#clock.now() });
      return;
    }
    await this.#protection.hold(order, parent.current.filledQty, isEnded(parent.current));
  }

  // ------------------------------------------------------------------------------------------------------
  // The trade_updates stream

  #openStream(account: Account): void {
    const stream = account.api.client.trading.stream({
      ...(this.#endpoints.tradingStreamUrl === undefined ? {} : { url: this.#endpoints.tradingStreamUrl }),
      // The SDK gives up after 10 attempts by default; an order path never does.
      maxReconnectAttempts: -1,
      initialReconnectMs: this.#timeouts.reconnectMinMs,
      maxReconnectMs: this.#timeouts.reconnectMaxMs,
    });
    account.stream = stream;
    stream.onTradeUpdate((update) => this.#onTradeUpdate(account, update as unknown as Record<string, unknown>));
    stream.on('subscription', () => this.#onListening(account));
    stream.onDisconnect(() => {
      if (!account.connected) return;
      account.connected = false;
      this.#deliverConnection({ type: 'DISCONNECTED', subAccountId: account.subAccountId, at: this.#clock.now(), detail: 'the trade_updates stream closed; reconnecting' }, false);
    });
    stream.onError((message) => this.#logger.warn({ subAccountId: account.subAccountId, error: this.#redactor.scrub(String(message)) }, 'trade_updates stream error'));
    stream.subscribeTradeUpdates();
    stream.connect();
  }

  #onListening(account: Account): void {
    if (this.#state === 'STOPPED') return;
    account.connected = true;
    const reconnect = account.everListened;
    account.everListened = true;
    account.markListening();
    this.#deliverConnection({ type: 'CONNECTED', subAccountId: account.subAccountId, at: this.#clock.now() }, false);
    if (reconnect) void this.#gapFill(account);
  }

  /** After a reconnect: the fills and order states Alpaca did not push meanwhile (nothing is replayed), from REST. */
  async #gapFill(account: Account): Promise<void> {
    const { subAccountId } = account;
    try {
      const since = this.#tracker.lastFillId(subAccountId);
      let page = since;
      for (;;) {
        const rows = await account.api.fills(page, page === null ? new Date(this.#clock.now() - this.#timeouts.fillLookbackMs) : null, 100);
        for (const row of rows) {
          const instrument = this.#bySymbol.get(row.symbol);
          const clientOrderId = await this.#clientOrderIdOf(subAccountId, row.orderId);
          if (instrument === undefined || !isFlotillaClientOrderId(clientOrderId)) continue;
          this.#emitFill(subAccountId, clientOrderId as ClientOrderId, instrument.id, { executionId: row.executionId, activityId: row.id, side: row.side, qty: row.qty, price: row.price, cumQty: row.cumQty, leavesQty: row.leavesQty, at: row.at });
        }
        if (rows.length < 100) break;
        page = rows.at(-1)?.id ?? null;
      }
      for (const open of this.#tracker.openOrders(subAccountId)) {
        const chain = await this.#chainOf(subAccountId, open);
        if (chain !== null) this.#reportRow(subAccountId, open, chain.current, chain.root.id);
      }
      for (const parent of this.#protection.parentsOf(subAccountId)) {
        const chain = await account.api.chain(parent);
        if (chain !== null) await this.#protection.parentState(subAccountId, parent, chain.current.filledQty, isEnded(chain.current));
      }
      this.#deliverConnection({ type: 'RESYNCED', subAccountId, at: this.#clock.now() }, false);
    } catch (error) {
      this.#logger.warn({ subAccountId, error: classify(error, this.#redactor).message }, 'gap-fill after a reconnect failed; reconciliation (on CONNECTED) covers it');
    }
  }

  /** Every event type of VENUES.md is handled here or explicitly ignored. */
  #onTradeUpdate(account: Account, update: Record<string, unknown>): void {
    if (this.#state === 'STOPPED') return;
    const { subAccountId } = account;
    let row: AlpacaOrderRow;
    try {
      row = readOrder(update['order'], 'trade_updates order');
    } catch (error) {
      this.#logger.warn({ subAccountId, error: (error as Error).message }, 'a trade update without a readable order; left to reconciliation');
      return;
    }
    const flotilla = flotillaIdOf(row.clientOrderId);
    let clientOrderId: ClientOrderId;
    let rootId: string;
    if (flotilla !== null) {
      this.#learn(subAccountId, row);
      clientOrderId = flotilla.id;
      rootId = this.#orderNames.get(row.id)?.rootId ?? (flotilla.generation === 0 ? row.id : (row.replaces ?? row.id));
    } else {
      // An exit pair's stop leg carries a client_order_id Alpaca made: it is known by its order ID (or its predecessor's).
      const leg = this.#orderNames.get(row.id) ?? (row.replaces === null ? undefined : this.#orderNames.get(row.replaces));
      if (leg === undefined || !isFlotillaClientOrderId(leg.clientOrderId)) return;
      clientOrderId = leg.clientOrderId as ClientOrderId;
      rootId = leg.rootId;
    }
    this.#remember(row, clientOrderId, rootId);
    const at = typeof update['timestamp'] === 'string' ? Date.parse(update['timestamp']) : this.#clock.now();
    const event = String(update['event'] ?? '');
    switch (event) {
      case 'new':
      case 'canceled':
      case 'expired':
      case 'rejected':
        this.#reportRow(subAccountId, clientOrderId, row, rootId);
        return;
      case 'fill':
      case 'partial_fill': {
        const instrument = this.#bySymbol.get(row.symbol);
        const qty = update['qty'];
        const price = update['price'];
        if (instrument === undefined || typeof qty !== 'string' || typeof price !== 'string' || !row.filledQty.isPositive()) {
          this.#logger.warn({ subAccountId, clientOrderId, event }, 'a fill update without qty, price or filled_qty; the gap-fill or reconciliation books it');
          return;
        }
        this.#emitFill(subAccountId, clientOrderId, instrument.id, {
          // The identity the FILL activity gives the same execution (not execution_id: see executionIdentity).
          executionId: executionIdentity(row.id, row.filledQty),
          activityId: null,
          side: row.side,
          qty: Decimal.parse(qty, 'fill qty'),
          price: Decimal.parse(price, 'fill price'),
          cumQty: row.filledQty,
          leavesQty: event === 'fill' ? Decimal.ZERO : row.qty.sub(row.filledQty),
          at: Number.isNaN(at) ? this.#clock.now() : at,
        });
        return;
      }
      case 'replaced':
        // The old order of a chain: its successor is now the order; the replace was reported when it was made.
        return;
      case 'order_replace_rejected':
        this.#emit({ type: 'AMEND_REJECTED', subAccountId, clientOrderId, reason: 'VENUE_ERROR', detail: 'Alpaca rejected the replacement', at: this.#clock.now() });
        return;
      case 'order_cancel_rejected':
        this.#emit({ type: 'CANCEL_REJECTED', subAccountId, clientOrderId, reason: 'VENUE_ERROR', detail: 'Alpaca rejected the cancel', at: this.#clock.now() });
        return;
      case 'pending_new':
      case 'pending_cancel':
      case 'pending_replace':
      case 'stopped':
      case 'calculated':
      case 'done_for_day':
      case 'suspended':
      case 'held':
      case 'accepted':
        // Transitional or informational: the outcome follows as its own event.
        return;
      default:
        this.#logger.warn({ subAccountId, event }, 'a trade update of a type Flotilla does not know; ignored, reconciliation compares orders');
    }
  }

  #emitFill(subAccountId: SubAccountId, clientOrderId: ClientOrderId, instrumentId: InstrumentId, fill: { executionId: string; activityId: string | null; side: 'BUY' | 'SELL'; qty: Decimal; price: Decimal; cumQty: Decimal; leavesQty: Decimal; at: number }): void {
    if (fill.activityId !== null) this.#tracker.sawFillActivity(subAccountId, fill.activityId);
    if (!this.#tracker.firstExecution(subAccountId, fill.executionId)) return;
    this.#emit({
      type: 'ORDER_FILLED',
      subAccountId,
      fill: { tradeId: parseTradeId(fill.executionId), clientOrderId, instrumentId, side: fill.side, quantity: fill.qty, price: fill.price, fee: Decimal.ZERO, liquidity: 'TAKER', at: fill.at },
      cumulativeQuantity: fill.cumQty,
      leavesQuantity: fill.leavesQty,
    });
    void this.#protection.parentTraded(subAccountId, clientOrderId, fill.cumQty, fill.leavesQty.isZero());
  }

  /** The state of an order as Alpaca holds it, reported once: accepted, and its end when it has ended (fills come from executions). */
  #reportRow(subAccountId: SubAccountId, clientOrderId: ClientOrderId, row: AlpacaOrderRow, rootId: string): void {
    const at = this.#clock.now();
    if (row.status === 'rejected') {
      if (this.#tracker.end(subAccountId, clientOrderId)) this.#emit({ type: 'ORDER_REJECTED', subAccountId, clientOrderId, reason: 'VENUE_ERROR', detail: 'Alpaca rejected the order', at });
      return;
    }
    if (this.#tracker.accept(subAccountId, clientOrderId)) this.#emit({ type: 'ORDER_ACCEPTED', subAccountId, clientOrderId, venueOrderId: parseVenueOrderId(rootId), at });
    const status = statusOf(row);
    if ((status === 'CANCELED' || status === 'EXPIRED') && this.#tracker.end(subAccountId, clientOrderId)) {
      this.#emit({ type: status === 'CANCELED' ? 'ORDER_CANCELED' : 'ORDER_EXPIRED', subAccountId, clientOrderId, detail: `Alpaca status ${row.status}`, at });
    }
    if (status === 'FILLED') this.#tracker.end(subAccountId, clientOrderId);
  }

  // ------------------------------------------------------------------------------------------------------

  #addAccount(subAccountId: SubAccountId, credentials: VenueCredentials): Account {
    if (credentials.key === '' || credentials.secret === '') throw new ConfigurationError(`${this.name} sub-account ${subAccountId}: the key and secret must both be set`);
    this.#redactor.add(credentials);
    let markListening: () => void = () => {};
    const firstListening = new Promise<void>((resolve) => (markListening = resolve));
    const account: Account = { subAccountId, api: new AccountApi(createClient(this.#endpoints, credentials, this.#timeouts)), stream: null, connected: false, firstListening, markListening, everListened: false };
    account.markListening = markListening;
    this.#accounts.set(subAccountId, account);
    return account;
  }

  #account(subAccountId: SubAccountId): Account {
    const account = this.#accounts.get(subAccountId);
    if (account === undefined) throw new InvalidInputError(`${this.name} has no account for sub-account ${subAccountId}`);
    return account;
  }

  async #waitListening(accounts: Account[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'TIMEOUT'>((resolve) => (timer = setTimeout(() => resolve('TIMEOUT'), this.#timeouts.connectMs)));
    const outcome = await Promise.race([Promise.all(accounts.map((account) => account.firstListening)), waited]);
    clearTimeout(timer);
    if (outcome === 'TIMEOUT') this.#logger.warn({ subAccounts: accounts.filter((account) => !account.connected).map((account) => account.subAccountId) }, 'trade_updates streams not listening yet; they keep trying, and those sub-accounts wait for CONNECTED');
  }

  async #call<T>(subAccountId: SubAccountId, route: string, request: (api: AccountApi) => Promise<T>): Promise<T> {
    try {
      return await request(this.#account(subAccountId).api);
    } catch (error) {
      if (error instanceof InvalidInputError) throw error;
      throw failureError(classify(error, this.#redactor), `${this.name} ${subAccountId} ${route}`);
    }
  }

  #remember(row: AlpacaOrderRow, clientOrderId: string, rootId: string): void {
    this.#orderNames.set(row.id, { clientOrderId, rootId });
  }

  async #rootOf(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Promise<string> {
    const chain: Chain | null = await this.#chainOf(subAccountId, clientOrderId);
    return chain?.root.id ?? clientOrderId;
  }

  /** The Flotilla order (or foreign client_order_id) of an Alpaca order ID, asked once and remembered. */
  async #clientOrderIdOf(subAccountId: SubAccountId, orderId: string): Promise<string> {
    const known = this.#orderNames.get(orderId);
    if (known !== undefined) return known.clientOrderId;
    const row = await this.#call(subAccountId, 'GET /v2/orders/{id}', (api) => api.byId(orderId));
    this.#learn(subAccountId, row);
    if (flotillaIdOf(row.clientOrderId) === null && !this.#rediscovered.has(subAccountId)) {
      // Perhaps an exit pair's stop leg (Alpaca names it): its parent, in the listing, says whose it is.
      await this.#rediscover(subAccountId);
      const leg = this.#orderNames.get(orderId);
      if (leg !== undefined) return leg.clientOrderId;
    }
    const flotilla = flotillaIdOf(row.clientOrderId);
    const name = flotilla?.id ?? row.clientOrderId;
    this.#orderNames.set(orderId, { clientOrderId: name, rootId: flotilla === null || flotilla.generation === 0 ? row.id : (row.replaces ?? row.id) });
    return name;
  }

  #venueOrder(subAccountId: SubAccountId, clientOrderId: string, row: AlpacaOrderRow, rootId: string): VenueOrder | null {
    const instrument = this.#bySymbol.get(row.symbol);
    if (instrument === undefined) return null;
    return venueOrderOf(row, instrument.id, clientOrderId, rootId, this.#protection.isChild(subAccountId, clientOrderId));
  }

  #emit(report: ExecutionReport): void {
    if (this.#state === 'STOPPED') return;
    // What freeing shares for a working close did to its protection waits for the close's end (exits.ts).
    if (this.#exits.hold(report)) return;
    if (report.type !== 'FUNDING_SETTLED' && report.type !== 'ORDER_FILLED' && !isFlotillaClientOrderId(report.clientOrderId)) return;
    if (report.type === 'ORDER_CANCELED' || report.type === 'ORDER_EXPIRED' || report.type === 'ORDER_REJECTED') this.#tracker.end(report.subAccountId, report.clientOrderId);
    if (report.type === 'ORDER_FILLED' && report.leavesQuantity.isZero()) this.#tracker.end(report.subAccountId, report.fill.clientOrderId);
    for (const listener of [...this.#listeners]) {
      try {
        listener(report);
      } catch (error) {
        this.#logger.error({ reportType: report.type, error: this.#redactor.scrub(String(error)) }, 'an execution report listener threw; the other listeners and later reports are still delivered');
      }
    }
    this.#protection.observe(report);
    this.#exits.observe(report);
  }

  #deliverConnection(event: VenueConnectionEvent, evenIfStopped: boolean): void {
    if (this.#state === 'STOPPED' && !evenIfStopped) return;
    for (const listener of [...this.#connectionListeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ event: event.type, error: this.#redactor.scrub(String(error)) }, 'a connection event listener threw');
      }
    }
  }
}

function rejectionReason(failure: Extract<Failure, { kind: 'REFUSED' }>): RejectionReason {
  if (failure.status === 403) return 'INSUFFICIENT_BALANCE';
  if (failure.status === 404) return 'UNKNOWN_ORDER';
  if (/asset .* not found|invalid symbol/i.test(failure.message)) return 'UNKNOWN_INSTRUMENT';
  if (failure.status === 422 || failure.status === 400) return 'INVALID_ORDER';
  return 'VENUE_ERROR';
}

