import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { Decimal } from '../core/decimal.ts';
import { InvalidInputError, InvariantViolation } from '../core/errors.ts';
import type { Clock } from '../core/clock.ts';
import { formatLedgerEpoch, makeClientOrderId, parseClientOrderId } from '../core/ids.ts';
import type { BotId, ClientOrderId, InstrumentId, IntentId, OrderRole, VenueOrderId } from '../core/ids.ts';
import { isOpenStatus } from '../core/order.ts';
import type { ExecutionReport, Fill, SubmitOrder } from '../core/order.ts';
import { GroupCommit, openDatabase, transaction } from '../core/sqlite.ts';
import type { Durability, OpenedDatabase } from '../core/sqlite.ts';
import { EquityRetention } from './equity-retention.ts';
import { applyFill, unrealizedPnl } from './position.ts';
import { fillEvent, reduceOrder, reportDetail } from './order-reducer.ts';
import type { OrderEvent, OrderState } from './order-reducer.ts';
import { amendmentFromRow, decimalOrNull, fillFromRow, fundingFromRow, orderFromRow, parseOrNull, positionRow, samePositionRow } from './rows.ts';
import type { EventRow, FillRow, FundingRow, OrderRow, PositionRow } from './rows.ts';
import { LEDGER_MIGRATIONS } from './schema.ts';
import type { Decision, DecisionOutcome, DecisionReason } from '../core/decision.ts';
import { StopAmendmentJournal } from './stop-amendments.ts';
import type { EquitySnapshot, FundingPayment, FundingRecorded, Ledger, OrderRecord, PositionRecord, RecordOrdersOptions, ReportApplied, StopAmendment, StopAmendmentOutcome, StopAmendmentRequest } from './types.ts';

/** Approvals kept in the ledger beyond what crash recovery needs are pruned this often (in approvals). */
const DECISIONS_KEPT = 1_000;

interface LedgerDecisionRow {
  intent_id: string;
  instrument: string;
  outcome: string;
  reason: string | null;
  detail: string;
  requested_quantity: string | null;
  approved_quantity: string | null;
  client_order_id: string | null;
  decided_at: number;
  latency_ns: number;
  intent_json: string;
}

/** The path that opens a ledger on an in-memory database: the same schema and statements, nothing on disk, gone at close. */
export const IN_MEMORY_LEDGER = ':memory:';

export interface OpenLedgerOptions {
  /** The ledger file, or IN_MEMORY_LEDGER for a backtest whose ledger need not outlive it. */
  path: string;
  botId: BotId;
  clock: Clock;
  durability?: Durability;
  /**
   * Whether recordOrders commits at once, so that an order is on disk before it is sent (the default, and the only
   * safe choice when orders leave the process). A backtest, whose venue is in-process and whose files are thrown
   * away if it stops, lets orders join the group commit instead.
   */
  ordersDurableBeforeSend?: boolean;
}

class SqliteLedger implements Ledger {
  readonly botId: BotId;
  readonly epoch: string;
  readonly path: string;

  readonly #opened: OpenedDatabase;
  readonly #db: DatabaseSync;
  readonly #batch: GroupCommit;
  readonly #orders = new Map<ClientOrderId, OrderState>();
  /** Every order ID by ascending sequence, for newest-first listings without a sort. */
  readonly #bySequence: ClientOrderId[] = [];
  readonly #open = new Set<ClientOrderId>();
  readonly #allocated = new Set<ClientOrderId>();
  /** Orders by the intent that made them, so a replayed intent finds its orders without a query. */
  readonly #byIntent = new Map<IntentId, ClientOrderId[]>();
  readonly #positions = new Map<InstrumentId, PositionRecord>();
  /** Positions changed by fills in the open transaction; their cache rows are written once, just before it commits. */
  readonly #dirtyPositions = new Set<InstrumentId>();
  #nextOrderSequence = 1;
  #nextFillSequence = 1;
  #capital = Decimal.ZERO;
  /** Funding payments by id (for idempotence) and their sum per instrument. */
  readonly #funding = new Map<string, FundingPayment>();
  readonly #fundingByInstrument = new Map<InstrumentId, Decimal>();
  #fundingTotal = Decimal.ZERO;
  #nextFundingSequence = 1;
  #closed = false;
  readonly #ordersDurableBeforeSend: boolean;
  readonly #clock: Clock;

