import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import type { SubAccountId } from '../../../core/ids.ts';
import type { SubmitOrder } from '../../../core/order.ts';
import type { FaultSpecInput } from '../../../venues/bybit/standin/faults.ts';
import { executionsAtStandin, ledgerTradeIds, LedgerCheck, ordersAtStandin, positionsAgree } from './ledger-check.ts';
import { order, setupBybit, type BybitSetup } from './fixtures.ts';

/**
 * The fault matrix at the adapter: each of the stand-in's faults, injected while an order is placed or filled,
 * ends with the order placed once at Bybit, every fill Bybit made in the ledger (a real SQLite ledger fed by the
 * adapter's reports, gap-filled by reconciliation where the stream missed something), and the ledger's position
 * equal to Bybit's.
 */

let setup: BybitSetup | undefined;
let check: LedgerCheck | undefined;

afterEach(async () => {
  check?.close();
  await setup?.close();
  setup = undefined;
  check = undefined;
});

async function start(): Promise<{ setup: BybitSetup; check: LedgerCheck; alpha: SubAccountId; uid: number }> {
  setup = await setupBybit();
  const alpha = setup.accounts[0] as SubAccountId;
  check = new LedgerCheck(setup.venue, setup.running.clock, alpha);
  return { setup, check, alpha, uid: setup.credentials.get(alpha)?.uid as number };
}

/** The order manager's way: written to the ledger, then sent. */
async function send(s: { setup: BybitSetup; check: LedgerCheck }, submit: SubmitOrder): Promise<void> {
  s.check.record(submit, s.setup.running.clock.now());
  await s.setup.venue.submitOrder(submit);
}

async function expectWhole(s: { setup: BybitSetup; check: LedgerCheck; alpha: SubAccountId; uid: number }, clientOrderIds: string[]): Promise<void> {
  for (const id of clientOrderIds) expect(ordersAtStandin(s.setup.running.standin, s.uid, id), `orders at Bybit named ${id}`).toBe(1);
  expect(ordersAtStandin(s.setup.running.standin, s.uid)).toBe(clientOrderIds.length);
  expect(ledgerTradeIds(s.check.ledger)).toEqual(executionsAtStandin(s.setup.running.standin, s.uid));
  const positions = await positionsAgree(s.check.ledger, s.setup.venue, s.alpha);
  expect(positions.ledger).toBe(positions.venue);
}

describe('submits under REST faults: the order is placed once and every fill is booked', () => {
  const cases: Array<[string, FaultSpecInput]> = [
    ['accepted, then no answer until the client gives up', { kind: 'accept-then-timeout', route: 'POST /v5/order/create' }],
    ['accepted, then the connection reset', { kind: 'accept-then-timeout', route: 'POST /v5/order/create', destroy: true }],
    ['HTTP 503 before processing (not placed: sent again under the same ID)', { kind: 'http-5xx', route: 'POST /v5/order/create' }],
    ['HTTP 502 after processing (placed: found by its ID)', { kind: 'http-5xx', route: 'POST /v5/order/create', status: 502, processed: true }],
    ['an answer slower than the request timeout', { kind: 'slow', route: 'POST /v5/order/create', delayMs: 1_500 }],
    ['10006 twice (rate limit, not placed)', { kind: 'rate-limit-burst', route: 'POST /v5/order/create', count: 2 }],
    ['HTTP 429 three times', { kind: 'rate-limit-burst', route: 'POST /v5/order/create', status: 429, count: 3 }],
    ['HTTP 403 (the IP limit)', { kind: 'rate-limit-burst', route: 'POST /v5/order/create', status: 403 }],
    ['the first ask after a timeout failing too', { kind: 'accept-then-timeout', route: 'POST /v5/order/create', destroy: true }],
  ];

  for (const [name, fault] of cases) {
    it(name, async () => {
      const s = await start();
      const handle = s.setup.running.standin.faults.add({ ...fault, uid: s.uid });
      if (name.startsWith('the first ask')) s.setup.running.standin.faults.add({ kind: 'http-5xx', route: 'GET /v5/order/realtime', uid: s.uid });
      const id = s.check.ledger.allocateClientOrderId('ENTRY');
      await send(s, order({ id, side: 'BUY', type: 'MARKET', quantity: '0.01', account: s.alpha }));
      expect(handle.fired).toBe(handle.spec.count);
      await s.setup.recorder.next('ORDER_FILLED', id);
      expect(s.check.ledger.order(id)?.status).toBe('FILLED');
      await expectWhole(s, [id]);
      expect(s.setup.recorder.of(id).filter((type) => type === 'ORDER_REJECTED')).toEqual([]);
    });
  }

  it('a resting limit whose create timed out is adopted, and fills once later', async () => {
    const s = await start();
    s.setup.running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/create', uid: s.uid });
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59900', account: s.alpha }));
    expect(s.check.ledger.order(id)?.status).toBe('ACCEPTED');
    s.setup.trade('59850');
    await s.setup.recorder.next('ORDER_FILLED', id);
    await expectWhole(s, [id]);
  });
});

