import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOTES as ADAPTIVE_NOTES } from '../../../bots/adaptive/strategy.ts';
import { REGIMES } from '../../../bots/aggressive/regime.ts';
import { Decimal } from '../../../core/decimal.ts';
import type { InstrumentId } from '../../../core/ids.ts';
import { parseBotId } from '../../../core/ids.ts';
import type { Fill } from '../../../core/order.ts';
import { marginRequired } from '../../../ledger/position.ts';
import { DEFAULT_SYNTHETIC_START_MS, runBacktest } from '../../../supervisor/backtest/backtest.ts';
import type { BacktestRun } from '../../../supervisor/backtest/backtest.ts';
import type { BacktestReport } from '../../../supervisor/backtest/report.ts';
import { lowestTimeframe } from '../../../supervisor/backtest/candle-feed.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { catalog, loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import type { FleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { closeSeries, everyHours, expectBooksToAgree, finalCloses, recompute, recomputeFunding } from './accounting.ts';
import type { Books, FundingDue } from './accounting.ts';

/**
 * The four bots in bots/, each through the real entry point on the synthetic market (seed 42), over a short period
 * in which it trades dozens of times on its own timeframes; trend-following gets a year so that its partial exit at
 * +3R happens a few times.
 */
const SHIPPED: ReadonlyArray<{ id: string; days: number; shows: string; check(report: BacktestReport, books: Books): void }> = [
  {
    id: 'aggressive',
    days: 1,
    shows: 'closed_trades_by_regime_at_entry',
    check(report) {
      const regimes = report.regimes ?? {};
      expect(Object.keys(regimes).length).toBeGreaterThan(1);
      for (const regime of Object.keys(regimes)) expect(REGIMES).toContain(regime);
      expect(Object.values(regimes).reduce((sum, group) => sum + group.trades, 0)).toBe(report.summary.trades);
    },
  },
  {
    id: 'adaptive',
    days: 5,
    shows: 'blocked_entries_counted_per_layer',
    check(report) {
      expect(Object.keys(report.entryBlocked ?? {})).toEqual([...ADAPTIVE_NOTES.ENTRY_BLOCKED].sort());
      for (const count of Object.values(report.entryBlocked ?? {})) expect(count).toBeGreaterThan(0);
      expect(report.regimes).toBeNull();
    },
  },
  {
    id: 'trend-following',
    days: 365,
    shows: 'partial_closes_that_the_recomputation_agrees_with',
    check(report, books) {
      expect(books.partialCloses).toBeGreaterThan(0);
      expect(report.regimes).toBeNull();
      expect(report.entryBlocked).toBeNull();
    },
  },
  {
    id: 'equity-baskets',
    days: 7,
    shows: 'a_route_or_a_suppress_reason_for_every_basket_evaluation',
    check(report) {
      const notes = report.notes;
      expect(Object.keys(notes.route ?? {}).length).toBeGreaterThan(0);
      const states = Object.values(notes.basket_state ?? {}).reduce((sum, count) => sum + count, 0);
      const outcomes = Object.entries(notes.suppress ?? {}).reduce((sum, [, count]) => sum + count, 0) + (notes.route?.ENTRY ?? 0) + (notes.route?.ADD ?? 0);
      expect(states).toBeGreaterThan(0);
      // Each basket evaluation notes its state once and one outcome, a route or the first suppress reason; direct
      // signals add suppress notes of their own, so there are at least as many outcomes as states.
      expect(outcomes).toBeGreaterThanOrEqual(states);
      expect(notes.suppress?.BELOW_BREADTH).toBeGreaterThan(0);
      expect(report.regimes).toBeNull();
    },
  },
];
const SEED = 42;
const DAY = 86_400_000;
const LOW_LEVERAGE = '2';
const HIGH_LEVERAGE = '10';

const BOTS_DIR = join(findProjectRoot(), 'bots');
const fleetConfig = loadFleetConfig(null);
const capital = Decimal.parse(fleetConfig.paper.startingBalance);
const cents = (value: Decimal): string => value.toFixed(2);

/** Every base close of a run of `days` from the default start, per instrument. */
function closesOf(report: BacktestReport, days: number): Map<InstrumentId, Array<[number, Decimal]>> {
  const timeframe = lowestTimeframe(report.timeframes);
  return closeSeries(fleetConfig, report.instruments as InstrumentId[], { seed: SEED, timeframe, startMs: DEFAULT_SYNTHETIC_START_MS, endMs: DEFAULT_SYNTHETIC_START_MS + days * DAY });
}

