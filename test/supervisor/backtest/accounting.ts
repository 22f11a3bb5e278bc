import { expect } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import type { BotId, InstrumentId } from '../../../core/ids.ts';
import type { Fill } from '../../../core/order.ts';
import type { Timeframe } from '../../../core/strategy.ts';
import { openLedger } from '../../../ledger/sqlite-ledger.ts';
import { syntheticInstruments } from '../../../supervisor/backtest/backtest.ts';
import type { BacktestRun } from '../../../supervisor/backtest/backtest.ts';
import { SyntheticFeed } from '../../../supervisor/backtest/synthetic-feed.ts';
import type { FleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { ledgerPath } from '../../../supervisor/paths.ts';

export interface Books {
  realized: Decimal;
  fees: Decimal;
  /** Funding received minus paid. */
  funding: Decimal;
  equity: Decimal;
  /** Fills that shrank a position without closing or reversing it. */
  partialCloses: number;
}

/** A funding time as the test states it: the rate, and the export's mark price when it has one. */
export interface FundingTime {
  instrumentId: InstrumentId;
  at: number;
  rate: Decimal;
  markPrice: Decimal | null;
}

export interface FundingDue {
  instrumentId: InstrumentId;
  at: number;
  amount: Decimal;
}

/** Every funding time of `instruments` from `startMs` to `endMs`, `hours` apart from midnight, at one rate. */
export function everyHours(instruments: readonly InstrumentId[], rate: string, hours: number, startMs: number, endMs: number): FundingTime[] {
  const times: FundingTime[] = [];
  const step = hours * 3_600_000;
  for (let at = Math.ceil(startMs / step) * step; at <= endMs; at += step) for (const instrumentId of instruments) times.push({ instrumentId, at, rate: Decimal.parse(rate), markPrice: null });
  return times;
}

/**
 * Funding recomputed from the fills alone: at each funding time after the first candle opened, the position is the
 * sum of the fills at or before it; a position pays −quantity × mark × rate, rounded half-even to 1e-8, at the
 * export's mark or else the last base close at or before the time. No ledger or engine code.
 */
export function recomputeFunding(fills: readonly Fill[], times: readonly FundingTime[], closes: ReadonlyMap<InstrumentId, ReadonlyArray<readonly [number, Decimal]>>, period: { firstOpen: number; lastClose: number }): FundingDue[] {
  const due: FundingDue[] = [];
  for (const time of [...times].sort((a, b) => a.at - b.at)) {
    if (time.at <= period.firstOpen || time.at > period.lastClose) continue;
    let quantity = Decimal.ZERO;
    for (const fill of fills) {
      if (fill.instrumentId === time.instrumentId && fill.at <= time.at) quantity = fill.side === 'BUY' ? quantity.add(fill.quantity) : quantity.sub(fill.quantity);
    }
    if (quantity.isZero()) continue;
    let mark = time.markPrice;
    if (mark === null) for (const [closeAt, close] of closes.get(time.instrumentId) ?? []) if (closeAt <= time.at) mark = close;
    if (mark === null) throw new Error(`no close of ${time.instrumentId} at or before ${time.at}`);
    due.push({ instrumentId: time.instrumentId, at: time.at, amount: quantity.mul(mark).mul(time.rate).neg().round(8, 'half-even') });
  }
  return due;
}

/** Independent bookkeeping from the fill list: average cost, plain Decimal arithmetic, no ledger code. */
export function recompute(fills: readonly Fill[], marks: ReadonlyMap<InstrumentId, Decimal>, capital: Decimal, funding: readonly FundingDue[] = []): Books {
  const held = new Map<InstrumentId, { quantity: Decimal; cost: Decimal }>();
  let realized = Decimal.ZERO;
  let fees = Decimal.ZERO;
  let cashFlow = Decimal.ZERO;
  let partialCloses = 0;
  for (const fill of fills) {
    fees = fees.add(fill.fee);
    const signed = fill.side === 'BUY' ? fill.quantity : fill.quantity.neg();
    cashFlow = cashFlow.sub(signed.mul(fill.price));
    const position = held.get(fill.instrumentId) ?? { quantity: Decimal.ZERO, cost: Decimal.ZERO };
    if (position.quantity.isZero() || position.quantity.sign() === signed.sign()) {
      position.quantity = position.quantity.add(signed);
      position.cost = position.cost.add(signed.mul(fill.price));
    } else {
      const closing = Decimal.min(fill.quantity, position.quantity.abs());
      const averagePrice = position.cost.div(position.quantity);
      const direction = position.quantity.isPositive() ? Decimal.ONE : Decimal.ONE.neg();
      realized = realized.add(fill.price.sub(averagePrice).mul(closing).mul(direction));
      const remaining = position.quantity.abs().sub(closing);
      if (!remaining.isZero()) partialCloses++;
      position.cost = remaining.isZero() ? Decimal.ZERO : averagePrice.mul(remaining).mul(direction);
      position.quantity = position.quantity.add(signed);
      if (!position.quantity.isZero() && position.quantity.sign() === signed.sign()) position.cost = position.quantity.mul(fill.price);
    }
    held.set(fill.instrumentId, position);
  }
  let markToMarket = Decimal.ZERO;
  for (const [instrumentId, position] of held) {
    if (position.quantity.isZero()) continue;
    markToMarket = markToMarket.add(position.quantity.mul(marks.get(instrumentId) as Decimal));
  }
  const fundingTotal = Decimal.sum(funding.map((payment) => payment.amount));
  return { realized, fees, funding: fundingTotal, equity: capital.add(cashFlow).add(markToMarket).sub(fees).add(fundingTotal), partialCloses };
}

/** Every base close of each instrument in a synthetic run, in time order: [close time, close]. */
export function closeSeries(config: FleetConfig, instruments: readonly InstrumentId[], market: { seed: number; timeframe: Timeframe; startMs: number; endMs: number }): Map<InstrumentId, Array<[number, Decimal]>> {
  const feed = new SyntheticFeed({ seed: market.seed, instruments: syntheticInstruments(config, instruments), timeframes: [market.timeframe], startMs: market.startMs, endMs: market.endMs });
  const closes = new Map<InstrumentId, Array<[number, Decimal]>>(instruments.map((id) => [id, []]));
  for (let candle = feed.next(); candle !== undefined; candle = feed.next()) closes.get(candle.instrumentId)?.push([candle.openTime + candle.durationMs, candle.close]);
  return closes;
}

/** The last close of each instrument: where the run left the marks. */
export function finalCloses(closes: ReadonlyMap<InstrumentId, ReadonlyArray<readonly [number, Decimal]>>): Map<InstrumentId, Decimal> {
  const marks = new Map<InstrumentId, Decimal>();
  for (const [id, series] of closes) {
    const last = series[series.length - 1];
    if (last !== undefined) marks.set(id, last[1]);
  }
  return marks;
}

/** The last close of each instrument in a synthetic run: where the run left the marks. */
export function lastCloses(config: FleetConfig, instruments: readonly InstrumentId[], market: { seed: number; timeframe: Timeframe; startMs: number; endMs: number }): Map<InstrumentId, Decimal> {
  return finalCloses(closeSeries(config, instruments, market));
}

const cents = (value: Decimal | string): string => (typeof value === 'string' ? Decimal.parse(value) : value).toFixed(2);

/**
 * Recomputes the run from its fills (and the funding due on them) and checks the report, the round trips and the
 * bot's reopened ledger (kept in `workDir`) against it, to the cent; fees and funding exactly.
 */
export function expectBooksToAgree(run: BacktestRun, workDir: string, botId: BotId, marks: ReadonlyMap<InstrumentId, Decimal>, capital: Decimal, funding: readonly FundingDue[] = []): Books {
  const { report, result } = run;
  const independent = recompute(result.fills, marks, capital, funding);
  const ledger = openLedger({ path: ledgerPath(workDir, botId), botId, clock: new ManualClock() });
  try {
    const positions = ledger.allPositions();
    const ledgerRealized = Decimal.sum(positions.map((position) => position.realizedPnl));
    const ledgerFees = Decimal.sum(positions.map((position) => position.fees));
    expect(ledger.fills()).toHaveLength(result.fills.length);
    expect(independent.fees.eq(ledgerFees)).toBe(true);
    expect(independent.fees.toString()).toBe(report.summary.fees);
    expect(cents(independent.realized)).toBe(cents(ledgerRealized));
    expect(cents(independent.realized)).toBe(cents(report.summary.realizedPnl));
    expect(cents(independent.equity)).toBe(cents(report.summary.finalEquity));
    expect(cents(ledger.balance().add(Decimal.parse(report.summary.unrealizedPnl)))).toBe(cents(independent.equity));
    // The trades add up to the same money as the fills.
    const tradesGross = Decimal.sum(report.trades.map((trade) => Decimal.parse(trade.grossPnl)));
    const tradesFees = Decimal.sum(report.trades.map((trade) => Decimal.parse(trade.fees)));
    const tradesFunding = Decimal.sum(report.trades.map((trade) => Decimal.parse(trade.funding)));
    expect(cents(tradesGross)).toBe(cents(independent.realized));
    expect(tradesFees.eq(independent.fees)).toBe(true);
    // Funding: every payment the fills imply, and no other, in the ledger (its own entry kind), the report and the trades.
    const booked = ledger.fundingPayments().map((payment) => ({ instrumentId: payment.instrumentId, at: payment.at, amount: payment.amount.toString() }));
    expect(booked).toEqual(funding.map((payment) => ({ instrumentId: payment.instrumentId, at: payment.at, amount: payment.amount.toString() })));
    expect(report.funding.map((row) => row.amount)).toEqual(funding.map((payment) => payment.amount.toString()));
    expect(Decimal.parse(report.summary.funding).eq(independent.funding)).toBe(true);
    expect(tradesFunding.eq(independent.funding)).toBe(true);
    expect(Decimal.sum(Object.values(report.byInstrument).map((row) => Decimal.parse(row.funding))).eq(independent.funding)).toBe(true);
  } finally {
    ledger.close();
  }
  return independent;
}
