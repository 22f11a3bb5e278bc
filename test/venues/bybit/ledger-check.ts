import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { parseBotId, type SubAccountId } from '../../../core/ids.ts';
import type { ExecutionReport, SubmitOrder } from '../../../core/order.ts';
import type { Venue } from '../../../core/venue.ts';
import { openLedger } from '../../../ledger/sqlite-ledger.ts';
import type { Ledger } from '../../../ledger/types.ts';
import { reconcile, type ReconcileFindings } from '../../../supervisor/reconciliation/reconcile.ts';
import type { BybitStandin } from '../../../venues/bybit/standin/standin.ts';
import { BTC } from './fixtures.ts';

/**
 * A real SQLite ledger fed by the adapter's reports, as the order manager feeds it (orders written before they are
 * sent), and the checks every fault must pass: no order placed twice at the stand-in, no fill the stand-in made
 * missing from the ledger, and the ledger's position equal to the venue's.
 */
export class LedgerCheck {
  readonly ledger: Ledger;
  readonly #dir: string;

  constructor(venue: Venue, clock: Clock, subAccountId: SubAccountId) {
    this.#dir = mkdtempSync(join(tmpdir(), 'bybit-ledger-'));
    this.ledger = openLedger({ path: join(this.#dir, 'alpha.sqlite'), botId: parseBotId('alpha'), clock });
    venue.onExecutionReport((report: ExecutionReport) => {
      if (report.subAccountId === subAccountId && report.type !== 'FUNDING_SETTLED') this.ledger.applyReport(report);
    });
  }

  record(order: SubmitOrder, at: number): void {
    this.ledger.recordOrders([order], at);
  }

  /** What the fleet does on CONNECTED: fills since the ledger's cursor, every open order, positions. */
  reconcile(venue: Venue, subAccountId: SubAccountId, now: number): Promise<ReconcileFindings> {
    return reconcile({ botId: parseBotId('alpha'), subAccountId, venue, ledger: this.ledger }, { apply: (report) => this.ledger.applyReport(report), now: () => now, receiveWindowMs: 10_000 });
  }

  close(): void {
    this.ledger.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** How many orders the stand-in holds for the UID under this orderLinkId (one, or the order was duplicated). */
export function ordersAtStandin(standin: BybitStandin, uid: number, orderLinkId?: string): number {
  return standin.exchange.book.orders(uid, (order) => orderLinkId === undefined || order.orderLinkId === orderLinkId, 10_000, undefined).list.length;
}

/** The stand-in's execution IDs for the UID. */
export function executionsAtStandin(standin: BybitStandin, uid: number): string[] {
  return standin.exchange.book.executions(uid, () => true, 10_000, undefined).list.map((execution) => execution.execId).sort();
}

export function ledgerTradeIds(ledger: Ledger): string[] {
  return ledger.fills().map((fill) => fill.tradeId as string).sort();
}

export async function positionsAgree(ledger: Ledger, venue: Venue, subAccountId: SubAccountId): Promise<{ ledger: string; venue: string }> {
  const held = ledger.position(BTC)?.quantity ?? Decimal.ZERO;
  const there = (await venue.positions(subAccountId)).find((position) => position.instrumentId === BTC)?.quantity ?? Decimal.ZERO;
  return { ledger: held.toString(), venue: there.toString() };
}