/** Every perpetual pays 0.01% every 8 hours, as on Binance and Bybit at their usual rate: the books must hold with it. */
const FUNDING_RATE = '0.0001';
const FUNDING = { kind: 'constant', rate: Decimal.parse(FUNDING_RATE), intervalHours: 8 } as const;

function atLeverage(leverage: string): FleetConfig {
  return { ...fleetConfig, paper: { ...fleetConfig.paper, leverage } };
}

/** The most margin the positions tie up at any fill, each instrument marked at its latest fill price. */
function peakMargin(fills: readonly Fill[], leverage: Decimal): Decimal {
  const quantities = new Map<InstrumentId, Decimal>();
  const prices = new Map<InstrumentId, Decimal>();
  let peak = Decimal.ZERO;
  for (const fill of fills) {
    const signed = fill.side === 'BUY' ? fill.quantity : fill.quantity.neg();
    quantities.set(fill.instrumentId, (quantities.get(fill.instrumentId) ?? Decimal.ZERO).add(signed));
    prices.set(fill.instrumentId, fill.price);
    const held = Decimal.sum([...quantities].map(([instrumentId, quantity]) => marginRequired({ quantity }, prices.get(instrumentId) as Decimal, leverage)));
    peak = Decimal.max(peak, held);
  }
  return peak;
}

describe.each(SHIPPED)('shipped bot $id', ({ id, days, shows, check }) => {
  const botId = parseBotId(id);
  let workDir = '';
  let low: BacktestRun;
  let high: BacktestRun;
  let marks: Map<InstrumentId, Decimal>;
  let funding: FundingDue[];
  let books: Books;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'flotilla-bt-shipped-'));
    const market = { kind: 'synthetic', days, seed: SEED } as const;
    low = await runBacktest({ botId, botsDir: BOTS_DIR, fleetConfig: atLeverage(LOW_LEVERAGE), market, keepLedger: workDir, funding: FUNDING });
    high = await runBacktest({ botId, botsDir: BOTS_DIR, fleetConfig: atLeverage(HIGH_LEVERAGE), market, funding: FUNDING });
    const closes = closesOf(low.report, days);
    marks = finalCloses(closes);
    const end = DEFAULT_SYNTHETIC_START_MS + days * DAY;
    // Only perpetuals are funded: trend-following's ETFs never pay or receive.
    const perpetuals = (low.report.instruments as InstrumentId[]).filter((id) => catalog(fleetConfig).find((entry) => entry.id === id)?.kind === 'PERPETUAL');
    funding = recomputeFunding(low.result.fills, everyHours(perpetuals, FUNDING_RATE, 8, DEFAULT_SYNTHETIC_START_MS, end), closes, { firstOpen: DEFAULT_SYNTHETIC_START_MS, lastClose: end });
    books = recompute(low.result.fills, marks, capital, funding);
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('test_backtest_when_run_on_its_own_timeframes_then_it_trades_without_strategy_errors', () => {
    expect(low.report.summary.trades).toBeGreaterThanOrEqual(5);
    expect(low.report.botCodeErrors.count).toBe(0);
  });

  it('test_accounting_when_recomputed_from_fills_and_funding_then_report_and_ledger_match_to_the_cent', () => {
    expectBooksToAgree(low, workDir, botId, marks, capital, funding);
  });

  it(`test_report_when_${id.replace('-', '_')}_runs_then_it_shows_${shows}`, () => {
    check(low.report, books);
  });

  it('test_leverage_when_2_or_10_then_fills_and_pnl_are_identical_and_only_margin_differs', () => {
    expect(JSON.stringify(high.result.fills)).toBe(JSON.stringify(low.result.fills));
    expect(high.report.summary.realizedPnl).toBe(low.report.summary.realizedPnl);
    expect(high.report.summary.fees).toBe(low.report.summary.fees);
    expect(high.report.summary.finalEquity).toBe(low.report.summary.finalEquity);
    expect(high.report.summary.funding).toBe(low.report.summary.funding);
    expect(low.report.decisions.denials['INSUFFICIENT_BALANCE']).toBeUndefined();
    const lowMargin = peakMargin(low.result.fills, Decimal.parse(low.report.settings.leverage));
    const highMargin = peakMargin(high.result.fills, Decimal.parse(high.report.settings.leverage));
    expect(lowMargin.isPositive()).toBe(true);
    expect(highMargin.lt(lowMargin)).toBe(true);
    expect(cents(highMargin.mul(Decimal.parse(HIGH_LEVERAGE)))).toBe(cents(lowMargin.mul(Decimal.parse(LOW_LEVERAGE))));
  });
});
