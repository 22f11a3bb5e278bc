import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { botTokenPath } from '../../supervisor/paths.ts';
import { BotProcess, FleetHarness, botIdOf, manifest, omEvent, until } from '../supervisor/fleet/fleet-harness.ts';

/** Enters BTC once, as soon as it holds nothing and has nothing pending: a live candle makes the first order. */
const ENTER_ONCE_STRATEGY = `import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    return {
      onCandle(candle, state) {
        const busy = state.positions.size > 0 || state.pendingEntries.size > 0 || state.openOrders.some((order) => order.role === 'ENTRY');
        if (busy) return [];
        return [{
          type: 'ENTER',
          instrumentId: candle.instrumentId,
          side: 'BUY',
          size: { kind: 'QUANTITY', quantity: Decimal.parse('0.01') },
          orderType: 'MARKET',
          stopLoss: candle.close.mul(Decimal.parse('0.9')),
          takeProfit: candle.close.mul(Decimal.parse('1.2')),
          reason: 'probe entry',
        }];
      },
    };
  },
});
`;

/** The real bot process, runtime/bot-main.ts, started the way pm2 starts it, against an in-process fleet. */
describe('bot-main process', () => {
  let h: FleetHarness;
  let bot: BotProcess | null = null;
  afterEach(async () => {
    await bot?.stop();
    bot = null;
    await h.dispose();
  });

  it('test_bot_process_when_started_then_connects_heartbeats_and_its_first_live_entry_becomes_an_order', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [{ folder: 'alpha', manifest: manifest('alpha'), strategy: ENTER_ONCE_STRATEGY }], config: { heartbeat: { intervalMs: 50, timeoutMs: 60_000 } } });
    const decided = omEvent(h.fleet, (event) => (event.type === 'DECISION_MADE' && event.decision.botId === 'alpha' ? event.decision : undefined), 'the bot process deciding to enter');
    // Act
    bot = new BotProcess(h, 'alpha');
    const decision = await decided;
    await h.fleet.om.idle();
    const connectedLog = await bot.waitForLog((line) => line.msg === 'connected to the supervisor', 'its welcome');
    const alpha = botIdOf('alpha');
    const firstHeard = h.fleet.sessions.lastHeardAt(alpha)!;
    await until(() => (h.fleet.sessions.lastHeardAt(alpha) ?? 0) > firstHeard && h.fleet.sessions.rssBytes(alpha) !== null, 'a heartbeat with the process memory');
    // Assert
    expect(connectedLog.backfill).toBe(5);
    expect(decision).toMatchObject({ botId: 'alpha', outcome: 'APPROVED', instrumentId: 'BTCUSDT.BYBIT' });
    expect(decision.intentId).toMatch(/^BTCUSDT\.1m\.[0-9a-z]+\.0$/);
    expect(h.fleet.om.ledger(alpha).ordersForIntent(decision.intentId).map((order) => [order.role, order.status])).toEqual([
      ['ENTRY', 'FILLED'],
      ['STOP', 'ACCEPTED'],
      ['TAKE_PROFIT', 'ACCEPTED'],
    ]);
    const status = (await h.fleet.control.status()).bots[0]!;
    expect(status).toMatchObject({ connected: true, process: { status: 'online' } });
    expect(status.process.memoryBytes).toBeGreaterThan(1_000_000);
    // Stopped the way pm2 stops it: the supervisor sees it go.
    await bot.stop();
    expect(bot.child.exitCode).toBe(0);
    await until(() => !h.fleet.sessions.isConnected(alpha), 'the supervisor sees the bot gone');
  });

  it('test_bot_process_when_token_is_wrong_then_refused_and_exits_with_failure', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [{ folder: 'alpha', manifest: manifest('alpha'), strategy: ENTER_ONCE_STRATEGY }] });
    writeFileSync(botTokenPath(h.home, 'alpha'), 'not-the-token');
    // Act
    bot = new BotProcess(h, 'alpha');
    const code = await bot.exited;
    // Assert
    expect(code).toBe(1);
    expect(bot.lines.some((line) => String(line.msg).includes('the supervisor refused this bot'))).toBe(true);
    expect(h.fleet.om.recentDecisions(10)).toEqual([]);
  });
});
