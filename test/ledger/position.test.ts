import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, dec } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { ORDER_ROLES, parseInstrumentId } from '../../core/ids.ts';
import type { OrderRole } from '../../core/ids.ts';
import type { Side } from '../../core/intent.ts';
import { applyFill, marginRequired, unrealizedPnl } from '../../ledger/position.ts';
import type { PositionFill } from '../../ledger/position.ts';
import type { PositionRecord } from '../../ledger/types.ts';

const BTC = parseInstrumentId('BTCUSDT.BYBIT');

function fill(side: Side, quantity: string, price: string, options: { fee?: string; role?: OrderRole; first?: boolean; at?: number } = {}): PositionFill {
  return {
    instrumentId: BTC,
    side,
    quantity: dec(quantity),
    price: dec(price),
    fee: dec(options.fee ?? '0'),
    at: options.at ?? 1,
    role: options.role ?? 'ENTRY',
    firstFillOfOrder: options.first ?? true,
  };
}

function fold(fills: readonly PositionFill[]): PositionRecord {
  let position: PositionRecord | null = null;
  for (const next of fills) position = applyFill(position, next);
  if (position === null) throw new Error('no fills');
  return position;
}

function expectPosition(position: PositionRecord, expected: { quantity: string; costBasis: string; averageEntryPrice?: string; realizedPnl?: string; fees?: string; entryOrders?: number }): void {
  expect({
    quantity: position.quantity.toString(),
    costBasis: position.costBasis.toString(),
    averageEntryPrice: position.averageEntryPrice.toString(),
    realizedPnl: position.realizedPnl.toString(),
    fees: position.fees.toString(),
    entryOrders: position.entryOrders,
  }).toEqual({
    averageEntryPrice: expected.averageEntryPrice ?? position.averageEntryPrice.toString(),
    realizedPnl: '0',
    fees: '0',
    entryOrders: position.entryOrders,
    ...expected,
  });
}

