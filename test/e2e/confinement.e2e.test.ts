import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DecisionInfo, FleetStatus } from '../../supervisor/control/fleet-control.ts';
import { hostileStrategy, HOSTILE_ATTEMPTS } from '../runtime/hostile-strategies.ts';
import { FleetUnderTest } from './fleet-harness.ts';

/**
 * Confinement under the real pm2: a bot whose strategy, on live candles, reaches for another bot's token and
 * ledger, a child process, a file, a signal, a socket and pm2's own files, beside a bot that trades.
 */
describe('a hostile bot under pm2', () => {
  const fleet = new FleetUnderTest({
    clock: { speed: 1200 },
    // No warm-up history: every candle the hostile bot sees is a live one.
    marketData: { historyCandles: 0 },
    control: { port: 0 },
    metrics: { port: 0 },
  });
  const status = (): Promise<FleetStatus> => fleet.json<FleetStatus>('status');
  /** The supervisor's own log lines (pino JSON, through pm2) that report a BotCodeError of `botId`. */
  const reportedErrors = (botId: string): string[] =>
    readFileSync(join(fleet.pm2Home, 'logs', 'flotilla-supervisor-out.log'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; botId?: string; error?: string })
      .filter((line) => line.msg === 'bot code error' && line.botId === botId)
      .map((line) => line.error ?? '');

  beforeAll(async () => {
    fleet.addExampleBot('honest');
    const manifest = JSON.parse(readFileSync(join(fleet.botsRoot, 'honest', 'manifest.json'), 'utf8')) as Record<string, unknown>;
    fleet.addFolder('mallory', {
      'manifest.json': JSON.stringify({ ...manifest, id: 'mallory', subAccount: 'mallory', instruments: ['XRPUSDT.BYBIT'], parameters: {} }),
      'strategy.ts': hostileStrategy('honest', { reportEnvironment: true }),
    });
    const started = await fleet.script('supervisor/fleet-start.ts');
    expect(started.stdout).toContain('Fleet online');
  }, 120_000);

  afterAll(async () => {
    await fleet.destroy();
  }, 60_000);

  it('fails every attempt, reports each as a BotCodeError, and the other bot keeps trading', async () => {
    const counted = await fleet.until('every attempt reported', async () => {
      const current = await status();
      const mallory = current.bots.find((bot) => bot.botId === 'mallory');
      return mallory !== undefined && mallory.botCodeErrors >= HOSTILE_ATTEMPTS.length + 1 ? current : null;
    }, 60_000);
    const reported = await fleet.until('the errors in the supervisor log', async () => {
      const lines = reportedErrors('mallory');
      return lines.length >= HOSTILE_ATTEMPTS.length + 1 ? lines : null;
    });
    HOSTILE_ATTEMPTS.forEach((attempt, index) => {
      expect(reported[index]).toContain(`ATTEMPT ${attempt} FAILED ERR_ACCESS_DENIED`);
    });
    // What pm2 gives a bot: our five variables and pm2's own (PM2_HOME among them, unreadable all the same), nothing of the supervisor's.
    const environment = (/ATTEMPT ENVIRONMENT FAILED LISTED (.*)$/.exec(reported[HOSTILE_ATTEMPTS.length] ?? '')?.[1] ?? '').split(',');
    expect(environment).toEqual(expect.arrayContaining(['FLOTILLA_BOT_DIR', 'FLOTILLA_BOT_SOCKET', 'FLOTILLA_BOT_TOKEN_FILE', 'FLOTILLA_LOG_LEVEL', 'NODE_COMPILE_CACHE', 'PM2_HOME']));
    expect(environment.filter((name) => ['FLOTILLA_HOME', 'FLOTILLA_CONFIG', 'FLOTILLA_BOTS_DIR', 'PATH', 'HOME'].includes(name))).toEqual([]);
    const mallory = counted.bots.find((bot) => bot.botId === 'mallory');
    expect(mallory).toMatchObject({ process: { status: 'online', restarts: 0 }, connected: true });
    // The fleet keeps trading: the other bot's intents are still decided after the attempts.
    const decidedBefore = new Set((await fleet.json<DecisionInfo[]>('decisions', '--bot', 'honest', '--limit', '1000')).map((decision) => decision.intentId));
    await fleet.until('a new approved decision for the honest bot', async () => {
      const decisions = await fleet.json<DecisionInfo[]>('decisions', '--bot', 'honest', '--limit', '50');
      return decisions.some((decision) => !decidedBefore.has(decision.intentId) && decision.outcome !== 'DENIED') ? decisions : null;
    }, 90_000);
    expect((await status()).bots.map((bot) => [bot.botId, bot.process.status, bot.connected])).toEqual([
      ['honest', 'online', true],
      ['mallory', 'online', true],
    ]);
  }, 200_000);
});
