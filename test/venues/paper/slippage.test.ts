import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import type { ExecutionReport } from '../../../core/order.ts';
import type { PaperVenueConfig } from '../../../venues/paper/config.ts';
import { TakerSlippage } from '../../../venues/paper/pricing.ts';
import { Mulberry32 } from '../../../venues/paper/random.ts';
import { btc, candle, fills, makeEngine, order, orderId, price } from './fixtures.ts';

const jittery: Partial<PaperVenueConfig> = {
  slippage: { baseBps: dec('5'), jitterBps: dec('20') },
  fees: { makerRate: dec('0.0002'), takerRate: dec('0.00055') },
};

/** A fixed session: market orders, a stop and a limit over a few candles. */
function session(seed: number): ExecutionReport[] {
  const { engine } = makeEngine({ ...jittery, seed });
  const reports: ExecutionReport[] = [];
  reports.push(...engine.onCandle(price('100')));
  for (let sequence = 1; sequence <= 6; sequence++) {
    reports.push(...engine.submit(order({ id: orderId('ENTRY', sequence), side: sequence % 2 === 0 ? 'SELL' : 'BUY', type: 'MARKET', quantity: '1' })));
  }
  reports.push(...engine.submit(order({ id: orderId('STOP', 7), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '95' })));
  reports.push(...engine.submit(order({ id: orderId('ENTRY', 8), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '94' })));
  reports.push(...engine.onCandle(candle('100', '101', '93', '96')));
  reports.push(...engine.onCandle(candle('96', '99', '95', '98')));
  return reports;
}

describe('taker slippage', () => {
  it('moves a taker buy up and a taker sell down by the base bps, rounded to the tick against the taker', () => {
    const { engine } = makeEngine({ slippage: { baseBps: dec('3'), jitterBps: dec('0') } });
    engine.onCandle(price('100.01'));

    // 100.01 × 3 bps = 0.030003: the buy pays 100.040003 → 100.05, the sell gets 99.979997 → 99.97.
    const buy = engine.submit(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '1' }));
    const sell = engine.submit(order({ id: orderId('ENTRY', 2), side: 'SELL', type: 'MARKET', quantity: '1' }));

    expect(fills(buy)).toMatchObject([{ price: '100.05' }]);
    expect(fills(sell)).toMatchObject([{ price: '99.97' }]);
  });

  it('slips stop fills against the taker but never resting limit fills', () => {
    const { engine } = makeEngine({ slippage: { baseBps: dec('10'), jitterBps: dec('0') } });
    engine.onCandle(price('100'));
    engine.submit(order({ id: orderId('STOP', 1), side: 'SELL', type: 'STOP_MARKET', quantity: '1', trigger: '97' }));
    engine.submit(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'LIMIT', quantity: '1', limit: '96' }));

    const reports = engine.onCandle(candle('100', '101', '95', '99'));

    expect(fills(reports)).toMatchObject([
      { id: orderId('STOP', 1), price: '96.9', liquidity: 'TAKER' },
      { id: orderId('ENTRY', 2), price: '96', liquidity: 'MAKER' },
    ]);
  });

  it('produces identical reports for the same seed, candles and submissions', () => {
    expect(session(7)).toEqual(session(7));
  });

  it('draws different jitter for a different seed', () => {
    const prices = (seed: number): string[] => fills(session(seed)).map((fill) => fill.price);

    expect(prices(7)).not.toEqual(prices(8));
  });

  it('keeps every draw within [base, base + jitter) bps', () => {
    const slippage = new TakerSlippage({ baseBps: dec('5'), jitterBps: dec('20') }, 123);
    const draws = Array.from({ length: 2_000 }, () => slippage.nextBps());

    expect(draws.every((bps) => bps.gte(dec('5')) && bps.lt(dec('25')))).toBe(true);
    expect(draws.some((bps) => bps.lt(dec('6')))).toBe(true);
    expect(draws.some((bps) => bps.gt(dec('24')))).toBe(true);
  });

  it('never slips a sell below one tick', () => {
    const slippage = new TakerSlippage({ baseBps: dec('10000'), jitterBps: dec('0') }, 1);

    expect(slippage.takerPrice(btc, dec('0.05'), 'SELL').toString()).toBe('0.01');
  });

  it('seeds mulberry32 reproducibly', () => {
    const first = new Mulberry32(99);
    const second = new Mulberry32(99);
    const sequence = Array.from({ length: 5 }, () => first.nextUint32());

    expect(Array.from({ length: 5 }, () => second.nextUint32())).toEqual(sequence);
    expect(sequence.every((value) => Number.isInteger(value) && value >= 0 && value < 2 ** 32)).toBe(true);
    expect(new Mulberry32(100).nextUint32()).not.toBe(sequence[0]);
  });
});
