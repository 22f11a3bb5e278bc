import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { ALPHA, BETA, candle, eth, events, fills, makeEngine, order, orderId, price, rejection } from './fixtures.ts';

describe('sub-account isolation', () => {
  it("never matches one sub-account's order against another's, only against market data", () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '99' }));

    // Beta's sell at 98 would cross alpha's bid at 99 on an exchange; here it rests until the market trades there.
    const beta = engine.submit(order({ id: orderId('ENTRY', 1, 'beta'), account: BETA, side: 'SELL', type: 'LIMIT', quantity: '1', limit: '101' }));
    expect(events(beta)).toEqual([`ORDER_ACCEPTED ${orderId('ENTRY', 1, 'beta')}`]);
    expect(engine.onCandle(candle('100', '100.5', '99.5', '100'))).toEqual([]);
    expect(engine.positions(ALPHA)).toEqual([]);
    expect(engine.positions(BETA)).toEqual([]);
  });

  it("hides one sub-account's orders, positions and balance from another", () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '2' }));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }));

    expect(engine.openOrders(BETA)).toEqual([]);
    expect(engine.positions(BETA)).toEqual([]);
    expect(engine.balance(BETA).toString()).toBe('10000');
    expect(engine.openOrders(ALPHA)).toHaveLength(1);
  });

  it("refuses to let one sub-account cancel another's order", () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' }));

    expect(rejection(engine.cancel(BETA, id))).toBe('UNKNOWN_ORDER');
    expect(engine.openOrders(ALPHA)).toHaveLength(1);
    expect(fills(engine.onCandle(candle('100', '100', '89', '95')))).toMatchObject([{ id }]);
  });

  it('lets two sub-accounts use the same client order ID independently', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);

    expect(rejection(engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '90' })))).toBe(undefined);
    expect(rejection(engine.submit(order({ id, account: BETA, side: 'SELL', type: 'LIMIT', quantity: '1', limit: '110' })))).toBe(undefined);
    expect(engine.cancel(BETA, id)).toMatchObject([{ type: 'ORDER_CANCELED', subAccountId: BETA }]);
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id }]);
  });

  it("fills both sub-accounts' orders at the same point without either affecting the other's quantity", () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '3', limit: '99' }));
    engine.submit(order({ id: orderId('ENTRY', 1, 'beta'), account: BETA, side: 'BUY', type: 'LIMIT', quantity: '3', limit: '99' }));

    expect(fills(engine.onCandle(candle('100', '100', '98', '99', '5')))).toMatchObject([{ quantity: '3' }, { quantity: '3' }]);
    expect(engine.positions(ALPHA)).toMatchObject([{ quantity: dec('3') }]);
    expect(engine.positions(BETA)).toMatchObject([{ quantity: dec('3') }]);
  });
});

describe('sub-account accounting', () => {
  it('keeps the balance at capital plus realized PnL minus fees', () => {
    const { engine } = makeEngine({ fees: { makerRate: dec('0'), takerRate: dec('0.001') } });
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '2' }));
    engine.onCandle(price('110'));
    engine.submit(order({ id: orderId('CLOSE', 2), side: 'SELL', type: 'MARKET', quantity: '2' }));

    // +20 PnL, fees 0.2 + 0.22
    expect(engine.balance(ALPHA).toString()).toBe('10019.58');
  });

  it('leaves unrealized PnL out of the balance', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '2' }));
    engine.onCandle(price('150'));

    expect(engine.balance(ALPHA).toString()).toBe('10000');
  });

  it('nets fills per instrument: averages in, realizes out, and flips at the fill price', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.onCandle(price('200', eth));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' }));
    engine.onCandle(price('103'));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'MARKET', quantity: '2' }));
    engine.submit(order({ id: orderId('ENTRY', 3), side: 'SELL', type: 'MARKET', quantity: '1', instrument: eth }));
    expect(engine.positions(ALPHA).map((position) => [position.instrumentId, position.quantity.toString(), position.averagePrice.toString()])).toEqual([
      ['BTCUSDT.PAPER', '3', '102'],
      ['ETHUSDT.PAPER', '-1', '200'],
    ]);

    engine.onCandle(price('110'));
    engine.submit(order({ id: orderId('ENTRY', 4), side: 'SELL', type: 'MARKET', quantity: '5' }));

    expect(engine.positions(ALPHA)[0]).toMatchObject({ quantity: dec('-2'), averagePrice: dec('110') });
    expect(engine.balance(ALPHA).toString()).toBe('10024');
  });

  it('gives the same PnL and fees whatever the leverage', () => {
    const run = (leverage: string): string[] => {
      const { engine } = makeEngine({
        fees: { makerRate: dec('0.0002'), takerRate: dec('0.0006') },
        accounts: [{ subAccountId: ALPHA, balance: dec('10000'), leverage: dec(leverage) }],
      });
      engine.onCandle(price('100'));
      const reports = [
        ...engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '50' })),
        ...engine.submit(order({ id: orderId('TAKE_PROFIT', 2), side: 'SELL', type: 'LIMIT', quantity: '50', limit: '107', reduceOnly: true })),
        ...engine.onCandle(candle('100', '108', '97', '106')),
      ];
      return [engine.balance(ALPHA).toString(), ...fills(reports).flatMap((fill) => [fill.price, fill.fee])];
    };

    expect(run('1')).toEqual(run('10'));
    expect(run('1')).toEqual(['10345.93', '100', '3', '107', '1.07']);
    expect(run('1')[0]).toBe(dec('10000').add(dec('350')).sub(dec('3')).sub(dec('1.07')).toString());
  });

  it('lets leverage decide how much an account may open', () => {
    const submit = (leverage: string): string | undefined => {
      const { engine } = makeEngine({ accounts: [{ subAccountId: ALPHA, balance: dec('1000'), leverage: dec(leverage) }] });
      engine.onCandle(price('100'));
      return rejection(engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '50' })));
    };

    expect(submit('1')).toBe('INSUFFICIENT_BALANCE');
    expect(submit('5')).toBe(undefined);
  });
});