describe('cancels and amends under REST faults', () => {
  it('a cancel whose answer never comes is settled by asking: ORDER_CANCELED, once', async () => {
    const s = await start();
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: s.alpha }));
    s.setup.running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/cancel', uid: s.uid, destroy: true });
    await s.setup.venue.cancelOrder(s.alpha, order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: s.alpha }).instrumentId, id);
    await s.setup.recorder.until(() => s.check?.ledger.order(id)?.status === 'CANCELED', 'the cancel in the ledger');
    expect(s.setup.recorder.of(id).filter((type) => type === 'ORDER_CANCELED')).toHaveLength(1);
    expect(s.setup.recorder.of(id)).not.toContain('CANCEL_REJECTED');
  });

  it('an amend lost after Bybit applied it is reported from what Bybit holds', async () => {
    const s = await start();
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    const submit = order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: s.alpha });
    await send(s, submit);
    s.setup.running.standin.faults.add({ kind: 'http-5xx', route: 'POST /v5/order/amend', uid: s.uid, processed: true });
    await s.setup.venue.amendOrder(s.alpha, submit.instrumentId, id, { limitPrice: dec('59100') });
    const amended = await s.setup.recorder.next('ORDER_AMENDED', id);
    expect(amended.type === 'ORDER_AMENDED' && amended.limitPrice?.toString()).toBe('59100');
    expect(s.check.ledger.order(id)?.limitPrice?.toString()).toBe('59100');
    expect(s.setup.recorder.of(id)).not.toContain('AMEND_REJECTED');
  });
});

describe('the private stream under faults', () => {
  it('dropped in the middle of a fill: DISCONNECTED, then CONNECTED, and reconciliation finds the fill', async () => {
    const s = await start();
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59900', account: s.alpha }));
    const connects = s.setup.recorder.connections.filter((event) => event.type === 'CONNECTED').length;
    s.setup.running.standin.faults.add({ kind: 'ws-drop-mid-fill', uid: s.uid });
    s.setup.trade('59850');
    await s.setup.recorder.until(() => s.setup.recorder.connections.some((event) => event.type === 'DISCONNECTED' && event.subAccountId === s.alpha), 'DISCONNECTED');
    await s.setup.recorder.until(() => s.setup.recorder.connections.filter((event) => event.type === 'CONNECTED').length > connects, 'CONNECTED again');
    // The push was lost: the ledger does not have the fill until reconciliation asks for it.
    expect(s.check.ledger.fills()).toEqual([]);
    const found = await s.check.reconcile(s.setup.venue, s.alpha, s.setup.running.clock.now());
    expect(found.fillsApplied).toBe(1);
    expect(found.positionMismatches).toEqual([]);
    expect(s.check.ledger.order(id)?.status).toBe('FILLED');
    await expectWhole(s, [id]);
    // A second pass finds nothing new: the cursor continues where the first left off.
    expect((await s.check.reconcile(s.setup.venue, s.alpha, s.setup.running.clock.now())).fillsApplied).toBe(0);
  });

  it('every push twice: each fill is reported once', async () => {
    const s = await start();
    s.setup.running.standin.faults.add({ kind: 'ws-duplicate', uid: s.uid });
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id, side: 'BUY', type: 'MARKET', quantity: '0.01', account: s.alpha }));
    await s.setup.recorder.next('ORDER_FILLED', id);
    // The stream is ordered: once the next order's fill is in, every duplicate of the first has been read.
    const second = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id: second, side: 'SELL', type: 'MARKET', quantity: '0.01', account: s.alpha }));
    await s.setup.recorder.next('ORDER_FILLED', second);
    expect(s.setup.recorder.of(id).filter((type) => type === 'ORDER_FILLED')).toHaveLength(1);
    expect(s.setup.recorder.of(id).filter((type) => type === 'ORDER_ACCEPTED')).toHaveLength(1);
    await expectWhole(s, [id, second]);
  });

  it('pushes reversed (the fill before the order, "Filled" before "New"): a late "New" reopens nothing, the order ends FILLED', async () => {
    const s = await start();
    s.setup.running.standin.faults.add({ kind: 'ws-reorder', uid: s.uid });
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id, side: 'BUY', type: 'MARKET', quantity: '0.01', account: s.alpha }));
    await s.setup.recorder.next('ORDER_FILLED', id);
    const second = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id: second, side: 'SELL', type: 'MARKET', quantity: '0.01', account: s.alpha }));
    await s.setup.recorder.next('ORDER_FILLED', second);
    expect(s.check.ledger.order(id)?.status).toBe('FILLED');
    expect([...s.setup.recorder.of(id)].sort()).toEqual(['ORDER_ACCEPTED', 'ORDER_FILLED']);
    await expectWhole(s, [id, second]);
  });
});
