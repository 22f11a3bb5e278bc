import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { parseExposureKey, parseInstrumentId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import { PaperMatchingEngine } from '../../../venues/paper/matching-engine.ts';
import { btc, candle, events, fills, order, orderId, paperConfig } from './fixtures.ts';

/**
 * An equity on the paper venue follows the US equity session: an order that arrives while it is closed meets no
 * price (the last close is stale); a market order rests and fills at the open of the next session's first candle,
 * gap and all, as a broker queues it. Crypto fills on arrival at any hour.
 */

const qqq: Instrument = { ...btc, id: parseInstrumentId('QQQ.PAPER'), kind: 'EQUITY', lotStep: dec('1'), minQuantity: dec('1'), exposureKey: parseExposureKey('NDX') };
/** Friday 2026-11-06 16:05 in New York: the session closed five minutes ago. */
const FRIDAY_AFTER_CLOSE = Date.UTC(2026, 10, 6, 21, 5);
/** Monday 2026-11-09 09:30 in New York. */
const MONDAY_OPEN = Date.UTC(2026, 10, 9, 14, 30);

function engineAt(ms: number): { engine: PaperMatchingEngine; clock: ManualClock } {
  const clock = new ManualClock(ms);
  return { engine: new PaperMatchingEngine(paperConfig({ instruments: [btc, qqq] }), clock), clock };
}

describe('the paper venue and the US equity session', () => {
  it('test_market_order_when_the_equity_session_is_closed_then_it_rests_and_fills_at_the_next_opens_first_candle', () => {
    // Arrange: QQQ last traded at 480 on Friday; the clock is past the close.
    const { engine, clock } = engineAt(FRIDAY_AFTER_CLOSE);
    engine.onCandle({ ...candle('480', '480', '480', '480', '1000', qqq), openTime: Date.UTC(2026, 10, 6, 20, 59) });
    const id = orderId('ENTRY', 1);
    // Act: a market buy while closed.
    const arrival = engine.submit(order({ id, side: 'BUY', type: 'MARKET', quantity: '5', instrument: qqq }));
    // Assert: accepted, not filled at the stale 480.
    expect(events(arrival)).toEqual([`ORDER_ACCEPTED ${id}`]);
    // Monday's first candle opens at 490 (the weekend's news): the order fills there.
    clock.set(MONDAY_OPEN + 60_000);
    const open = engine.onCandle({ ...candle('490', '492', '489', '491', '1000', qqq), openTime: MONDAY_OPEN });
    expect(fills(open)).toMatchObject([{ id, side: 'BUY', quantity: '5', price: '490', liquidity: 'TAKER' }]);
  });

  it('test_ioc_limit_when_the_equity_session_is_closed_then_canceled_naming_the_session', () => {
    const { engine } = engineAt(FRIDAY_AFTER_CLOSE);
    engine.onCandle({ ...candle('480', '480', '480', '480', '1000', qqq), openTime: Date.UTC(2026, 10, 6, 20, 59) });
    const reports = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', limit: '485', quantity: '5', instrument: qqq, timeInForce: 'IOC' }));
    expect(events(reports)).toEqual([`ORDER_ACCEPTED ${orderId('ENTRY', 1)}`, `ORDER_CANCELED ${orderId('ENTRY', 1)}`]);
    expect(JSON.stringify(reports)).toContain('QQQ.PAPER is outside its US equity session');
  });

  it('test_market_order_when_crypto_at_the_same_hour_then_it_fills_on_arrival', () => {
    const { engine } = engineAt(FRIDAY_AFTER_CLOSE);
    engine.onCandle(candle('60000', '60000', '60000', '60000'));
    const id = orderId('ENTRY', 2);
    expect(events(engine.submit(order({ id, side: 'BUY', type: 'MARKET', quantity: '0.1' })))).toEqual([`ORDER_ACCEPTED ${id}`, `ORDER_FILLED ${id}`]);
  });
});
