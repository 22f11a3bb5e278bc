import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseSync } from 'node:sqlite';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.ts';
import { Decimal, dec } from '../../core/decimal.ts';
import { InvariantViolation, StoreLockedError } from '../../core/errors.ts';
import { formatLedgerEpoch, makeClientOrderId, parseBotId, parseClientOrderId, parseInstrumentId, parseIntentId, parseSubAccountId, parseTradeId, parseVenueOrderId } from '../../core/ids.ts';
import type { ClientOrderId, InstrumentId, OrderRole } from '../../core/ids.ts';
import type { Side } from '../../core/intent.ts';
import type { ExecutionReport, Fill, SubmitOrder } from '../../core/order.ts';
import { openDatabaseReadOnly } from '../../core/sqlite.ts';
import { applyFill } from '../../ledger/position.ts';
import { openLedger } from '../../ledger/sqlite-ledger.ts';
import type { Ledger, PositionRecord } from '../../ledger/types.ts';

const BOT = parseBotId('trend');
const SUB = parseSubAccountId('trend');
const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const ETH = parseInstrumentId('ETHUSDT.BYBIT');

let dir: string;
let opened: Ledger[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-ledger-'));
  opened = [];
});

afterEach(() => {
  for (const ledger of opened) ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function ledgerPath(name = 'trend'): string {
  return join(dir, `${name}.sqlite`);
}

function open(options: { path?: string; botId?: string; clock?: ManualClock } = {}): Ledger {
  const ledger = openLedger({ path: options.path ?? ledgerPath(), botId: parseBotId(options.botId ?? BOT), clock: options.clock ?? new ManualClock() });
  opened.push(ledger);
  return ledger;
}

function reopen(ledger: Ledger): Ledger {
  ledger.close();
  return open({ path: ledger.path, botId: ledger.botId });
}

interface OrderSpec {
  role?: OrderRole;
  side?: Side;
  quantity?: string;
  instrumentId?: InstrumentId;
  parent?: ClientOrderId | null;
  clientOrderId?: ClientOrderId;
}

function submitOrder(ledger: Ledger, spec: OrderSpec = {}): SubmitOrder {
  const role = spec.role ?? 'ENTRY';
  return {
    clientOrderId: spec.clientOrderId ?? ledger.allocateClientOrderId(role),
    botId: ledger.botId,
    subAccountId: SUB,
    intentId: parseIntentId('intent-1'),
    instrumentId: spec.instrumentId ?? BTC,
    role,
    side: spec.side ?? 'BUY',
    type: role === 'STOP' ? 'STOP_MARKET' : 'MARKET',
    quantity: dec(spec.quantity ?? '1'),
    limitPrice: null,
    triggerPrice: role === 'STOP' ? dec('50000') : null,
    timeInForce: 'GTC',
    reduceOnly: role !== 'ENTRY',
    parentClientOrderId: spec.parent ?? null,
    activatesOnParentFill: spec.parent !== undefined && spec.parent !== null,
  };
}

function record(ledger: Ledger, spec: OrderSpec = {}, at = 1): SubmitOrder {
  const order = submitOrder(ledger, spec);
  ledger.recordOrders([order], at);
  return order;
}

function filled(order: SubmitOrder, tradeId: string, quantity: string, price: string, leaves: string, options: { fee?: string; at?: number } = {}): ExecutionReport {
  return {
    type: 'ORDER_FILLED',
    subAccountId: SUB,
    fill: {
      tradeId: parseTradeId(tradeId),
      clientOrderId: order.clientOrderId,
      instrumentId: order.instrumentId,
      side: order.side,
      quantity: dec(quantity),
      price: dec(price),
      fee: dec(options.fee ?? '0'),
      liquidity: 'TAKER',
      at: options.at ?? 10,
    },
    cumulativeQuantity: order.quantity.sub(dec(leaves)),
    leavesQuantity: dec(leaves),
  };
}

function fillOf(report: ExecutionReport): Fill {
  if (report.type !== 'ORDER_FILLED') throw new Error(`${report.type} is not a fill`);
  return report.fill;
}

function accepted(clientOrderId: ClientOrderId, venueOrderId = `v-${clientOrderId}`, at = 5): ExecutionReport {
  return { type: 'ORDER_ACCEPTED', subAccountId: SUB, clientOrderId, venueOrderId: parseVenueOrderId(venueOrderId), at };
}

function canceled(clientOrderId: ClientOrderId, at = 20): ExecutionReport {
  return { type: 'ORDER_CANCELED', subAccountId: SUB, clientOrderId, detail: 'canceled by user', at };
}

describe('opening a ledger', () => {
  it('records the bot and the epoch on first open and keeps them on reopen', () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 1));
    const first = open({ clock });
    expect(first.epoch).toBe(formatLedgerEpoch(Date.UTC(2026, 2, 1)));
    clock.advance(60_000);
    const second = reopen(first);
    expect(second.epoch).toBe(first.epoch);
    expect(second.botId).toBe(BOT);
  });

  it('uses WAL journal mode', () => {
    open();
    const reader = openDatabaseReadOnly(ledgerPath());
    try {
      expect(reader.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    } finally {
      reader.close();
    }
  });

  it('refuses the file of another bot and leaves it usable by its own bot', () => {
    open().close();
    expect(() => open({ botId: 'mean-revert' })).toThrow(InvariantViolation);
    expect(() => open({ botId: 'mean-revert' })).toThrow(/ledger of bot "trend", not "mean-revert"/);
    expect(open().botId).toBe(BOT);
  });

  it('refuses a second writer on the same file in the same process', () => {
    open();
    expect(() => open()).toThrow(StoreLockedError);
  });
});

