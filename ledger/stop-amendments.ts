import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Decimal } from '../core/decimal.ts';
import type { ClientOrderId, IntentId } from '../core/ids.ts';
import type { GroupCommit } from '../core/sqlite.ts';
import type { StopAmendment, StopAmendmentOutcome, StopAmendmentRequest } from './types.ts';

interface AmendmentRow {
  id: number;
  intent_id: string;
  client_order_id: string;
  trigger_price: string;
  requested_at: number;
  outcome: StopAmendmentOutcome | null;
  detail: string | null;
  at: number | null;
}

const SELECT = `SELECT a.id, a.intent_id, a.client_order_id, a.trigger_price, a.requested_at, o.outcome, o.detail, o.at
  FROM stop_amendments a LEFT JOIN stop_amendment_outcomes o ON o.amendment = a.id`;

function fromRow(row: AmendmentRow): StopAmendment {
  return {
    id: row.id,
    intentId: row.intent_id as IntentId,
    clientOrderId: row.client_order_id as ClientOrderId,
    triggerPrice: Decimal.parse(row.trigger_price),
    requestedAt: row.requested_at,
    outcome: row.outcome,
    detail: row.detail ?? '',
    settledAt: row.at,
  };
}

/**
 * The ledger's journal of stop moves done by amending the stop in place. The order's own trigger changes only when
 * the venue confirms (ORDER_AMENDED); this journal holds what was asked and how it ended, so an amend in flight
 * survives a crash and the same move (its intent ID) is never asked of the venue twice.
 */
export class StopAmendmentJournal {
  readonly #batch: GroupCommit;
  readonly #durableBeforeSend: boolean;
  readonly #insert: StatementSync;
  readonly #insertOutcome: StatementSync;
  readonly #byIntent: StatementSync;
  readonly #byId: StatementSync;
  readonly #open: StatementSync;

  constructor(db: DatabaseSync, batch: GroupCommit, durableBeforeSend: boolean) {
    this.#batch = batch;
    this.#durableBeforeSend = durableBeforeSend;
    this.#insert = db.prepare('INSERT INTO stop_amendments (intent_id, client_order_id, trigger_price, requested_at) VALUES (?, ?, ?, ?)');
    this.#insertOutcome = db.prepare('INSERT INTO stop_amendment_outcomes (amendment, outcome, detail, at) VALUES (?, ?, ?, ?) ON CONFLICT (amendment) DO NOTHING');
    this.#byIntent = db.prepare(`${SELECT} WHERE a.intent_id = ?`);
    this.#byId = db.prepare(`${SELECT} WHERE a.id = ?`);
    this.#open = db.prepare(`${SELECT} WHERE o.amendment IS NULL ORDER BY a.id`);
  }

  /** Commits at once (unless a backtest's ledger), like an order: the request is on disk before the venue hears it. */
  record(request: StopAmendmentRequest, at: number): StopAmendment {
    const id = this.#batch.write(() => Number(this.#insert.run(request.intentId, request.clientOrderId, request.triggerPrice.toString(), at).lastInsertRowid));
    if (this.#durableBeforeSend) this.#batch.commit();
    return { id, ...request, requestedAt: at, outcome: null, detail: '', settledAt: null };
  }

  /** The first outcome recorded stands; a later one for the same amendment is ignored. */
  settle(id: number, outcome: StopAmendmentOutcome, detail: string, at: number): StopAmendment | null {
    this.#batch.write(() => this.#insertOutcome.run(id, outcome, detail, at));
    const row = this.#byId.get(id) as AmendmentRow | undefined;
    return row === undefined ? null : fromRow(row);
  }

  forIntent(intentId: IntentId): StopAmendment | null {
    const row = this.#byIntent.get(intentId) as AmendmentRow | undefined;
    return row === undefined ? null : fromRow(row);
  }

  unsettled(): StopAmendment[] {
    return (this.#open.all() as unknown as AmendmentRow[]).map(fromRow);
  }
}