  readonly #insertOrder: StatementSync;
  readonly #insertEvent: StatementSync;
  readonly #insertFill: StatementSync;
  readonly #upsertPosition: StatementSync;
  readonly #insertCapital: StatementSync;
  readonly #insertSnapshot: StatementSync;
  readonly #selectFills: StatementSync;
  readonly #selectSnapshots: StatementSync;
  readonly #insertDecision: StatementSync;
  readonly #pruneDecisions: StatementSync;
  readonly #recentDecisions: StatementSync;
  readonly #insertReplacement: StatementSync;
  readonly #insertFunding: StatementSync;
  #decisionsSincePrune = 0;
  readonly #equityRetention: EquityRetention;
  readonly #amendments: StopAmendmentJournal;

  constructor(opened: OpenedDatabase, options: OpenLedgerOptions) {
    this.#opened = opened;
    this.#db = opened.db;
    this.path = options.path;
    this.botId = options.botId;
    this.#ordersDurableBeforeSend = options.ordersDurableBeforeSend ?? true;
    this.#clock = options.clock;
    this.epoch = this.#claim(options);
    const db = this.#db;
    this.#batch = new GroupCommit(
      db,
      () => this.#writeDirtyPositions(),
      (error) => this.#failed(error),
    );
    this.#insertOrder = db.prepare(
      `INSERT INTO orders (client_order_id, sequence, bot, sub_account, intent_id, instrument, role, side, type, quantity, limit_price,
         trigger_price, time_in_force, reduce_only, parent_client_order_id, activates_on_parent_fill, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#insertEvent = db.prepare(
      'INSERT INTO order_events (client_order_id, type, venue_order_id, detail, at, quantity, limit_price, trigger_price) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#insertFill = db.prepare(
      `INSERT INTO fills (trade_id, sequence, client_order_id, instrument, side, quantity, price, fee, liquidity, leaves_quantity, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trade_id) DO NOTHING`,
    );
    this.#upsertPosition = db.prepare(
      `INSERT INTO positions (instrument, quantity, cost_basis, realized_pnl, fees, entry_orders, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (instrument) DO UPDATE SET quantity = excluded.quantity, cost_basis = excluded.cost_basis, realized_pnl = excluded.realized_pnl,
         fees = excluded.fees, entry_orders = excluded.entry_orders, updated_at = excluded.updated_at`,
    );
    this.#insertCapital = db.prepare('INSERT INTO capital (amount, at, note) VALUES (?, ?, ?)');
    this.#insertSnapshot = db.prepare('INSERT INTO equity_snapshots (at, balance, unrealized_pnl, equity) VALUES (?, ?, ?, ?)');
    this.#selectFills = db.prepare('SELECT * FROM fills ORDER BY sequence');
    this.#selectSnapshots = db.prepare('SELECT at, balance, unrealized_pnl, equity FROM equity_snapshots WHERE at >= ? ORDER BY at, id');
    this.#insertDecision = db.prepare(
      `INSERT INTO decisions (intent_id, instrument, outcome, reason, detail, requested_quantity, approved_quantity, client_order_id, decided_at, latency_ns, intent_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#pruneDecisions = db.prepare('DELETE FROM decisions WHERE id <= (SELECT MAX(id) FROM decisions) - ?');
    this.#recentDecisions = db.prepare('SELECT * FROM decisions ORDER BY id DESC LIMIT ?');
    this.#insertReplacement = db.prepare('INSERT INTO replacements (replacement, replaced) VALUES (?, ?)');
    this.#insertFunding = db.prepare(
      'INSERT INTO funding (funding_id, sequence, instrument, amount, rate, position_quantity, mark_price, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#equityRetention = new EquityRetention(db);
    this.#amendments = new StopAmendmentJournal(db, this.#batch, this.#ordersDurableBeforeSend);
    this.#recover();
  }

  /** Records who owns a new file, or checks that an existing one is this bot's; returns the ledger epoch. */
  #claim(options: OpenLedgerOptions): string {
    const row = this.#db.prepare('SELECT bot_id, epoch FROM meta WHERE id = 1').get() as { bot_id: string; epoch: string } | undefined;
    if (row !== undefined) {
      if (row.bot_id !== options.botId) {
        throw new InvariantViolation(`${options.path} is the ledger of bot "${row.bot_id}", not "${options.botId}"; refusing to open it`);
      }
      return row.epoch;
    }
    const createdAt = options.clock.now();
    const epoch = formatLedgerEpoch(createdAt);
    this.#db.prepare('INSERT INTO meta (id, bot_id, epoch, created_at) VALUES (1, ?, ?, ?)').run(options.botId, epoch, createdAt);
    return epoch;
  }

