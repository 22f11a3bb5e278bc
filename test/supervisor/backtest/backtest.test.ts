import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
import { expectBooksToAgree, lastCloses } from './accounting.ts';

/**
 * A scripted strategy: every `every`-th candle of its first timeframe with nothing open it enters in the direction of
 * the last close, with a stop and a take-profit; it notes the regime (UP or DOWN) on every candle and why it did not
 * enter; with `throwEvery` it throws on every such call, as buggy bot code does.
 */
const SCRIPTED_STRATEGY = `
import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';

const parameters = z.strictObject({ every: z.number().int().positive(), throwEvery: z.number().int().min(0), stopFraction: z.number().positive(), rewardRisk: z.number().positive(), riskFraction: z.number().positive(), exitAfter: z.number().int().min(0) });

export default defineStrategy({
  interfaceVersion: 1,
  parameters,
  notes: { REGIME: ['UP', 'DOWN'], ENTRY_BLOCKED: ['IN_POSITION', 'COOLDOWN', 'ORDER_OPEN'] },
  create({ parameters: p, timeframes }) {
    let calls = 0;
    const last = new Map();
    const heldSince = new Map();
    return {
      onCandle(candle, state) {
        if (candle.timeframe !== timeframes[0]) return [];
        calls++;
        if (p.throwEvery > 0 && calls % p.throwEvery === 0) throw new Error('scripted failure');
        const previous = last.get(candle.instrumentId);
        last.set(candle.instrumentId, candle.close);
        if (previous === undefined) return [];
        const up = candle.close.gte(previous);
        const actions = [{ type: 'NOTE', name: 'REGIME', value: up ? 'UP' : 'DOWN', instrumentId: candle.instrumentId }];
        const position = state.positions.get(candle.instrumentId);
        if (position !== undefined && !position.quantity.isZero()) {
          if (!heldSince.has(candle.instrumentId)) heldSince.set(candle.instrumentId, calls);
          if (p.exitAfter > 0 && calls - heldSince.get(candle.instrumentId) >= p.exitAfter) return [...actions, { type: 'EXIT', instrumentId: candle.instrumentId, reason: 'held long enough' }];
          return [...actions, { type: 'NOTE', name: 'ENTRY_BLOCKED', value: 'IN_POSITION' }];
        }
        heldSince.delete(candle.instrumentId);
        if (state.openOrders.some((order) => order.instrumentId === candle.instrumentId)) return [...actions, { type: 'NOTE', name: 'ENTRY_BLOCKED', value: 'ORDER_OPEN' }];
        if (calls % p.every !== 0) return [...actions, { type: 'NOTE', name: 'ENTRY_BLOCKED', value: 'COOLDOWN' }];
        const close = candle.close.toNumber();
        const distance = close * p.stopFraction;
        return [...actions, {
          type: 'ENTER',
          instrumentId: candle.instrumentId,
          side: up ? 'BUY' : 'SELL',
          size: { kind: 'RISK', riskFraction: Decimal.fromNumber(p.riskFraction, 6) },
          orderType: 'MARKET',
          stopLoss: Decimal.fromNumber(up ? close - distance : close + distance, 8),
          takeProfit: Decimal.fromNumber(up ? close + p.rewardRisk * distance : close - p.rewardRisk * distance, 8),
          reason: 'scripted',
        }];
      },
    };
  },
});
`;

interface BotSpec {
  id: string;
  timeframes: string[];
  instruments?: string[];
  parameters?: Record<string, number>;
}

function writeBot(botsDir: string, spec: BotSpec): void {
  const folder = join(botsDir, spec.id);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'strategy.ts'), SCRIPTED_STRATEGY);
  writeFileSync(
    join(folder, 'manifest.json'),
    JSON.stringify({
      id: spec.id,
      name: `Scripted ${spec.id}`,
      interfaceVersion: 1,
      venue: 'BYBIT',
      subAccount: spec.id,
      instruments: spec.instruments ?? ['BTCUSDT.BYBIT', 'ETHUSDT.BYBIT'],
      timeframes: spec.timeframes,
      risk: {
        riskPerTrade: '0.01',
        maxOpenRisk: '0.05',
        maxNotionalPerOrder: '40000',
        maxAdds: 0,
        orderRateLimit: { maxRequests: 100, windowMs: 1000 },
        drawdown: { threshold: '0.9', windowMs: 86_400_000, action: 'HALTED' },
      },
      parameters: { every: 7, throwEvery: 0, stopFraction: 0.004, rewardRisk: 1.5, riskFraction: 0.004, exitAfter: 0, ...spec.parameters },
    }),
  );
}

const ROOT = findProjectRoot();
let botsDir = '';
const fleetConfig = loadFleetConfig(null);
const DAY = 86_400_000;
const START = Date.UTC(2025, 0, 1);

function withPaper(config: FleetConfig, paper: Partial<FleetConfig['paper']>): FleetConfig {
  return { ...config, paper: { ...config.paper, ...paper } };
}

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
    run = await runBacktest(options('scripted', { keepLedger: workDir }));
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

  it('test_accounting_when_recomputed_from_fills_then_report_and_ledger_match_to_the_cent', () => {
    const marks = lastCloses(fleetConfig, run.report.instruments as InstrumentId[], { seed: 42, timeframe: '5m', startMs: START, endMs: START + 3 * DAY });
    expectBooksToAgree(run, workDir, parseBotId('scripted'), marks, Decimal.parse(fleetConfig.paper.startingBalance));
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
    const again = await runBacktest(options('scripted'));
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
