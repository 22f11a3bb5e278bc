import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import type { InstrumentId } from '../../../core/ids.ts';
import { parseBotId } from '../../../core/ids.ts';
import { openLedger } from '../../../ledger/sqlite-ledger.ts';
import { runBacktest, UnknownBotError } from '../../../supervisor/backtest/backtest.ts';
import type { BacktestOptions, BacktestRun } from '../../../supervisor/backtest/backtest.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import type { FleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { ledgerPath } from '../../../supervisor/paths.ts';
import { closeSeries, everyHours, expectBooksToAgree, finalCloses, recomputeFunding } from './accounting.ts';
import { writeBot } from './scripted-bot.ts';

const ROOT = findProjectRoot();
let botsDir = '';
const fleetConfig = loadFleetConfig(null);
const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1);

function withPaper(config: FleetConfig, paper: Partial<FleetConfig['paper']>): FleetConfig {
  return { ...config, paper: { ...config.paper, ...paper } };
}

const FUNDING = { kind: 'constant', rate: Decimal.parse('0.0003'), intervalHours: 1 } as const;

function options(botId: string, overrides: Partial<BacktestOptions> = {}): BacktestOptions {
  return { botId: parseBotId(botId), botsDir, fleetConfig, market: { kind: 'synthetic', days: 3, seed: 42 }, ...overrides };
}

beforeAll(() => {
  // Bots live inside the project, so 'flotilla/strategy' resolves for them as for real bots.
  mkdirSync(join(ROOT, '.test-bots'), { recursive: true });
  botsDir = mkdtempSync(join(ROOT, '.test-bots', 'backtest-'));
  writeBot(botsDir, { id: 'scripted', timeframes: ['5m', '1h'] });
  writeBot(botsDir, { id: 'clumsy', timeframes: ['5m'], parameters: { throwEvery: 5 } });
  writeBot(botsDir, { id: 'impatient', timeframes: ['5m'], parameters: { exitAfter: 3, stopFraction: 0.02 } });
});

afterAll(() => {
  rmSync(botsDir, { recursive: true, force: true });
});

