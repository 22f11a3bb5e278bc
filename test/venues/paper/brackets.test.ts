import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { ALPHA, BETA, candle, events, fills, makeEngine, order, orderId, price, rejection } from './fixtures.ts';

const entry = orderId('ENTRY', 1);
const takeProfit = orderId('TAKE_PROFIT', 2);
const stop = orderId('STOP', 3);

/** A long limit entry at 99 with a take-profit at 105 and a stop at 95, the children waiting for the fill. */
function bracketed(quantity = '4', participation = '1') {
  const setup = makeEngine({ partialFills: { participation: dec(participation) } });
  setup.engine.onCandle(price('100'));
  const submitted = [
    ...setup.engine.submit(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity, limit: '99' })),
    ...setup.engine.submit(order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity, limit: '105', parent: entry, role: 'TAKE_PROFIT' })),
    ...setup.engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity, trigger: '95', parent: entry })),
  ];
  return { ...setup, submitted };
}

describe('bracket children', () => {
  it('holds children silently until the parent fills, then accepts them after the parent fill', () => {
    const { engine, submitted } = bracketed();

    expect(events(submitted)).toEqual([`ORDER_ACCEPTED ${entry}`]);
    expect(engine.openOrders(ALPHA).map((open) => [open.clientOrderId, open.leavesQuantity.toString()])).toEqual([
      [entry, '4'],
      [takeProfit, '4'],
      [stop, '4'],
    ]);
    expect(engine.onCandle(candle('100', '101', '99.5', '100'))).toEqual([]);

    const reports = engine.onCandle(candle('100', '101', '98', '100'));

    expect(events(reports)).toEqual([`ORDER_FILLED ${entry}`, `ORDER_ACCEPTED ${takeProfit}`, `ORDER_ACCEPTED ${stop}`]);
  });

  it('grows the children working quantity with each partial parent fill', () => {
    const { engine } = bracketed('4', '0.1');

    // 10% of 15 = 1.5 of the entry fills; the children may now close 1.5 between them.
    const first = engine.onCandle(candle('100', '100', '98', '99', '15'));
    expect(fills(first)).toMatchObject([{ id: entry, quantity: '1.5', leaves: '2.5' }]);
    expect(events(first).slice(1)).toEqual([`ORDER_ACCEPTED ${takeProfit}`, `ORDER_ACCEPTED ${stop}`]);
    expect(engine.openOrders(ALPHA).map((open) => open.leavesQuantity.toString())).toEqual(['2.5', '4', '4']);

    const second = engine.onCandle(candle('99', '99.5', '98.5', '99', '10'));
    expect(fills(second)).toMatchObject([{ id: entry, quantity: '1', cumulative: '2.5' }]);
    expect(events(second)).toEqual([`ORDER_FILLED ${entry}`]);

    // The take-profit may close what the entry has filled (2.5), and no more, even with volume to spare.
    const third = engine.onCandle(candle('100', '106', '99.5', '105', '1000'));
    expect(fills(third)).toMatchObject([{ id: takeProfit, quantity: '2.5', price: '105', cumulative: '2.5', leaves: '1.5' }]);
    expect(events(third)).toEqual([
      `ORDER_FILLED ${takeProfit}`,
      `ORDER_CANCELED ${takeProfit}`,
      `ORDER_CANCELED ${stop}`,
      `ORDER_CANCELED ${entry}`,
    ]);
    expect(engine.positions(ALPHA)).toEqual([]);
    expect(engine.openOrders(ALPHA)).toEqual([]);
  });

  it('keeps children working for what a partially filled parent filled when the parent is canceled', () => {
    const { engine } = bracketed('4', '0.1');
    engine.onCandle(candle('100', '100', '98', '99', '10'));

    const canceled = engine.cancel(ALPHA, entry);

    expect(events(canceled)).toEqual([`ORDER_CANCELED ${entry}`]);
    expect(engine.openOrders(ALPHA).map((open) => [open.clientOrderId, open.leavesQuantity.toString()])).toEqual([
      [takeProfit, '1'],
      [stop, '1'],
    ]);
    expect(fills(engine.onCandle(candle('100', '106', '99', '105', '1000')))).toMatchObject([{ id: takeProfit, quantity: '1', leaves: '0' }]);
  });

  it('activates a child at once when its parent already has fills', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '2' }));

    const reports = engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '2', trigger: '95', parent: entry }));

    expect(events(reports)).toEqual([`ORDER_ACCEPTED ${stop}`]);
    expect(fills(engine.onCandle(candle('100', '100', '94', '96')))).toMatchObject([{ id: stop, quantity: '2', price: '95' }]);
  });

  it('cancels the waiting children when the parent is canceled with no fill', () => {
    const { engine } = bracketed();

    const reports = engine.cancel(ALPHA, entry);

    expect(events(reports)).toEqual([`ORDER_CANCELED ${entry}`, `ORDER_CANCELED ${takeProfit}`, `ORDER_CANCELED ${stop}`]);
    expect(engine.openOrders(ALPHA)).toEqual([]);
    expect(engine.onCandle(candle('100', '110', '90', '100'))).toEqual([]);
  });

  it('cancels the other child when one fills and the position is flat (one cancels the other)', () => {
    const { engine } = bracketed();
    engine.onCandle(candle('100', '100', '98', '99'));

    const reports = engine.onCandle(candle('100', '106', '99', '105'));

    expect(events(reports)).toEqual([`ORDER_FILLED ${takeProfit}`, `ORDER_CANCELED ${stop}`]);
    expect(engine.positions(ALPHA)).toEqual([]);
    expect(engine.onCandle(candle('100', '100', '90', '91'))).toEqual([]);
  });

  it('cancels the unfilled rest of the entry when a child closes the position', () => {
    const { engine } = bracketed('4', '0.1');
    engine.onCandle(candle('100', '100', '98', '99', '10'));

    const reports = engine.onCandle(candle('100', '106', '100', '105', '1000'));

    expect(events(reports)).toEqual([
      `ORDER_FILLED ${takeProfit}`,
      `ORDER_CANCELED ${takeProfit}`,
      `ORDER_CANCELED ${stop}`,
      `ORDER_CANCELED ${entry}`,
    ]);
    expect(engine.openOrders(ALPHA)).toEqual([]);
  });

  it('keeps the stop working, cut to the position left, while the take-profit has only partly closed it', () => {
    const { engine } = bracketed('4', '0.1');
    engine.onCandle(candle('100', '100', '98', '99', '40'));

    // 10% of 20 = 2 of the take-profit fills; the stop may no longer be larger than the 2 left.
    const partly = engine.onCandle(candle('100', '106', '100', '105', '20'));
    expect(events(partly)).toEqual([`ORDER_FILLED ${takeProfit}`, `ORDER_AMENDED ${stop}`]);
    expect(partly[1]).toMatchObject({ type: 'ORDER_AMENDED', quantity: dec('2'), triggerPrice: dec('95'), limitPrice: null });
    expect(engine.openOrders(ALPHA).map((open) => [open.clientOrderId, open.leavesQuantity.toString()])).toEqual([
      [takeProfit, '2'],
      [stop, '2'],
    ]);

    // A stop is a market order once triggered: the whole position goes in this candle, however thin it is.
    const rest = engine.onCandle(candle('100', '100', '94', '96', '1'));
    expect(fills(rest)).toMatchObject([{ id: stop, quantity: '2', price: '95', leaves: '0' }]);
    expect(events(rest)).toEqual([`ORDER_FILLED ${stop}`, `ORDER_CANCELED ${takeProfit}`]);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('lets a replacement stop (activatesOnParentFill=false) work at once and join the OCO group', () => {
    const { engine } = bracketed();
    engine.onCandle(candle('100', '100', '98', '99'));
    const replacement = orderId('STOP', 4);

    const submitted = engine.submit(
      order({ id: replacement, side: 'SELL', type: 'STOP_MARKET', quantity: '4', trigger: '97', parent: entry, activatesOnParentFill: false }),
    );
    const canceled = engine.cancel(ALPHA, stop);

    expect(events(submitted)).toEqual([`ORDER_ACCEPTED ${replacement}`]);
    expect(events(canceled)).toEqual([`ORDER_CANCELED ${stop}`]);
    const reports = engine.onCandle(candle('99', '99', '96', '98'));
    expect(events(reports)).toEqual([`ORDER_FILLED ${replacement}`, `ORDER_CANCELED ${takeProfit}`]);
    expect(fills(reports)).toMatchObject([{ price: '97', quantity: '4' }]);
  });

  it('cancels the replacement stop when the take-profit closes the position', () => {
    const { engine } = bracketed();
    engine.onCandle(candle('100', '100', '98', '99'));
    const replacement = orderId('STOP', 4);
    engine.submit(order({ id: replacement, side: 'SELL', type: 'STOP_MARKET', quantity: '4', trigger: '97', parent: entry, activatesOnParentFill: false }));
    engine.cancel(ALPHA, stop);

    expect(events(engine.onCandle(candle('100', '106', '99', '105')))).toEqual([`ORDER_FILLED ${takeProfit}`, `ORDER_CANCELED ${replacement}`]);
  });

  it("rejects a child whose parent is not an order of this sub-account", () => {
    const { engine } = bracketed();

    const reports = engine.submit(order({ id: orderId('STOP', 9, 'beta'), account: BETA, side: 'SELL', type: 'STOP_MARKET', quantity: '4', trigger: '95', parent: entry }));

    expect(rejection(reports)).toBe('UNKNOWN_ORDER');
  });

  it('rejects a child whose parent ended without a fill', () => {
    const { engine } = bracketed();
    engine.cancel(ALPHA, entry);

    const reports = engine.submit(order({ id: orderId('STOP', 9), side: 'SELL', type: 'STOP_MARKET', quantity: '4', trigger: '95', parent: entry }));

    expect(rejection(reports)).toBe('INVALID_ORDER');
  });

  it('rejects a market order as a bracket child', () => {
    const { engine } = bracketed();

    expect(rejection(engine.submit(order({ id: orderId('CLOSE', 9), side: 'SELL', type: 'MARKET', quantity: '4', parent: entry })))).toBe('INVALID_ORDER');
  });
});
