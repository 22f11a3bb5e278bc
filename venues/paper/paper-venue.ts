import type { Candle } from '../../core/candle.ts';
import type { Clock } from '../../core/clock.ts';
import type { Decimal } from '../../core/decimal.ts';
import type { ClientOrderId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { createLogger, type Logger } from '../../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../../core/order.ts';
import type { OrderChanges, Venue, VenueCapabilities, VenueOpenOrder, VenuePosition } from '../../core/venue.ts';
import type { PaperVenueConfig } from './config.ts';
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
  readonly capabilities: VenueCapabilities = { amend: true };
  readonly engine: PaperMatchingEngine;
  readonly #listeners: ExecutionReportListener[] = [];
  readonly #logger: Logger;
  #pending: ExecutionReport[] = [];
  #delivering = false;

  constructor(config: PaperVenueConfig, clock: Clock, options: PaperVenueOptions = {}) {
    this.engine = new PaperMatchingEngine(config, clock);
    this.name = this.engine.name;
    this.#logger = (options.logger ?? createLogger({ name: 'paper-venue' })).child({ venue: this.name });
  }

  async submitOrder(order: SubmitOrder): Promise<void> {
    this.#deliver(this.engine.submit(order));
  }

  async cancelOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void> {
    this.#deliver(this.engine.cancel(subAccountId, clientOrderId, instrumentId));
  }

  async amendOrder(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId, changes: OrderChanges): Promise<void> {
    this.#deliver(this.engine.amend(subAccountId, clientOrderId, changes, instrumentId));
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

  async openOrders(subAccountId: SubAccountId): Promise<VenueOpenOrder[]> {
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
      const clientOrderId = report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
      this.#logger.error(
        { err: error, reportType: report.type, subAccountId: report.subAccountId, clientOrderId },
        'an execution report listener threw; the other listeners and later reports are still delivered',
      );
    }
  }
}
