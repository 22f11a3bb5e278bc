import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { ALPHA, candle, events, fills, makeEngine, order, orderId, price, rejection } from './fixtures.ts';

function longTwo() {
  const setup = makeEngine();
  setup.engine.onCandle(price('100'));
  setup.engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '2' }));
  return setup;
}

describe('reduce-only orders', () => {
  it('rejects a reduce-only order with no opposite position', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));

    const reports = engine.submit(order({ id: orderId('CLOSE', 1), side: 'SELL', type: 'MARKET', quantity: '1', reduceOnly: true }));

    expect(rejection(reports)).toBe('REDUCE_ONLY_WOULD_INCREASE');
  });

  it('rejects a reduce-only order on the same side as the position', () => {
    const { engine } = longTwo();

    expect(rejection(engine.submit(order({ id: orderId('CLOSE', 2), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90', reduceOnly: true })))).toBe(
      'REDUCE_ONLY_WOULD_INCREASE',
    );
  });

  it('caps a reduce-only fill at the open position and cancels the rest instead of flipping', () => {
    const { engine } = longTwo();
    const close = orderId('CLOSE', 2);

    const reports = engine.submit(order({ id: close, side: 'SELL', type: 'MARKET', quantity: '5', reduceOnly: true }));

    expect(fills(reports)).toMatchObject([{ id: close, quantity: '2', cumulative: '2', leaves: '3' }]);
    expect(events(reports)).toEqual([`ORDER_ACCEPTED ${close}`, `ORDER_FILLED ${close}`, `ORDER_CANCELED ${close}`]);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('caps a resting reduce-only limit at the position left when it fills', () => {
    const { engine } = longTwo();
    engine.submit(order({ id: orderId('CLOSE', 2), side: 'SELL', type: 'LIMIT', quantity: '2', limit: '103', reduceOnly: true }));
    engine.submit(order({ id: orderId('CLOSE', 3), side: 'SELL', type: 'MARKET', quantity: '1.5' }));

    const reports = engine.onCandle(candle('100', '104', '100', '103'));

    expect(fills(reports)).toMatchObject([{ quantity: '0.5', price: '103' }]);
    expect(events(reports).at(-1)).toBe(`ORDER_CANCELED ${orderId('CLOSE', 2)}`);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('cancels a resting reduce-only stop instead of filling when the position is already flat', () => {
    const { engine } = longTwo();
    const stop = orderId('STOP', 2);
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '2', trigger: '95', reduceOnly: true }));
    engine.submit(order({ id: orderId('CLOSE', 3), side: 'SELL', type: 'MARKET', quantity: '2' }));

    const reports = engine.onCandle(candle('100', '100', '90', '91'));

    expect(events(reports)).toEqual([`ORDER_CANCELED ${stop}`]);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('cancels a reduce-only order instead of filling when the position has flipped to its side', () => {
    const { engine } = longTwo();
    const stop = orderId('STOP', 2);
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '2', trigger: '95', reduceOnly: true }));
    engine.submit(order({ id: orderId('ENTRY', 3), side: 'SELL', type: 'MARKET', quantity: '3' }));

    expect(events(engine.onCandle(candle('100', '100', '90', '91')))).toEqual([`ORDER_CANCELED ${stop}`]);
    expect(engine.positions(ALPHA)).toMatchObject([{ quantity: dec('-1') }]);
  });

  it('accepts a reduce-only bracket child before its parent has filled', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '95' }));

    const reports = engine.submit(order({ id: orderId('STOP', 2), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '90', parent: orderId('ENTRY', 1) }));

    expect(reports).toEqual([]);
    expect(engine.openOrders(ALPHA)).toHaveLength(2);
  });
});
