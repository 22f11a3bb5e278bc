import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseInstrumentId, parseSubAccountId } from '../../../core/ids.ts';
import { ALPHA, BTC, btc, candle, events, makeEngine, order, orderId, price, rejection } from './fixtures.ts';

describe('paper engine submit validation', () => {
  it('rejects a client order ID already used in the sub-account, like Bybit retCode 110072', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }));

    const reports = engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '91' }));

    expect(reports).toMatchObject([{ type: 'ORDER_REJECTED', clientOrderId: id, reason: 'DUPLICATE_CLIENT_ORDER_ID' }]);
    expect(engine.openOrders(ALPHA)).toHaveLength(1);
  });

  it('still rejects a duplicate after the first order has filled', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'BUY', type: 'MARKET', quantity: '1' }));

    expect(rejection(engine.submit(order({ id, side: 'SELL', type: 'MARKET', quantity: '1' })))).toBe('DUPLICATE_CLIENT_ORDER_ID');
  });

  it('rejects an order for an instrument the venue does not list', () => {
    const { engine } = makeEngine();
    const unknown = { ...btc, id: parseInstrumentId('DOGEUSDT.PAPER') };

    expect(rejection(engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1', instrument: unknown })))).toBe(
      'UNKNOWN_INSTRUMENT',
    );
  });

  it('rejects an order for an unknown sub-account', () => {
    const { engine } = makeEngine();

    const reports = engine.submit(order({ id: orderId('ENTRY', 1, 'ghost'), account: parseSubAccountId('ghost'), side: 'BUY', type: 'MARKET', quantity: '1' }));

    expect(reports).toMatchObject([{ type: 'ORDER_REJECTED', reason: 'INVALID_ORDER', subAccountId: 'ghost' }]);
  });

  it.each([
    ['a quantity off the lot step', { quantity: '1.05' }],
    ['a zero quantity', { quantity: '0' }],
    ['a limit price off the tick', { limit: '99.005' }],
    ['a negative limit price', { limit: '-1' }],
    ['a notional below the minimum', { quantity: '0.1', limit: '5' }],
  ])('rejects %s as INVALID_ORDER', (_, change) => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));

    const reports = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '99', ...change }));

    expect(rejection(reports)).toBe('INVALID_ORDER');
  });

  it('rejects a limit without a limit price and a stop without a trigger', () => {
    const { engine } = makeEngine();

    expect(rejection(engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1' })))).toBe('INVALID_ORDER');
    expect(rejection(engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'STOP_MARKET', quantity: '1' })))).toBe('INVALID_ORDER');
    expect(rejection(engine.submit(order({ id: orderId('ENTRY', 3), side: 'BUY', type: 'MARKET', quantity: '1', limit: '100' })))).toBe('INVALID_ORDER');
  });

  it('rejects an order whose margin does not fit the free equity', () => {
    const { engine } = makeEngine({ accounts: [{ subAccountId: ALPHA, balance: dec('1000'), leverage: dec('2') }] });
    engine.onCandle(price('100'));

    // 25 × 100 / 2 = 1250 > 1000
    const reports = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '25' }));

    expect(reports).toMatchObject([{ type: 'ORDER_REJECTED', reason: 'INSUFFICIENT_BALANCE' }]);
    expect(engine.positions(ALPHA)).toEqual([]);
    expect(events(engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'MARKET', quantity: '20' })))).toHaveLength(2);
  });

  it('counts positions and resting orders against the margin a new order needs', () => {
    const { engine } = makeEngine({ accounts: [{ subAccountId: ALPHA, balance: dec('1000'), leverage: dec('1') }] });
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '4' }));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'LIMIT', quantity: '4', limit: '90' }));

    // 1000 − 400 (position) − 360 (resting buy) = 240 free; a sell of 5 opens only 1 short beyond the long 4.
    expect(rejection(engine.submit(order({ id: orderId('ENTRY', 3), side: 'SELL', type: 'LIMIT', quantity: '5', limit: '110' })))).toBe(undefined);
    // 240 − 110 = 130 free.
    expect(rejection(engine.submit(order({ id: orderId('ENTRY', 4), side: 'BUY', type: 'LIMIT', quantity: '1.5', limit: '90' })))).toBe('INSUFFICIENT_BALANCE');
    expect(rejection(engine.submit(order({ id: orderId('ENTRY', 5), side: 'BUY', type: 'LIMIT', quantity: '1.4', limit: '90' })))).toBe(undefined);
  });

  it('lets an order that only closes exposure through whatever the free margin', () => {
    const { engine } = makeEngine({ accounts: [{ subAccountId: ALPHA, balance: dec('1000'), leverage: dec('1') }] });
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '10' }));
    engine.onCandle(candle('100', '100', '80', '80'));

    expect(rejection(engine.submit(order({ id: orderId('CLOSE', 2), side: 'SELL', type: 'MARKET', quantity: '10' })))).toBe(undefined);
  });

  it('cancels a market order that waited for the first price when its margin does not fit at the open', () => {
    const { engine } = makeEngine({ accounts: [{ subAccountId: ALPHA, balance: dec('1000'), leverage: dec('1') }] });
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'BUY', type: 'MARKET', quantity: '20' }));

    const reports = engine.onCandle(candle('100', '100', '100', '100'));

    expect(events(reports)).toEqual([`ORDER_CANCELED ${id}`]);
    expect(reports[0]).toMatchObject({ detail: expect.stringContaining('INSUFFICIENT_BALANCE') });
  });
});

describe('paper engine cancel', () => {
  it('cancels one resting order', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }));

    expect(engine.cancel(ALPHA, id)).toMatchObject([{ type: 'ORDER_CANCELED', clientOrderId: id }]);
    expect(engine.onCandle(candle('100', '100', '80', '85'))).toEqual([]);
  });

  it('rejects the cancel of an unknown order as UNKNOWN_ORDER', () => {
    const { engine } = makeEngine();
    const id = orderId('ENTRY', 1);

    expect(engine.cancel(ALPHA, id)).toMatchObject([{ type: 'CANCEL_REJECTED', clientOrderId: id, reason: 'UNKNOWN_ORDER' }]);
  });

  it('rejects the cancel of an order that already filled or was canceled', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' }));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }));
    engine.cancel(ALPHA, orderId('ENTRY', 2));

    expect(rejection(engine.cancel(ALPHA, orderId('ENTRY', 1)))).toBe('UNKNOWN_ORDER');
    expect(rejection(engine.cancel(ALPHA, orderId('ENTRY', 2)))).toBe('UNKNOWN_ORDER');
  });

  it('rejects a cancel that names the wrong instrument', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }));

    expect(rejection(engine.cancel(ALPHA, orderId('ENTRY', 1), parseInstrumentId('ETHUSDT.PAPER')))).toBe('UNKNOWN_ORDER');
    expect(events(engine.cancel(ALPHA, orderId('ENTRY', 1), BTC))).toEqual([`ORDER_CANCELED ${orderId('ENTRY', 1)}`]);
  });
});

describe('paper engine candles', () => {
  it('refuses an inconsistent candle and a candle for an unlisted instrument', () => {
    const { engine } = makeEngine();

    expect(() => engine.onCandle(candle('100', '99', '98', '99'))).toThrow(/inconsistent/);
    expect(() => engine.onCandle({ ...price('100'), instrumentId: parseInstrumentId('DOGEUSDT.PAPER') })).toThrow(/no instrument/);
  });
});
