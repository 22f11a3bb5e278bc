import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { ALPHA, btc, candle, events, fills, makeEngine, order, orderId, price } from './fixtures.ts';

const tenPercent = { partialFills: { participation: dec('0.1') } };

describe('partial fills by participation', () => {
  it('caps a resting limit fill at participation × candle volume and fills the rest on later candles', () => {
    const { engine } = makeEngine(tenPercent);
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '5', limit: '99' }));

    const first = engine.onCandle(candle('100', '100', '98', '99', '23'));
    expect(fills(first)).toMatchObject([{ quantity: '2.3', cumulative: '2.3', leaves: '2.7', liquidity: 'MAKER' }]);
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('2.7') }]);

    const second = engine.onCandle(candle('99', '102', '98.5', '101', '20'));
    expect(fills(second)).toMatchObject([{ quantity: '2', price: '99', cumulative: '4.3', leaves: '0.7' }]);

    const third = engine.onCandle(candle('98', '100', '97', '99', '100'));
    expect(fills(third)).toMatchObject([{ quantity: '0.7', price: '98', cumulative: '5', leaves: '0' }]);
    expect(engine.openOrders(ALPHA)).toEqual([]);
    expect(engine.positions(ALPHA)).toMatchObject([{ quantity: dec('5') }]);
  });

  it('rounds the participation cap down to the lot step and fills nothing on a candle too thin for one lot', () => {
    const { engine } = makeEngine(tenPercent);
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '99' }));

    expect(engine.onCandle(candle('100', '100', '98', '99', '0.99'))).toEqual([]);
    expect(fills(engine.onCandle(candle('100', '100', '98', '99', '5.55')))).toMatchObject([{ quantity: '0.5' }]);
  });

  it('gives each resting order its own cap in a candle', () => {
    const { engine } = makeEngine(tenPercent);
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '3', limit: '99' }));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'LIMIT', quantity: '3', limit: '98' }));

    expect(fills(engine.onCandle(candle('100', '100', '97', '99', '20')))).toMatchObject([{ quantity: '2' }, { quantity: '2' }]);
  });

  it('fills a triggered stop in full in the candle it triggered, whatever the candle volume (no participation cap)', () => {
    const { engine } = makeEngine(tenPercent);
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'SELL', type: 'STOP_MARKET', quantity: '3', trigger: '97' }));

    // 10% of 10 would be 1: a venue's market order does not wait for volume, and neither does a triggered stop.
    expect(fills(engine.onCandle(candle('100', '100', '96', '99', '10')))).toMatchObject([{ quantity: '3', price: '97', leaves: '0', liquidity: 'TAKER' }]);
    expect(engine.openOrders(ALPHA)).toEqual([]);
  });

  it('makes no capped fill below the minimum notional: the order waits for a candle with the volume for one', () => {
    const minimum = { ...btc, minNotional: dec('100') };
    const { engine } = makeEngine({ ...tenPercent, instruments: [minimum] });
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '2.5', limit: '99', instrument: minimum }));

    // 10% of 5 = 0.5, worth 49.5: below 100, so no fill at all, as on a venue.
    expect(engine.onCandle(candle('100', '100', '98', '99.5', '5'))).toEqual([]);
    // 10% of 20 = 2, worth 198.
    expect(fills(engine.onCandle(candle('100', '100', '98', '99.5', '20')))).toMatchObject([{ quantity: '2', leaves: '0.5' }]);
    // The last 0.5 of the order is worth 49.5, but it is all that is left of it: it fills.
    expect(fills(engine.onCandle(candle('100', '100', '98', '99.5', '20')))).toMatchObject([{ quantity: '0.5', price: '99', leaves: '0' }]);
  });

  it('never caps a market order', () => {
    const { engine } = makeEngine(tenPercent);
    engine.onCandle(candle('100', '100', '100', '100', '1'));

    expect(fills(engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '50' })))).toMatchObject([
      { quantity: '50', leaves: '0' },
    ]);
  });

  it('reports cumulative and leaves quantities that add up across partial fills', () => {
    const { engine } = makeEngine(tenPercent);
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'SELL', type: 'LIMIT', quantity: '1', limit: '101' }));

    const reports = [101, 102, 103].flatMap(() => engine.onCandle(candle('100', '102', '100', '101', '4')));

    expect(fills(reports).map((fill) => [fill.quantity, fill.cumulative, fill.leaves])).toEqual([
      ['0.4', '0.4', '0.6'],
      ['0.4', '0.8', '0.2'],
      ['0.2', '1', '0'],
    ]);
    expect(events(reports).at(-1)).toBe(`ORDER_FILLED ${id}`);
  });
});