describe('applyFill', () => {
  it('opens a long from flat at the fill price', () => {
    const position = applyFill(null, fill('BUY', '2', '100', { at: 7 }));
    expectPosition(position, { quantity: '2', costBasis: '200', averageEntryPrice: '100', entryOrders: 1 });
    expect(position.updatedAt).toBe(7);
  });

  it('adds to a long and averages the entry price', () => {
    const position = fold([fill('BUY', '2', '100'), fill('BUY', '1', '130')]);
    expectPosition(position, { quantity: '3', costBasis: '330', averageEntryPrice: '110', entryOrders: 2 });
  });

  it('realizes the closed share of the cost basis on a partial close', () => {
    const position = fold([fill('BUY', '2', '100'), fill('BUY', '1', '130'), fill('SELL', '1', '120', { role: 'TAKE_PROFIT' })]);
    expectPosition(position, { quantity: '2', costBasis: '220', averageEntryPrice: '110', realizedPnl: '10', entryOrders: 2 });
  });

  it('removes the whole cost basis and resets entries on a full close', () => {
    const position = fold([fill('BUY', '3', '110'), fill('SELL', '1', '120', { role: 'CLOSE' }), fill('SELL', '2', '90', { role: 'STOP' })]);
    expectPosition(position, { quantity: '0', costBasis: '0', averageEntryPrice: '0', realizedPnl: '-30', entryOrders: 0 });
  });

  it('flips a long to a short, realizing the long and opening the rest at the fill price', () => {
    const position = fold([fill('BUY', '2', '100'), fill('SELL', '5', '110')]);
    expectPosition(position, { quantity: '-3', costBasis: '-330', averageEntryPrice: '110', realizedPnl: '20', entryOrders: 1 });
  });

  it('flips a short to a long', () => {
    const position = fold([fill('SELL', '2', '50'), fill('BUY', '3', '40')]);
    expectPosition(position, { quantity: '1', costBasis: '40', averageEntryPrice: '40', realizedPnl: '20', entryOrders: 1 });
  });

  it('counts no entry when a non-entry order flips or opens the position', () => {
    expect(fold([fill('BUY', '2', '100'), fill('SELL', '3', '100', { role: 'CLOSE' })]).entryOrders).toBe(0);
    expect(applyFill(null, fill('SELL', '1', '100', { role: 'STOP' })).entryOrders).toBe(0);
  });

  it('counts an entry order once however many fills it has', () => {
    const position = fold([fill('BUY', '1', '100'), fill('BUY', '1', '101', { first: false }), fill('BUY', '1', '102', { first: true })]);
    expect(position.entryOrders).toBe(2);
  });

  it('profits on a short when the price falls and loses when it rises', () => {
    const position = applyFill(null, fill('SELL', '2', '100'));
    expectPosition(position, { quantity: '-2', costBasis: '-200', averageEntryPrice: '100', entryOrders: 1 });
    expect(unrealizedPnl(position, dec('90')).toString()).toBe('20');
    expect(unrealizedPnl(position, dec('105')).toString()).toBe('-10');
    expect(fold([fill('SELL', '2', '100'), fill('BUY', '2', '95', { role: 'CLOSE' })]).realizedPnl.toString()).toBe('10');
  });

  it('accumulates fees, rebates included, apart from realized PnL', () => {
    const position = fold([fill('BUY', '1', '100', { fee: '0.06' }), fill('SELL', '1', '110', { fee: '-0.011', role: 'CLOSE' })]);
    expectPosition(position, { quantity: '0', costBasis: '0', averageEntryPrice: '0', realizedPnl: '10', fees: '0.049', entryOrders: 0 });
  });

  it('keeps PnL exact when the removed share of the cost basis rounds', () => {
    const thirds = fold([fill('BUY', '1', '33'), fill('BUY', '2', '33.5'), fill('SELL', '1', '40', { role: 'CLOSE' })]);
    expectPosition(thirds, { quantity: '2', costBasis: '66.666666666666666667', realizedPnl: '6.666666666666666667' });
    const closed = applyFill(thirds, fill('SELL', '2', '40', { role: 'CLOSE' }));
    expectPosition(closed, { quantity: '0', costBasis: '0', averageEntryPrice: '0', realizedPnl: '20', entryOrders: 0 });
  });

  it('keeps every digit of a tiny price', () => {
    const position = fold([fill('BUY', '1000000', '0.00001234'), fill('BUY', '500000', '0.00001236')]);
    expectPosition(position, { quantity: '1500000', costBasis: '18.52', averageEntryPrice: '0.000012346666666667', entryOrders: 2 });
    expect(unrealizedPnl(position, dec('0.00001235')).toString()).toBe('0.005');
  });

  it('refuses a fill of zero quantity, a non-positive price and another instrument', () => {
    expect(() => applyFill(null, fill('BUY', '0', '100'))).toThrow(InvalidInputError);
    expect(() => applyFill(null, fill('BUY', '1', '0'))).toThrow(InvalidInputError);
    const other = { ...fill('BUY', '1', '100'), instrumentId: parseInstrumentId('ETHUSDT.BYBIT') };
    expect(() => applyFill(applyFill(null, fill('BUY', '1', '100')), other)).toThrow(InvalidInputError);
  });
});

