import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBotId } from '../../../core/ids.ts';
import { DEFAULT_SYNTHETIC_START_MS, loadBot, prepareMarket } from '../../../supervisor/backtest/backtest.ts';
import { runEngine } from '../../../supervisor/backtest/engine.ts';
import { buildReport } from '../../../supervisor/backtest/report.ts';
import type { BacktestReport } from '../../../supervisor/backtest/report.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import type { FleetConfig } from '../../../supervisor/config/fleet-config.ts';
import type { BotManifest } from '../../../supervisor/discovery/manifest.ts';

/**
 * The run from issue 8: adaptive on the synthetic market, seed 3, 180 days. It bleeds slowly: its worst 7-day
 * drawdown is 7.4%, so under its old single 7-day window at 8% it never stopped, and lost 46%. With the shipped
 * policy (8% in 7 days REDUCING, 12% in 30 days and 15% in 90 days HALTED) and the fleet's default windows it must
 * stop long before that.
 */
const DAY = 86_400_000;
const DAYS = 180;
const SEED = 3;
const BOTS_DIR = join(findProjectRoot(), 'bots');
const ADAPTIVE = parseBotId('adaptive');

/** The policies before windows: one window per scope. */
const OLD_BOT_DRAWDOWN: BotManifest['risk']['drawdown'] = [{ threshold: '0.08', windowMs: 7 * DAY, action: 'REDUCING' }];
const OLD_FLEET_DRAWDOWN: FleetConfig['fleetDrawdown'] = [{ threshold: '0.15', windowMs: DAY, action: 'HALTED' }];

async function backtest(policies: { bot?: BotManifest['risk']['drawdown']; fleet?: FleetConfig['fleetDrawdown'] } = {}): Promise<BacktestReport> {
  const shipped = loadFleetConfig(null);
  const fleetConfig = policies.fleet === undefined ? shipped : { ...shipped, fleetDrawdown: policies.fleet };
  const bot = await loadBot(BOTS_DIR, ADAPTIVE, fleetConfig);
  const manifest = policies.bot === undefined ? bot.manifest : { ...bot.manifest, risk: { ...bot.manifest.risk, drawdown: policies.bot } };
  const market = prepareMarket({ fleetConfig, market: { kind: 'synthetic', days: DAYS, seed: SEED } }, manifest);
  const result = await runEngine({ manifest, module: bot.module, parameters: bot.parameters, fleetConfig, feed: market.feed, baseTimeframes: market.baseTimeframes });
  return buildReport(result, { manifest, fleetConfig, source: market.source, baseTimeframes: Object.fromEntries(market.baseTimeframes), dataFindings: market.findings });
}

describe('a slow bleed: adaptive, 180 synthetic days, seed 3', () => {
  it('test_shipped_drawdown_windows_when_the_bot_bleeds_slowly_then_it_is_halted_within_two_months_at_a_loss_under_15_percent', async () => {
    // Act
    const report = await backtest();
    // Assert
    const halt = report.stateChanges.find((change) => change.reason === 'DRAWDOWN_HALT' && change.state === 'HALTED');
    expect(halt).toBeDefined();
    const haltedAt = Date.parse(halt?.at ?? '');
    expect(haltedAt).toBeLessThan(DEFAULT_SYNTHETIC_START_MS + 60 * DAY);
    expect(report.summary.returnFraction).toBeGreaterThan(-0.15);
    // Halted means no new position afterwards: every trade opened before the halt.
    expect(report.trades.filter((trade) => Date.parse(trade.openedAt) > haltedAt)).toEqual([]);
  }, 60_000);

  it('test_old_single_windows_when_the_same_bot_bleeds_then_nothing_stops_it_and_it_loses_over_40_percent', async () => {
    const report = await backtest({ bot: OLD_BOT_DRAWDOWN, fleet: OLD_FLEET_DRAWDOWN });
    expect(report.stateChanges).toEqual([]);
    expect(report.summary.returnFraction).toBeLessThan(-0.4);
  }, 60_000);
});
