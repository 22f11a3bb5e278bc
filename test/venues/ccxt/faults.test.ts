import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { OutcomeUnknownError } from '../../../core/errors.ts';
import type { SubAccountId } from '../../../core/ids.ts';
import type { SubmitOrder } from '../../../core/order.ts';
import type { FaultSpecInput } from '../../../venues/bybit/standin/faults.ts';
import { order } from '../bybit/fixtures.ts';
import { executionsAtStandin, ledgerTradeIds, LedgerCheck, ordersAtStandin, positionsAgree } from '../bybit/ledger-check.ts';
import { ccxtVenueOn, setupCcxt, type CcxtSetup } from './fixtures.ts';

/**
 * The Bybit fault matrix against the ccxt adapter (ccxt's bybit client on the stand-in): each fault, injected while
 * an order is placed, cancelled, amended or filled, ends with the order placed at most once, every fill the exchange
 * made in the ledger (a real SQLite ledger fed by the adapter's reports), and the ledger's position equal to the
 * exchange's. Where the outcome of a create is unknown the adapter only asks; it never sends the create again.
 */

let setup: CcxtSetup | undefined;
let check: LedgerCheck | undefined;

afterEach(async () => {
  check?.close();
  await setup?.close();
  setup = undefined;
  check = undefined;
});

interface Started {
  setup: CcxtSetup;
  check: LedgerCheck;
  alpha: SubAccountId;
  uid: number;
}

async function start(): Promise<Started> {
  setup = await setupCcxt();
  const alpha = setup.accounts[0] as SubAccountId;
  check = new LedgerCheck(setup.venue, setup.running.clock, alpha);
  return { setup, check, alpha, uid: setup.credentials.get(alpha)?.uid as number };
}

/** The order manager's way: written to the ledger, then sent. */
async function send(s: Started, submit: SubmitOrder): Promise<void> {
  s.check.record(submit, s.setup.running.clock.now());
  await s.setup.venue.submitOrder(submit);
}

async function expectWhole(s: Started, clientOrderIds: string[]): Promise<void> {
  for (const id of clientOrderIds) expect(ordersAtStandin(s.setup.running.standin, s.uid, id), `orders at Bybit named ${id}`).toBe(1);
  expect(ordersAtStandin(s.setup.running.standin, s.uid)).toBe(clientOrderIds.length);
  expect(ledgerTradeIds(s.check.ledger)).toEqual(executionsAtStandin(s.setup.running.standin, s.uid));
  const positions = await positionsAgree(s.check.ledger, s.setup.venue, s.alpha);
  expect(positions.ledger).toBe(positions.venue);
}

describe('submits under REST faults: the order is placed once, found by its client order ID, and every fill is booked', () => {
  const cases: Array<[string, FaultSpecInput]> = [
    ['accepted, then no answer until ccxt gives up (RequestTimeout)', { kind: 'accept-then-timeout', route: 'POST /v5/order/create' }],
    ['accepted, then the connection reset (NetworkError)', { kind: 'accept-then-timeout', route: 'POST /v5/order/create', destroy: true }],
    ['HTTP 502 after processing (ExchangeNotAvailable; placed: found by its ID)', { kind: 'http-5xx', route: 'POST /v5/order/create', status: 502, processed: true }],
    ['an answer slower than the request timeout', { kind: 'slow', route: 'POST /v5/order/create', delayMs: 1_500 }],
    ['10006 twice (rate limit, not placed: sent again)', { kind: 'rate-limit-burst', route: 'POST /v5/order/create', count: 2 }],
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

  it('HTTP 503 before processing: asked for, never sent again; OutcomeUnknownError, and reconciliation finds it never received', async () => {
    const s = await start();
    s.setup.running.standin.faults.add({ kind: 'http-5xx', route: 'POST /v5/order/create', uid: s.uid });
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    await expect(send(s, order({ id, side: 'BUY', type: 'MARKET', quantity: '0.01', account: s.alpha }))).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(ordersAtStandin(s.setup.running.standin, s.uid)).toBe(0);
    expect(s.setup.recorder.of(id)).toEqual([]);
    expect(s.check.ledger.order(id)?.status).toBe('PENDING_SUBMIT');
    const found = await s.check.reconcile(s.setup.venue, s.alpha, s.setup.running.clock.now() + 60_000);
    expect(found.neverReceived).toEqual([id]);
  });

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

  it("a client order ID submitted again is read from Bybit's code (110072, which ccxt calls InvalidOrder) as a duplicate: the order's state, no rejection", async () => {
    const s = await start();
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    const submit = order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: s.alpha });
    await send(s, submit);
    await s.setup.recorder.next('ORDER_ACCEPTED', id);
    // A second adapter knows nothing of the order, as after a restart: only Bybit's answer can tell it the order exists.
    const fresh = ccxtVenueOn(s.setup.running, s.setup.credentials);
    const reports: string[] = [];
    fresh.onExecutionReport((report) => reports.push(report.type));
    try {
      await fresh.start();
      await fresh.submitOrder(submit);
      expect(reports).toEqual(['ORDER_ACCEPTED']);
    } finally {
      await fresh.stop();
    }
    expect(ordersAtStandin(s.setup.running.standin, s.uid, id)).toBe(1);
  });
});