describe('marginRequired', () => {
  it('is the absolute notional at the mark divided by leverage', () => {
    const short = applyFill(null, fill('SELL', '2', '100'));
    expect(marginRequired(short, dec('110'), dec('5')).toString()).toBe('44');
    expect(marginRequired(short, dec('110'), dec('1')).toString()).toBe('220');
  });

  it('refuses a leverage that is not positive', () => {
    expect(() => marginRequired(applyFill(null, fill('BUY', '1', '1')), dec('1'), Decimal.ZERO)).toThrow(InvalidInputError);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties over random fill sequences on realistic instruments.

interface Market {
  tick: Decimal;
  lot: Decimal;
  minTicks: number;
  maxTicks: number;
}

const MARKETS: Market[] = [
  { tick: dec('0.1'), lot: dec('0.001'), minTicks: 200_000, maxTicks: 1_200_000 }, // BTC perpetual
  { tick: dec('0.00000001'), lot: dec('1000'), minTicks: 100, maxTicks: 5_000 }, // a meme coin at 0.00001234
  { tick: dec('0.01'), lot: dec('0.0001'), minTicks: 30_000, maxTicks: 60_000 }, // fractional QQQ shares
  { tick: dec('0.0001'), lot: dec('0.1'), minTicks: 1_000, maxTicks: 30_000 }, // a small-cap coin
];

interface Step {
  kind: 'open' | 'close' | 'flip';
  buy: boolean;
  lots: number;
  percent: number;
  ticks: number;
  feeUnits: number;
  role: OrderRole;
  first: boolean;
}

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('open', 'close', 'flip'),
  buy: fc.boolean(),
  lots: fc.integer({ min: 1, max: 500 }),
  percent: fc.integer({ min: 1, max: 100 }),
  ticks: fc.integer({ min: 0, max: 1_000_000 }),
  feeUnits: fc.integer({ min: -2_000, max: 50_000 }),
  role: fc.constantFrom(...ORDER_ROLES),
  first: fc.boolean(),
});

/** Turns random steps into fills that open, add, partially or fully close (reduce-only) and flip. */
function fillsFor(market: Market, steps: readonly Step[]): { fills: PositionFill[]; signed: Decimal[] } {
  const fills: PositionFill[] = [];
  const signed: Decimal[] = [];
  let held = Decimal.ZERO;
  for (const [index, step] of steps.entries()) {
    const heldLots = Number(held.abs().units / market.lot.units);
    let side: Side;
    let lots: number;
    if (held.isZero() || step.kind === 'open') {
      side = step.buy ? 'BUY' : 'SELL';
      lots = step.lots;
    } else {
      side = held.isPositive() ? 'SELL' : 'BUY';
      lots = step.kind === 'close' ? Math.max(1, Math.floor((heldLots * step.percent) / 100)) : heldLots + step.lots;
    }
    const quantity = market.lot.mul(Decimal.fromInteger(lots));
    const ticks = market.minTicks + (step.ticks % (market.maxTicks - market.minTicks));
    const price = market.tick.mul(Decimal.fromInteger(ticks));
    const fee = Decimal.fromUnits(BigInt(step.feeUnits) * 10n ** 10n);
    const next: PositionFill = { instrumentId: BTC, side, quantity, price, fee, at: index, role: step.role, firstFillOfOrder: step.first };
    fills.push(next);
    const signedQuantity = side === 'BUY' ? quantity : quantity.neg();
    signed.push(signedQuantity);
    held = held.add(signedQuantity);
  }
  return { fills, signed };
}

const scenario = fc.record({
  market: fc.constantFrom(...MARKETS),
  steps: fc.array(stepArbitrary, { minLength: 1, maxLength: 60 }),
  markTicks: fc.integer({ min: 0, max: 1_000_000 }),
});

function markFor(market: Market, markTicks: number): Decimal {
  return market.tick.mul(Decimal.fromInteger(market.minTicks + (markTicks % (market.maxTicks - market.minTicks))));
}

describe('position properties', () => {
  it('holds the signed sum of all fills', () => {
    fc.assert(
      fc.property(scenario, ({ market, steps }) => {
        const { fills, signed } = fillsFor(market, steps);
        expect(fold(fills).quantity).toEqual(Decimal.sum(signed));
      }),
      { numRuns: 300 },
    );
  });

  it('makes realized + unrealized - fees equal the mark-to-market of all fills minus fees, exactly', () => {
    fc.assert(
      fc.property(scenario, ({ market, steps, markTicks }) => {
        const { fills, signed } = fillsFor(market, steps);
        const mark = markFor(market, markTicks);
        const position = fold(fills);
        const cashFlow = Decimal.sum(fills.map((next, index) => (signed[index] as Decimal).mul(next.price).neg()));
        const markToMarket = cashFlow.add(position.quantity.mul(mark)).sub(Decimal.sum(fills.map((next) => next.fee)));
        expect(position.realizedPnl.add(unrealizedPnl(position, mark)).sub(position.fees)).toEqual(markToMarket);
        expect(position.fees).toEqual(Decimal.sum(fills.map((next) => next.fee)));
        if (position.quantity.isZero()) expect(position.costBasis).toEqual(Decimal.ZERO);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps PnL independent of leverage while margin scales as 1/leverage', () => {
    const leverage = fc.constantFrom('1', '2', '2.5', '3', '5', '10', '25', '100').map(dec);
    fc.assert(
      fc.property(scenario, leverage, leverage, ({ market, steps, markTicks }, low, high) => {
        const mark = markFor(market, markTicks);
        const position = fold(fillsFor(market, steps).fills);
        const pnl = position.realizedPnl.add(unrealizedPnl(position, mark)).sub(position.fees);
        const notional = position.quantity.mul(mark).abs();
        for (const lev of [low, high]) {
          expect(marginRequired(position, mark, lev)).toEqual(notional.div(lev));
          // Margin × leverage gives back the notional, up to one 10^-18 unit of rounding per unit of leverage.
          expect(marginRequired(position, mark, lev).mul(lev).sub(notional).abs().lte(lev.mul(Decimal.fromUnits(1n), 'up'))).toBe(true);
        }
        expect(position.realizedPnl.add(unrealizedPnl(position, mark)).sub(position.fees)).toEqual(pnl);
      }),
      { numRuns: 200 },
    );
  });
});
