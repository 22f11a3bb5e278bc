import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseBotId } from '../../../core/ids.ts';
import { sessionsBetween } from '../../../core/us-equity-calendar.ts';
import { runBacktest, type BacktestRun } from '../../../supervisor/backtest/backtest.ts';
import { annualizationDays, returnStatistics } from '../../../supervisor/backtest/statistics.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { writeBot } from './scripted-bot.ts';

/**
 * Sharpe and Sortino are annualized from daily returns: × √365 for a bot that trades anything around the clock, × √252
 * for one that trades only US equities, whose days without a session hold no candle and so are no return period.
 * Each figure is recomputed here from the engine's equity samples, with none of the report's code.
 */

const ROOT = findProjectRoot();
const DAY = 86_400_000;
const fleetConfig = loadFleetConfig(null);

/** The equity at each UTC day's end that has a sample (a sample at midnight ends the day before), and the ratios. */
function recompute(run: BacktestRun, daysPerYear: number): { days: number; sharpe: number; sortino: number } {
  const { times, equity } = run.result.equityCurve;
  const ends = new Map<number, number>();
  times.forEach((at, index) => ends.set(Math.floor((at - 1) / DAY), equity[index] as number));
  const closes = [dec(fleetConfig.paper.startingBalance).toNumber(), ...[...ends.entries()].sort(([a], [b]) => a - b).map(([, value]) => value)];
  const returns = closes.slice(1).map((value, index) => value / (closes[index] as number) - 1);
  const mean = returns.reduce((sum, value) => sum + value, 0) / returns.length;
  const deviation = Math.sqrt(returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (returns.length - 1));
  const downside = Math.sqrt(returns.reduce((sum, value) => sum + (value < 0 ? value * value : 0), 0) / returns.length);
  return { days: returns.length, sharpe: (mean / deviation) * Math.sqrt(daysPerYear), sortino: (mean / downside) * Math.sqrt(daysPerYear) };
}

let botsDir = '';
let crypto: BacktestRun;
let equities: BacktestRun;

beforeAll(async () => {
  mkdirSync(join(ROOT, '.test-bots'), { recursive: true });
  botsDir = mkdtempSync(join(ROOT, '.test-bots', 'annualization-'));
  writeBot(botsDir, { id: 'coins', timeframes: ['1h'] });
  writeBot(botsDir, { id: 'stocks', timeframes: ['1h'], venue: 'ALPACA', instruments: ['QQQ.ALPACA', 'SPY.ALPACA'], parameters: { every: 3 } });
  const common = { botsDir, fleetConfig, market: { kind: 'synthetic', days: 14, seed: 42 }, fromMs: Date.UTC(2025, 0, 1) } as const;
  crypto = await runBacktest({ ...common, botId: parseBotId('coins') });
  equities = await runBacktest({ ...common, botId: parseBotId('stocks') });
});

afterAll(() => {
  rmSync(botsDir, { recursive: true, force: true });
});

describe('Sharpe and Sortino annualization', () => {
  it('test_crypto_bot_when_reported_then_every_utc_day_is_a_return_period_times_sqrt_365', () => {
    const s = crypto.report.summary;
    const expected = recompute(crypto, 365);
    expect(crypto.report.settings.annualizationDays).toBe(365);
    expect(s.days).toBe(14);
    expect(expected.days).toBe(14);
    expect(s.sharpe).toBeCloseTo(expected.sharpe, 4);
    expect(s.sortino).toBeCloseTo(expected.sortino, 4);
  });

  it('test_equity_bot_when_reported_then_only_session_days_are_return_periods_times_sqrt_252', () => {
    const s = equities.report.summary;
    // 2025-01-01 to 01-14: New Year's Day, January 9 (national day of mourning) and two weekends hold no session.
    const sessions = sessionsBetween('2025-01-01', '2025-01-14');
    expect(sessions).toHaveLength(8);
    expect(equities.report.settings.annualizationDays).toBe(252);
    expect(s.days).toBe(sessions.length);
    const expected = recompute(equities, 252);
    expect(expected.days).toBe(sessions.length);
    expect(equities.report.summary.trades).toBeGreaterThan(3);
    expect(s.sharpe).not.toBeNull();
    expect(s.sharpe).toBeCloseTo(expected.sharpe, 4);
    expect(s.sortino).toBeCloseTo(expected.sortino, 4);
  });

  it('test_annualization_days_when_every_instrument_follows_the_session_then_252_else_365', () => {
    expect(annualizationDays([{ kind: 'EQUITY' }, { kind: 'EQUITY' }])).toBe(252);
    expect(annualizationDays([{ kind: 'EQUITY' }, { kind: 'PERPETUAL' }])).toBe(365);
    expect(annualizationDays([{ kind: 'PERPETUAL' }])).toBe(365);
    expect(annualizationDays([])).toBe(365);
  });

  it('test_return_statistics_when_the_same_returns_then_the_ratios_scale_by_the_root_of_the_days_a_year', () => {
    const curve = { times: [DAY, 2 * DAY, 3 * DAY, 4 * DAY], equity: [101, 99, 102, 103] };
    const crypto365 = returnStatistics(curve, 100, 365);
    const equity252 = returnStatistics(curve, 100, 252);
    expect(equity252.days).toBe(crypto365.days);
    expect((equity252.sharpe as number) / (crypto365.sharpe as number)).toBeCloseTo(Math.sqrt(252 / 365), 3);
    expect((equity252.sortino as number) / (crypto365.sortino as number)).toBeCloseTo(Math.sqrt(252 / 365), 3);
  });
});
