import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseSubAccountId, type ClientOrderId } from '../../../core/ids.ts';
import { readOrderRow } from '../../../venues/bybit/order-mapping.ts';
import { OrderTracker } from '../../../venues/bybit/order-tracker.ts';
import { orderId } from './fixtures.ts';

/** Order updates from the stream, repeated and out of order, become each report once and never move an order back. */

const ALPHA = parseSubAccountId('alpha');
const ID = orderId('ENTRY', 1);

/** An order row as Bybit's order topic sends it. */
function row(orderStatus: string, updatedTime: number, changes: Record<string, string> = {}): ReturnType<typeof readOrderRow> {
  return readOrderRow(
    {
      orderId: 'b-1',
      orderLinkId: ID,
      symbol: 'BTCUSDT',
      side: 'Buy',
      orderType: 'Limit',
      orderStatus,
      qty: '0.02',
      price: '59000',
      triggerPrice: '0',
      cumExecQty: orderStatus === 'Filled' ? '0.02' : orderStatus === 'PartiallyFilled' ? '0.01' : '0',
      leavesQty: orderStatus === 'Filled' ? '0' : orderStatus === 'PartiallyFilled' ? '0.01' : '0.02',
      reduceOnly: false,
      cancelType: orderStatus === 'Cancelled' ? 'CancelByUser' : 'UNKNOWN',
      rejectReason: 'EC_NoError',
      updatedTime: String(updatedTime),
      ...changes,
    },
    'test',
  );
}

function types(tracker: OrderTracker, ...rows: ReturnType<typeof readOrderRow>[]): string[] {
  return rows.flatMap((one) => tracker.update(ALPHA, one!, 0).map((report) => report.type));
}

describe('OrderTracker', () => {
  it('reports acceptance once, however often "New" arrives', () => {
    const tracker = new OrderTracker();
    expect(types(tracker, row('New', 1), row('New', 1), row('New', 2))).toEqual(['ORDER_ACCEPTED']);
  });

  it('never reopens a filled order: a late "New" after "Filled" reports nothing', () => {
    const tracker = new OrderTracker();
    expect(types(tracker, row('Filled', 5))).toEqual(['ORDER_ACCEPTED']);
    expect(types(tracker, row('New', 3), row('New', 5), row('New', 9), row('PartiallyFilled', 9))).toEqual([]);
  });

  it('drops an update older than what it knows (time, then status, then filled quantity)', () => {
    const tracker = new OrderTracker();
    expect(types(tracker, row('PartiallyFilled', 5), row('New', 5), row('New', 4))).toEqual(['ORDER_ACCEPTED']);
    expect(types(tracker, row('Cancelled', 6))).toEqual(['ORDER_CANCELED']);
    expect(types(tracker, row('Cancelled', 6))).toEqual([]);
  });

  it('reports an amendment only when quantity or a price changed, and never for a Market order\'s slippage price', () => {
    const tracker = new OrderTracker();
    tracker.sent(ALPHA, ID as ClientOrderId, dec('0.02'), dec('59000'), null);
    expect(types(tracker, row('New', 1))).toEqual(['ORDER_ACCEPTED']);
    expect(types(tracker, row('New', 2, { price: '59100' }))).toEqual(['ORDER_AMENDED']);
    expect(types(tracker, row('New', 3, { price: '59100' }))).toEqual([]);
    const market = new OrderTracker();
    market.sent(ALPHA, ID as ClientOrderId, dec('0.02'), null, null);
    expect(types(market, row('New', 1, { orderType: 'Market', price: '61000' }), row('New', 2, { orderType: 'Market', price: '61200' }))).toEqual(['ORDER_ACCEPTED']);
  });

  it('says an amendment confirmed on REST is no news once the stream has told it', () => {
    const tracker = new OrderTracker();
    tracker.sent(ALPHA, ID as ClientOrderId, dec('0.02'), dec('59000'), null);
    types(tracker, row('New', 1), row('New', 2, { price: '59100' }));
    expect(tracker.amended(ALPHA, ID as ClientOrderId, { limitPrice: dec('59100') })?.news).toBe(false);
    expect(tracker.amended(ALPHA, ID as ClientOrderId, { limitPrice: dec('59200') })?.news).toBe(true);
  });

  it('leaves orders that are not Flotilla\'s alone', () => {
    const tracker = new OrderTracker();
    expect(types(tracker, row('New', 1, { orderLinkId: '' }), row('New', 1, { orderLinkId: 'manual-order' }))).toEqual([]);
  });
});
