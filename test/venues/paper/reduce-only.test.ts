import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { ALPHA, btc, candle, events, fills, makeEngine, order, orderId, price, rejection } from './fixtures.ts';

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

  it('cuts a resting reduce-only limit to the position left when the position shrinks, and fills what is left of it', () => {
    const { engine } = longTwo();
    const close = orderId('CLOSE', 2);
    engine.submit(order({ id: close, side: 'SELL', type: 'LIMIT', quantity: '2', limit: '103', reduceOnly: true }));

    const shrunk = engine.submit(order({ id: orderId('CLOSE', 3), side: 'SELL', type: 'MARKET', quantity: '1.5' }));
    expect(events(shrunk).at(-1)).toBe(`ORDER_AMENDED ${close}`);
    expect(shrunk.at(-1)).toMatchObject({ quantity: dec('0.5'), limitPrice: dec('103'), triggerPrice: null });

    const reports = engine.onCandle(candle('100', '104', '100', '103'));
    expect(fills(reports)).toMatchObject([{ quantity: '0.5', price: '103', leaves: '0' }]);
    expect(events(reports)).toEqual([`ORDER_FILLED ${close}`]);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('cancels a resting reduce-only stop as soon as another order leaves the position flat', () => {
    const { engine } = longTwo();
    const stop = orderId('STOP', 2);
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '2', trigger: '95', reduceOnly: true }));

    const closed = engine.submit(order({ id: orderId('CLOSE', 3), side: 'SELL', type: 'MARKET', quantity: '2' }));

    expect(events(closed).at(-1)).toBe(`ORDER_CANCELED ${stop}`);
    expect(engine.onCandle(candle('100', '100', '90', '91'))).toEqual([]);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('cancels a reduce-only order as soon as the position has flipped to its side', () => {
    const { engine } = longTwo();
    const stop = orderId('STOP', 2);
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '2', trigger: '95', reduceOnly: true }));

    const flipped = engine.submit(order({ id: orderId('ENTRY', 3), side: 'SELL', type: 'MARKET', quantity: '3' }));

    expect(events(flipped).at(-1)).toBe(`ORDER_CANCELED ${stop}`);
    expect(engine.onCandle(candle('100', '100', '90', '91'))).toEqual([]);
    expect(engine.positions(ALPHA)).toMatchObject([{ quantity: dec('-1') }]);
  });

  it('cuts a stop larger than the position it protects once a take-profit has partly closed it (15,233 against 14,191)', () => {
    const { engine } = makeEngine({ partialFills: { participation: dec('0.1') }, accounts: [{ subAccountId: ALPHA, balance: dec('1000000'), leverage: dec('5') }] });
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1523.3' }));
    const takeProfit = orderId('TAKE_PROFIT', 2);
    const stop = orderId('STOP', 3);
    engine.submit(order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '1523.3', limit: '105', reduceOnly: true, role: 'TAKE_PROFIT' }));
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '1523.3', trigger: '95', reduceOnly: true }));

    const reports = engine.onCandle(candle('100', '106', '100', '105', '1042'));

    expect(fills(reports)).toMatchObject([{ id: takeProfit, quantity: '104.2', leaves: '1419.1' }]);
    expect(reports.at(-1)).toMatchObject({ type: 'ORDER_AMENDED', clientOrderId: stop, quantity: dec('1419.1'), triggerPrice: dec('95') });
    expect(engine.positions(ALPHA)).toMatchObject([{ quantity: dec('1419.1') }]);
    expect(engine.openOrders(ALPHA).map((open) => [open.clientOrderId, open.leavesQuantity.toString()])).toEqual([
      [takeProfit, '1419.1'],
      [stop, '1419.1'],
    ]);
  });

  it('cuts a reduce-only order larger than the position when it is submitted', () => {
    const { engine } = longTwo();
    const stop = orderId('STOP', 2);

    const reports = engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '5', trigger: '95', reduceOnly: true }));

    expect(events(reports)).toEqual([`ORDER_ACCEPTED ${stop}`, `ORDER_AMENDED ${stop}`]);
    expect(reports[1]).toMatchObject({ quantity: dec('2'), triggerPrice: dec('95'), detail: expect.stringMatching(/reduce-only/) });
  });

  it('lets a bracket child of an entry still working cover the position and the rest of the entry, and no more', () => {
    const { engine } = makeEngine({ partialFills: { participation: dec('0.1') } });
    engine.onCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    const takeProfit = orderId('TAKE_PROFIT', 2);
    const stop = orderId('STOP', 3);
    engine.submit(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '4', limit: '99' }));
    engine.submit(order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '4', limit: '105', parent: entry, role: 'TAKE_PROFIT' }));
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '4', trigger: '95', parent: entry }));
    engine.onCandle(candle('100', '100', '98', '99.5', '30'));

    // The entry has 3 of 4; the take-profit closes 1 of them: 2 held and 1 to come, so the stop is cut from 4 to 3.
    const reports = engine.onCandle(candle('100', '106', '100', '105', '10'));

    expect(events(reports)).toEqual([`ORDER_FILLED ${takeProfit}`, `ORDER_AMENDED ${stop}`]);
    expect(reports[1]).toMatchObject({ quantity: dec('3') });
    expect(engine.openOrders(ALPHA).map((open) => [open.clientOrderId, open.leavesQuantity.toString()])).toEqual([
      [entry, '1'],
      [takeProfit, '3'],
      [stop, '3'],
    ]);
  });

  it('accepts a reduce-only close of the whole position below the minimum notional, and refuses a partial one', () => {
    const minimum = { ...btc, minNotional: dec('100') };
    const { engine } = makeEngine({ instruments: [minimum] });
    engine.restoreAccount(ALPHA, dec('10000'), [{ instrumentId: minimum.id, quantity: dec('0.5'), averagePrice: dec('100') }]);
    engine.onCandle(price('100', minimum));

    // 0.3 at 100 is 30, below 100, and would leave 0.2 open: refused like any order below the minimum.
    expect(rejection(engine.submit(order({ id: orderId('CLOSE', 1), side: 'SELL', type: 'MARKET', quantity: '0.3', reduceOnly: true, instrument: minimum })))).toBe('INVALID_ORDER');
    // The whole 0.5, worth 50: a venue lets a position be closed, however small.
    const close = orderId('CLOSE', 2);
    expect(fills(engine.submit(order({ id: close, side: 'SELL', type: 'MARKET', quantity: '0.5', reduceOnly: true, instrument: minimum })))).toMatchObject([{ id: close, quantity: '0.5' }]);
    expect(engine.positions(ALPHA)).toEqual([]);
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
