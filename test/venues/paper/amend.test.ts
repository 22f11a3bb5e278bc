import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import type { ExecutionReport } from '../../../core/order.ts';
import { ALPHA, BETA, candle, eth, events, fills, makeEngine, order, orderId, price } from './fixtures.ts';

function amendRejection(reports: ExecutionReport[]): { reason: string; detail: string } | undefined {
  const report = reports.find((candidate) => candidate.type === 'AMEND_REJECTED');
  return report?.type === 'AMEND_REJECTED' ? { reason: report.reason, detail: report.detail } : undefined;
}

/** A resting limit buy of 2 at 99 with the last price at 100. */
function restingBuy() {
  const setup = makeEngine();
  setup.engine.onCandle(price('100'));
  const id = orderId('ENTRY', 1);
  setup.engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '2', limit: '99' }));
  return { ...setup, id };
}

describe('amending an order', () => {
  it('changes a resting limit in place and says what it became, then matches it at its new price and size', () => {
    const { engine, id } = restingBuy();

    const reports = engine.amend(ALPHA, id, { quantity: dec('3'), limitPrice: dec('98') });

    expect(events(reports)).toEqual([`ORDER_AMENDED ${id}`]);
    expect(reports[0]).toMatchObject({ quantity: dec('3'), limitPrice: dec('98'), triggerPrice: null, detail: 'amended on request' });
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('3') }]);
    expect(engine.onCandle(candle('100', '100', '98.5', '99'))).toEqual([]);
    expect(fills(engine.onCandle(candle('99', '99', '97', '98')))).toMatchObject([{ id, quantity: '3', price: '98', liquidity: 'MAKER', leaves: '0' }]);
  });

  it('moves a stop\'s trigger: the old level no longer triggers it, the new one does', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' }));
    const stop = orderId('STOP', 2);
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '95', reduceOnly: true }));

    expect(events(engine.amend(ALPHA, stop, { triggerPrice: dec('90') }))).toEqual([`ORDER_AMENDED ${stop}`]);

    expect(engine.onCandle(candle('100', '100', '94', '96'))).toEqual([]);
    expect(fills(engine.onCandle(candle('96', '96', '89', '90')))).toMatchObject([{ id: stop, quantity: '1', price: '90', liquidity: 'TAKER' }]);
  });

  it('fills at once as taker a limit amended to a marketable price, as a new order would be', () => {
    const { engine, id } = restingBuy();

    const reports = engine.amend(ALPHA, id, { limitPrice: dec('101') });

    expect(events(reports)).toEqual([`ORDER_AMENDED ${id}`, `ORDER_FILLED ${id}`]);
    expect(fills(reports)).toMatchObject([{ quantity: '2', price: '100', liquidity: 'TAKER' }]);
  });

  it('triggers at once a stop amended to a trigger the last price has already crossed', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' }));
    const stop = orderId('STOP', 2);
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '95', reduceOnly: true }));

    const reports = engine.amend(ALPHA, stop, { triggerPrice: dec('100.5') });

    expect(events(reports)).toEqual([`ORDER_AMENDED ${stop}`, `ORDER_FILLED ${stop}`]);
    expect(fills(reports)).toMatchObject([{ quantity: '1', price: '100', liquidity: 'TAKER' }]);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('keeps a partly filled order\'s fills and counts the new quantity from them', () => {
    const { engine, id } = restingBuyWithParticipation();
    // Closing above the limit, so the amended order does not meet a marketable last price.
    engine.onCandle(candle('100', '100', '98', '99.5', '10'));

    const reports = engine.amend(ALPHA, id, { quantity: dec('1.5') });

    expect(reports[0]).toMatchObject({ type: 'ORDER_AMENDED', quantity: dec('1.5') });
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('0.5') }]);
    expect(fills(engine.onCandle(candle('100', '100', '98', '99', '100')))).toMatchObject([{ quantity: '0.5', cumulative: '1.5', leaves: '0' }]);
  });

  it('cuts a reduce-only order amended above its position back to the position', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '2' }));
    const takeProfit = orderId('TAKE_PROFIT', 2);
    engine.submit(order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '1', limit: '110', reduceOnly: true, role: 'TAKE_PROFIT' }));

    const reports = engine.amend(ALPHA, takeProfit, { quantity: dec('5') });

    expect(events(reports)).toEqual([`ORDER_AMENDED ${takeProfit}`, `ORDER_AMENDED ${takeProfit}`]);
    expect(reports[1]).toMatchObject({ quantity: dec('2') });
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: takeProfit, leavesQuantity: dec('2') }]);
  });

  it.each([
    ['a quantity not above what has filled', { quantity: dec('1') }, 'INVALID_ORDER', /not above the 1 already filled/],
    ['a quantity off the lot step', { quantity: dec('2.55') }, 'INVALID_ORDER', /lot step/],
    ['a limit price off the tick', { limitPrice: dec('98.005') }, 'INVALID_ORDER', /tick size/],
    ['a trigger on a limit order', { triggerPrice: dec('98') }, 'INVALID_ORDER', /no trigger price/],
    ['a notional below the minimum', { limitPrice: dec('0.01'), quantity: dec('1.1') }, 'INVALID_ORDER', /below the minimum/],
    ['nothing', {}, 'INVALID_ORDER', /changes nothing/],
  ])('refuses an amendment with %s and leaves the order as it was', (_, changes, reason, detail) => {
    const { engine, id } = restingBuyWithParticipation();
    engine.onCandle(candle('100', '100', '98', '99', '10'));

    const reports = engine.amend(ALPHA, id, changes);

    expect(events(reports)).toEqual([`AMEND_REJECTED ${id}`]);
    expect(amendRejection(reports)).toMatchObject({ reason });
    expect(amendRejection(reports)?.detail).toMatch(detail);
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('1') }]);
  });

  it('refuses an amendment of an order that is unknown, of another sub-account, on another instrument, or already ended', () => {
    const { engine, id } = restingBuy();
    const done = orderId('ENTRY', 2);
    engine.submit(order({ id: done, side: 'BUY', type: 'MARKET', quantity: '1' }));

    expect(amendRejection(engine.amend(ALPHA, orderId('ENTRY', 9), { quantity: dec('1') }))).toMatchObject({ reason: 'UNKNOWN_ORDER' });
    expect(amendRejection(engine.amend(BETA, id, { quantity: dec('1') }))).toMatchObject({ reason: 'UNKNOWN_ORDER' });
    expect(amendRejection(engine.amend(ALPHA, id, { quantity: dec('1') }, eth.id))).toMatchObject({ reason: 'UNKNOWN_ORDER' });
    expect(amendRejection(engine.amend(ALPHA, done, { quantity: dec('2') }))).toMatchObject({ reason: 'UNKNOWN_ORDER', detail: 'order is already FILLED' });
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('2') }]);
  });

  it('refuses an amendment whose extra margin does not fit, counting the order\'s own reservation as free', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);
    // 10,000 at leverage 5 holds 50,000 of notional: 400 at 99 is 39,600.
    engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '400', limit: '99' }));

    expect(events(engine.amend(ALPHA, id, { quantity: dec('500'), limitPrice: dec('98') }))).toEqual([`ORDER_AMENDED ${id}`]);
    expect(amendRejection(engine.amend(ALPHA, id, { quantity: dec('520') }))).toMatchObject({ reason: 'INSUFFICIENT_BALANCE' });
    expect(engine.openOrders(ALPHA)).toMatchObject([{ clientOrderId: id, leavesQuantity: dec('500') }]);
  });

  it('amends a bracket child still waiting for its entry, silently keeping it waiting', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    const stop = orderId('STOP', 2);
    engine.submit(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '99' }));
    engine.submit(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '95', parent: entry }));

    expect(events(engine.amend(ALPHA, stop, { triggerPrice: dec('97') }))).toEqual([`ORDER_AMENDED ${stop}`]);

    const reports = engine.onCandle(candle('100', '100', '96', '97'));
    expect(events(reports)).toEqual([`ORDER_FILLED ${entry}`, `ORDER_ACCEPTED ${stop}`, `ORDER_FILLED ${stop}`]);
    expect(fills(reports)[1]).toMatchObject({ id: stop, price: '97' });
  });
});

/** A resting limit buy of 2 at 99, at 10% participation, so a candle of volume 10 fills 1 of it. */
function restingBuyWithParticipation() {
  const setup = makeEngine({ partialFills: { participation: dec('0.1') } });
  setup.engine.onCandle(price('100'));
  const id = orderId('ENTRY', 1);
  setup.engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '2', limit: '99' }));
  return { ...setup, id };
}
