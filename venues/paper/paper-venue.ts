import type { Candle } from '../../core/candle.ts';
import type { Clock } from '../../core/clock.ts';
import type { Decimal } from '../../core/decimal.ts';
import type { ClientOrderId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { createLogger, type Logger } from '../../core/logger.ts';
import { reportClientOrderId, type ExecutionReport, type SubmitOrder } from '../../core/order.ts';
import type { FillCursor, FillPage, OrderChanges, OrderToCancel, Venue, VenueCapabilities, VenueConnectionEvent, VenueFill, VenueInstrument, VenueOrder, VenuePosition } from '../../core/venue.ts';
import type { PaperAccountConfig, PaperVenueConfig } from './config.ts';
import { PaperMatchingEngine, type RestoredOrder } from './matching-engine.ts';

export type ExecutionReportListener = (report: ExecutionReport) => void;

export interface PaperVenueOptions {
  /** Where a listener's exception is written; the default logs to stdout as JSON. */
  logger?: Logger;
}

/**
 * The paper engine behind the Venue interface.
 *
 * Delivery is synchronous: each call hands its reports to every listener, in order, before its promise
 * settles, so a backtest sees a fill on the candle that caused it. Reports raised while a delivery is under
 * way (a listener that submits or cancels from inside its callback) are queued behind the reports still
 * being delivered, so every listener sees one global order, the engine's. A listener that throws is logged
 * and skipped for that report only; the other listeners and every later report are still delivered.
 */
export class PaperVenue implements Venue {
  readonly name: string;
  /** In memory, every cancel is its own call; a batch is simply each of its IDs in turn. */
  readonly capabilities: VenueCapabilities = { amend: true, maxBatchCancel: 100 };
  readonly engine: PaperMatchingEngine;
  readonly #listeners: ExecutionReportListener[] = [];
  readonly #connectionListeners: Array<(event: VenueConnectionEvent) => void> = [];
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #session: string;
  readonly #instruments: VenueInstrument[];
  /** Every fill of this session, per sub-account, in the order made: what fillsSince pages through. */
  readonly #fills = new Map<SubAccountId, VenueFill[]>();
  #started = false;
  /** Set by stop(): the venue contract delivers no report once stop has resolved. */
  #stopped = false;
  #pending: ExecutionReport[] = [];
  #delivering = false;

  constructor(config: PaperVenueConfig, clock: Clock, options: PaperVenueOptions = {}) {
    this.engine = new PaperMatchingEngine(config, clock);
    this.name = this.engine.name;
    this.#clock = clock;
    this.#session = config.session;
    this.#instruments = config.instruments.map(({ id, tickSize, lotStep, minQuantity, minNotional }) => ({ instrumentId: id, tickSize, lotStep, minQuantity, minNotional }));
    this.#logger = (options.logger ?? createLogger({ name: 'paper-venue' })).child({ venue: this.name });
  }

  /** In process, the stream never drops: it is connected from the start until stop. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    this.#stopped = false;
    for (const listener of [...this.#connectionListeners]) listener({ type: 'CONNECTED', subAccountId: null, at: this.#clock.now() });
  }

  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#stopped = true;
    for (const listener of [...this.#connectionListeners]) listener({ type: 'DISCONNECTED', subAccountId: null, at: this.#clock.now(), detail: 'stopped' });
  }

  /** Idempotent by client order ID: an order the venue already holds is not placed again; its state is reported. */
  async submitOrder(order: SubmitOrder): Promise<void> {
    const known = this.engine.order(order.subAccountId, order.clientOrderId);
    if (known !== null) {
      if (known.venueOrderId !== null) this.#deliver([{ type: 'ORDER_ACCEPTED', subAccountId: order.subAccountId, clientOrderId: order.clientOrderId, venueOrderId: known.venueOrderId, at: this.#clock.now() }]);
      return;
    }
    this.#deliver(this.engine.submit(order));
  }

  async cancelOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void> {
    this.#deliver(this.engine.cancel(subAccountId, clientOrderId, instrumentId));
  }

  async cancelOrders(subAccountId: SubAccountId, orders: readonly OrderToCancel[]): Promise<void> {
    for (const { instrumentId, clientOrderId } of orders) this.#deliver(this.engine.cancel(subAccountId, clientOrderId, instrumentId));
  }

  async queryOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<VenueOrder | null> {
    const order = this.engine.order(subAccountId, clientOrderId);
    return order === null || order.instrumentId !== instrumentId ? null : order;
  }

  /**
   * Cursors are `<session>:<count>`. The paper venue keeps nothing across restarts (it is rebuilt from the ledgers,
   * which hold every earlier fill), so a cursor from another session means: everything of this one.
   */
  async fillsSince(subAccountId: SubAccountId, cursor: FillCursor | null, limit = 1_000): Promise<FillPage> {
    const fills = this.#fills.get(subAccountId) ?? [];
    const [session, count] = cursor === null ? [null, '0'] : cursor.split(':');
    const from = session === this.#session ? Math.min(Number.parseInt(count ?? '0', 10) || 0, fills.length) : 0;
    const page = fills.slice(from, from + Math.max(1, limit));
    const next = from + page.length;
    return { fills: page, cursor: `${this.#session}:${next}`, complete: next >= fills.length };
  }

  async equity(subAccountId: SubAccountId): Promise<Decimal> {
    return this.engine.equity(subAccountId);
  }

  async instruments(): Promise<VenueInstrument[]> {
    return this.#instruments.map((instrument) => ({ ...instrument }));
  }

  onConnectionEvent(listener: (event: VenueConnectionEvent) => void): () => void {
    this.#connectionListeners.push(listener);
    return () => {
      const index = this.#connectionListeners.indexOf(listener);
      if (index >= 0) this.#connectionListeners.splice(index, 1);
    };
  }

  async amendOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): Promise<void> {
    this.#deliver(this.engine.amend(subAccountId, clientOrderId, changes, instrumentId));
  }

  /** Opens a sub-account for a bot adopted while the venue runs; one it has already (a bot that came back) stays as it is. */
  openAccount(account: PaperAccountConfig): void {
    if (!this.engine.hasAccount(account.subAccountId)) this.engine.openAccount(account);
  }

  /** Puts an order back as it stood before a restart (see PaperMatchingEngine.restoreOrder) and delivers what that caused. */
  restoreOrder(restored: RestoredOrder): void {
    const reports = this.engine.restoreOrder(restored);
    if (reports.length > 0) this.#deliver(reports);
  }

  onExecutionReport(listener: ExecutionReportListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners.splice(index, 1);
    };
  }

  async openOrders(subAccountId: SubAccountId): Promise<VenueOrder[]> {
    return this.engine.openOrders(subAccountId);
  }

  async positions(subAccountId: SubAccountId): Promise<VenuePosition[]> {
    return this.engine.positions(subAccountId);
  }

  async balance(subAccountId: SubAccountId): Promise<Decimal> {
    return this.engine.balance(subAccountId);
  }

  /** Feeds one candle to the engine and delivers the fills it caused before returning. */
  pushCandle(candle: Candle): void {
    const reports = this.engine.onCandle(candle);
    if (reports.length > 0) this.#deliver(reports);
  }

  #deliver(reports: ExecutionReport[]): void {
    if (this.#stopped) return;
    for (const report of reports) if (report.type === 'ORDER_FILLED') this.#recordFill(report);
    if (this.#delivering) {
      this.#pending.push(...reports);
      return;
    }
    this.#delivering = true;
    this.#pending = reports;
    try {
      for (let index = 0; index < this.#pending.length; index++) {
        const report = this.#pending[index];
        if (report === undefined) continue;
        for (const listener of this.#listeners) this.#notify(listener, report);
      }
    } finally {
      this.#pending = [];
      this.#delivering = false;
    }
  }

  #notify(listener: ExecutionReportListener, report: ExecutionReport): void {
    try {
      listener(report);
    } catch (error) {
      const clientOrderId = reportClientOrderId(report);
      this.#logger.error(
        { err: error, reportType: report.type, subAccountId: report.subAccountId, clientOrderId },
        'an execution report listener threw; the other listeners and later reports are still delivered',
      );
    }
  }

  #recordFill(report: Extract<ExecutionReport, { type: 'ORDER_FILLED' }>): void {
    let fills = this.#fills.get(report.subAccountId);
    if (fills === undefined) {
      fills = [];
      this.#fills.set(report.subAccountId, fills);
    }
    fills.push({ ...report.fill });
  }
}
