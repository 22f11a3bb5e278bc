import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError, InvalidInputError, TemporaryVenueError } from '../../core/errors.ts';
import { isFlotillaClientOrderId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../../core/order.ts';
import type { FillCursor, FillPage, OrderChanges, OrderToCancel, Venue, VenueCapabilities, VenueConnectionEvent, VenueFill, VenueInstrument, VenueOrder, VenuePosition } from '../../core/venue.ts';
import { Brackets } from './brackets.ts';
import { credentialProblem, resolveOptions, type BybitCredentials, type BybitVenueOptions, type ResolvedOptions } from './config.ts';
import { fillReportOf, isTrade, readExecution, SeenExecutions, venueFillOf } from './executions.ts';
import { FillListing } from './fill-listing.ts';
import { fundingReportOf, isFunding } from './funding.ts';
import { BybitHttp } from './http.ts';
import { InstrumentMap, venueInstrumentsOf } from './instruments.ts';
import { CATEGORY, readOrderRow, venueOrderOf } from './order-mapping.ts';
import { OrderTracker } from './order-tracker.ts';
import { MAX_BATCH_CANCEL, OrderCommands } from './orders.ts';
import { PrivateStream } from './private-stream.ts';
import { RequestLane } from './rate-limit.ts';
import { AccountReads } from './reads.ts';
import { describe, Redactor } from './redact.ts';
import { pageOf } from './wire.ts';
import { heldVenueOrder } from '../held-order.ts';

/**
 * Bybit V5 (USDT perpetuals, unified trading accounts, one-way mode) behind Flotilla's Venue contract, on bybit-api.
 * One REST client, request lane and private stream per sub-account; the keys stay inside. Reports come from the REST
 * answers (accepted, refused, cancelled, amended) and from the private stream (fills, and what Bybit did on its
 * own); both pass the same de-duplication, so each is delivered once. See README.md for the layout.
 */
export class BybitVenue implements Venue {
  readonly name: string;
  readonly capabilities: VenueCapabilities;
  readonly #options: ResolvedOptions;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #redactor = new Redactor();
  readonly #http: BybitHttp;
  readonly #instruments: InstrumentMap;
  readonly #tracker = new OrderTracker();
  readonly #seen = new SeenExecutions();
  readonly #reads: AccountReads;
  readonly #commands: OrderCommands;
  readonly #brackets: Brackets;
  readonly #fills: FillListing;
  readonly #lanes = new Map<SubAccountId | null, RequestLane>();
  readonly #streams = new Map<SubAccountId, PrivateStream>();
  readonly #listeners: Array<(report: ExecutionReport) => void> = [];
  readonly #connectionListeners: Array<(event: VenueConnectionEvent) => void> = [];
  readonly #warnedExecTypes = new Set<string>();
  #state: 'NEW' | 'STARTED' | 'STOPPED' = 'NEW';
  #resync: NodeJS.Timeout | null = null;

  constructor(options: BybitVenueOptions) {
    this.#options = resolveOptions(options);
    this.name = this.#options.name;
    this.#clock = options.clock;
    this.#logger = options.logger.child({ venue: this.name });
    const { timeouts, endpoints } = this.#options;
    this.capabilities = { amend: true, maxBatchCancel: MAX_BATCH_CANCEL, fillSettleMs: timeouts.fillSettleMs };
    this.#http = new BybitHttp({ endpoints, timeouts, redactor: this.#redactor });
    this.#http.onOffset((offsetMs) => {
      for (const stream of this.#streams.values()) stream.setOffset(offsetMs);
    });
    this.#instruments = new InstrumentMap(this.name, this.#options.bySymbol, this.#options.symbolOf, this.#logger);
    this.#reads = new AccountReads({ http: this.#http, lane: (subAccountId) => this.#lane(subAccountId), instruments: this.#instruments, logger: this.#logger });
    this.#commands = new OrderCommands({
      http: this.#http,
      lane: (subAccountId) => this.#lane(subAccountId),
      reads: this.#reads,
      tracker: this.#tracker,
      instruments: this.#instruments,
      timeouts,
      clock: this.#clock,
      logger: this.#logger,
      emit: (report) => this.#emit(report),
    });
    this.#brackets = new Brackets(
      {
        send: (order, quantity) => this.#commands.submit(order, quantity),
        resize: (order, quantity) => this.#commands.resize(order, quantity),
        cancel: (subAccountId, instrumentId, clientOrderId) => this.#commands.cancel(subAccountId, instrumentId, clientOrderId),
        report: (report) => this.#emit(report),
        now: () => this.#clock.now(),
      },
      this.#logger,
    );
    this.#fills = new FillListing({
      fetchPage: (subAccountId, startTime, endTime, cursor) => this.#reads.executions(subAccountId, startTime, endTime, cursor),
      now: () => this.#clock.now(),
      settleMs: timeouts.fillSettleMs,
      lookbackMs: timeouts.fillLookbackMs,
    });
    for (const [subAccountId, credentials] of this.#options.credentials) this.#http.addAccount(subAccountId, credentials);
  }

  /** Measures the clock offset to Bybit and opens every sub-account's private stream; resolves once each is subscribed or connectMs has passed. */
  async start(): Promise<void> {
    if (this.#state === 'STARTED') return;
    if (this.#state === 'STOPPED') throw new InvalidInputError(`the ${this.name} venue was stopped; build a new one to connect again`);
    try {
      await this.#http.ensureSynced();
    } catch (error) {
      throw new TemporaryVenueError(`cannot reach Bybit (${this.#options.endpoints.label}): ${describe(error, this.#redactor)}`);
    }
    this.#state = 'STARTED';
    this.#resync = setInterval(() => {
      this.#http.syncClock().catch((error: unknown) => this.#logger.warn({ error: describe(error, this.#redactor) }, 'measuring the clock offset to Bybit failed; the last offset stays'));
    }, this.#options.timeouts.clockResyncMs);
    this.#resync.unref();
    for (const [subAccountId, credentials] of this.#options.credentials) this.#openStream(subAccountId, credentials);
    await this.#streamsConnected([...this.#streams.values()]);
  }

  async stop(): Promise<void> {
    if (this.#state === 'STOPPED') return;
    const wasStarted = this.#state === 'STARTED';
    this.#state = 'STOPPED';
    if (this.#resync !== null) clearInterval(this.#resync);
    this.#commands.stop();
    for (const lane of this.#lanes.values()) lane.stop();
    for (const stream of this.#streams.values()) stream.close();
    this.#http.close();
    if (wasStarted) for (const subAccountId of this.#streams.keys()) this.#deliverConnection({ type: 'DISCONNECTED', subAccountId, at: this.#clock.now(), detail: 'stopped' }, true);
  }

  /** Takes a sub-account adopted while the venue runs (a new bot): its key, lane and private stream. */
  async openAccount(subAccountId: SubAccountId, credentials: BybitCredentials): Promise<void> {
    const problem = credentialProblem(subAccountId, credentials);
    if (problem !== null) throw new ConfigurationError(`Bybit venue ${this.name}: ${problem}`);
    if (this.#http.hasAccount(subAccountId)) return;
    this.#options.credentials.set(subAccountId, { key: credentials.key, secret: credentials.secret });
    this.#http.addAccount(subAccountId, credentials);
    if (this.#state === 'STARTED') {
      this.#openStream(subAccountId, credentials);
      await this.#streamsConnected([this.#streams.get(subAccountId) as PrivateStream]);
    }
  }

  async submitOrder(order: SubmitOrder): Promise<void> {
    if (order.parentClientOrderId !== null && order.activatesOnParentFill) {
      await this.#submitChild(order);
      return;
    }
    await this.#commands.submit(order);
  }

  async cancelOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void> {
    await this.#brackets.settled(subAccountId, clientOrderId);
    if (this.#brackets.cancelHeld(subAccountId, clientOrderId, 'cancelled before its entry filled; it was never sent to Bybit')) return;
    await this.#commands.cancel(subAccountId, instrumentId, clientOrderId);
  }

  async cancelOrders(subAccountId: SubAccountId, orders: readonly OrderToCancel[]): Promise<void> {
    await Promise.all(orders.map((order) => this.#brackets.settled(subAccountId, order.clientOrderId)));
    const atBybit = orders.filter((order) => !this.#brackets.cancelHeld(subAccountId, order.clientOrderId, 'cancelled before its entry filled; it was never sent to Bybit'));
    if (atBybit.length > 0) await this.#commands.cancelBatch(subAccountId, atBybit);
  }

  async amendOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): Promise<void> {
    await this.#brackets.settled(subAccountId, clientOrderId);
    const held = this.#brackets.amendHeld(subAccountId, clientOrderId, changes);
    if (held !== null) {
      const { quantity, limitPrice, triggerPrice } = held;
      this.#emit({ type: 'ORDER_AMENDED', subAccountId, clientOrderId, quantity, limitPrice, triggerPrice, detail: 'amended while held for its entry (not yet at Bybit)', at: this.#clock.now() });
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

  /** What Bybit holds open, and the children the adapter holds for their entries. */
  async openOrders(subAccountId: SubAccountId): Promise<VenueOrder[]> {
    const orders: VenueOrder[] = this.#brackets.heldOf(subAccountId).map(heldVenueOrder);
    for (const row of await this.#reads.openOrders(subAccountId)) {
      const instrumentId = this.#instruments.instrumentId(row.symbol);
      if (instrumentId !== null) orders.push(venueOrderOf(row, instrumentId));
    }
    return orders;
  }

  /** Trades after the cursor, oldest first (see fill-listing.ts for the cursor); funding found on the way is reported as FUNDING_SETTLED. */
  async fillsSince(subAccountId: SubAccountId, cursor: FillCursor | null, limit = 500): Promise<FillPage> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new InvalidInputError(`fillsSince limit must be a positive integer, got ${limit}`);
    const page = await this.#fills.page(subAccountId, cursor, limit, isTrade);
    const fills: VenueFill[] = [];
    for (const row of page.rows) {
      const instrumentId = this.#instruments.instrumentId(row.symbol);
      if (instrumentId === null) continue;
      if (isTrade(row)) {
        // Not marked as seen: whoever asked books these fills; a push of the same trade is still reported (the ledger keeps one per trade ID).
        fills.push(venueFillOf(row, instrumentId));
        const report = fillReportOf(subAccountId, row, instrumentId);
        if (report !== null) this.#brackets.parentTraded(subAccountId, report.fill.clientOrderId, report.cumulativeQuantity);
      } else if (isFunding(row)) {
        if (this.#seen.first(subAccountId, row.execId)) this.#emit(fundingReportOf(subAccountId, row, instrumentId));
      } else {
        this.#unhandledExecution(row.execType);
      }
    }
    return { fills, cursor: page.cursor, complete: page.complete };
  }

  async positions(subAccountId: SubAccountId): Promise<VenuePosition[]> {
    return this.#reads.positions(subAccountId);
  }

  async balance(subAccountId: SubAccountId): Promise<Decimal> {
    return (await this.#reads.wallet(subAccountId)).balance;
  }

  async equity(subAccountId: SubAccountId): Promise<Decimal> {
    return (await this.#reads.wallet(subAccountId)).equity;
  }

  /** The fleet's instruments as Bybit lists them (GET /v5/market/instruments-info); one Bybit does not list is absent. */
  async instruments(): Promise<VenueInstrument[]> {
    const route = 'GET /v5/market/instruments-info';
    const rows: unknown[] = [];
    let cursor = '';
    do {
      const page = pageOf(await this.#reads.read(null, route, (client) => client.getInstrumentsInfo({ category: CATEGORY, limit: 1000, ...(cursor === '' ? {} : { cursor }) })), route);
      rows.push(...page.list);
      cursor = page.next;
    } while (cursor !== '');
    return venueInstrumentsOf(rows, this.#instruments, new Set(this.#instruments.symbols));
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

  #lane(subAccountId: SubAccountId | null): RequestLane {
    let lane = this.#lanes.get(subAccountId);
    if (lane === undefined) {
      const logger = subAccountId === null ? this.#logger : this.#logger.child({ subAccountId });
      lane = new RequestLane({ timeouts: this.#options.timeouts, logger, toLocal: (venueMs) => this.#http.toLocal(venueMs) });
      if (this.#state === 'STOPPED') lane.stop();
      this.#lanes.set(subAccountId, lane);
    }
    return lane;
  }

  async #submitChild(order: SubmitOrder): Promise<void> {
    const { subAccountId, clientOrderId } = order;
    const parentId = order.parentClientOrderId as ClientOrderId;
    switch (this.#brackets.whereIs(subAccountId, clientOrderId)) {
      case 'HELD':
        // Held already: nothing to do, as for any order the venue holds.
        return;
      case 'AT_BYBIT':
        // Sent already: Bybit answers 110072, and the order's state is reported.
        await this.#commands.submit(order);
        return;
      case 'UNSENT_ENDED':
        this.#emit({ type: 'ORDER_CANCELED', subAccountId, clientOrderId, detail: 'cancelled before its entry filled; it was never sent to Bybit', at: this.#clock.now() });
        return;
      case null:
        break;
    }
    if (this.#commands.isSubmitting(subAccountId, parentId)) {
      // Sent with its entry, before the entry could fill: the entry's fills arrive on the stream.
      this.#brackets.hold(order, Decimal.ZERO, false);
      return;
    }
    const parent = await this.#reads.order(subAccountId, order.instrumentId, parentId, 'PROTECT');
    if (parent === null) {
      this.#emit({ type: 'ORDER_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail: `parent ${parentId} is not an order of this sub-account at Bybit`, at: this.#clock.now() });
      return;
    }
    this.#brackets.hold(order, parent.filled, parent.status !== 'ACCEPTED' && parent.status !== 'PARTIALLY_FILLED');
  }

  #openStream(subAccountId: SubAccountId, credentials: BybitCredentials): void {
    const stream = new PrivateStream({
      subAccountId,
      credentials,
      endpoints: this.#options.endpoints,
      timeouts: this.#options.timeouts,
      clock: this.#clock,
      logger: this.#logger,
      redactor: this.#redactor,
      handlers: {
        onOrders: (sub, rows) => this.#onOrders(sub, rows),
        onExecutions: (sub, rows) => this.#onExecutions(sub, rows),
        onConnection: (event) => this.#onConnection(event),
      },
    });
    stream.setOffset(this.#http.offsetMs);
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

  #onOrders(subAccountId: SubAccountId, rows: unknown[]): void {
    for (const [index, raw] of rows.entries()) {
      const row = readOrderRow(raw, `order push data[${index}]`);
      if (row === null) {
        this.#logger.warn({ subAccountId }, 'an order push has a status Flotilla does not know; it is left to reconciliation');
        continue;
      }
      for (const report of this.#tracker.update(subAccountId, row, this.#clock.now())) this.#emit(report);
    }
  }

  #onExecutions(subAccountId: SubAccountId, rows: unknown[]): void {
    for (const [index, raw] of rows.entries()) {
      const row = readExecution(raw, `execution push data[${index}]`);
      if (!this.#seen.first(subAccountId, row.execId)) continue;
      const instrumentId = this.#instruments.instrumentId(row.symbol);
      if (instrumentId === null) continue;
      if (isTrade(row)) {
        const report = fillReportOf(subAccountId, row, instrumentId);
        if (report !== null) this.#emit(report);
      } else if (isFunding(row)) {
        this.#emit(fundingReportOf(subAccountId, row, instrumentId));
      } else {
        this.#unhandledExecution(row.execType);
      }
    }
  }

  #onConnection(event: VenueConnectionEvent): void {
    this.#deliverConnection(event, false);
    if (event.type === 'CONNECTED' && event.subAccountId !== null) void this.#refreshBrackets(event.subAccountId);
  }

  /** After the stream was down, entries with held children are asked for: a fill missed meanwhile sends the children. */
  async #refreshBrackets(subAccountId: SubAccountId): Promise<void> {
    for (const open of this.#brackets.openParents()) {
      if (open.subAccountId !== subAccountId) continue;
      try {
        const row = await this.#reads.order(subAccountId, open.instrumentId, open.parentId, 'PROTECT');
        if (row !== null) this.#brackets.parentState(subAccountId, open.parentId, row.filled, row.status !== 'ACCEPTED' && row.status !== 'PARTIALLY_FILLED');
      } catch (error) {
        this.#logger.warn({ subAccountId, clientOrderId: open.parentId, error: describe(error, this.#redactor) }, 'an entry with held children could not be asked for after a reconnect; its next fill on the stream moves them');
      }
    }
  }

  #unhandledExecution(execType: string): void {
    if (this.#warnedExecTypes.has(execType)) return;
    this.#warnedExecTypes.add(execType);
    this.#logger.warn({ execType }, 'Bybit listed an execution that is neither a trade nor funding (ADL, bankruptcy, delivery): it is not booked; reconciliation compares positions');
  }

  #emit(report: ExecutionReport): void {
    if (this.#state === 'STOPPED') return;
    if (report.type !== 'FUNDING_SETTLED' && report.type !== 'ORDER_FILLED' && !isFlotillaClientOrderId(report.clientOrderId)) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(report);
      } catch (error) {
        this.#logger.error({ reportType: report.type, subAccountId: report.subAccountId, error: describe(error, this.#redactor) }, 'an execution report listener threw; the other listeners and later reports are still delivered');
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
        this.#logger.error({ event: event.type, error: describe(error, this.#redactor) }, 'a connection event listener threw');
      }
    }
  }
}
