import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBotId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { TimeframeCandle } from '../../../core/strategy.ts';
import { Fleet } from '../../../supervisor/fleet/fleet.ts';
import { botSocketPath, ledgerPath, supervisorStorePath } from '../../../supervisor/paths.ts';
import { projectNode } from '../../../supervisor/pm2/apps.ts';
import { botLaunch } from '../../../supervisor/pm2/bot-launch.ts';
import { BTC, PROJECT_ROOT, fleetConfig, makeBotsRoot, manifest, removeBotsRoot, until } from './fleet-harness.ts';

/** Enters a small BTC long on one candle and closes it on the next: a fill on nearly every market minute. */
const CHURN_STRATEGY = `import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    return {
      onCandle(candle, state) {
        const position = state.positions.get(candle.instrumentId);
        if (position !== undefined && !position.quantity.isZero()) return [{ type: 'EXIT', instrumentId: candle.instrumentId, reason: 'churn' }];
        if (state.pendingEntries.size > 0 || state.openOrders.some((order) => order.role === 'ENTRY')) return [];
        const stopLoss = Decimal.parse(String(Math.floor(candle.close.toNumber() * 0.9)));
        return [{ type: 'ENTER', instrumentId: candle.instrumentId, side: 'BUY', size: { kind: 'QUANTITY', quantity: Decimal.parse('0.001') }, orderType: 'MARKET', stopLoss, reason: 'churn' }];
      },
    };
  },
});
`;

const CHURN = parseBotId('churn');
const PROCESS_TIMEOUT_MS = 30_000;

function startProcess(script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(projectNode(), [join(PROJECT_ROOT, script)], { cwd: PROJECT_ROOT, env: { ...process.env, FLOTILLA_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** Reads a count from an SQLite file another process is writing (WAL lets a reader in at any time). */
function count(path: string, sql: string): number {
  if (!existsSync(path)) return 0;
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number((db.prepare(sql).get() as { n: number }).n);
  } catch {
    return 0; // not migrated yet
  } finally {
    db.close();
  }
}

describe('market time after a crash', () => {
  let home = '';
  let botsRoot = '';
  const children: ChildProcess[] = [];
  let fleet: Fleet | null = null;

  afterEach(async () => {
    await Promise.all(children.map(kill));
    await fleet?.close();
    rmSync(home, { recursive: true, force: true });
    removeBotsRoot(botsRoot);
  });

  it('test_supervisor_killed_when_market_json_lags_the_ledgers_then_market_time_resumes_after_everything_recorded_and_no_candle_is_matched_again', async () => {
    // Arrange: a supervisor process (no pm2) and a bot process that trades every market minute.
    home = mkdtempSync(join(tmpdir(), 'flotilla-clock-'));
    botsRoot = makeBotsRoot([{ folder: 'churn', manifest: manifest('churn'), strategy: CHURN_STRATEGY }]);
    const configPath = join(home, 'flotilla.config.json');
    writeFileSync(configPath, JSON.stringify(fleetConfig()));
    const env = { FLOTILLA_HOME: home, FLOTILLA_BOTS_DIR: botsRoot, FLOTILLA_CONFIG: configPath };
    children.push(startProcess('supervisor/main.ts', { ...env, FLOTILLA_NO_PM2: '1' }));
    await until(() => existsSync(botSocketPath(home)) && existsSync(join(home, 'market.json')), 'the supervisor to listen', PROCESS_TIMEOUT_MS);
    // What market.json says at start: a crash can leave it this stale (it is saved every 5 s of real time).
    const staleMarket = readFileSync(join(home, 'market.json'), 'utf8');
    // Started as pm2 starts it: confined, with only its own token and socket.
    const firstLaunch = botLaunch({ home, logLevel: 'warn' }, { path: join(botsRoot, 'churn'), id: CHURN }, 'bot');
    const firstBot = spawn(firstLaunch.node, [...firstLaunch.nodeArgs, firstLaunch.script], { cwd: firstLaunch.env.FLOTILLA_BOT_DIR, env: firstLaunch.env, stdio: ['ignore', 'ignore', 'pipe'] });
    firstBot.stderr?.resume();
    children.push(firstBot);
    const ledgerFile = ledgerPath(home, CHURN);
    await until(() => count(ledgerFile, 'SELECT COUNT(*) AS n FROM fills') >= 20, '20 fills', PROCESS_TIMEOUT_MS);

    // Act: the crash, and a start on the same home.
    await Promise.all(children.map(kill));
    writeFileSync(join(home, 'market.json'), staleMarket);
    const before = new DatabaseSync(ledgerFile, { readOnly: true });
    const latestFillBefore = (before.prepare('SELECT MAX(at) AS at FROM fills').get() as { at: number }).at;
    before.close();
    const store = new DatabaseSync(supervisorStorePath(home), { readOnly: true });
    const latestDecisionBefore = (store.prepare('SELECT MAX(decided_at) AS at FROM decisions').get() as { at: number }).at;
    store.close();
    expect(latestFillBefore).toBeGreaterThan((JSON.parse(staleMarket) as { marketTimeMs: number }).marketTimeMs + 10 * 60_000);

    fleet = await Fleet.open({ home, botsRoot, configPath, logger: silentLogger, pm2: null, ports: { control: 0, metrics: 0 } });
    const resumedAt = fleet.clock.now();
    const matched: TimeframeCandle[] = [];
    fleet.hub.onEveryCandle('test', (candle) => {
      if (candle.timeframe === '1m') matched.push(candle);
    });
    await fleet.start();
    const fillsBefore = fleet.om.ledger(CHURN).fills().length;
    // Started as pm2 starts it: confined, with only its own token and socket.
    const launch = botLaunch({ home, logLevel: 'warn' }, { path: join(botsRoot, 'churn'), id: CHURN }, 'bot');
    const bot = spawn(launch.node, [...launch.nodeArgs, launch.script], { cwd: launch.env.FLOTILLA_BOT_DIR, env: launch.env, stdio: ['ignore', 'ignore', 'pipe'] });
    bot.stderr?.resume();
    children.push(bot);
    const opened = fleet;
    await until(() => opened.om.ledger(CHURN).fills().length >= fillsBefore + 6, 'six fills after the restart', PROCESS_TIMEOUT_MS);

    // Assert
    expect(resumedAt).toBeGreaterThanOrEqual(Math.max(latestFillBefore, latestDecisionBefore));
    // Every candle the venue matched before the crash closed at or before the last minute boundary recorded.
    expect(matched[0]?.openTime).toBeGreaterThanOrEqual(Math.floor(latestFillBefore / 60_000) * 60_000);
    const fillTimes = opened.om.ledger(CHURN).fills().map((fill) => fill.at);
    expect(fillTimes).toEqual([...fillTimes].sort((a, b) => a - b));
    const decisionTimes = opened.store.recentDecisions(100_000).map((decision) => decision.decidedAt).reverse();
    expect(decisionTimes.length).toBeGreaterThan(20);
    expect(decisionTimes).toEqual([...decisionTimes].sort((a, b) => a - b));
  }, 90_000);
});
