import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import { ALPHA, btc, candle, eth, events, fills, makeEngine, order, orderId, price } from './fixtures.ts';

describe('paper engine fills', () => {
  it('fills a market order at once, in full, at the last close as taker', () => {
    const { engine, clock } = makeEngine();
    engine.onCandle(candle('99', '101', '98', '100'));
    clock.advance(5_000);

    const reports = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '2' }));

    expect(events(reports)).toEqual([`ORDER_ACCEPTED ${orderId('ENTRY', 1)}`, `ORDER_FILLED ${orderId('ENTRY', 1)}`]);
    expect(fills(reports)).toEqual([
      { id: orderId('ENTRY', 1), side: 'BUY', quantity: '2', price: '100', fee: '0', liquidity: 'TAKER', cumulative: '2', leaves: '0' },
    ]);
    const filled = reports[1];
    expect(filled?.type === 'ORDER_FILLED' && filled.fill.at).toBe(clock.now());
    expect(engine.openOrders(ALPHA)).toEqual([]);
  });

  it('holds a market order submitted before any price and fills it at the next candle open', () => {
    const { engine } = makeEngine();
    const id = orderId('ENTRY', 1);

    expect(events(engine.submit(order({ id, side: 'SELL', type: 'MARKET', quantity: '1' })))).toEqual([`ORDER_ACCEPTED ${id}`]);
    const reports = engine.onCandle(candle('103', '110', '90', '95'));

    expect(fills(reports)).toMatchObject([{ id, side: 'SELL', quantity: '1', price: '103', liquidity: 'TAKER' }]);
  });

  it('stamps accepted orders with venue order IDs and fills with sequential trade IDs', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));

    const first = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' }));
    const second = engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'MARKET', quantity: '1' }));

    expect(first[0]).toMatchObject({ type: 'ORDER_ACCEPTED', venueOrderId: 'PAPER-s1-O1' });
    expect(second[0]).toMatchObject({ type: 'ORDER_ACCEPTED', venueOrderId: 'PAPER-s1-O2' });
    expect(first[1]).toMatchObject({ fill: { tradeId: 'PAPER-s1-T1' } });
    expect(second[1]).toMatchObject({ fill: { tradeId: 'PAPER-s1-T2' } });
  });

  it('fills a limit that is marketable on arrival as taker at the last price, not at its limit', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));

    const reports = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '105' }));

    expect(fills(reports)).toMatchObject([{ price: '100', liquidity: 'TAKER' }]);
  });

  it('bounds a marketable limit fill by its limit when slippage would push past it', () => {
    const { engine } = makeEngine({ slippage: { baseBps: dec('100'), jitterBps: dec('0') } });
    engine.onCandle(price('100'));

    const buy = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '100.5' }));
    const sell = engine.submit(order({ id: orderId('ENTRY', 2), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '99.5' }));

    expect(fills(buy)).toMatchObject([{ price: '100.5', liquidity: 'TAKER' }]);
    expect(fills(sell)).toMatchObject([{ price: '99.5', liquidity: 'TAKER' }]);
  });

  it('rests a limit buy below the market and fills it at its limit as maker when the candle trades down through it', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);

    expect(events(engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '97' })))).toEqual([`ORDER_ACCEPTED ${id}`]);
    expect(engine.onCandle(candle('100', '102', '98', '101'))).toEqual([]);
    const reports = engine.onCandle(candle('101', '103', '95', '99'));

    expect(fills(reports)).toEqual([{ id, side: 'BUY', quantity: '1', price: '97', fee: '0', liquidity: 'MAKER', cumulative: '1', leaves: '0' }]);
    expect(engine.openOrders(ALPHA)).toEqual([]);
  });

  it('fills a limit when the path only touches its price', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '104' }));

    expect(fills(engine.onCandle(candle('100', '104', '99', '103')))).toMatchObject([{ price: '104', liquidity: 'MAKER' }]);
  });

  it('fills a resting limit buy at the open, as maker, when the candle opens below it', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '97' }));

    expect(fills(engine.onCandle(candle('94', '96', '92', '95')))).toMatchObject([{ price: '94', liquidity: 'MAKER' }]);
  });

  it('fills a resting limit sell at the open when the candle gaps up through it', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '103' }));

    expect(fills(engine.onCandle(candle('106', '107', '104', '105')))).toMatchObject([{ price: '106', liquidity: 'MAKER' }]);
  });

  it('triggers a resting sell stop when the candle trades down through it and fills at the trigger as taker', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '96' }));

    expect(engine.onCandle(candle('100', '101', '96.01', '100'))).toEqual([]);
    expect(fills(engine.onCandle(candle('100', '101', '94', '99')))).toMatchObject([{ price: '96', liquidity: 'TAKER' }]);
  });

  it('fills a buy stop at the open when the candle gaps up through the trigger', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'STOP_MARKET', quantity: '1', trigger: '102' }));

    expect(fills(engine.onCandle(candle('105', '106', '104', '105.5')))).toMatchObject([{ side: 'BUY', price: '105', liquidity: 'TAKER' }]);
  });

  it('fills a sell stop at the open when the candle gaps down through the trigger', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '96' }));

    expect(fills(engine.onCandle(candle('90', '93', '89', '92')))).toMatchObject([{ price: '90', liquidity: 'TAKER' }]);
  });

  it('triggers a stop at once when the last price is already through its trigger on arrival', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));

    const reports = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'STOP_MARKET', quantity: '1', trigger: '99' }));

    expect(fills(reports)).toMatchObject([{ price: '100', liquidity: 'TAKER' }]);
  });

  it('charges the taker rate on taker fills and the maker rate (a negative rebate) on resting fills, rounded to 8 places', () => {
    const { engine } = makeEngine({ fees: { makerRate: dec('-0.000123'), takerRate: dec('0.000555') } });
    engine.onCandle(price('100.01'));

    const taker = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '0.3' }));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'SELL', type: 'LIMIT', quantity: '0.3', limit: '101.03' }));
    const maker = engine.onCandle(candle('100.01', '102', '100', '101'));

    // 0.3 × 100.01 × 0.000555 = 0.016651665 → 0.01665166 (half-even at 8 places)
    expect(fills(taker)).toMatchObject([{ fee: '0.01665166', liquidity: 'TAKER' }]);
    // 0.3 × 101.03 × -0.000123 = -0.003728007 → -0.00372801
    expect(fills(maker)).toMatchObject([{ fee: '-0.00372801', liquidity: 'MAKER' }]);
    const pnl = dec('0.3').mul(dec('101.03').sub(dec('100.01')));
    expect(engine.balance(ALPHA).toString()).toBe(
      dec('10000').add(pnl).sub(dec('0.01665166')).add(dec('0.00372801')).toString(),
    );
  });

  it('never charges a fee of 0 on a fill with a notional at a non-zero rate: the smallest fee is one unit of the 8th place', () => {
    // A coin at 0.00001 with no minimum notional: 1 unit is worth 0.00001, and 0.00001 × 0.0002 rounds to 0 at 8 places.
    const penny = { ...btc, id: parseInstrumentId('PENNY.PAPER'), tickSize: dec('0.00000001'), lotStep: dec('1'), minQuantity: dec('1'), minNotional: dec('0') };
    const { engine } = makeEngine({ instruments: [penny], fees: { makerRate: dec('-0.0002'), takerRate: dec('0.0002') } });
    engine.onCandle(price('0.00001', penny));

    const taker = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1', instrument: penny }));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'SELL', type: 'LIMIT', quantity: '1', limit: '0.00002', instrument: penny }));
    const maker = engine.onCandle(candle('0.00001', '0.00002', '0.00001', '0.00002', '1000', penny));

    expect(fills(taker)).toMatchObject([{ fee: '0.00000001', liquidity: 'TAKER' }]);
    expect(fills(maker)).toMatchObject([{ fee: '-0.00000001', liquidity: 'MAKER' }]);
  });

  it('charges a fee of exactly 0 when the rate is 0, however large the fill', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));

    expect(fills(engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '10' })))).toMatchObject([{ fee: '0' }]);
  });

  it('cancels an IOC limit that is not marketable on arrival', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    const id = orderId('ENTRY', 1);

    const reports = engine.submit(order({ id, side: 'BUY', type: 'LIMIT', quantity: '1', limit: '99', timeInForce: 'IOC' }));

    expect(events(reports)).toEqual([`ORDER_ACCEPTED ${id}`, `ORDER_CANCELED ${id}`]);
  });

  it('leaves orders on other instruments alone when a candle arrives', () => {
    const { engine } = makeEngine();
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '97' }));

    expect(engine.onCandle(candle('100', '100', '50', '60', '1000', eth))).toEqual([]);
    expect(engine.openOrders(ALPHA)).toHaveLength(1);
  });
});

describe('ids across restarts', () => {
  it('never repeats a trade or venue order id in a new session of the venue', () => {
    const ids = (session: string): string[] => {
      const { engine } = makeEngine({ session });
      engine.onCandle(price('100'));
      return engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' })).flatMap((report): string[] => (report.type === 'ORDER_ACCEPTED' ? [report.venueOrderId] : report.type === 'ORDER_FILLED' ? [report.fill.tradeId] : []));
    };
    const first = ids('a1');
    const second = ids('a2');
    expect(first).toHaveLength(2);
    expect(first.filter((id) => second.includes(id))).toEqual([]);
  });
});
