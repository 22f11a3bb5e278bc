import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { parseClientOrderId } from '../../../core/ids.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BTC, BRAVO, configInput, intent, makeHarness } from './fixture.ts';

describe('the order path', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('records an approved entry with its stop and take-profit in the ledger before the venue hears of it', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const statusesAtSend: string[] = [];
    const submit = h.venue.submitOrder.bind(h.venue);
    h.venue.submitOrder = async (order) => {
      statusesAtSend.push(h.ledgers.get(ALPHA)?.order(order.clientOrderId)?.status ?? 'MISSING');
      await submit(order);
    };
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000', takeProfit: '52000' }));
    expect(decision.outcome).toBe('APPROVED');
    expect(decision.clientOrderId).not.toBeNull();
    // Every accepted order was already in the ledger as PENDING_SUBMIT when the venue accepted it.
    expect(statusesAtSend).toEqual(['PENDING_SUBMIT', 'PENDING_SUBMIT', 'PENDING_SUBMIT']);
    const ledger = h.ledgers.get(ALPHA);
    const entry = ledger?.order(decision.clientOrderId!);
    expect(entry?.status).toBe('FILLED');
    expect(ledger?.position(BTC)?.quantity.toString()).toBe('0.01');
    const roles = ledger?.openOrders().map((order) => parseClientOrderId(order.clientOrderId).role).sort();
    expect(roles).toEqual(['STOP', 'TAKE_PROFIT']);
  });

  it('names the bot and the role in every client order id it sends', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000', takeProfit: '52000' }));
    for (const order of h.ledgers.get(ALPHA)!.recentOrders(10)) {
      expect(order.clientOrderId.length).toBeLessThanOrEqual(36);
      expect(parseClientOrderId(order.clientOrderId).bot).toBe('alpha');
    }
    expect(parseClientOrderId(decision.clientOrderId!).role).toBe('ENTRY');
  });

  it('returns the recorded decision and sends no second order when the same intent arrives twice', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const sent: string[] = [];
    h.venue.onExecutionReport((report) => {
      if (report.type === 'ORDER_ACCEPTED') sent.push(report.clientOrderId);
    });
    const once = intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' });
    const first = h.om.submitIntent(once);
    const second = h.om.submitIntent(once);
    expect(second).toEqual(first);
    expect(sent).toHaveLength(2); // the entry and its stop, once
  });

  it('stays idempotent across a restart: a replayed intent after a crash sends nothing', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const once = intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' });
    const first = h.om.submitIntent(once);
    h.restart();
    const replay = h.om.submitIntent(once);
    expect(replay.clientOrderId).toBe(first.clientOrderId);
    expect(h.ledgers.get(ALPHA)!.recentOrders(10)).toHaveLength(2);
  });

  it('sends nothing new for a replayed intent whose decision a crash lost after its orders were recorded', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const once = intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' });
    const first = h.om.submitIntent(once);
    h.restart();
    // The decision's commit is lost, as if the process died before the end of its tick; the ledger's is not.
    const db = new DatabaseSync(join(h.dir, 'supervisor.sqlite'));
    db.prepare('DELETE FROM decisions WHERE intent_id = ?').run(once.intentId);
    db.close();
    const replay = h.om.submitIntent(once);
    expect(replay).toMatchObject({ outcome: 'APPROVED', clientOrderId: first.clientOrderId });
    expect(replay.detail).toMatch(/recovered/);
    expect(h.ledgers.get(ALPHA)!.ordersForIntent(once.intentId)).toHaveLength(2);
    expect(h.ledgers.get(ALPHA)!.recentOrders(10)).toHaveLength(2);
  });

  it('records every decision durably with its reason and latency within the group-commit delay', async () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' }));
    h.om.submitIntent(intent(BRAVO, BTC, 'SELL', { quantity: '0.01', stop: '51000' }));
    // Decisions commit in groups a few ms after they are made; this waits for that commit, not for a time.
    await h.store.whenCommitted();
    const db = new DatabaseSync(join(h.dir, 'supervisor.sqlite'), { readOnly: true });
    const rows = db.prepare('SELECT bot_id, outcome, reason, latency_ns FROM decisions ORDER BY id').all() as Array<{ bot_id: string; outcome: string; reason: string | null; latency_ns: number }>;
    db.close();
    expect(rows.map((row) => [row.bot_id, row.outcome, row.reason])).toEqual([
      ['alpha', 'APPROVED', null],
      ['bravo', 'DENIED', 'WOULD_HEDGE'],
    ]);
    for (const row of rows) expect(row.latency_ns).toBeGreaterThanOrEqual(0);
    expect(h.om.recentDecisions(10, true).map((decision) => decision.reason)).toEqual(['WOULD_HEDGE']);
  });

  it('keeps the rejected-by-venue outcome apart from a local denial', () => {
    // Risk and notional caps allow this entry, but its margin at 5x leverage is twice the sub-account's balance.
    h = makeHarness(configInput({}, { alpha: { maxNotionalPerOrder: '2000000' } }));
    h.price(BTC, '50000');
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '20', stop: '49990' }));
    expect(decision.outcome).not.toBe('DENIED');
    const order = h.ledgers.get(ALPHA)!.order(decision.clientOrderId!);
    expect(order?.status).toBe('REJECTED');
    expect(order?.detail).toMatch(/margin|balance/i);
  });

  it('ignores execution reports for orders Flotilla did not make', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    expect(() =>
      h.om.applyReport({ type: 'ORDER_CANCELED', subAccountId: h.subAccount(ALPHA), clientOrderId: 'manual-123' as never, detail: 'x', at: 0 }),
    ).not.toThrow();
  });
});