  /**
   * Opening is recovery: order state is replayed from orders, order_events and fills, and positions are refolded
   * from fills. Events are replayed before fills, which gives the live result because a terminal event is only
   * recorded while the order is open and a fill never changes a terminal status.
   */
  #recover(): void {
    const db = this.#db;
    for (const row of db.prepare('SELECT * FROM orders ORDER BY sequence').iterate() as Iterable<OrderRow>) {
      const record = orderFromRow(row);
      this.#orders.set(record.clientOrderId, { record, filledNotional: Decimal.ZERO });
      this.#bySequence.push(record.clientOrderId);
      this.#indexIntent(record);
      this.#nextOrderSequence = record.sequence + 1;
    }
    for (const row of db.prepare('SELECT * FROM order_events ORDER BY id').iterate() as Iterable<EventRow>) {
      const state = this.#recordedOrder(row.client_order_id, 'an event');
      const event: OrderEvent = { type: row.type, venueOrderId: row.venue_order_id as VenueOrderId | null, detail: row.detail, at: row.at, fill: null, amendment: amendmentFromRow(row) };
      const { next } = reduceOrder(state, event);
      if (next !== null) this.#orders.set(state.record.clientOrderId, next);
    }
    for (const row of this.#selectFills.iterate() as Iterable<FillRow>) {
      const fill = fillFromRow(row);
      const state = this.#recordedOrder(fill.clientOrderId, `fill ${fill.tradeId}`);
      const firstFillOfOrder = state.record.filledQuantity.isZero();
      const event: OrderEvent = fillEvent(fill, Decimal.parse(row.leaves_quantity));
      this.#orders.set(fill.clientOrderId, reduceOrder(state, event).next ?? state);
      this.#positions.set(fill.instrumentId, applyFill(this.#positions.get(fill.instrumentId) ?? null, { ...fill, role: state.record.role, firstFillOfOrder }));
      this.#nextFillSequence = row.sequence + 1;
    }
    for (const [id, state] of this.#orders) if (isOpenStatus(state.record.status)) this.#open.add(id);
    this.#repairPositionCache();
    for (const row of db.prepare('SELECT amount FROM capital ORDER BY id').iterate() as Iterable<{ amount: string }>) {
      this.#capital = this.#capital.add(Decimal.parse(row.amount));
    }
    for (const row of db.prepare('SELECT * FROM funding ORDER BY sequence').iterate() as Iterable<FundingRow>) {
      this.#addFunding(fundingFromRow(row));
      this.#nextFundingSequence = row.sequence + 1;
    }
  }