describe('recording orders', () => {
  it('keeps an order recorded before send across a close and reopen as PENDING_SUBMIT', () => {
    const ledger = open();
    const order = record(ledger, { quantity: '0.25' }, 42);
    const after = reopen(ledger).order(order.clientOrderId);
    expect(after).toMatchObject({ clientOrderId: order.clientOrderId, status: 'PENDING_SUBMIT', createdAt: 42, venueOrderId: null, averageFillPrice: null });
    expect(after?.quantity).toEqual(dec('0.25'));
  });

  it('makes a recorded order durable before recordOrders returns', () => {
    const ledger = open();
    const order = record(ledger);
    const reader = openDatabaseReadOnly(ledgerPath());
    try {
      expect(reader.prepare('SELECT client_order_id FROM orders').all()).toEqual([{ client_order_id: order.clientOrderId }]);
    } finally {
      reader.close();
    }
  });

  it('leaves a recorded order to the group commit when opened for a backtest, and has it on disk once closed', () => {
    const ledger = openLedger({ path: ledgerPath(), botId: BOT, clock: new ManualClock(0), ordersDurableBeforeSend: false });
    const order = record(ledger);
    const reader = openDatabaseReadOnly(ledgerPath());
    try {
      const rows = reader.prepare('SELECT client_order_id FROM orders');
      expect(rows.all()).toEqual([]);
      ledger.close();
      expect(rows.all()).toEqual([{ client_order_id: order.clientOrderId }]);
    } finally {
      reader.close();
    }
  });

  it('keeps client order ids unique and increasing across reopens', () => {
    let ledger = open();
    const sequences: number[] = [];
    for (let restart = 0; restart < 4; restart++) {
      for (const role of ['ENTRY', 'STOP', 'TAKE_PROFIT'] as const) sequences.push(parseClientOrderId(record(ledger, { role, side: role === 'ENTRY' ? 'BUY' : 'SELL' }).clientOrderId).sequence);
      ledger = reopen(ledger);
    }
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
    expect(new Set(sequences).size).toBe(sequences.length);
    expect(parseClientOrderId(ledger.allocateClientOrderId('ENTRY')).sequence).toBeGreaterThan(Math.max(...sequences));
  });

  it('refuses an id already recorded, one never allocated, and one of another bot or epoch', () => {
    const ledger = open();
    const order = record(ledger);
    expect(() => ledger.recordOrders([order], 2)).toThrow(/already recorded/);
    const unallocated = makeClientOrderId(BOT, ledger.epoch, 'ENTRY', 99);
    expect(() => ledger.recordOrders([submitOrder(ledger, { clientOrderId: unallocated })], 2)).toThrow(/never allocated/);
    const otherEpoch = makeClientOrderId(BOT, formatLedgerEpoch(Date.UTC(2025, 0, 1)), 'ENTRY', 2);
    expect(() => ledger.recordOrders([submitOrder(ledger, { clientOrderId: otherEpoch })], 2)).toThrow(InvariantViolation);
    const otherBot = makeClientOrderId(parseBotId('scalper'), ledger.epoch, 'ENTRY', 2);
    expect(() => ledger.recordOrders([submitOrder(ledger, { clientOrderId: otherBot })], 2)).toThrow(/does not belong/);
    expect(ledger.recentOrders(10).map((o) => o.clientOrderId)).toEqual([order.clientOrderId]);
  });

  it('records a bracket in one batch, children naming a parent from the same batch', () => {
    const ledger = open();
    const entry = submitOrder(ledger);
    const stop = submitOrder(ledger, { role: 'STOP', side: 'SELL', parent: entry.clientOrderId });
    const takeProfit = submitOrder(ledger, { role: 'TAKE_PROFIT', side: 'SELL', parent: entry.clientOrderId });
    const records = ledger.recordOrders([entry, stop, takeProfit], 3);
    expect(records.map((r) => r.status)).toEqual(['PENDING_SUBMIT', 'PENDING_SUBMIT', 'PENDING_SUBMIT']);
    expect(reopen(ledger).order(stop.clientOrderId)).toMatchObject({ parentClientOrderId: entry.clientOrderId, activatesOnParentFill: true, reduceOnly: true });
  });

  it('lists open orders by sequence and recent orders newest first', () => {
    const ledger = open();
    const [a, b, c] = [record(ledger), record(ledger), record(ledger)];
    ledger.applyReport(canceled(b.clientOrderId));
    expect(ledger.openOrders().map((o) => o.clientOrderId)).toEqual([a.clientOrderId, c.clientOrderId]);
    expect(ledger.recentOrders(2).map((o) => o.clientOrderId)).toEqual([c.clientOrderId, b.clientOrderId]);
    expect(ledger.recentOrders(0)).toEqual([]);
  });
});

