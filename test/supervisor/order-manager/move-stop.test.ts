import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from './fixture.ts';
import { parseIntentId } from '../../../core/ids.ts';
import { ALPHA, BRAVO, BTC, d, intent, makeHarness } from './fixture.ts';

let moves = 0;
const move = () => parseIntentId(`move-${++moves}`);

describe('moving a stop by replacement, on a venue that cannot amend', () => {
  let h: Harness;
  afterEach(() => h.close());

  function longWithBracket() {
    h.price(BTC, '50000');
    h.om.submitIntent(intent(ALPHA, BTC, 'BUY', { quantity: '0.02', stop: '49000', takeProfit: '53000' }));
    const open = h.ledgers.get(ALPHA)!.openOrders();
    return { stop: open.find((order) => order.role === 'STOP')!, takeProfit: open.find((order) => order.role === 'TAKE_PROFIT')! };
  }

  it('replaces only the stop, by its ID, and the take-profit survives', async () => {
    h = makeHarness(undefined, { venueAmends: false });
    const { stop, takeProfit } = longWithBracket();
    const result = h.om.moveStop(ALPHA, stop.clientOrderId, d('49600'), move());
    await h.om.idle();
    expect(result.outcome).toBe('ACCEPTED');
    const replacement = result.outcome === 'ACCEPTED' ? result.replacement! : null;
    const ledger = h.ledgers.get(ALPHA)!;
    expect(ledger.order(stop.clientOrderId)?.status).toBe('CANCELED');
    expect(ledger.order(replacement!)).toMatchObject({ status: 'ACCEPTED', role: 'STOP', reduceOnly: true });
    expect(ledger.order(replacement!)?.triggerPrice?.toString()).toBe('49600');
    expect(ledger.order(takeProfit.clientOrderId)?.status).toBe('ACCEPTED');
    const atVenue = (await h.venue.openOrders(h.subAccount(ALPHA))).map((order) => order.clientOrderId).sort();
    expect(atVenue).toEqual([replacement, takeProfit.clientOrderId].sort());
  });

  it('cancels the take-profit once the replacement has closed the position', async () => {
    h = makeHarness(undefined, { venueAmends: false });
    const { stop, takeProfit } = longWithBracket();
    const result = h.om.moveStop(ALPHA, stop.clientOrderId, d('49600'), move());
    h.candle(BTC, '50000', '50000', '49500', '49700');
    await h.om.idle();
    const ledger = h.ledgers.get(ALPHA)!;
    expect(ledger.position(BTC)?.quantity.isZero()).toBe(true);
    expect(result.outcome === 'ACCEPTED' && ledger.order(result.replacement!)?.status).toBe('FILLED');
    expect(ledger.order(takeProfit.clientOrderId)?.status).toBe('CANCELED');
  });

  it('moves a stop once when the same move arrives twice, as after a reconnect', async () => {
    h = makeHarness(undefined, { venueAmends: false });
    const { stop } = longWithBracket();
    const id = move();
    const first = h.om.moveStop(ALPHA, stop.clientOrderId, d('49600'), id);
    const again = h.om.moveStop(ALPHA, stop.clientOrderId, d('49600'), id);
    expect(again).toEqual(first);
    expect(h.ledgers.get(ALPHA)!.openOrders().filter((order) => order.role === 'STOP')).toHaveLength(1);
  });

  it("refuses to move another bot's stop or anything that is not a stop", () => {
    h = makeHarness();
    const { stop, takeProfit } = longWithBracket();
    expect(h.om.moveStop(BRAVO, stop.clientOrderId, d('49600'), move())).toMatchObject({ outcome: 'DENIED', reason: 'NOT_OWN_ORDER' });
    expect(h.om.cancelOrder(BRAVO, stop.clientOrderId)).toMatchObject({ outcome: 'DENIED', reason: 'NOT_OWN_ORDER' });
    expect(h.om.moveStop(ALPHA, takeProfit.clientOrderId, d('49600'), move())).toMatchObject({ outcome: 'DENIED', reason: 'INVALID_INTENT' });
  });
});