  #addFunding(payment: FundingPayment): void {
    this.#funding.set(payment.fundingId, payment);
    this.#fundingByInstrument.set(payment.instrumentId, (this.#fundingByInstrument.get(payment.instrumentId) ?? Decimal.ZERO).add(payment.amount));
    this.#fundingTotal = this.#fundingTotal.add(payment.amount);
  }

  #recordedOrder(id: string, what: string): OrderState {
    const state = this.#orders.get(id as ClientOrderId);
    if (state === undefined) throw new InvariantViolation(`${this.path}: ${what} names order ${id}, which is not recorded`);
    return state;
  }

  /** The cache is only a convenience for readers of the file; fills are the truth, so a stale cache is rewritten. */
  #repairPositionCache(): void {
    const cached = new Map<string, PositionRow>();
    for (const row of this.#db.prepare('SELECT * FROM positions').iterate() as Iterable<PositionRow>) cached.set(row.instrument, row);
    const computed = [...this.#positions.values()].map(positionRow);
    if (cached.size === computed.length && computed.every((row) => samePositionRow(row, cached.get(row.instrument)))) return;
    transaction(this.#db, () => {
      this.#db.exec('DELETE FROM positions');
      for (const row of computed) this.#writePosition(row);
    });
  }

  #writePosition(row: PositionRow): void {
    this.#upsertPosition.run(row.instrument, row.quantity, row.cost_basis, row.realized_pnl, row.fees, row.entry_orders, row.updated_at);
  }

  #writeDirtyPositions(): void {
    for (const instrumentId of this.#dirtyPositions) this.#writePosition(positionRow(this.#positions.get(instrumentId) as PositionRecord));
    this.#dirtyPositions.clear();
  }

  /** After a failed write memory is ahead of the file; only reopening (recovery) makes them agree again. */
  #failed(error: unknown): never {
    this.#batch.rollback();
    this.#closed = true;
    this.#opened.close();
    throw new InvariantViolation(`ledger ${this.path} failed to write and closed itself; reopen it to recover`, { cause: error });
  }

  #assertOpen(): void {
    if (this.#closed) throw new InvariantViolation(`ledger ${this.path} is closed`);
  }

  allocateClientOrderId(role: OrderRole): ClientOrderId {
    this.#assertOpen();
    const id = makeClientOrderId(this.botId, this.epoch, role, this.#nextOrderSequence);
    this.#nextOrderSequence += 1;
    this.#allocated.add(id);
    return id;
  }

  /** Commits at once, together with anything pending, unless opened for a backtest: an order must be durable before it is sent. */
  recordOrders(orders: readonly SubmitOrder[], at: number, options: RecordOrdersOptions = {}): OrderRecord[] {
    this.#assertOpen();
    const batch = new Set<ClientOrderId>(orders.map((order) => order.clientOrderId));
    if (batch.size !== orders.length) throw new InvariantViolation('recordOrders was given the same client order ID twice');
    const records = orders.map((order) => this.#checkNewOrder(order, batch, at));
    for (const [replacement, replaced] of options.replaces ?? []) {
      if (!batch.has(replacement)) throw new InvariantViolation(`replacement ${replacement} is not in the batch being recorded`);
      if (!this.#orders.has(replaced)) throw new InvariantViolation(`replacement ${replacement} names ${replaced}, which is not recorded`);
    }
    this.#batch.write(() => {
      if (options.decision !== undefined) this.#writeDecision(options.decision.decision, options.decision.intentJson);
      for (const r of records) {
        this.#insertOrder.run(
          r.clientOrderId, r.sequence, r.botId, r.subAccountId, r.intentId, r.instrumentId, r.role, r.side, r.type, r.quantity.toString(),
          decimalOrNull(r.limitPrice), decimalOrNull(r.triggerPrice), r.timeInForce, r.reduceOnly ? 1 : 0, r.parentClientOrderId,
          r.activatesOnParentFill ? 1 : 0, r.createdAt,
        );
        this.#orders.set(r.clientOrderId, { record: r, filledNotional: Decimal.ZERO });
        this.#insertBySequence(r);
        this.#indexIntent(r);
        this.#open.add(r.clientOrderId);
        this.#allocated.delete(r.clientOrderId);
      }
      for (const [replacement, replaced] of options.replaces ?? []) this.#insertReplacement.run(replacement, replaced);
    });
    if (this.#ordersDurableBeforeSend) this.#batch.commit();
    return records.map((record) => ({ ...record }));
  }

  #writeDecision(decision: Decision, intentJson: string): void {
    if (decision.botId !== this.botId) throw new InvariantViolation(`decision for bot ${decision.botId} does not belong to the ledger of ${this.botId}`);
    this.#insertDecision.run(
      decision.intentId, decision.instrumentId, decision.outcome, decision.reason, decision.detail, decimalOrNull(decision.requestedQuantity),
      decimalOrNull(decision.approvedQuantity), decision.clientOrderId, decision.decidedAt, decision.latencyNs, intentJson,
    );
    this.#decisionsSincePrune += 1;
    if (this.#decisionsSincePrune >= DECISIONS_KEPT) {
      this.#decisionsSincePrune = 0;
      this.#pruneDecisions.run(DECISIONS_KEPT);
    }
  }

  recentDecisions(limit: number): Array<{ decision: Decision; intentJson: string }> {
    this.#assertOpen();
    const rows = this.#recentDecisions.all(Math.max(0, Math.floor(limit))) as unknown as LedgerDecisionRow[];
    return rows.map((row) => ({
      intentJson: row.intent_json,
      decision: {
        intentId: row.intent_id as IntentId,
        botId: this.botId,
        instrumentId: row.instrument as InstrumentId,
        outcome: row.outcome as DecisionOutcome,
        reason: row.reason as DecisionReason | null,
        detail: row.detail,
        requestedQuantity: parseOrNull(row.requested_quantity),
        approvedQuantity: parseOrNull(row.approved_quantity),
        clientOrderId: row.client_order_id as ClientOrderId | null,
        decidedAt: row.decided_at,
        latencyNs: row.latency_ns,
      },
    }));
  }

  fillCursor(venue: string): string | null {
    this.#assertOpen();
    const row = this.#db.prepare('SELECT cursor FROM venue_cursors WHERE venue = ?').get(venue) as { cursor: string } | undefined;
    return row?.cursor ?? null;
  }

  setFillCursor(venue: string, cursor: string): void {
    this.#assertOpen();
    // In the group commit with the fills it follows: both land, or neither.
    this.#batch.write(() =>
      this.#db.prepare('INSERT INTO venue_cursors (venue, cursor, updated_at) VALUES (?, ?, ?) ON CONFLICT (venue) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at').run(venue, cursor, this.#clock.now()),
    );
  }

  recordStopAmendment(request: StopAmendmentRequest, at: number): StopAmendment {
    this.#assertOpen();
    this.#recordedOrder(request.clientOrderId, `amendment for intent ${request.intentId}`);
    return this.#amendments.record(request, at);
  }

  settleStopAmendment(id: number, outcome: StopAmendmentOutcome, detail: string, at: number): StopAmendment | null {
    this.#assertOpen();
    return this.#amendments.settle(id, outcome, detail, at);
  }

  stopAmendment(intentId: IntentId): StopAmendment | null {
    this.#assertOpen();
    return this.#amendments.forIntent(intentId);
  }

  unsettledStopAmendments(): StopAmendment[] {
    this.#assertOpen();
    return this.#amendments.unsettled();
  }

  openReplacements(): Map<ClientOrderId, ClientOrderId> {
    this.#assertOpen();
    const result = new Map<ClientOrderId, ClientOrderId>();
    for (const row of this.#db.prepare('SELECT replacement, replaced FROM replacements').iterate() as Iterable<{ replacement: string; replaced: string }>) {
      if (this.#open.has(row.replaced as ClientOrderId)) result.set(row.replacement as ClientOrderId, row.replaced as ClientOrderId);
    }
    return result;
  }

  #checkNewOrder(order: SubmitOrder, batch: ReadonlySet<ClientOrderId>, at: number): OrderRecord {
    const id = order.clientOrderId;
    const parts = parseClientOrderId(id);
    if (parts.bot !== this.botId || parts.epoch !== this.epoch || order.botId !== this.botId) {
      throw new InvariantViolation(`order ${id} for bot "${order.botId}" does not belong to this ledger (bot "${this.botId}", epoch ${this.epoch})`);
    }
    if (this.#orders.has(id)) throw new InvariantViolation(`order ${id} is already recorded; a client order ID is never reused`);
    if (!this.#allocated.has(id)) throw new InvariantViolation(`order ${id} was never allocated by this ledger`);
    if (parts.role !== order.role) throw new InvariantViolation(`order ${id} is marked ${parts.role} but its role is ${order.role}`);
    if (!order.quantity.isPositive()) throw new InvalidInputError(`order ${id} quantity must be positive, got ${order.quantity.toString()}`);
    const parent = order.parentClientOrderId;
    if (parent !== null && !this.#orders.has(parent) && !batch.has(parent)) {
      throw new InvariantViolation(`order ${id} names parent ${parent}, which is neither recorded nor in the same batch`);
    }
    return {
      clientOrderId: id,
      botId: order.botId,
      subAccountId: order.subAccountId,
      intentId: order.intentId,
      instrumentId: order.instrumentId,
      role: order.role,
      side: order.side,
      type: order.type,
      quantity: order.quantity,
      limitPrice: order.limitPrice,
      triggerPrice: order.triggerPrice,
      timeInForce: order.timeInForce,
      reduceOnly: order.reduceOnly,
      parentClientOrderId: parent,
      activatesOnParentFill: order.activatesOnParentFill,
      sequence: parts.sequence,
      createdAt: at,
      status: 'PENDING_SUBMIT',
      venueOrderId: null,
      filledQuantity: Decimal.ZERO,
      averageFillPrice: null,
      updatedAt: at,
      detail: '',
    };
  }

  #indexIntent(record: OrderRecord): void {
    const list = this.#byIntent.get(record.intentId);
    if (list === undefined) this.#byIntent.set(record.intentId, [record.clientOrderId]);
    else list.push(record.clientOrderId);
  }

  ordersForIntent(intentId: IntentId): OrderRecord[] {
    return (this.#byIntent.get(intentId) ?? []).map((id) => this.order(id)).filter((order): order is OrderRecord => order !== null);
  }

  #insertBySequence(record: OrderRecord): void {
    const list = this.#bySequence;
    let index = list.length;
    // Orders are nearly always recorded in allocation order, so this walks back zero or one step.
    while (index > 0 && (this.#orders.get(list[index - 1] as ClientOrderId)?.record.sequence ?? 0) > record.sequence) index -= 1;
    list.splice(index, 0, record.clientOrderId);
  }

  applyReport(report: ExecutionReport): ReportApplied {
    this.#assertOpen();
    if (report.type === 'ORDER_FILLED') return this.#applyFill(report);
    // A funding settlement names no order; it is booked as its own entry kind, not through the order reducer.
    if (report.type === 'FUNDING_SETTLED') return { order: null, duplicate: false, position: null, fill: null };
    const state = this.#orders.get(report.clientOrderId);
    if (state === undefined) return { order: null, duplicate: false, position: null, fill: null };
    const venueOrderId = report.type === 'ORDER_ACCEPTED' ? report.venueOrderId : null;
    const amendment = report.type === 'ORDER_AMENDED' ? { quantity: report.quantity, limitPrice: report.limitPrice, triggerPrice: report.triggerPrice } : null;
    const event: OrderEvent = { type: report.type, venueOrderId, detail: reportDetail(report), at: report.at, fill: null, amendment };
    const { next, duplicate } = reduceOrder(state, event);
    if (next !== null) {
      this.#batch.write(() => {
        this.#insertEvent.run(
          report.clientOrderId, report.type, venueOrderId, event.detail, report.at,
          amendment?.quantity.toString() ?? null, decimalOrNull(amendment?.limitPrice ?? null), decimalOrNull(amendment?.triggerPrice ?? null),
        );
        this.#setOrder(next);
      });
    }
    return { order: { ...(next ?? state).record }, duplicate, position: null, fill: null };
  }

  #applyFill(report: Extract<ExecutionReport, { type: 'ORDER_FILLED' }>): ReportApplied {
    const fill = report.fill;
    const state = this.#orders.get(fill.clientOrderId);
    if (state === undefined) return { order: null, duplicate: false, position: null, fill: null };
    const order = state.record;
    if (fill.instrumentId !== order.instrumentId || fill.side !== order.side) {
      throw new InvariantViolation(
        `fill ${fill.tradeId} (${fill.side} ${fill.instrumentId}) does not match order ${order.clientOrderId} (${order.side} ${order.instrumentId})`,
      );
    }
    if (report.leavesQuantity.isNegative()) throw new InvalidInputError(`fill ${fill.tradeId} leaves a negative quantity`);
    const position = applyFill(this.#positions.get(fill.instrumentId) ?? null, { ...fill, role: order.role, firstFillOfOrder: order.filledQuantity.isZero() });
    const next = reduceOrder(state, fillEvent(fill, report.leavesQuantity)).next ?? state;
    const applied = this.#batch.write(() => {
      const inserted = this.#insertFill.run(
        fill.tradeId, this.#nextFillSequence, fill.clientOrderId, fill.instrumentId, fill.side, fill.quantity.toString(), fill.price.toString(),
        fill.fee.toString(), fill.liquidity, report.leavesQuantity.toString(), fill.at,
      );
      if (inserted.changes === 0) return false;
      this.#nextFillSequence += 1;
      this.#setOrder(next);
      this.#positions.set(fill.instrumentId, position);
      this.#dirtyPositions.add(fill.instrumentId);
      return true;
    });
    if (!applied) return { order: { ...order }, duplicate: true, position: this.position(fill.instrumentId), fill: null };
    return { order: { ...next.record }, duplicate: false, position: { ...position }, fill };
  }

  #setOrder(state: OrderState): void {
    const id = state.record.clientOrderId;
    this.#orders.set(id, state);
    if (!isOpenStatus(state.record.status)) this.#open.delete(id);
  }

  order(clientOrderId: ClientOrderId): OrderRecord | null {
    const state = this.#orders.get(clientOrderId);
    return state === undefined ? null : { ...state.record };
  }

  openOrders(): OrderRecord[] {
    return [...this.#open]
      .map((id) => (this.#orders.get(id) as OrderState).record)
      .sort((a, b) => a.sequence - b.sequence)
      .map((record) => ({ ...record }));
  }

  recentOrders(limit: number): OrderRecord[] {
    const count = Math.max(0, Math.floor(limit));
    const ids = count === 0 ? [] : this.#bySequence.slice(-count).reverse();
    return ids.map((id) => ({ ...(this.#orders.get(id) as OrderState).record }));
  }

  fills(): Fill[] {
    this.#assertOpen();
    return (this.#selectFills.all() as unknown as FillRow[]).map(fillFromRow);
  }

  position(instrumentId: InstrumentId): PositionRecord | null {
    const position = this.#positions.get(instrumentId);
    return position === undefined ? null : { ...position };
  }

  holds(instrumentId: InstrumentId): boolean {
    const position = this.#positions.get(instrumentId);
    return position !== undefined && !position.quantity.isZero();
  }

  openPositions(): PositionRecord[] {
    return this.allPositions().filter((position) => !position.quantity.isZero());
  }

  allPositions(): PositionRecord[] {
    return [...this.#positions.values()]
      .sort((a, b) => (a.instrumentId < b.instrumentId ? -1 : a.instrumentId > b.instrumentId ? 1 : 0))
      .map((position) => ({ ...position }));
  }

  recordCapital(amount: Decimal, at: number, note: string): void {
    this.#assertOpen();
    this.#batch.write(() => {
      this.#insertCapital.run(amount.toString(), at, note);
      this.#capital = this.#capital.add(amount);
    });
  }

  capital(): Decimal {
    return this.#capital;
  }

  recordFunding(payment: FundingPayment): FundingRecorded {
    this.#assertOpen();
    const recorded = this.#funding.get(payment.fundingId);
    if (recorded !== undefined) return { payment: { ...recorded }, duplicate: true };
    if (!payment.markPrice.isPositive()) throw new InvalidInputError(`funding ${payment.fundingId}: mark price must be positive, got ${payment.markPrice.toString()}`);
    if (payment.positionQuantity.isZero()) throw new InvalidInputError(`funding ${payment.fundingId}: a payment is on a position, and the position quantity is zero`);
    if (!Number.isSafeInteger(payment.at)) throw new InvalidInputError(`funding ${payment.fundingId}: time must be integer ms, got ${payment.at}`);
    const entry: FundingPayment = { ...payment };
    this.#batch.write(() => {
      this.#insertFunding.run(
        entry.fundingId, this.#nextFundingSequence, entry.instrumentId, entry.amount.toString(), entry.rate.toString(),
        entry.positionQuantity.toString(), entry.markPrice.toString(), entry.at,
      );
      this.#nextFundingSequence += 1;
      this.#addFunding(entry);
    });
    return { payment: { ...entry }, duplicate: false };
  }

  fundingPayments(): FundingPayment[] {
    return [...this.#funding.values()].map((payment) => ({ ...payment }));
  }

  fundingByInstrument(): Map<InstrumentId, Decimal> {
    return new Map(this.#fundingByInstrument);
  }

  balance(): Decimal {
    let balance = this.#capital.add(this.#fundingTotal);
    for (const position of this.#positions.values()) balance = balance.add(position.realizedPnl).sub(position.fees);
    return balance;
  }

  equity(marks: ReadonlyMap<InstrumentId, Decimal>, at: number): EquitySnapshot {
    let unrealized = Decimal.ZERO;
    for (const position of this.#positions.values()) {
      const mark = marks.get(position.instrumentId);
      if (mark !== undefined && !position.quantity.isZero()) unrealized = unrealized.add(unrealizedPnl(position, mark));
    }
    const balance = this.balance();
    return { at, balance, unrealizedPnl: unrealized, equity: balance.add(unrealized) };
  }

  recordEquitySnapshot(snapshot: EquitySnapshot): void {
    this.#assertOpen();
    this.#batch.write(() => {
      this.#insertSnapshot.run(snapshot.at, snapshot.balance.toString(), snapshot.unrealizedPnl.toString(), snapshot.equity.toString());
      // Older parts of the curve are thinned as they age (equity-retention.ts), so the table stays small.
      this.#equityRetention.afterSnapshot(snapshot.at);
    });
  }

  equitySnapshots(sinceMs: number): EquitySnapshot[] {
    this.#assertOpen();
    const rows = this.#selectSnapshots.all(sinceMs) as unknown as { at: number; balance: string; unrealized_pnl: string; equity: string }[];
    return rows.map((row) => ({
      at: row.at,
      balance: Decimal.parse(row.balance),
      unrealizedPnl: Decimal.parse(row.unrealized_pnl),
      equity: Decimal.parse(row.equity),
    }));
  }

  /** Commits anything pending, then releases the file. */
  close(): void {
    if (this.#closed) return;
    this.#batch.commit();
    this.#closed = true;
    this.#opened.close();
  }

  latestRecordedAt(): number | null {
    this.#assertOpen();
    const row = this.#db
      .prepare(
        `SELECT MAX(
           COALESCE((SELECT MAX(created_at) FROM orders), -1),
           COALESCE((SELECT MAX(at) FROM order_events), -1),
           COALESCE((SELECT MAX(at) FROM fills), -1),
           COALESCE((SELECT MAX(at) FROM funding), -1),
           COALESCE((SELECT MAX(at) FROM equity_snapshots), -1)) AS latest`,
      )
      .get() as { latest: number };
    return row.latest < 0 ? null : row.latest;
  }
}

/** Opens (creating if needed) one bot's ledger as its only writer; opening is crash recovery. */
export function openLedger(options: OpenLedgerOptions): Ledger {
  const opened = openDatabase(options.path, LEDGER_MIGRATIONS, options.durability ?? 'NORMAL');
  try {
    return new SqliteLedger(opened, options);
  } catch (error) {
    opened.close();
    throw error;
  }
}
