import type { Exchange, Order, Trade } from 'ccxt';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError, InvalidInputError, TemporaryVenueError } from '../../core/errors.ts';
import { isFlotillaClientOrderId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../../core/order.ts';
import type { FillCursor, FillPage, OrderChanges, OrderToCancel, VenueCapabilities, VenueConnectionEvent, VenueInstrument, VenueOrder, VenuePosition } from '../../core/venue.ts';
import type { LiveVenue } from '../registry.ts';
import { Brackets } from '../bybit/brackets.ts';
import { SeenExecutions } from '../bybit/executions.ts';
import type { FundingPayment } from '../bybit/funding.ts';
import { OrderTracker } from '../bybit/order-tracker.ts';
import { Redactor } from '../bybit/redact.ts';
import { checkCapabilities } from './capabilities.ts';
import { buildClient, type ClientSetup } from './client.ts';
import { credentialProblem, resolveOptions, type CcxtCredentials, type CcxtVenueOptions, type ResolvedOptions } from './config.ts';
import { FillListing, fillReportOf, readTrade, venueFillOf, type TradeRow } from './fills.ts';
import { Markets } from './markets.ts';
import { readOrder, venueOrderOf } from './order-mapping.ts';
import { OrderCommands } from './orders.ts';
import { describeError } from './outcomes.ts';
import { PrivateStream } from './private-stream.ts';
import type { ExchangeProfile } from './profiles.ts';
import { AccountReads } from './reads.ts';
import { heldVenueOrder } from '../held-order.ts';

/**
 * Any ccxt exchange with a profile (profiles.ts) behind Flotilla's Venue contract. One ccxt client per sub-account
 * holds that sub-account's key and nothing else does; one keyless client loads the markets. Reports come from
 * command answers (accepted, refused, cancelled, amended) and from the private stream (order updates and trades);
 * both pass the same de-duplication, so each is delivered once. Bracket children wait in the adapter for their
 * entry's fill, as in the Bybit adapter (whose order tracker, brackets and redactor this adapter shares). See
 * README.md for the layout.
 */
export class CcxtVenue implements LiveVenue {
  readonly name: string;
  readonly capabilities: VenueCapabilities;
  readonly #options: ResolvedOptions;
  readonly #profile: ExchangeProfile;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #redactor = new Redactor();
  readonly #markets: Markets;
  readonly #tracker = new OrderTracker();
  readonly #seen = new SeenExecutions();
  readonly #reads: AccountReads;
  readonly #commands: OrderCommands;
  readonly #brackets: Brackets;
  readonly #fills: FillListing;
  readonly #clients = new Map<SubAccountId, Exchange>();
  readonly #streams = new Map<SubAccountId, PrivateStream>();
  /** Orders reported accepted and not yet ended, per sub-account: what a gap-fill asks about. */
  readonly #working = new Map<SubAccountId, Map<ClientOrderId, InstrumentId>>();
  /** What each order has filled by the trades seen, for exchanges whose trades do not say. */
  readonly #filled = new Map<string, { quantity: Decimal | null; filled: Decimal }>();
  /** Which market each order the adapter sent is on. */
  readonly #sentOn = new Map<string, InstrumentId>();
  readonly #listeners: Array<(report: ExecutionReport) => void> = [];
  readonly #connectionListeners: Array<(event: VenueConnectionEvent) => void> = [];
  #public: Exchange | null = null;
  #state: 'NEW' | 'STARTING' | 'STARTED' | 'STOPPED' = 'NEW';
  #starting: Promise<void> | null = null;

  constructor(options: CcxtVenueOptions) {
    this.#options = resolveOptions(options);
    this.#profile = checkCapabilities(this.#options.exchange, this.#options.marketType);
    this.name = this.#options.name;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ venue: this.name, exchange: this.#options.exchange });
    this.#markets = new Markets(this.name, this.#options.marketType, this.#logger);
    const { exchange, timeouts } = this.#options;
    this.capabilities = { amend: true, maxBatchCancel: 1, fillSettleMs: timeouts.fillSettleMs };
    const client = (subAccountId: SubAccountId): Exchange => this.#client(subAccountId);
    this.#reads = new AccountReads({ client, profile: this.#profile, markets: this.#markets, exchange, redactor: this.#redactor, logger: this.#logger });
    this.#commands = new OrderCommands({ client, profile: this.#profile, reads: this.#reads, tracker: this.#tracker, markets: this.#markets, exchange, timeouts, clock: this.#clock, logger: this.#logger, redactor: this.#redactor, emit: (report) => this.#emit(report) });
    this.#brackets = new Brackets(
      {
        send: (order, quantity) => this.#send(order, quantity),
        resize: (order, quantity) => this.#commands.resize(order, quantity),
        cancel: (subAccountId, instrumentId, clientOrderId) => this.#commands.cancel(subAccountId, instrumentId, clientOrderId),
        report: (report) => this.#emit(report),
        now: () => this.#clock.now(),
      },
      this.#logger,
    );
    this.#fills = new FillListing({
      fetch: async (subAccountId, symbol, since, until) => (await this.#reads.trades(subAccountId, symbol, since, until)).map((trade) => readTrade(trade, this.#profile, exchange)),
      symbols: () => this.#markets.symbols,
      now: () => this.#clock.now(),
      settleMs: timeouts.fillSettleMs,
      lookbackMs: timeouts.fillLookbackMs,
      windowMs: this.#profile.tradeWindowMs,
    });
  }

  /** Loads the markets, builds one client per sub-account and opens its private stream; resolves once each is subscribed or connectMs has passed. */
  start(): Promise<void> {
    if (this.#state === 'STARTED') return Promise.resolve();
    if (this.#state === 'STOPPED') return Promise.reject(new InvalidInputError(`the ${this.name} venue was stopped; build a new one to connect again`));
    this.#starting ??= this.#start().finally(() => (this.#starting = null));
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.#state = 'STARTING';
    const client = await buildClient(this.#clientSetup(), null);
    try {
      await client.loadMarkets();
    } catch (error) {
      this.#state = 'NEW';
      throw new TemporaryVenueError(`cannot load ${this.#options.exchange}'s markets: ${describeError(error, this.#redactor)}`);
    }
    this.#markets.load(client, this.#options.marketIdOf);
    this.#public = client;
    for (const [subAccountId, credentials] of this.#options.credentials) await this.#openClient(subAccountId, credentials);
    if (this.#state !== 'STARTING') return;
    this.#state = 'STARTED';
    for (const subAccountId of this.#clients.keys()) this.#openStream(subAccountId);
    await this.#streamsConnected([...this.#streams.values()]);
  }

  async stop(): Promise<void> {
    if (this.#state === 'STOPPED') return;
    const wasStarted = this.#state === 'STARTED';
    this.#state = 'STOPPED';
    this.#commands.stop();
    await Promise.all([...this.#streams.values()].map((stream) => stream.close()));
    await Promise.all([this.#public, ...this.#clients.values()].map((client) => client?.close().catch(() => undefined)));
    if (wasStarted) for (const subAccountId of this.#streams.keys()) this.#deliverConnection({ type: 'DISCONNECTED', subAccountId, at: this.#clock.now(), detail: 'stopped' }, true);
  }

  /** Takes a sub-account adopted while the venue runs (a new bot): its key, its client and its private stream. */
  async openAccount(subAccountId: SubAccountId, credentials: CcxtCredentials): Promise<void> {
    const problem = credentialProblem(subAccountId, credentials);
    if (problem !== null) throw new ConfigurationError(`ccxt venue ${this.name}: ${problem}`);
    if (this.#options.credentials.has(subAccountId)) return;
    this.#options.credentials.set(subAccountId, { key: credentials.key, secret: credentials.secret });
    if (this.#state !== 'STARTED') return;
    await this.#openClient(subAccountId, credentials);
    this.#openStream(subAccountId);
    await this.#streamsConnected([this.#streams.get(subAccountId) as PrivateStream]);
  }

  async submitOrder(order: SubmitOrder): Promise<void> {
    this.#client(order.subAccountId);
    if (order.parentClientOrderId !== null && order.activatesOnParentFill) {
      await this.#submitChild(order);
      return;
    }
    await this.#send(order);
  }

  async cancelOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void> {
    await this.#brackets.settled(subAccountId, clientOrderId);
    if (this.#brackets.cancelHeld(subAccountId, clientOrderId, `cancelled before its entry filled; it was never sent to ${this.#options.exchange}`)) return;
    await this.#commands.cancel(subAccountId, instrumentId, clientOrderId);
  }

  /** One cancel per order (capabilities.maxBatchCancel is 1), all under way at once. */
  async cancelOrders(subAccountId: SubAccountId, orders: readonly OrderToCancel[]): Promise<void> {
    await Promise.all(orders.map(({ instrumentId, clientOrderId }) => this.cancelOrder(subAccountId, instrumentId, clientOrderId)));
  }

  async amendOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): Promise<void> {
    await this.#brackets.settled(subAccountId, clientOrderId);
    const held = this.#brackets.amendHeld(subAccountId, clientOrderId, changes);
    if (held !== null) {
      const { quantity, limitPrice, triggerPrice } = held;
      this.#emit({ type: 'ORDER_AMENDED', subAccountId, clientOrderId, quantity, limitPrice, triggerPrice, detail: `amended while held for its entry (not yet at ${this.#options.exchange})`, at: this.#clock.now() });
      return;
    }
    await this.#commands.amend(subAccountId, instrumentId, clientOrderId, changes);
  }

  async queryOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<VenueOrder | null> {
    const held = this.#brackets.held(subAccountId, clientOrderId);
    if (held !== null) return held.instrumentId === instrumentId ? heldVenueOrder(held) : null;
    const row = await this.#reads.order(subAccountId, instrumentId, clientOrderId);
    return row === null ? null : venueOrderOf(row, instrumentId);
  }

  async openOrders(subAccountId: SubAccountId): Promise<VenueOrder[]> {
    const orders: VenueOrder[] = this.#brackets.heldOf(subAccountId).map(heldVenueOrder);
    for (const row of await this.#reads.openOrders(subAccountId)) {
      const instrumentId = this.#markets.instrumentId(row.symbol);
      if (instrumentId !== null) orders.push(venueOrderOf(row, instrumentId));
    }
    return orders;
  }

  async fillsSince(subAccountId: SubAccountId, cursor: FillCursor | null, limit = 500): Promise<FillPage> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInputError(`fillsSince limit must be a positive integer, got ${limit}`);
    this.#client(subAccountId);
    const page = await this.#fills.page(subAccountId, cursor, limit);
    // Funding is not a trade and has no cursor of its own: it is listed over the same window and reported (once per ID).
    if (page.listedFrom !== null) await this.#fundingSince(subAccountId, page.listedFrom);
    const fills = [];
    for (const row of page.rows) {
      const instrumentId = this.#markets.instrumentId(row.symbol);
      if (instrumentId === null) continue;
      // Not marked as seen: whoever asked books these fills; a push of the same trade is still reported (the ledger keeps one per trade ID).
      fills.push(venueFillOf(row, instrumentId));
      if (row.orderQuantity !== null && row.leaves !== null) this.#brackets.parentTraded(subAccountId, row.clientOrderId, row.orderQuantity.sub(row.leaves));
    }
    return { fills, cursor: page.cursor, complete: page.complete };
  }

  async positions(subAccountId: SubAccountId): Promise<VenuePosition[]> {
    return (await this.#reads.positions(subAccountId)).positions;
  }

  async balance(subAccountId: SubAccountId): Promise<Decimal> {
    return this.#reads.balance(subAccountId);
  }

  async equity(subAccountId: SubAccountId): Promise<Decimal> {
    const [balance, { unrealized }] = await Promise.all([this.#reads.balance(subAccountId), this.#reads.positions(subAccountId)]);
    return balance.add(unrealized);
  }

  /** The fleet's instruments as the exchange lists them now (markets loaded again); one it does not list is absent. */
  async instruments(): Promise<VenueInstrument[]> {
    const client = this.#public;
    if (client === null) throw new TemporaryVenueError(`the ${this.name} venue has not started`);
    try {
      await client.loadMarkets(true);
    } catch (error) {
      throw new TemporaryVenueError(`cannot load ${this.#options.exchange}'s markets: ${describeError(error, this.#redactor)}`);
    }
    this.#markets.load(client, this.#options.marketIdOf);
    for (const account of this.#clients.values()) account.setMarkets(client.markets, client.currencies as never);
    return this.#markets.venueInstruments();
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

  #clientSetup(): ClientSetup {
    const { exchange, environment, marketType, timeouts } = this.#options;
    return { exchange, environment, marketType, profile: this.#profile, requestMs: timeouts.requestMs, redactor: this.#redactor };
  }

  #client(subAccountId: SubAccountId): Exchange {
    const client = this.#clients.get(subAccountId);
    if (client === undefined) throw new TemporaryVenueError(this.#state === 'STARTED' ? `the ${this.name} venue holds no key for sub-account ${subAccountId}` : `the ${this.name} venue has not started`);
    return client;
  }

  async #openClient(subAccountId: SubAccountId, credentials: CcxtCredentials): Promise<void> {
    const client = await buildClient(this.#clientSetup(), credentials);
    // The markets are loaded once, by the keyless client, and shared.
    client.setMarkets((this.#public as Exchange).markets, (this.#public as Exchange).currencies as never);
    this.#clients.set(subAccountId, client);
  }

  async #submitChild(order: SubmitOrder): Promise<void> {
    const { subAccountId, clientOrderId } = order;
    const parentId = order.parentClientOrderId as ClientOrderId;
    switch (this.#brackets.whereIs(subAccountId, clientOrderId)) {
      case 'HELD':
        return;
      case 'AT_BYBIT':
        // Sent already: the exchange refuses the ID again, and the order's state is reported.
        await this.#send(order);
        return;
      case 'UNSENT_ENDED':
        this.#emit({ type: 'ORDER_CANCELED', subAccountId, clientOrderId, detail: `cancelled before its entry filled; it was never sent to ${this.#options.exchange}`, at: this.#clock.now() });
        return;
      case null:
        break;
    }
    if (this.#commands.isSubmitting(subAccountId, parentId)) {
      // Sent with its entry, before the entry could fill: the entry's fills arrive on the stream.
      this.#brackets.hold(order, Decimal.ZERO, false);
      return;
    }
    const parent = await this.#reads.order(subAccountId, order.instrumentId, parentId);
    if (parent === null) {
      this.#emit({ type: 'ORDER_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail: `parent ${parentId} is not an order of this sub-account at ${this.#options.exchange}`, at: this.#clock.now() });
      return;
    }
    this.#brackets.hold(order, parent.filled, parent.status !== 'ACCEPTED' && parent.status !== 'PARTIALLY_FILLED');
  }

  #openStream(subAccountId: SubAccountId): void {
    const stream = new PrivateStream({
      subAccountId,
      client: this.#client(subAccountId),
      profile: this.#profile,
      timeouts: this.#options.timeouts,
      clock: this.#clock,
      logger: this.#logger,
      redactor: this.#redactor,
      handlers: {
        onOrders: (sub, orders) => this.#onOrders(sub, orders),
        onTrades: (sub, trades) => this.#onStreamTrades(sub, trades),
        onConnection: (event) => this.#deliverConnection(event, false),
        resync: (sub, downSince) => this.#gapFill(sub, downSince),
      },
    });
    this.#streams.set(subAccountId, stream);
    stream.open();
  }

  async #streamsConnected(streams: PrivateStream[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'TIMEOUT'>((resolve) => (timer = setTimeout(() => resolve('TIMEOUT'), this.#options.timeouts.connectMs)));
    const outcome = await Promise.race([Promise.all(streams.map((stream) => stream.connected)), waited]);
    clearTimeout(timer);
    if (outcome === 'TIMEOUT') {
      const waiting = [...this.#streams].filter(([, stream]) => stream.state !== 'CONNECTED').map(([subAccountId]) => subAccountId);
      this.#logger.warn({ subAccounts: waiting }, `private streams not connected after ${this.#options.timeouts.connectMs} ms; they keep trying, and those sub-accounts wait for CONNECTED`);
    }
  }

  #onOrders(subAccountId: SubAccountId, orders: Order[]): void {
    for (const order of orders) {
      const row = readOrder(order, this.#options.exchange);
      if (row === null) {
        this.#logger.warn({ subAccountId, status: order.status }, 'an order update has a status ccxt did not unify; it is left to reconciliation');
        continue;
      }
      for (const report of this.#tracker.update(subAccountId, row, this.#clock.now())) this.#emit(report);
    }
  }

  /** The trade stream carries funding too (profiles.ts asks for it): funding is reported as such, the rest as fills. */
  #onStreamTrades(subAccountId: SubAccountId, trades: Trade[]): void {
    const rows: TradeRow[] = [];
    for (const trade of trades) {
      const funding = this.#profile.funding?.(trade.info, `${this.#options.exchange} trade ${String(trade.id)}`) ?? null;
      if (funding === null) rows.push(readTrade(trade, this.#profile, this.#options.exchange));
      else this.#onFunding(subAccountId, trade.symbol, funding);
    }
    this.#onTrades(subAccountId, rows);
  }

  /** A funding payment from the stream or a listing: reported once per funding ID (the ledger books one per ID too). */
  #onFunding(subAccountId: SubAccountId, symbol: string | undefined, payment: FundingPayment): void {
    const instrumentId = this.#markets.instrumentId(symbol);
    if (instrumentId === null || !this.#seen.first(subAccountId, payment.fundingId)) return;
    this.#emit({ type: 'FUNDING_SETTLED', subAccountId, instrumentId, ...payment });
  }

  /** Funding settled on the fleet's markets since `since`, window by window as the exchange allows. */
  async #fundingSince(subAccountId: SubAccountId, since: number): Promise<void> {
    const read = this.#profile.funding;
    if (read === null) return;
    const windowMs = this.#profile.tradeWindowMs;
    for (const symbol of this.#markets.symbols) {
      for (let start = since; ; start += windowMs ?? 0) {
        const last = windowMs === null || start + windowMs > this.#clock.now();
        for (const entry of await this.#reads.funding(subAccountId, symbol, start, last ? null : start + (windowMs ?? 0) - 1)) {
          const payment = read(entry.info, `${this.#options.exchange} funding ${String(entry.id)}`);
          if (payment !== null) this.#onFunding(subAccountId, entry.symbol, payment);
        }
        if (last) break;
      }
    }
  }

  /** Trades from the stream or a gap-fill: each reported once, as a fill of its order with how much has filled. */
  #onTrades(subAccountId: SubAccountId, rows: TradeRow[]): void {
    for (const row of rows) {
      if (!this.#seen.first(subAccountId, row.id)) continue;
      const instrumentId = this.#markets.instrumentId(row.symbol);
      if (instrumentId === null || !isFlotillaClientOrderId(row.clientOrderId)) continue;
      const key = `${subAccountId} ${row.clientOrderId}`;
      const progress = this.#filled.get(key) ?? { quantity: null, filled: Decimal.ZERO };
      progress.filled = progress.filled.add(row.quantity);
      this.#filled.set(key, progress);
      // The exchange's own account of the order's progress wins; without one, the trades seen are summed.
      const cumulative = row.orderQuantity !== null && row.leaves !== null ? row.orderQuantity.sub(row.leaves) : progress.filled;
      const leaves = row.leaves ?? (progress.quantity === null ? Decimal.ZERO : progress.quantity.sub(cumulative));
      const report = fillReportOf(subAccountId, row, instrumentId, cumulative, leaves);
      if (report !== null) this.#emit(report);
    }
  }

  /** After a reconnect: the trades since the stream went down, and every order that was working, asked for again. */
  async #gapFill(subAccountId: SubAccountId, downSince: number): Promise<void> {
    const since = downSince - this.#options.timeouts.fillSettleMs;
    for (const symbol of this.#markets.symbols) {
      const trades = await this.#reads.trades(subAccountId, symbol, since, null);
      this.#onTrades(subAccountId, trades.map((trade: Trade) => readTrade(trade, this.#profile, this.#options.exchange)));
    }
    await this.#fundingSince(subAccountId, since);
    for (const [clientOrderId, instrumentId] of [...(this.#working.get(subAccountId) ?? [])]) {
      const row = await this.#reads.order(subAccountId, instrumentId, clientOrderId);
      if (row !== null) for (const report of this.#tracker.update(subAccountId, row, this.#clock.now())) this.#emit(report);
    }
  }

  /** Keeps the set of working orders a gap-fill asks about. */
  #track(report: ExecutionReport): void {
    if (report.type === 'FUNDING_SETTLED') return;
    const clientOrderId = report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
    const key = `${report.subAccountId} ${clientOrderId}`;
    const working = this.#working.get(report.subAccountId) ?? new Map<ClientOrderId, InstrumentId>();
    this.#working.set(report.subAccountId, working);
    if (report.type === 'ORDER_ACCEPTED') {
      const instrumentId = this.#sentOn.get(key);
      if (instrumentId !== undefined) working.set(clientOrderId, instrumentId);
    } else if (report.type === 'ORDER_AMENDED') {
      const progress = this.#filled.get(key);
      if (progress !== undefined) progress.quantity = report.quantity;
    } else if (report.type === 'ORDER_CANCELED' || report.type === 'ORDER_REJECTED' || report.type === 'ORDER_EXPIRED' || (report.type === 'ORDER_FILLED' && report.leavesQuantity.isZero())) {
      working.delete(clientOrderId);
      this.#filled.delete(key);
      this.#sentOn.delete(key);
    }
  }

  /** Sends an order (or a bracket child for `quantity`), remembering its market and size for the stream's fills. */
  #send(order: SubmitOrder, quantity: Decimal = order.quantity): Promise<boolean> {
    const key = `${order.subAccountId} ${order.clientOrderId}`;
    this.#sentOn.set(key, order.instrumentId);
    const progress = this.#filled.get(key);
    if (progress === undefined) this.#filled.set(key, { quantity, filled: Decimal.ZERO });
    else progress.quantity = quantity;
    return this.#commands.submit(order, quantity);
  }

  #emit(report: ExecutionReport): void {
    if (this.#state === 'STOPPED') return;
    if (report.type !== 'FUNDING_SETTLED' && report.type !== 'ORDER_FILLED' && !isFlotillaClientOrderId(report.clientOrderId)) return;
    this.#track(report);
    for (const listener of [...this.#listeners]) {
      try {
        listener(report);
      } catch (error) {
        this.#logger.error({ reportType: report.type, subAccountId: report.subAccountId, error: describeError(error, this.#redactor) }, 'an execution report listener threw; the other listeners and later reports are still delivered');
      }
    }
    this.#brackets.observe(report);
  }

  #deliverConnection(event: VenueConnectionEvent, evenIfStopped: boolean): void {
    if (this.#state === 'STOPPED' && !evenIfStopped) return;
    for (const listener of [...this.#connectionListeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ event: event.type, error: describeError(error, this.#redactor) }, 'a connection event listener threw');
      }
    }
  }
}
