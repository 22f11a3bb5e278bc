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
  equity: Decimal;
  /** Fills that shrank a position without closing or reversing it. */
  partialCloses: number;
}

/** Independent bookkeeping from the fill list: average cost, plain Decimal arithmetic, no ledger code. */
export function recompute(fills: readonly Fill[], marks: ReadonlyMap<InstrumentId, Decimal>, capital: Decimal): Books {
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
  return { realized, fees, equity: capital.add(cashFlow).add(markToMarket).sub(fees), partialCloses };
}

/** The last close of each instrument in a synthetic run: where the run left the marks. */
export function lastCloses(config: FleetConfig, instruments: readonly InstrumentId[], market: { seed: number; timeframe: Timeframe; startMs: number; endMs: number }): Map<InstrumentId, Decimal> {
  const feed = new SyntheticFeed({ seed: market.seed, instruments: syntheticInstruments(config, instruments), timeframes: [market.timeframe], startMs: market.startMs, endMs: market.endMs });
  const marks = new Map<InstrumentId, Decimal>();
  for (let candle = feed.next(); candle !== undefined; candle = feed.next()) marks.set(candle.instrumentId, candle.close);
  return marks;
}

const cents = (value: Decimal | string): string => (typeof value === 'string' ? Decimal.parse(value) : value).toFixed(2);

/**
 * Recomputes the run from its fills and checks the report, the round trips and the bot's reopened ledger (in
 * `workDir`) against it, to the cent; fees exactly.
 */
export function expectBooksToAgree(run: BacktestRun, workDir: string, botId: BotId, marks: ReadonlyMap<InstrumentId, Decimal>, capital: Decimal): Books {
  const { report, result } = run;
  const independent = recompute(result.fills, marks, capital);
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
    expect(cents(tradesGross)).toBe(cents(independent.realized));
    expect(tradesFees.eq(independent.fees)).toBe(true);
  } finally {
    ledger.close();
  }
  return independent;
}