describe('backtest', () => {
  let run: BacktestRun;
  let workDir = '';

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'flotilla-bt-work-'));
    // Hourly funding at 0.03%: dozens of payments on both sides, so the books below must account for them.
    run = await runBacktest(options('scripted', { keepLedger: workDir, funding: FUNDING }));
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('test_run_when_synthetic_then_every_stream_is_delivered_and_trades_happen', () => {
    expect(run.report.candles).toBe(2 * 3 * (288 + 24));
    expect(run.report.baseTimeframes).toEqual({ 'BTCUSDT.BYBIT': '5m', 'ETHUSDT.BYBIT': '5m' });
    expect(run.report.summary.trades).toBeGreaterThan(10);
    expect(run.report.summary.wins + run.report.summary.losses).toBeLessThanOrEqual(run.report.summary.trades);
    expect(run.report.period).toEqual({ from: '2025-01-01T00:00:00.000Z', to: '2025-01-04T00:00:00.000Z' });
    expect(run.report.botCodeErrors.count).toBe(0);
  });

  it('test_accounting_when_recomputed_from_fills_and_funding_then_report_and_ledger_match_to_the_cent', () => {
    const instruments = run.report.instruments as InstrumentId[];
    const closes = closeSeries(fleetConfig, instruments, { seed: 42, timeframe: '5m', startMs: START, endMs: START + 3 * DAY });
    const funding = recomputeFunding(run.result.fills, everyHours(instruments, '0.0003', 1, START, START + 3 * DAY), closes, { firstOpen: START, lastClose: START + 3 * DAY });
    expect(funding.filter((payment) => payment.amount.isPositive()).length).toBeGreaterThan(5);
    expect(funding.filter((payment) => payment.amount.isNegative()).length).toBeGreaterThan(5);
    expectBooksToAgree(run, workDir, parseBotId('scripted'), finalCloses(closes), Decimal.parse(fleetConfig.paper.startingBalance), funding);
  });

  it('test_accounting_when_leverage_is_2_or_10_then_fills_and_pnl_are_identical', async () => {
    const low = await runBacktest(options('scripted', { fleetConfig: withPaper(fleetConfig, { leverage: '2' }) }));
    const high = await runBacktest(options('scripted', { fleetConfig: withPaper(fleetConfig, { leverage: '10' }) }));
    expect(low.result.fills.length).toBeGreaterThan(0);
    expect(JSON.stringify(low.result.fills)).toBe(JSON.stringify(high.result.fills));
    expect(low.report.summary.finalEquity).toBe(high.report.summary.finalEquity);
    expect(low.report.summary.realizedPnl).toBe(high.report.summary.realizedPnl);
    expect(low.report.decisions.denials['INSUFFICIENT_BALANCE']).toBeUndefined();
  });

  it('test_determinism_when_same_seed_then_identical_report', async () => {
    const again = await runBacktest(options('scripted', { funding: FUNDING }));
    expect(JSON.stringify(again.report)).toBe(JSON.stringify(run.report));
    const other = await runBacktest(options('scripted', { market: { kind: 'synthetic', days: 3, seed: 43 } }));
    expect(other.report.summary.finalEquity).not.toBe(run.report.summary.finalEquity);
  });

  it('test_notes_when_strategy_notes_regime_and_blocks_then_trades_are_grouped_and_blocks_counted', () => {
    const { report } = run;
    expect(report.regimes).not.toBeNull();
    const regimes = report.regimes ?? {};
    expect(Object.keys(regimes).sort()).toEqual(['DOWN', 'UP']);
    expect(Object.values(regimes).reduce((sum, group) => sum + group.trades, 0)).toBe(report.summary.trades);
    // Entries follow the last close's direction: a long's regime is UP, a short's DOWN.
    for (const trade of report.trades) expect(trade.regime).toBe(trade.side === 'LONG' ? 'UP' : 'DOWN');
    expect(report.entryBlocked?.['COOLDOWN']).toBeGreaterThan(0);
    expect(report.entryBlocked?.['IN_POSITION']).toBeGreaterThan(0);
    expect((report.notes['REGIME']?.['UP'] ?? 0) + (report.notes['REGIME']?.['DOWN'] ?? 0)).toBe(2 * 3 * 288 - 2);
  });

  it('test_report_when_built_then_metrics_are_consistent', () => {
    const s = run.report.summary;
    if (s.rewardToRisk !== null) expect(s.breakEvenWinRate).toBeCloseTo(1 / (1 + s.rewardToRisk), 5);
    expect(s.maxDrawdown).toBeGreaterThanOrEqual(0);
    expect(s.timeInMarket).toBeGreaterThan(0);
    expect(s.timeInMarket).toBeLessThanOrEqual(1);
    expect(Decimal.parse(s.netPnl).eq(Decimal.parse(s.finalEquity).sub(Decimal.parse(s.startingEquity)))).toBe(true);
    expect(run.report.equityCurve.length).toBe(3 * 288);
  });

  it('test_period_when_from_and_to_are_given_then_the_run_covers_exactly_them', async () => {
    const narrowed = await runBacktest(options('scripted', { market: { kind: 'synthetic', seed: 42 }, fromMs: START + DAY, toMs: START + DAY + 6 * 3_600_000 }));
    expect(narrowed.report.period).toEqual({ from: '2025-01-02T00:00:00.000Z', to: '2025-01-02T06:00:00.000Z' });
    expect(narrowed.report.candles).toBe(2 * (72 + 6));
  });

  it('test_strategy_errors_when_bot_code_throws_then_counted_and_not_fatal', async () => {
    const clumsy = await runBacktest(options('clumsy', { market: { kind: 'synthetic', days: 1, seed: 42 } }));
    expect(clumsy.report.candles).toBe(2 * 288);
    expect(clumsy.report.botCodeErrors.count).toBe(Math.floor((2 * 288) / 5));
    expect(clumsy.report.botCodeErrors.messages[0]).toContain('scripted failure');
    expect(clumsy.report.summary.trades).toBeGreaterThan(0);
  });

  it('test_order_path_when_a_strategy_exits_by_market_then_its_orphaned_protection_is_cancelled_before_the_next_candle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-bt-work-'));
    try {
      const impatient = await runBacktest(options('impatient', { keepLedger: dir, market: { kind: 'synthetic', days: 2, seed: 42 } }));
      expect(impatient.result.fills.length).toBeGreaterThan(10);
      const ledger = openLedger({ path: ledgerPath(dir, 'impatient'), botId: parseBotId('impatient'), clock: new ManualClock() });
      try {
        const closes = ledger.recentOrders(10_000).filter((order) => order.role === 'CLOSE' && order.status === 'FILLED');
        expect(closes.length).toBeGreaterThan(0);
        const flat = new Set(ledger.allPositions().filter((position) => position.quantity.isZero()).map((position) => position.instrumentId));
        const orphans = ledger.openOrders().filter((order) => flat.has(order.instrumentId) && (order.role === 'STOP' || order.role === 'TAKE_PROFIT'));
        expect(orphans).toEqual([]);
      } finally {
        ledger.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('test_bot_lookup_when_unknown_then_refused', async () => {
    await expect(runBacktest(options('nobody'))).rejects.toBeInstanceOf(UnknownBotError);
  });
});
