import { afterEach, describe, expect, it } from 'vitest';
import type { ExecutionReport } from '../../../core/order.ts';
import type { Harness } from './fixture.ts';
import { ALPHA, BTC, d, intent, makeHarness } from './fixture.ts';

describe('amendments the venue makes on its own', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('test_partial_close_when_the_venue_cuts_the_stop_to_the_position_then_the_ledger_and_the_bot_state_have_the_cut_stop', async () => {
    // Arrange: a bracketed long of 0.02.
    h = makeHarness();
    const applied: ExecutionReport[] = [];
    h.om.onEvent((event) => {
      if (event.type === 'REPORT_APPLIED') applied.push(event.report);
    });
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '53000' }));
    const ledger = h.ledgers.get(ALPHA)!;
    const stop = ledger.openOrders().find((order) => order.role === 'STOP')!;
    // Act: half of it is closed.
    const decision = h.om.submitIntent(intent(ALPHA, BTC, 'SELL', { quantity: '0.01', reduceOnly: true }));
    await h.om.idle();
    // Assert: the stop (and the take-profit) now protect 0.01, and the order manager passed the amendments on.
    expect(decision.outcome).not.toBe('DENIED');
    expect(ledger.position(BTC)?.quantity).toEqual(d('0.01'));
    expect(ledger.order(stop.clientOrderId)).toMatchObject({ status: 'ACCEPTED', quantity: d('0.01'), triggerPrice: d('49000') });
    expect(ledger.openOrders().every((order) => order.quantity.sub(order.filledQuantity).lte(d('0.01')))).toBe(true);
    expect(applied.filter((report) => report.type === 'ORDER_AMENDED').map((report) => report.type === 'ORDER_AMENDED' && report.clientOrderId)).toContain(stop.clientOrderId);
  });
});
