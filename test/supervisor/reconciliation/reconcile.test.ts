import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseIntentId } from '../../../core/ids.ts';
import type { ClientOrderId } from '../../../core/ids.ts';
import type { SubmitOrder } from '../../../core/order.ts';
import type { Venue } from '../../../core/venue.ts';
import type { ReconcileFindings } from '../../../supervisor/reconciliation/reconcile.ts';
import { reconcile } from '../../../supervisor/reconciliation/reconcile.ts';
import type { Harness } from '../order-manager/fixture.ts';
import { ALPHA, BTC, ETH, intent, makeHarness } from '../order-manager/fixture.ts';

const RECEIVE_WINDOW_MS = 10_000;

function run(h: Harness, venue: Venue = h.venue, wait?: (ms: number) => Promise<void>): Promise<ReconcileFindings> {
  return reconcile(
    { botId: ALPHA, subAccountId: h.subAccount(ALPHA), venue, ledger: h.ledgers.get(ALPHA)! },
    { apply: (report) => h.om.applyReport(report), now: () => h.clock.now(), receiveWindowMs: RECEIVE_WINDOW_MS, ...(wait === undefined ? {} : { wait }) },
  );
}

/**
 * The venue as one whose fill listing lags its positions (Bybit lists executions slightly out of time order): its
 * listing shows no fill until `visible()` is true, and it declares the settle span it needs.
 */
