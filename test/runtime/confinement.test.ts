import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BTC, ETH, FleetHarness, botIdOf, manifest, omEvent, until } from '../supervisor/fleet/fleet-harness.ts';
import { FLIP_STRATEGY, HOSTILE_ATTEMPTS, hostileStrategy } from './hostile-strategies.ts';

/**
 * A bot's strategy reaching, on live candles, for another bot's token and ledger, a child process, a file, a
 * signal to another process and a raw socket. The bot processes are started exactly as pm2 starts them
 * (supervisor/pm2/bot-launch.ts), against an in-process fleet; test/e2e/confinement.e2e.test.ts does it under pm2.
 */
describe('bot confinement', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  it('test_bot_process_when_strategy_reaches_beyond_its_folder_then_each_attempt_fails_as_a_bot_code_error_and_the_fleet_keeps_trading', async () => {
    // Arrange: no warm-up history, so every candle the hostile bot sees is a live one.
    h = await FleetHarness.open({
      bots: [
        { folder: 'mallory', manifest: manifest('mallory', { instruments: [ETH] }), strategy: hostileStrategy('honest') },
        { folder: 'honest', manifest: manifest('honest', { instruments: [BTC] }), strategy: FLIP_STRATEGY },
      ],
      config: { marketData: { historyCandles: 0 } },
    });
    const mallory = botIdOf('mallory');
    const honest = botIdOf('honest');
    // Act
    h.botProcess('honest');
    const hostile = h.botProcess('mallory');
    await until(() => h.fleet.sessions.botCodeErrors(mallory) >= HOSTILE_ATTEMPTS.length, 'every attempt reported', 30_000);
    const decidedAfter = omEvent(h.fleet, (event) => (event.type === 'DECISION_MADE' && event.decision.botId === honest ? event.decision : undefined), 'the honest bot deciding after the attempts');
    // Assert: every attempt failed, was reported as a BotCodeError, and nothing leaked or was written.
    const reported = h.logs.filter((entry) => entry.message === 'bot code error' && entry.fields.botId === mallory).map((entry) => String(entry.fields.error));
    expect(reported).toHaveLength(HOSTILE_ATTEMPTS.length);
    HOSTILE_ATTEMPTS.forEach((attempt, index) => {
      expect(reported[index]).toContain(`ATTEMPT ${attempt} FAILED ERR_ACCESS_DENIED`);
    });
    expect(reported.join('\n')).not.toContain(h.token('honest'));
    expect(existsSync(join(h.botsRoot, 'mallory', 'written-by-the-bot.txt'))).toBe(false);
    expect(await h.fleet.metrics.metricsText()).toContain(`flotilla_bot_code_errors_total{bot="mallory"} ${HOSTILE_ATTEMPTS.length}`);
    const status = await h.fleet.control.status();
    expect(status.bots.find((bot) => bot.botId === 'mallory')).toMatchObject({ botCodeErrors: HOSTILE_ATTEMPTS.length, connected: true });
    expect(hostile.child.exitCode).toBeNull();
    // The fleet keeps trading: the other bot's next intent is decided and approved.
    expect(await decidedAfter).toMatchObject({ botId: 'honest', outcome: 'APPROVED' });
  });
});