describe('cancels and amends under REST faults', () => {
  it('a cancel whose answer never comes is settled by asking: ORDER_CANCELED, once', async () => {
    const s = await start();
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    const submit = order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: s.alpha });
    await send(s, submit);
    s.setup.running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/cancel', uid: s.uid, destroy: true });
    await s.setup.venue.cancelOrder(s.alpha, submit.instrumentId, id);
    await s.setup.recorder.until(() => s.check.ledger.order(id)?.status === 'CANCELED', 'the cancel in the ledger');
    expect(s.setup.recorder.of(id).filter((type) => type === 'ORDER_CANCELED')).toHaveLength(1);
    expect(s.setup.recorder.of(id)).not.toContain('CANCEL_REJECTED');
  });

  it('a cancel answered 5xx before processing is sent again after asking, and the order is cancelled once', async () => {
    const s = await start();
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    const submit = order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: s.alpha });
    await send(s, submit);
    s.setup.running.standin.faults.add({ kind: 'http-5xx', route: 'POST /v5/order/cancel', uid: s.uid });
    await s.setup.venue.cancelOrder(s.alpha, submit.instrumentId, id);
    await s.setup.recorder.next('ORDER_CANCELED', id);
    expect(s.setup.recorder.of(id).filter((type) => type === 'ORDER_CANCELED')).toHaveLength(1);
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

  it('an amend whose connection reset is settled by asking', async () => {
    const s = await start();
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    const submit = order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: s.alpha });
    await send(s, submit);
    s.setup.running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/amend', uid: s.uid, destroy: true });
    await s.setup.venue.amendOrder(s.alpha, submit.instrumentId, id, { quantity: dec('0.02') });
    const amended = await s.setup.recorder.next('ORDER_AMENDED', id);
    expect(amended.type === 'ORDER_AMENDED' && amended.quantity.toString()).toBe('0.02');
    expect(s.setup.recorder.of(id).filter((type) => type === 'ORDER_AMENDED')).toHaveLength(1);
  });
});

describe('the private stream under faults', () => {
  it('dropped in the middle of a fill: DISCONNECTED, CONNECTED, the gap-fill from REST reports the fill, RESYNCED', async () => {
    const s = await start();
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59900', account: s.alpha }));
    await s.setup.recorder.next('ORDER_ACCEPTED', id);
    s.setup.running.standin.faults.add({ kind: 'ws-drop-mid-fill', uid: s.uid });
    s.setup.trade('59850');
    const { recorder } = s.setup;
    await recorder.until(() => recorder.connections.some((event) => event.type === 'DISCONNECTED' && event.subAccountId === s.alpha), 'DISCONNECTED');
    await recorder.until(() => recorder.connections.some((event) => event.type === 'RESYNCED' && event.subAccountId === s.alpha), 'RESYNCED');
    expect(recorder.connections.map((event) => event.type)).toEqual(['CONNECTED', 'DISCONNECTED', 'CONNECTED', 'RESYNCED']);
    // The push was lost; the adapter's own gap-fill found the fill before it said RESYNCED.
    expect(recorder.of(id)).toContain('ORDER_FILLED');
    expect(s.check.ledger.order(id)?.status).toBe('FILLED');
    await expectWhole(s, [id]);
    // Reconciliation (which the fleet runs on CONNECTED) finds nothing the adapter missed.
    const found = await s.check.reconcile(s.setup.venue, s.alpha, s.setup.running.clock.now());
    expect(found.fillsApplied).toBe(0);
    expect(found.positionMismatches).toEqual([]);
  });

  it('every push twice: each fill is reported once', async () => {
    const s = await start();
    s.setup.running.standin.faults.add({ kind: 'ws-duplicate', uid: s.uid });
    const id = s.check.ledger.allocateClientOrderId('ENTRY');
    await send(s, order({ id, side: 'BUY', type: 'MARKET', quantity: '0.01', account: s.alpha }));
    await s.setup.recorder.next('ORDER_FILLED', id);
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
