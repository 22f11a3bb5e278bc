import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import type { ClientOrderId } from '../../../core/ids.ts';
import { parseIntentId } from '../../../core/ids.ts';
import type { SubmitOrder } from '../../../core/order.ts';
import { botScope } from '../../../supervisor/store/supervisor-store.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BRAVO, BTC, CHARLIE, ETH, QQQ, d, intent, makeHarness } from './fixture.ts';

describe('the kill switch', () => {
  let h: Harness;
  afterEach(() => h.close());

  /** alpha: a filled BTC long with stop and take-profit; bravo and charlie: resting limit entries. */
  function fleetWithOrders(): void {
    h.price(BTC, '50000');
    h.price(ETH, '2000');
    h.price(QQQ, '500');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '53000' })).outcome).toBe('APPROVED');
    expect(h.om.submitIntent(intent(BRAVO, ETH, 'BUY', { quantity: '1', stop: '1800', type: 'LIMIT', limitPrice: d('1900') })).outcome).toBe('APPROVED');
    expect(h.om.submitIntent(intent(CHARLIE, QQQ, 'SELL', { quantity: '5', stop: '530', type: 'LIMIT', limitPrice: d('520') })).outcome).toBe('APPROVED');
  }

  async function openAtVenue(botId: typeof ALPHA): Promise<string[]> {
    return (await h.venue.openOrders(h.subAccount(botId))).map((order) => order.clientOrderId).sort();
  }

  it('cancels every open entry order by ID, keeps protective stops, and lets no new order out', async () => {
    h = makeHarness();
    fleetWithOrders();
    const alphaProtective = await openAtVenue(ALPHA);
    const report = h.om.kill();
    await h.om.idle();
    expect(report.canceled).toHaveLength(2);
    expect(await openAtVenue(BRAVO)).toEqual([]);
    expect(await openAtVenue(CHARLIE)).toEqual([]);
    expect(await openAtVenue(ALPHA)).toEqual(alphaProtective);
    expect(h.om.scopeState('fleet')).toMatchObject({ state: 'HALTED', reason: 'KILL_SWITCH' });
    const sent: string[] = [];
    h.venue.submitOrder = async (order) => {
      sent.push(order.clientOrderId);
    };
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(CHARLIE, BTC, 'SELL', { quantity: '0.01', stop: '51000' })).reason).toBe('TRADING_HALTED');
    expect(sent).toEqual([]);
  });

  it("cancels a sub-account's entries on several instruments in one batched request where the venue takes batches", async () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.price(ETH, '2000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '44000', type: 'LIMIT', limitPrice: d('45000') })).outcome).toBe('APPROVED');
    expect(h.om.submitIntent(intent(ALPHA, ETH, 'BUY', { quantity: '1', stop: '1700', type: 'LIMIT', limitPrice: d('1800') })).outcome).toBe('APPROVED');
    h.price(QQQ, '500');
    expect(h.om.submitIntent(intent(CHARLIE, QQQ, 'SELL', { quantity: '5', stop: '530', type: 'LIMIT', limitPrice: d('520') })).outcome).toBe('APPROVED');
    await h.om.idle();
    const requests: string[][] = [];
    const cancelOne = h.venue.cancelOrder.bind(h.venue);
    const cancelMany = h.venue.cancelOrders.bind(h.venue);
    h.venue.cancelOrder = async (subAccountId, instrumentId, clientOrderId) => {
      requests.push([clientOrderId]);
      await cancelOne(subAccountId, instrumentId, clientOrderId);
    };
    h.venue.cancelOrders = async (subAccountId, orders) => {
      requests.push(orders.map((order) => order.clientOrderId));
      await cancelMany(subAccountId, orders);
    };
    const report = h.om.kill();
    await h.om.idle();
    // alpha's two entries in one request, charlie's one alone: as few requests as there are sub-accounts.
    expect(requests.map((ids) => ids.length).sort()).toEqual([1, 2]);
    expect(requests.flat().sort()).toEqual([...report.canceled].sort());
    expect(await openAtVenue(ALPHA)).toEqual([]);
    expect(await openAtVenue(CHARLIE)).toEqual([]);
  });

  it('never touches an order Flotilla did not make', async () => {
    h = makeHarness();
    fleetWithOrders();
    const manual: SubmitOrder = {
      clientOrderId: 'placed-by-hand-in-the-app' as ClientOrderId,
      botId: BRAVO,
      subAccountId: h.subAccount(BRAVO),
      intentId: parseIntentId('manual'),
      instrumentId: BTC,
      role: 'ENTRY',
      side: 'BUY',
      type: 'LIMIT',
      quantity: dec('0.01'),
      limitPrice: dec('40000'),
      triggerPrice: null,
      timeInForce: 'GTC',
      reduceOnly: false,
      parentClientOrderId: null,
      activatesOnParentFill: false,
    };
    await h.venue.submitOrder(manual);
    h.om.kill({}, true);
    await h.om.idle();
    expect(await openAtVenue(BRAVO)).toEqual(['placed-by-hand-in-the-app']);
  });

  it('kills one bot and leaves the others trading', async () => {
    h = makeHarness();
    fleetWithOrders();
    const report = h.om.kill({ botId: BRAVO });
    await h.om.idle();
    expect(report.scope).toBe('bot:bravo');
    expect(await openAtVenue(BRAVO)).toEqual([]);
    expect(await openAtVenue(CHARLIE)).toHaveLength(2);
    expect(h.om.effectiveState(BRAVO)).toBe('HALTED');
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
  });

  it('flattens: closes positions reduce-only, stays latched until flat, then cancels the leftover protective orders', async () => {
    h = makeHarness();
    fleetWithOrders();
    const realSubmit = h.venue.submitOrder.bind(h.venue);
    const held: SubmitOrder[] = [];
    h.venue.submitOrder = async (order) => {
      held.push(order);
    };
    const report = h.om.kill({}, true);
    expect(report.closing).toHaveLength(1);
    expect(held.map((order) => [order.role, order.reduceOnly, order.side])).toEqual([['CLOSE', true, 'SELL']]);
    // Not flat yet: the latch holds and the protective orders stay.
    expect(h.om.scopeState('fleet').flattenPending).toBe(true);
    expect(await openAtVenue(ALPHA)).toHaveLength(2);
    h.restart();
    expect(h.om.scopeState('fleet').flattenPending).toBe(true);
    // The close reaches the venue and fills; the position is flat, so the protective orders go.
    h.venue.submitOrder = realSubmit;
    for (const order of held) await realSubmit(order);
    await h.om.idle();
    expect(h.ledgers.get(ALPHA)!.openPositions()).toEqual([]);
    expect(await openAtVenue(ALPHA)).toEqual([]);
    expect(h.om.scopeState('fleet')).toMatchObject({ state: 'HALTED', flattenPending: false });
  });

  it('keeps the kill in force across a restart until resumed', () => {
    h = makeHarness();
    h.om.kill({ botId: ALPHA });
    h.restart();
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'HALTED', reason: 'KILL_SWITCH' });
    h.om.resume(botScope(ALPHA));
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
  });
});
