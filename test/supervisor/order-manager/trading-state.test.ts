import { afterEach, describe, expect, it } from 'vitest';
import { botScope } from '../../../supervisor/store/supervisor-store.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BRAVO, BTC, d, intent, makeHarness } from './fixture.ts';

describe('trading states', () => {
  let h: Harness;
  afterEach(() => h.close());

  function openLong(): void {
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' })).outcome).toBe('APPROVED');
  }

  it('denies every new order, reductions included, when the fleet is HALTED', () => {
    h = makeHarness();
    openLong();
    h.om.halt('fleet', 'HALTED', 'OPERATOR_HALT', 'test');
    expect(h.om.submitIntent(intent(BRAVO, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('TRADING_HALTED');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', reduceOnly: true })).reason).toBe('TRADING_HALTED');
  });

  it('still lets a halted bot cancel its own orders', () => {
    h = makeHarness();
    openLong();
    h.om.halt(botScope(ALPHA), 'HALTED', 'OPERATOR_HALT', 'test');
    const stop = h.ledgers.get(ALPHA)!.openOrders().find((order) => order.role === 'STOP')!;
    expect(h.om.cancelOrder(ALPHA, stop.clientOrderId).outcome).toBe('ACCEPTED');
    expect(h.ledgers.get(ALPHA)!.order(stop.clientOrderId)?.status).toBe('CANCELED');
  });

  it('allows only reductions while REDUCING', () => {
    h = makeHarness();
    openLong();
    h.om.halt(botScope(ALPHA), 'REDUCING', 'OPERATOR_HALT', 'test');
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.01', stop: '49000' })).reason).toBe('REDUCE_ONLY_STATE');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', reduceOnly: true })).outcome).toBe('APPROVED');
    // A plain sell no larger than the position is a reduction too.
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.005' })).outcome).toBe('APPROVED');
    expect(h.ledgers.get(ALPHA)!.position(BTC)?.quantity.toString()).toBe('0.005');
  });

  it('applies the stricter of the fleet state and the bot state', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.halt('fleet', 'REDUCING', 'OPERATOR_HALT', 'test');
    expect(h.om.effectiveState(ALPHA)).toBe('REDUCING');
    h.om.halt(botScope(ALPHA), 'HALTED', 'OPERATOR_HALT', 'test');
    expect(h.om.effectiveState(ALPHA)).toBe('HALTED');
    expect(h.om.effectiveState(BRAVO)).toBe('REDUCING');
  });

  it('keeps halts across a restart until an explicit resume', () => {
    h = makeHarness();
    h.om.halt(botScope(ALPHA), 'HALTED', 'OPERATOR_HALT', 'maintenance');
    h.restart();
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'HALTED', reason: 'OPERATOR_HALT', detail: 'maintenance' });
    h.om.resume(botScope(ALPHA));
    h.restart();
    expect(h.om.effectiveState(ALPHA)).toBe('ACTIVE');
  });
});

describe('heartbeats and thresholds', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('sets a silent bot to REDUCING and lifts exactly that when it is heard again', () => {
    h = makeHarness();
    h.om.heartbeatLost(ALPHA, 'silent for 6 s');
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'REDUCING', reason: 'HEARTBEAT_LOST' });
    h.om.heartbeatRestored(ALPHA);
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'ACTIVE', reason: 'HEARTBEAT_RESTORED' });
  });

  it("never loosens an operator's halt because a heartbeat came back", () => {
    h = makeHarness();
    h.om.halt(botScope(ALPHA), 'HALTED', 'OPERATOR_HALT', 'hands off');
    h.om.heartbeatLost(ALPHA, 'silent');
    h.om.heartbeatRestored(ALPHA);
    expect(h.om.scopeState(botScope(ALPHA))).toMatchObject({ state: 'HALTED', reason: 'OPERATOR_HALT' });
  });

  it('keeps a drawdown threshold set at run time across a restart', () => {
    h = makeHarness();
    h.om.setDrawdownThreshold(botScope(ALPHA), 86_400_000, d('0.05'));
    h.restart();
    expect(h.om.drawdownPolicy(botScope(ALPHA))[0]?.threshold.toString()).toBe('0.05');
    expect(h.om.drawdownPolicy(botScope(BRAVO))[0]?.threshold.toString()).toBe('0.1');
  });
});

describe('reductions', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('denies NOTHING_TO_REDUCE for a reduce-only intent without an opposite position', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', reduceOnly: true })).reason).toBe('NOTHING_TO_REDUCE');
  });

  it('caps a reduce-only intent at the open position', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' }));
    const close = h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '1', reduceOnly: true }));
    expect(close).toMatchObject({ outcome: 'RESIZED', reason: 'EXCEEDS_POSITION' });
    expect(close.approvedQuantity?.toString()).toBe('0.02');
    expect(h.ledgers.get(ALPHA)!.position(BTC)?.quantity.isZero()).toBe(true);
  });

  it("cancels the position's stop and take-profit once a reduce-only close leaves it flat", async () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '52000' }));
    expect(h.ledgers.get(ALPHA)!.openOrders().map((order) => order.role).sort()).toEqual(['STOP', 'TAKE_PROFIT']);
    h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.02', reduceOnly: true }));
    await h.om.idle();
    await Promise.resolve();
    await h.om.idle();
    expect(h.ledgers.get(ALPHA)!.openOrders()).toEqual([]);
  });

  it('keeps the protection of a position that a partial close left open', async () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '52000' }));
    h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', reduceOnly: true }));
    await h.om.idle();
    expect(h.ledgers.get(ALPHA)!.openOrders().map((order) => order.role).sort()).toEqual(['STOP', 'TAKE_PROFIT']);
  });

  it('denies an intent that would flip a position instead of closing it first', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000' }));
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.05', stop: '51000' })).detail).toMatch(/flip/);
  });
});