describe('applying execution reports', () => {
  it('moves an order through ACCEPTED, PARTIALLY_FILLED and FILLED with a volume-weighted price', () => {
    const ledger = open();
    const order = record(ledger, { quantity: '3' });
    expect(ledger.applyReport(accepted(order.clientOrderId, 'venue-1')).order).toMatchObject({ status: 'ACCEPTED', venueOrderId: 'venue-1' });
    const partial = ledger.applyReport(filled(order, 't1', '1', '100', '2'));
    expect(partial).toMatchObject({ duplicate: false, order: { status: 'PARTIALLY_FILLED' } });
    const full = ledger.applyReport(filled(order, 't2', '2', '103', '0', { at: 11 }));
    expect(full.order).toMatchObject({ status: 'FILLED', filledQuantity: dec('3'), averageFillPrice: dec('102'), updatedAt: 11 });
    expect(full.position).toMatchObject({ quantity: dec('3'), costBasis: dec('306'), entryOrders: 1 });
    expect(ledger.openOrders()).toEqual([]);
  });

  it('holds an instrument from its first fill until the position is flat again', () => {
    const ledger = open();
    const buy = record(ledger, { quantity: '2' });
    expect(ledger.holds(BTC)).toBe(false);
    ledger.applyReport(filled(buy, 't1', '2', '100', '0'));
    expect(ledger.holds(BTC)).toBe(true);
    expect(ledger.holds(ETH)).toBe(false);
    const sell = record(ledger, { side: 'SELL', quantity: '2' });
    ledger.applyReport(filled(sell, 't2', '2', '101', '0'));
    expect(ledger.holds(BTC)).toBe(false);
  });

  it('rejects a duplicate trade id without changing the position or the order, also after reopen', () => {
    let ledger = open();
    const order = record(ledger, { quantity: '2' });
    const report = filled(order, 'trade-1', '1', '100', '1', { fee: '0.1' });
    const first = ledger.applyReport(report);
    const again = ledger.applyReport(report);
    expect(again).toMatchObject({ duplicate: true, fill: null });
    expect(again.order).toEqual(first.order);
    expect(again.position).toEqual(first.position);
    ledger = reopen(ledger);
    expect(ledger.applyReport(report).duplicate).toBe(true);
    expect(ledger.position(BTC)).toEqual(first.position);
    expect(ledger.order(order.clientOrderId)).toEqual(first.order);
    expect(ledger.fills()).toEqual([fillOf(report)]);
  });

  it('keeps a terminal order terminal when a late acceptance or a repeated cancel arrives', () => {
    const ledger = open();
    const done = record(ledger);
    ledger.applyReport(filled(done, 't1', '1', '100', '0'));
    const late = ledger.applyReport(accepted(done.clientOrderId, 'venue-late'));
    expect(late).toMatchObject({ duplicate: true, order: { status: 'FILLED', venueOrderId: 'venue-late' } });
    const gone = record(ledger);
    expect(ledger.applyReport(canceled(gone.clientOrderId)).duplicate).toBe(false);
    expect(ledger.applyReport(canceled(gone.clientOrderId))).toMatchObject({ duplicate: true, order: { status: 'CANCELED' } });
    expect(ledger.applyReport(accepted(gone.clientOrderId))).toMatchObject({ duplicate: true, order: { status: 'CANCELED', venueOrderId: 'v-' + gone.clientOrderId } });
    const reopened = reopen(ledger);
    expect(reopened.order(done.clientOrderId)?.status).toBe('FILLED');
    expect(reopened.order(gone.clientOrderId)?.status).toBe('CANCELED');
  });

  it('counts a fill that arrives after a cancel without reopening the order', () => {
    const ledger = open();
    const order = record(ledger, { quantity: '2' });
    ledger.applyReport(canceled(order.clientOrderId));
    const late = ledger.applyReport(filled(order, 't1', '1', '100', '0'));
    expect(late.order).toMatchObject({ status: 'CANCELED', filledQuantity: dec('1') });
    expect(late.position?.quantity).toEqual(dec('1'));
  });

  it('keeps the rejection reason and detail, and a cancel rejection leaves the order open', () => {
    const ledger = open();
    const order = record(ledger);
    const rejected = ledger.applyReport({ type: 'CANCEL_REJECTED', subAccountId: SUB, clientOrderId: order.clientOrderId, reason: 'UNKNOWN_ORDER', detail: 'not found', at: 7 });
    expect(rejected.order).toMatchObject({ status: 'PENDING_SUBMIT', detail: 'UNKNOWN_ORDER: not found' });
    const refused = ledger.applyReport({ type: 'ORDER_REJECTED', subAccountId: SUB, clientOrderId: order.clientOrderId, reason: 'INSUFFICIENT_BALANCE', detail: 'margin', at: 8 });
    expect(refused.order).toMatchObject({ status: 'REJECTED', detail: 'INSUFFICIENT_BALANCE: margin', updatedAt: 8 });
    expect(reopen(ledger).order(order.clientOrderId)).toEqual(refused.order);
  });

  it('applies a venue\'s amendment to a working order and has the amended order after reopen', () => {
    const ledger = open();
    const stop = record(ledger, { role: 'STOP', side: 'SELL', quantity: '3' });
    ledger.applyReport(accepted(stop.clientOrderId));
    const amended = ledger.applyReport({
      type: 'ORDER_AMENDED', subAccountId: SUB, clientOrderId: stop.clientOrderId, quantity: dec('2'), limitPrice: null, triggerPrice: dec('49000'), detail: 'reduce-only: cut', at: 9,
    });
    expect(amended).toMatchObject({ duplicate: false, order: { status: 'ACCEPTED', quantity: dec('2'), triggerPrice: dec('49000'), detail: 'reduce-only: cut', updatedAt: 9 } });
    const again = ledger.applyReport({
      type: 'ORDER_AMENDED', subAccountId: SUB, clientOrderId: stop.clientOrderId, quantity: dec('2'), limitPrice: null, triggerPrice: dec('49000'), detail: 'reduce-only: cut', at: 9,
    });
    expect(again.duplicate).toBe(true);
    const refused = ledger.applyReport({ type: 'AMEND_REJECTED', subAccountId: SUB, clientOrderId: stop.clientOrderId, reason: 'INVALID_ORDER', detail: 'off tick', at: 10 });
    expect(refused.order).toMatchObject({ quantity: dec('2'), detail: 'INVALID_ORDER: off tick' });
    ledger.applyReport(filled(stop, 't1', '2', '49000', '0'));
    const reopened = reopen(ledger);
    expect(reopened.order(stop.clientOrderId)).toEqual(ledger.order(stop.clientOrderId) ?? undefined);
    expect(reopened.order(stop.clientOrderId)).toMatchObject({ status: 'FILLED', quantity: dec('2'), triggerPrice: dec('49000'), filledQuantity: dec('2') });
  });

  it('migrates a version 1 file to version 2 with every order event kept', () => {
    const path = ledgerPath();
    const first = open({ path });
    const order = record(first);
    first.applyReport(accepted(order.clientOrderId, 'venue-1'));
    first.applyReport(canceled(order.clientOrderId));
    const before = first.order(order.clientOrderId);
    first.close();
    // Back to what a version 1 build wrote: the old order_events table, user_version 1.
    const db = new DatabaseSync(path);
    db.exec(`
      DROP TABLE order_events;
      CREATE TABLE order_events (
        id INTEGER PRIMARY KEY,
        client_order_id TEXT NOT NULL REFERENCES orders (client_order_id),
        type TEXT NOT NULL CHECK (type IN ('ORDER_ACCEPTED', 'ORDER_REJECTED', 'ORDER_CANCELED', 'ORDER_EXPIRED', 'CANCEL_REJECTED')),
        venue_order_id TEXT,
        detail TEXT NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
      INSERT INTO order_events (client_order_id, type, venue_order_id, detail, at) VALUES ('${order.clientOrderId}', 'ORDER_ACCEPTED', 'venue-1', '', 5);
      INSERT INTO order_events (client_order_id, type, venue_order_id, detail, at) VALUES ('${order.clientOrderId}', 'ORDER_CANCELED', NULL, 'canceled by user', 20);
      DROP TABLE replacements;
      DROP TABLE decisions;
      DROP TABLE venue_cursors;
      DROP TABLE funding;
      DROP TABLE stop_amendment_outcomes;
      DROP TABLE stop_amendments;
      PRAGMA user_version = 1;
    `);
    db.close();

    const migrated = open({ path });

    expect(migrated.order(order.clientOrderId)).toEqual(before);
    const check = openDatabaseReadOnly(path);
    try {
      // At least 2: later migrations may follow this one.
      expect((check.prepare('PRAGMA user_version').get() as { user_version: number }).user_version).toBeGreaterThanOrEqual(2);
    } finally {
      check.close();
    }
    const stop = record(migrated, { role: 'STOP', side: 'SELL', quantity: '2' });
    migrated.applyReport({ type: 'ORDER_AMENDED', subAccountId: SUB, clientOrderId: stop.clientOrderId, quantity: dec('1'), limitPrice: null, triggerPrice: dec('50000'), detail: 'cut', at: 30 });
    expect(reopen(migrated).order(stop.clientOrderId)?.quantity).toEqual(dec('1'));
  });

  it('refuses an UPDATE or DELETE of order_events after the migration, as before it', () => {
    const ledger = open();
    const order = record(ledger);
    ledger.applyReport(accepted(order.clientOrderId));
    ledger.close();
    const db = new DatabaseSync(ledger.path);
    try {
      expect(() => db.prepare('DELETE FROM order_events').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE order_events SET detail = 'x'").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });

  it('returns order null and records nothing for an unknown client order id', () => {
    const ledger = open();
    const stranger = submitOrder(ledger, { clientOrderId: makeClientOrderId(BOT, ledger.epoch, 'ENTRY', 500) });
    expect(ledger.applyReport(filled(stranger, 't1', '1', '100', '0'))).toEqual({ order: null, duplicate: false, position: null, fill: null });
    expect(ledger.applyReport(accepted(stranger.clientOrderId)).order).toBeNull();
    expect(ledger.fills()).toEqual([]);
    expect(ledger.allPositions()).toEqual([]);
    expect(reopen(ledger).recentOrders(10)).toEqual([]);
  });

  it('refuses a fill whose instrument or side differs from its order', () => {
    const ledger = open();
    const order = record(ledger);
    expect(() => ledger.applyReport(filled({ ...order, side: 'SELL' }, 't1', '1', '100', '0'))).toThrow(InvariantViolation);
    expect(ledger.fills()).toEqual([]);
  });

  it('commits applied fills by the end of the tick', async () => {
    const ledger = open();
    const order = record(ledger);
    ledger.applyReport(filled(order, 't1', '1', '100', '0'));
    await new Promise((resolve) => setImmediate(resolve));
    const reader = openDatabaseReadOnly(ledgerPath());
    try {
      expect(reader.prepare('SELECT trade_id FROM fills').all()).toEqual([{ trade_id: 't1' }]);
    } finally {
      reader.close();
    }
  });

  it('writes the position cache in the transaction of its fill when a long burst commits early', () => {
    const ledger = open();
    const order = record(ledger, { quantity: '5000' });
    for (let trade = 1; trade <= 1500; trade++) ledger.applyReport(filled(order, `t${trade}`, '1', '100', String(5000 - trade)));
    // Read before this tick ends: only what has been committed is visible, and it must agree with itself.
    const reader = openDatabaseReadOnly(ledgerPath());
    try {
      const committed = reader.prepare('SELECT count(*) AS fills FROM fills').get() as { fills: number };
      expect(committed.fills).toBeGreaterThan(0);
      expect(committed.fills).toBeLessThan(1500);
      expect(reader.prepare('SELECT quantity FROM positions').get()).toEqual({ quantity: String(committed.fills) });
    } finally {
      reader.close();
    }
    expect(ledger.position(BTC)?.quantity).toEqual(dec('1500'));
  });

  it('stores money and quantities as canonical decimal text', () => {
    const ledger = open();
    const order = record(ledger, { quantity: '0.50' });
    ledger.applyReport(filled(order, 't1', '0.5', '0.00001234', '0', { fee: '0.000000006170' }));
    ledger.close();
    const db = new DatabaseSync(ledgerPath(), { readOnly: true });
    try {
      expect(db.prepare('SELECT quantity, typeof(quantity) AS kind FROM orders').get()).toEqual({ quantity: '0.5', kind: 'text' });
      expect(db.prepare('SELECT price, fee, typeof(price) AS kind FROM fills').get()).toEqual({ price: '0.00001234', fee: '0.00000000617', kind: 'text' });
      expect(db.prepare('SELECT cost_basis, typeof(cost_basis) AS kind FROM positions').get()).toEqual({ cost_basis: '0.00000617', kind: 'text' });
    } finally {
      db.close();
    }
  });
});

describe('positions and recovery', () => {
  function trade(ledger: Ledger): void {
    const long = record(ledger, { quantity: '0.5' });
    ledger.applyReport(filled(long, 'b1', '0.3', '60000', '0.2', { fee: '1.8' }));
    ledger.applyReport(filled(long, 'b2', '0.2', '60100', '0', { fee: '1.2' }));
    const trim = record(ledger, { role: 'CLOSE', side: 'SELL', quantity: '0.2' });
    ledger.applyReport(filled(trim, 'b3', '0.2', '62000', '0', { fee: '1.24' }));
    const short = record(ledger, { instrumentId: ETH, side: 'SELL', quantity: '2' });
    ledger.applyReport(filled(short, 'e1', '2', '3000', '0', { fee: '0.6' }));
  }

  it('gives the same positions and orders after reopen as before', () => {
    const ledger = open();
    trade(ledger);
    const positions = ledger.allPositions();
    const orders = ledger.recentOrders(100);
    const reopened = reopen(ledger);
    expect(reopened.allPositions()).toEqual(positions);
    expect(reopened.recentOrders(100)).toEqual(orders);
    expect(positions.map((p) => [p.instrumentId, p.quantity.toString()])).toEqual([
      [BTC, '0.3'],
      [ETH, '-2'],
    ]);
  });

  it('rebuilds a corrupted positions cache from fills on open', () => {
    const ledger = open();
    trade(ledger);
    const positions = ledger.allPositions();
    ledger.close();
    const db = new DatabaseSync(ledgerPath());
    db.exec(`UPDATE positions SET quantity = '999', realized_pnl = '1e3' WHERE instrument = 'BTCUSDT.BYBIT'`);
    db.exec(`INSERT INTO positions VALUES ('SOLUSDT.BYBIT', '5', '500', '0', '0', 1, 1)`);
    db.close();
    const reopened = open();
    expect(reopened.allPositions()).toEqual(positions);
    reopened.close();
    const check = new DatabaseSync(ledgerPath(), { readOnly: true });
    try {
      expect(check.prepare('SELECT instrument, quantity, realized_pnl FROM positions ORDER BY instrument').all()).toEqual([
        { instrument: BTC, quantity: '0.3', realized_pnl: positions[0]?.realizedPnl.toString() },
        { instrument: ETH, quantity: '-2', realized_pnl: '0' },
      ]);
    } finally {
      check.close();
    }
  });

  it('makes equity the balance plus unrealized PnL at the given marks, unmarked positions at cost', () => {
    let ledger = open();
    ledger.recordCapital(dec('10000'), 1, 'deposit');
    ledger.recordCapital(dec('-1000'), 2, 'withdrawal');
    trade(ledger);
    // BTC: 0.5 long at 60040 average, 0.2 closed at 62000 → realized 392; fees 1.8 + 1.2 + 1.24 + 0.6 = 4.84.
    expect(ledger.capital()).toEqual(dec('9000'));
    expect(ledger.balance()).toEqual(dec('9387.16'));
    const btcOnly = ledger.equity(new Map([[BTC, dec('61000')]]), 100);
    expect(btcOnly).toEqual({ at: 100, balance: dec('9387.16'), unrealizedPnl: dec('288'), equity: dec('9675.16') });
    const both = ledger.equity(new Map([[BTC, dec('61000')], [ETH, dec('2900')]]), 200);
    expect(both.equity).toEqual(dec('9875.16'));
    ledger.recordEquitySnapshot(btcOnly);
    ledger.recordEquitySnapshot(both);
    ledger = reopen(ledger);
    expect(ledger.capital()).toEqual(dec('9000'));
    expect(ledger.equitySnapshots(150)).toEqual([both]);
    expect(ledger.equitySnapshots(0)).toEqual([btcOnly, both]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Another live process: a child that records one order and then holds the file until it is killed.

const CHILD_SCRIPT = `
const { pathToFileURL } = await import('node:url');
const root = process.env.FLOTILLA_ROOT;
const { openLedger } = await import(pathToFileURL(root + '/ledger/sqlite-ledger.ts').href);
const { ManualClock } = await import(pathToFileURL(root + '/core/clock.ts').href);
const { dec } = await import(pathToFileURL(root + '/core/decimal.ts').href);
const ledger = openLedger({ path: process.env.LEDGER_PATH, botId: 'trend', clock: new ManualClock() });
const id = ledger.allocateClientOrderId('ENTRY');
ledger.recordOrders([{ clientOrderId: id, botId: 'trend', subAccountId: 'trend', intentId: 'intent-1', instrumentId: 'BTCUSDT.BYBIT',
  role: 'ENTRY', side: 'BUY', type: 'MARKET', quantity: dec('0.5'), limitPrice: null, triggerPrice: null, timeInForce: 'GTC',
  reduceOnly: false, parentClientOrderId: null, activatesOnParentFill: false }], 1);
process.stdout.write(id + '\\n');
setInterval(() => {}, 1000);
`;

async function startHolder(path: string): Promise<{ child: ChildProcess; clientOrderId: ClientOrderId }> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SCRIPT], {
    env: { ...process.env, FLOTILLA_ROOT: root, LEDGER_PATH: path },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('\n')) resolve(output.trim());
    });
    child.on('exit', (code) => reject(new Error(`holder exited with ${code}: ${errors}`)));
  });
  return { child, clientOrderId: line as ClientOrderId };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('another process', () => {
  it('refuses a second writer while another live process holds the file', async () => {
    const { child } = await startHolder(ledgerPath());
    try {
      expect(() => open()).toThrow(StoreLockedError);
    } finally {
      await kill(child);
    }
  });

  it('keeps an order recorded before send when the recording process is killed', async () => {
    const { child, clientOrderId } = await startHolder(ledgerPath());
    await kill(child);
    const ledger = open();
    expect(ledger.order(clientOrderId)).toMatchObject({ status: 'PENDING_SUBMIT', quantity: dec('0.5') });
    expect(parseClientOrderId(ledger.allocateClientOrderId('ENTRY')).sequence).toBe(parseClientOrderId(clientOrderId).sequence + 1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties on real files: the ledger agrees with the pure fold, and reopening changes nothing.

interface Step {
  instrument: 0 | 1;
  kind: 'open' | 'close' | 'flip';
  buy: boolean;
  lots: number;
  percent: number;
  ticks: number;
  parts: number;
  feeUnits: number;
  entryFlip: boolean;
  replay: number | null;
}

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  instrument: fc.constantFrom(0 as const, 1 as const),
  kind: fc.constantFrom('open', 'close', 'flip'),
  buy: fc.boolean(),
  lots: fc.integer({ min: 1, max: 400 }),
  percent: fc.integer({ min: 1, max: 100 }),
  ticks: fc.integer({ min: 0, max: 1_000_000 }),
  parts: fc.integer({ min: 1, max: 3 }),
  feeUnits: fc.integer({ min: -500, max: 20_000 }),
  entryFlip: fc.boolean(),
  replay: fc.option(fc.nat(), { nil: null }),
});

const MARKETS = [
  { id: BTC, tick: dec('0.1'), lot: dec('0.001'), minTicks: 200_000, maxTicks: 1_200_000 },
  { id: parseInstrumentId('PEPEUSDT.BYBIT'), tick: dec('0.00000001'), lot: dec('1000'), minTicks: 100, maxTicks: 5_000 },
] as const;

describe('ledger properties', () => {
  it('gives the same positions through applyReport as the pure fold, before and after reopen', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(stepArbitrary, { minLength: 1, maxLength: 25 }), (steps) => {
        run += 1;
        const path = join(dir, `run-${run}`, 'trend.sqlite');
        mkdirSync(join(dir, `run-${run}`));
        let ledger = open({ path });
        const expected = new Map<InstrumentId, PositionRecord>();
        const applied: ExecutionReport[] = [];
        let tradeNumber = 0;
        for (const step of steps) {
          const market = MARKETS[step.instrument];
          const held = expected.get(market.id)?.quantity ?? Decimal.ZERO;
          const heldLots = Number(held.abs().units / market.lot.units);
          const opening = held.isZero() || step.kind === 'open';
          const side: Side = opening ? (step.buy ? 'BUY' : 'SELL') : held.isPositive() ? 'SELL' : 'BUY';
          const lots = opening ? step.lots : step.kind === 'close' ? Math.max(1, Math.floor((heldLots * step.percent) / 100)) : heldLots + step.lots;
          const role: OrderRole = opening || (step.kind === 'flip' && step.entryFlip) ? 'ENTRY' : step.percent % 2 === 0 ? 'STOP' : 'CLOSE';
          const order = record(ledger, { instrumentId: market.id, side, role, quantity: market.lot.mul(Decimal.fromInteger(lots)).toString() });
          const price = market.tick.mul(Decimal.fromInteger(market.minTicks + (step.ticks % (market.maxTicks - market.minTicks))));
          const parts = Math.min(step.parts, lots);
          let left = lots;
          for (let part = 0; part < parts; part++) {
            const partLots = part === parts - 1 ? left : Math.floor(lots / parts);
            left -= partLots;
            const quantity = market.lot.mul(Decimal.fromInteger(partLots));
            const fee = Decimal.fromUnits(BigInt(step.feeUnits) * 10n ** 10n);
            const report = filled(order, `trade-${(tradeNumber += 1)}`, quantity.toString(), price.toString(), market.lot.mul(Decimal.fromInteger(left)).toString(), { fee: fee.toString(), at: tradeNumber });
            ledger.applyReport(report);
            applied.push(report);
            const fill = { ...fillOf(report), role, firstFillOfOrder: part === 0 };
            expected.set(market.id, applyFill(expected.get(market.id) ?? null, fill));
          }
          if (step.replay !== null) {
            expect(ledger.applyReport(applied[step.replay % applied.length] as ExecutionReport).duplicate).toBe(true);
          }
        }
        const want = [...expected.values()].sort((a, b) => (a.instrumentId < b.instrumentId ? -1 : 1));
        expect(ledger.allPositions()).toEqual(want);
        const orders = ledger.recentOrders(1000);
        ledger = reopen(ledger);
        expect(ledger.allPositions()).toEqual(want);
        expect(ledger.recentOrders(1000)).toEqual(orders);
        ledger.close();
      }),
      { numRuns: 15 },
    );
  });

  it('rebuilds the same order state after reopen whatever order the reports arrived in', () => {
    const report = fc.record({
      order: fc.integer({ min: 0, max: 2 }),
      type: fc.constantFrom('ACCEPTED', 'CANCELED', 'EXPIRED', 'REJECTED', 'CANCEL_REJECTED', 'FILLED', 'FILLED', 'FILLED'),
      lots: fc.integer({ min: 1, max: 5 }),
      leaves: fc.integer({ min: 0, max: 3 }),
      at: fc.integer({ min: 1, max: 1_000 }),
    });
    let run = 0;
    fc.assert(
      fc.property(fc.array(report, { maxLength: 30 }), (reports) => {
        run += 1;
        mkdirSync(join(dir, `orders-${run}`));
        let ledger = open({ path: join(dir, `orders-${run}`, 'trend.sqlite') });
        const orders = [record(ledger, { quantity: '10' }), record(ledger, { side: 'SELL', role: 'STOP', quantity: '10' }), record(ledger, { quantity: '10' })];
        for (const [index, next] of reports.entries()) {
          const order = orders[next.order] as SubmitOrder;
          const id = order.clientOrderId;
          const at = next.at;
          if (next.type === 'ACCEPTED') ledger.applyReport(accepted(id, `venue-${index}`, at));
          else if (next.type === 'CANCELED') ledger.applyReport(canceled(id, at));
          else if (next.type === 'EXPIRED') ledger.applyReport({ type: 'ORDER_EXPIRED', subAccountId: SUB, clientOrderId: id, detail: 'ioc', at });
          else if (next.type === 'REJECTED') ledger.applyReport({ type: 'ORDER_REJECTED', subAccountId: SUB, clientOrderId: id, reason: 'INVALID_ORDER', detail: `r${index}`, at });
          else if (next.type === 'CANCEL_REJECTED') ledger.applyReport({ type: 'CANCEL_REJECTED', subAccountId: SUB, clientOrderId: id, reason: 'UNKNOWN_ORDER', detail: `c${index}`, at });
          else ledger.applyReport(filled(order, `t${index}`, String(next.lots), String(100 + index), String(next.leaves), { at }));
        }
        const before = ledger.recentOrders(10);
        const openBefore = ledger.openOrders();
        ledger = reopen(ledger);
        expect(ledger.recentOrders(10)).toEqual(before);
        expect(ledger.openOrders()).toEqual(openBefore);
        ledger.close();
      }),
      { numRuns: 40 },
    );
  });
});
