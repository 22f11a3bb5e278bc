import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { CandlePath } from '../../../venues/paper/candle-path.ts';
import { ALPHA, candle, events, fills, makeEngine, order, orderId, price } from './fixtures.ts';

const units = (text: string): bigint => dec(text).units;

function pathThrough(open: string, high: string, low: string, close: string): CandlePath {
  const path = new CandlePath();
  path.set(candle(open, high, low, close));
  return path;
}

describe('intra-candle path', () => {
  it('walks a bullish candle open → low → high → close', () => {
    const path = pathThrough('100', '110', '95', '105');

    expect(path.firstReach(units('95'), true, 0n)).toBe(units('5'));
    expect(path.firstReach(units('110'), false, 0n)).toBe(units('20'));
    expect(path.length).toBe(units('25'));
    expect(path.priceAt(units('5'))).toBe(units('95'));
    expect(path.priceAt(units('20'))).toBe(units('110'));
    expect(path.priceAt(units('25'))).toBe(units('105'));
  });

  it('walks a bearish candle open → high → low → close', () => {
    const path = pathThrough('100', '110', '95', '98');

    expect(path.firstReach(units('110'), false, 0n)).toBe(units('10'));
    expect(path.firstReach(units('95'), true, 0n)).toBe(units('25'));
    expect(path.length).toBe(units('28'));
    expect(path.priceAt(units('25'))).toBe(units('95'));
    expect(path.priceAt(units('28'))).toBe(units('98'));
  });

  it('treats a doji (close = open) as bullish: down to the low first', () => {
    const path = pathThrough('100', '104', '97', '100');

    expect(path.firstReach(units('97'), true, 0n)).toBe(units('3'));
    expect(path.firstReach(units('104'), false, 0n)).toBe(units('10'));
  });

  it('finds a level again on a later segment when asked from a point past its first crossing', () => {
    const path = pathThrough('100', '110', '95', '105');

    // 102 is first crossed on the way up (distance 12); from the high on, the close at 105 stays above it.
    expect(path.firstReach(units('102'), false, 0n)).toBe(units('12'));
    expect(path.firstReach(units('102'), false, units('3'))).toBe(units('12'));
    expect(path.firstReach(units('102'), true, units('3'))).toBe(units('3'));
    expect(path.firstReach(units('102'), true, units('16'))).toBe(-1n);
  });

  it('reports a level the candle never reaches as unreached', () => {
    const path = pathThrough('100', '110', '95', '105');

    expect(path.firstReach(units('94.99'), true, 0n)).toBe(-1n);
    expect(path.firstReach(units('110.01'), false, 0n)).toBe(-1n);
  });

  it('fills the stop before the take-profit when a bullish candle dips through the stop first', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    engine.submit(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '1' }));
    engine.submit(order({ id: orderId('TAKE_PROFIT', 2), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '105', parent: entry }));
    engine.submit(order({ id: orderId('STOP', 3), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '97', parent: entry }));

    const reports = engine.onCandle(candle('100', '106', '96', '104'));

    expect(fills(reports)).toMatchObject([{ id: orderId('STOP', 3), price: '97' }]);
    expect(events(reports)).toEqual([`ORDER_FILLED ${orderId('STOP', 3)}`, `ORDER_CANCELED ${orderId('TAKE_PROFIT', 2)}`]);
  });

  it('fills the take-profit before the stop when a bearish candle rallies to the target first', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    engine.submit(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '1' }));
    engine.submit(order({ id: orderId('TAKE_PROFIT', 2), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '105', parent: entry }));
    engine.submit(order({ id: orderId('STOP', 3), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '97', parent: entry }));

    const reports = engine.onCandle(candle('100', '106', '96', '98'));

    expect(fills(reports)).toMatchObject([{ id: orderId('TAKE_PROFIT', 2), price: '105', liquidity: 'MAKER' }]);
    expect(events(reports)).toEqual([`ORDER_FILLED ${orderId('TAKE_PROFIT', 2)}`, `ORDER_CANCELED ${orderId('STOP', 3)}`]);
  });

  it('processes orders in path order, not arrival order', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '104' }));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '96' }));
    engine.submit(order({ id: orderId('ENTRY', 3), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '98' }));

    const bullish = engine.onCandle(candle('100', '105', '95', '103'));

    expect(fills(bullish).map((fill) => fill.id)).toEqual([orderId('ENTRY', 3), orderId('ENTRY', 2), orderId('ENTRY', 1)]);
  });

  it('breaks ties at the same point of the path by arrival', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '97' }));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '97' }));

    const reports = engine.onCandle(candle('100', '101', '95', '96'));

    expect(fills(reports).map((fill) => fill.id)).toEqual([orderId('ENTRY', 2), orderId('ENTRY', 1)]);
  });

  it('activates a bracket mid-candle and lets the rest of the path hit its stop', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    engine.submit(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '98' }));
    engine.submit(order({ id: orderId('TAKE_PROFIT', 3), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '110', parent: entry }));
    engine.submit(order({ id: orderId('STOP', 4), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '96', parent: entry }));

    // Bearish: 100 → 101 → 95 → 99. The entry fills at 98 on the way down, the stop at 96 further down.
    const reports = engine.onCandle(candle('100', '101', '95', '99'));

    expect(events(reports)).toEqual([
      `ORDER_FILLED ${entry}`,
      `ORDER_ACCEPTED ${orderId('TAKE_PROFIT', 3)}`,
      `ORDER_ACCEPTED ${orderId('STOP', 4)}`,
      `ORDER_FILLED ${orderId('STOP', 4)}`,
      `ORDER_CANCELED ${orderId('TAKE_PROFIT', 3)}`,
    ]);
    expect(fills(reports)).toMatchObject([{ price: '98' }, { price: '96' }]);
    expect(engine.positions(ALPHA)).toEqual([]);
  });

  it('lets a take-profit activated on the way down fill on the way up of a bullish candle', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const entry = orderId('ENTRY', 1);
    engine.submit(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '97' }));
    engine.submit(order({ id: orderId('TAKE_PROFIT', 2), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '103', parent: entry }));
    engine.submit(order({ id: orderId('STOP', 3), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '90', parent: entry }));

    const reports = engine.onCandle(candle('100', '104', '96', '102'));

    expect(fills(reports)).toMatchObject([
      { id: entry, price: '97' },
      { id: orderId('TAKE_PROFIT', 2), price: '103' },
    ]);
  });
});

