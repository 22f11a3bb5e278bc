import { afterEach, describe, expect, it } from 'vitest';
import { ordersFromWire, positionsFromWire } from '../../../core/protocol.ts';
import { StateViews } from '../../../supervisor/backtest/state-view.ts';
import { botStateWire } from '../../../supervisor/bot-state/bot-state.ts';
import type { Harness } from '../order-manager/fixture.ts';
import { ALPHA, BTC, ETH, d, intent, makeHarness } from '../order-manager/fixture.ts';

/** A strategy sees the same state whether it runs behind the bot channel or in a backtest. */

describe('the bot state a strategy is shown', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is the same over the wire and in the backtest: positions with unrealized PnL at the mark, working orders, drawdown', () => {
    h = makeHarness();
    h.price(BTC, '50000');
    h.price(ETH, '3000');
    expect(h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.1', stop: '49000', takeProfit: '52000' })).outcome).toBe('APPROVED');
    expect(h.om.submitIntent(intent(ALPHA, ETH, 'BUY', { quantity: '1', type: 'LIMIT', limitPrice: d('2500'), stop: '2400' })).outcome).toBe('APPROVED');
    h.price(BTC, '50500');
    const wire = botStateWire(h.om, ALPHA);
    const view = new StateViews(ALPHA, h.om, h.ledgers.get(ALPHA)!).view(h.clock.now());
    const positions = (map: ReadonlyMap<unknown, { instrumentId: string; quantity: { toString(): string }; unrealizedPnl: { toString(): string } }>) => [...map.values()].map((p) => [p.instrumentId, p.quantity.toString(), p.unrealizedPnl.toString()]);
    expect(positions(positionsFromWire(wire))).toEqual(positions(view.positions));
    expect(positions(view.positions)).toEqual([[BTC, '0.1', '50']]);
    const orders = (list: ReadonlyArray<{ clientOrderId: string; status: string; quantity: { toString(): string } }>) => list.map((o) => [o.clientOrderId, o.status, o.quantity.toString()]).sort();
    expect(orders(ordersFromWire(wire))).toEqual(orders(view.openOrders));
    expect(view.openOrders.map((order) => order.role).sort()).toEqual(['ENTRY', 'STOP', 'STOP', 'TAKE_PROFIT']);
    expect([wire.drawdown, wire.drawdownThreshold, wire.equity]).toEqual([view.drawdown.toString(), view.drawdownThreshold.toString(), view.equity.toString()]);
  });
});