function lagging(venue: Venue, fillSettleMs: number | undefined, visible: () => boolean): Venue {
  return new Proxy(venue, {
    get(target, property) {
      if (property === 'capabilities') return { ...target.capabilities, ...(fillSettleMs === undefined ? {} : { fillSettleMs }) };
      if (property === 'fillsSince') {
        return async (...args: Parameters<Venue['fillsSince']>) => (visible() ? target.fillsSince(...args) : { fills: [], cursor: args[1], complete: true });
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Makes the venue receive nothing: the order is written in the ledger and the request is lost on the way. */
function loseSubmits(h: Harness): () => void {
  const submit = h.venue.submitOrder.bind(h.venue);
  h.venue.submitOrder = async () => {};
  return () => {
    h.venue.submitOrder = submit;
  };
}

/** The venue works while the supervisor hears nothing back: its report listener is gone until the restart. */
function deafen(h: Harness): void {
  h.om.close();
}

/** A BTC entry the venue filled while the supervisor was down and deaf, and the restart after it. */
function filledWhileDown(): Harness {
  const h = makeHarness();
  h.price(BTC, '50000');
  deafen(h);
  h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' }));
  h.restart();
  return h;
}

describe('reconciliation of a sub-account against its venue', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('applies the fills the supervisor missed and the outcome of its orders, once, by trade ID', async () => {
    h = makeHarness();
    h.price(BTC, '50000');
    deafen(h);
    // The order manager of a crashed supervisor wrote and sent this; the venue filled it; nobody heard.
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '53000' }));
    h.restart();
    const ledger = h.ledgers.get(ALPHA)!;
    expect(ledger.position(BTC)).toBeNull();
    const first = await run(h);
    expect(first.fillsApplied).toBe(1);
    // The entry is settled by its fill; its bracket is adopted as the venue holds it.
    expect(ledger.recentOrders(3).map((order) => [order.role, order.status]).reverse()).toEqual([['ENTRY', 'FILLED'], ['STOP', 'ACCEPTED'], ['TAKE_PROFIT', 'ACCEPTED']]);
    expect(first.adopted).toHaveLength(2);
    expect(first.positionMismatches).toEqual([]);
    expect(ledger.position(BTC)?.quantity.toString()).toBe('0.02');
    expect(ledger.openOrders().map((order) => [order.role, order.status])).toEqual([['STOP', 'ACCEPTED'], ['TAKE_PROFIT', 'ACCEPTED']]);
    expect(first.ledgerBalance.toString()).toBe(first.venueBalance.toString());
    const again = await run(h);
    expect(again.fillsApplied).toBe(0);
    expect(ledger.fills()).toHaveLength(1);
  });

  it('settles an order the venue never received only after its receive window, holding the key until then', async () => {
    h = makeHarness();
    h.price(BTC, '50000');
    const restore = loseSubmits(h);
    const sent = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' }));
    restore();
    const early = await run(h);
    expect(early.unsettled).toContain(sent.clientOrderId);
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' })).reason).toBe('IN_FLIGHT_LOCK');
    h.clock.advance(RECEIVE_WINDOW_MS + 1);
    const late = await run(h);
    expect(late.neverReceived).toContain(sent.clientOrderId as ClientOrderId);
    expect(h.ledgers.get(ALPHA)!.order(sent.clientOrderId!)?.status).toBe('EXPIRED');
    // The key is free again, for a decision that knows the first entry never happened.
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' })).outcome).toBe('APPROVED');
  });

  it('reports an order on the sub-account that is not Flotilla’s and never touches it', async () => {
    h = makeHarness();
    h.price(ETH, '3000');
    const foreign: SubmitOrder = {
      clientOrderId: 'placed-by-hand-1' as ClientOrderId,
      botId: ALPHA,
      subAccountId: h.subAccount(ALPHA),
      intentId: parseIntentId('by-hand'),
      instrumentId: ETH,
      role: 'ENTRY',
      side: 'BUY',
      type: 'LIMIT',
      quantity: dec('1'),
      limitPrice: dec('2500'),
      triggerPrice: null,
      timeInForce: 'GTC',
      reduceOnly: false,
      parentClientOrderId: null,
      activatesOnParentFill: false,
    };
    h.venue.engine.submit(foreign);
    const findings = await run(h);
    expect(findings.foreignOrders).toEqual([{ clientOrderId: 'placed-by-hand-1', instrumentId: ETH }]);
    expect((await h.venue.openOrders(h.subAccount(ALPHA))).map((order) => order.clientOrderId)).toEqual(['placed-by-hand-1']);
  });

  it('books a fill the venue listed late after its settle span, instead of halting on a mismatch', async () => {
    h = filledWhileDown();
    let listed = false;
    const waits: number[] = [];
    const findings = await run(h, lagging(h.venue, 10_000, () => listed), async (ms) => {
      waits.push(ms);
      listed = true;
    });
    expect(waits).toEqual([10_000]);
    expect(findings.fillsApplied).toBe(1);
    expect(findings.positionMismatches).toEqual([]);
    expect(h.ledgers.get(ALPHA)!.position(BTC)?.quantity.toString()).toBe('0.02');
  });

  it('still reports the mismatch when the second look finds no fill, and waits only where the venue needs it', async () => {
    h = filledWhileDown();
    const waits: number[] = [];
    const wait = async (ms: number): Promise<void> => {
      waits.push(ms);
    };
    const stillMissing = await run(h, lagging(h.venue, 10_000, () => false), wait);
    expect(waits).toEqual([10_000]);
    expect(stillMissing.positionMismatches.map((gap) => [gap.instrumentId, gap.ledger.toString(), gap.venue.toString()])).toEqual([[BTC, '0', '0.02']]);
    // A venue that declares no settle span is not waited for: its listing is complete when read.
    const noSpan = await run(h, lagging(h.venue, undefined, () => false), wait);
    expect(waits).toEqual([10_000]);
    expect(noSpan.positionMismatches).toHaveLength(1);
  });

  it('finds a position the venue holds and the ledger does not, and changes nothing to hide it', async () => {
    h = makeHarness();
    h.price(ETH, '3000');
    // A trade made by hand on the sub-account, with an ID that is not Flotilla's.
    await h.venue.submitOrder({
      clientOrderId: 'by-hand-2' as ClientOrderId,
      botId: ALPHA,
      subAccountId: h.subAccount(ALPHA),
      intentId: parseIntentId('by-hand'),
      instrumentId: ETH,
      role: 'ENTRY',
      side: 'SELL',
      type: 'MARKET',
      quantity: dec('0.5'),
      limitPrice: null,
      triggerPrice: null,
      timeInForce: 'GTC',
      reduceOnly: false,
      parentClientOrderId: null,
      activatesOnParentFill: false,
    });
    const findings = await run(h);
    expect(findings.foreignFills).toBe(1);
    expect(findings.positionMismatches.map((gap) => [gap.instrumentId, gap.ledger.toString(), gap.venue.toString()])).toEqual([[ETH, '0', '-0.5']]);
    expect(h.ledgers.get(ALPHA)!.position(ETH)).toBeNull();
    expect(h.ledgers.get(ALPHA)!.recentOrders(10)).toEqual([]);
  });

  it('asks the venue by client order ID only about the open orders its listing does not show', async () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.price(ETH, '3000');
    deafen(h);
    // A resting limit with its stop, and a market entry that fills while nobody hears: its stop starts working.
    const resting = h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', type: 'LIMIT', limitPrice: dec('45000'), stop: '44000' }));
    const filled = h.om.submitIntent(intent(ALPHA, ETH, 'BUY', { quantity: '0.5', stop: '2900' }));
    expect([resting.outcome, filled.outcome]).toEqual(['APPROVED', 'APPROVED']);
    h.restart();
    const ledger = h.ledgers.get(ALPHA)!;
    const asked: string[] = [];
    const query = h.venue.queryOrder.bind(h.venue);
    h.venue.queryOrder = async (subAccountId, instrumentId, clientOrderId) => {
      asked.push(clientOrderId);
      return query(subAccountId, instrumentId, clientOrderId);
    };
    const findings = await run(h);
    // The filled entry is settled by its fill, and every order still open is in the venue's listing: no question needed.
    expect(asked).toEqual([]);
    expect(findings.fillsApplied).toBe(1);
    expect(findings.adopted).toHaveLength(3);
    expect(findings.positionMismatches).toEqual([]);
    // The resting entry's stop waits at the venue for its entry to fill, with no venue order ID yet.
    expect(ledger.openOrders().map((order) => [order.role, order.instrumentId, order.status])).toEqual([['ENTRY', BTC, 'ACCEPTED'], ['STOP', BTC, 'PENDING_SUBMIT'], ['STOP', ETH, 'ACCEPTED']]);
  });
});
