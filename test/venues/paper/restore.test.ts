import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseVenueOrderId } from '../../../core/ids.ts';
import { ALPHA, BTC, candle, events, fills, makeEngine, order, orderId, price, rejection } from './fixtures.ts';

const before = parseVenueOrderId('PAPER-old-O7');

describe('restoring orders after a restart', () => {
  it('puts back a resting limit already crossed by the last price without filling it, and matches it along the next candle', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('95'));
    const id = orderId('ENTRY', 1);

    // Submitted now, a buy at 99 with the price at 95 would fill in full at once; restored, it stands where it stood.
    const restored = engine.restoreOrder({ order: order({ id, side: 'BUY', type: 'LIMIT', quantity: '2', limit: '99' }), filledQuantity: dec('0'), venueOrderId: before });

    expect(restored).toEqual([]);
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('2') }]);
    expect(fills(engine.onCandle(candle('96', '97', '95.5', '96.5')))).toMatchObject([{ id, quantity: '2', price: '96', liquidity: 'MAKER' }]);
  });

  it('puts back a stop the last price has crossed and fills it at the next candle, in full, as a triggered stop', () => {
    const { engine } = makeEngine({ partialFills: { participation: dec('0.1') } });
    engine.restoreAccount(ALPHA, dec('10000'), [{ instrumentId: BTC, quantity: dec('3'), averagePrice: dec('100') }]);
    engine.onCandle(price('90'));
    const stop = orderId('STOP', 2);

    expect(engine.restoreOrder({ order: order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '3', trigger: '95', reduceOnly: true }), filledQuantity: dec('0'), venueOrderId: before })).toEqual([]);

    expect(fills(engine.onCandle(candle('91', '92', '89', '90', '1')))).toMatchObject([{ id: stop, quantity: '3', price: '91', leaves: '0', liquidity: 'TAKER' }]);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('keeps a partly filled order\'s fills: the next fill continues its cumulative and leaves quantities', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);

    engine.restoreOrder({ order: order({ id, side: 'BUY', type: 'LIMIT', quantity: '5', limit: '99' }), filledQuantity: dec('2'), venueOrderId: before });

    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('3') }]);
    expect(fills(engine.onCandle(candle('100', '100', '98', '99')))).toMatchObject([{ quantity: '3', cumulative: '5', leaves: '0' }]);
  });

  it('accepts an order the venue had never acknowledged, with a new venue order ID, and still does not fill it on arrival', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('95'));
    const id = orderId('ENTRY', 1);

    const reports = engine.restoreOrder({ order: order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '99' }), filledQuantity: dec('0'), venueOrderId: null });

    expect(events(reports)).toEqual([`ORDER_ACCEPTED ${id}`]);
    expect(reports[0]).toMatchObject({ venueOrderId: 'PAPER-s1-O1' });
  });

  it('holds a restored child of an entry with no fill until the entry fills, then works it', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    const stop = orderId('STOP', 2);

    engine.restoreOrder({ order: order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '99' }), filledQuantity: dec('0'), venueOrderId: before });
    expect(engine.restoreOrder({ order: order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '95', parent: entry }), filledQuantity: dec('0'), venueOrderId: null })).toEqual([]);

    const reports = engine.onCandle(candle('100', '100', '94', '96'));
    expect(events(reports)).toEqual([`ORDER_FILLED ${entry}`, `ORDER_ACCEPTED ${stop}`, `ORDER_FILLED ${stop}`]);
  });

  it('cancels a restored reduce-only order with no position left to reduce, and cuts one larger than the position', () => {
    const { engine } = makeEngine();
    engine.restoreAccount(ALPHA, dec('10000'), [{ instrumentId: BTC, quantity: dec('2'), averagePrice: dec('100') }]);
    engine.onCandle(price('100'));
    const stop = orderId('STOP', 2);
    const takeProfit = orderId('TAKE_PROFIT', 3);
    const stale = orderId('STOP', 4);

    const cut = engine.restoreOrder({ order: order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '3', trigger: '95', reduceOnly: true }), filledQuantity: dec('0'), venueOrderId: before });
    const kept = engine.restoreOrder({ order: order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '2', limit: '110', reduceOnly: true, role: 'TAKE_PROFIT' }), filledQuantity: dec('0'), venueOrderId: before });
    const gone = engine.restoreOrder({ order: order({ id: stale, side: 'BUY', type: 'STOP_MARKET', quantity: '1', trigger: '105', reduceOnly: true }), filledQuantity: dec('0'), venueOrderId: before });

    expect(events(cut)).toEqual([`ORDER_AMENDED ${stop}`]);
    expect(cut[0]).toMatchObject({ quantity: dec('2') });
    expect(kept).toEqual([]);
    expect(events(gone)).toEqual([`ORDER_CANCELED ${stale}`]);
  });

  it('makes an ended entry known again: its ID stays used, and a replacement stop naming it as parent is accepted', () => {
    const { engine } = makeEngine();
    engine.restoreAccount(ALPHA, dec('10000'), [{ instrumentId: BTC, quantity: dec('1'), averagePrice: dec('100') }]);
    engine.onCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    const replacement = orderId('STOP', 5);

    expect(engine.restoreEndedOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '1' }), dec('1'))).toBeNull();

    expect(rejection(engine.submit(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '1' })))).toBe('DUPLICATE_CLIENT_ORDER_ID');
    const reports = engine.submit(order({ id: replacement, side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '96', parent: entry, activatesOnParentFill: false }));
    expect(events(reports)).toEqual([`ORDER_ACCEPTED ${replacement}`]);
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: replacement }]);
    expect(engine.restoreEndedOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '1' }), dec('1'))).toMatch(/already used/);
  });
});
