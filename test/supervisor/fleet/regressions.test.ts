import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Decimal } from '../../../core/decimal.ts';
import type { BotCodeError } from '../../../core/errors.ts';
import type { InstrumentId } from '../../../core/ids.ts';
import { parseBotId } from '../../../core/ids.ts';
import { defineStrategy } from '../../../core/strategy.ts';
import type { BotStateView, StrategyModule, TimeframeCandle } from '../../../core/strategy.ts';
import { StrategyHost } from '../../../runtime/strategy-host.ts';
import { BTC, BotProcess, ETH, FleetHarness, QQQ, botIdOf, entryCommand, manifest, marketLong, quietBot, venueView, withTimeout, stopOutAfterRestart } from './fleet-harness.ts';

/**
 * Regression tests: each one failed against a bug the integration tests found, and passes since its fix. The
 * comment above each says what the bug was, so the test's reason to exist outlives the fix.
 */

describe('regressions: restart recovery', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  // Was bug 1: supervisor/fleet/paper-restore.ts re-sends the stop and take-profit of an already filled entry as two
  // unrelated reduce-only orders, so one-cancels-the-other is gone after a restart: when the stop closes the
  // position, the take-profit keeps working at the venue (and would cut into the next position).
  it('test_restored_bracket_when_stop_closes_the_position_then_take_profit_is_canceled_too', async () => {
    // Arrange and act: a bracketed long, a restart, then a candle through the stop (nowhere near the take-profit).
    ({ h } = await stopOutAfterRestart());
    // Assert: as without a restart, the bracket is over at the venue.
    expect(await venueView(h.fleet, 'alpha')).toEqual({ orders: [], positions: [] });
  });
});

describe('regressions: bot isolation', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  // Was bug 3: nothing on the supervisor side checks an intent's instrument against the sending bot's manifest
  // (BotSessions passes commands straight to the order manager, whose BotRiskConfig has no instrument list).
  // A bot declared for BTCUSDT.BYBIT can trade ETH, or an ALPACA equity, through the channel.
  it.each([
    ['another_instrument_on_its_venue', ETH, '0.5'],
    ['an_instrument_on_another_venue', QQQ, '5'],
  ])('test_submit_order_when_intent_names_%s_outside_the_manifest_then_denied_and_no_order', async (_, instrumentId, quantity) => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC] })] });
    const bot = await h.connectedBot('alpha');
    // Act
    // Fixed prices: an equity has no mark before the US session opens, and the denial comes before any pricing.
    const result = await bot.execute(entryCommand({ botId: 'alpha', intentId: 'outside-manifest', instrumentId, side: 'BUY', quantity, stopLoss: '1' }));
    await h.fleet.om.idle();
    // Assert
    expect(result).toMatchObject({ decision: { outcome: 'DENIED' } });
    expect(h.fleet.om.ledger(bot.botId).recentOrders(10)).toEqual([]);
  });
});

describe('regressions: bot runtime', () => {
  let h: FleetHarness | null = null;
  let process: BotProcess | null = null;
  afterEach(async () => {
    await process?.stop();
    process = null;
    await h?.dispose();
    h = null;
  });

  // Was bug 4: runtime/channel-client.ts #receive calls onMessage(welcome) before it sets #welcomed, and heartbeat() and
  // reportBotError() write only when #welcomed. Whatever the welcome handler reports is dropped: in bot-main that
  // is the first heartbeat and every BotCodeError raised by StrategyHost.warmUp.
  it('test_welcome_handler_when_it_reports_a_bot_error_and_a_heartbeat_then_the_supervisor_hears_both', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const bot = h.bot('alpha', {
      onMessage: (message, self) => {
        if (message.t !== 'welcome') return;
        self.client.reportBotError('strategy failed during warm-up');
        self.client.heartbeat(4_242);
      },
    });
    await bot.welcome();
    // Act: a command's result is the barrier: everything sent before it has been read.
    await bot.execute({ type: 'CANCEL_ORDER', botId: 'alpha', clientOrderId: 'alpha_00000000_E1' });
    // Assert
    expect(h.fleet.sessions.botCodeErrors(bot.botId)).toBe(1);
    expect(h.fleet.sessions.rssBytes(bot.botId)).toBe(4_242);
  });

  // Was bug 5: runtime/strategy-host.ts #toCommand checks an ENTER's type and instrument only; side, size, order type
  // and prices go into the intent unchecked. A malformed action becomes a command (refused later, as a malformed
  // wire command, or not at all in-process) instead of a BotCodeError with no command.
  const BOT = parseBotId('alpha');
  const bar: TimeframeCandle = { instrumentId: BTC, timeframe: '1m', openTime: Date.UTC(2026, 2, 2), durationMs: 60_000, open: Decimal.parse('60000'), high: Decimal.parse('60000'), low: Decimal.parse('60000'), close: Decimal.parse('60000'), volume: Decimal.parse('1') };
  const state: BotStateView = { botId: BOT, now: bar.openTime + 60_000, equity: Decimal.parse('100000'), tradingState: 'ACTIVE', positions: new Map(), openOrders: [], pendingEntries: new Set(), drawdown: Decimal.ZERO, drawdownThreshold: Decimal.parse('0.1') };
  const valid = { type: 'ENTER', instrumentId: BTC, side: 'BUY', size: { kind: 'QUANTITY', quantity: Decimal.parse('0.01') }, orderType: 'MARKET', stopLoss: Decimal.parse('59000'), reason: 'x' };
  it.each([
    ['side', { ...valid, side: 'UP' }],
    ['size', { ...valid, size: 5 }],
    ['orderType', { ...valid, orderType: 'YOLO' }],
    ['stopLoss', { ...valid, stopLoss: 59_000 }],
    ['missing_stopLoss', { ...valid, stopLoss: undefined }],
  ])('test_on_candle_when_enter_has_a_malformed_%s_then_bot_code_error_and_no_command', (_, action) => {
    // Arrange
    const errors: BotCodeError[] = [];
    const module = defineStrategy({ interfaceVersion: 1, parameters: z.strictObject({}), create: () => ({ onCandle: () => [action as never] }) }) as StrategyModule;
    const subject = new StrategyHost({ botId: BOT, module, parameters: {}, instruments: [BTC], timeframes: ['1m'], onBotCodeError: (error) => errors.push(error) });
    // Act
    const commands = subject.onCandle(bar, state);
    // Assert
    expect(commands).toEqual([]);
    expect(errors).toHaveLength(1);
  });

  // Was bug 6: runtime/bot-main.ts warms the strategy up with the welcome's backfill on every welcome, reconnects
  // included, so after a dropped connection the strategy is fed candles it has already seen (its indicators
  // take the same closes twice, out of time order).
  it('test_bot_process_when_connection_drops_and_comes_back_then_strategy_never_sees_a_candle_twice', async () => {
    // Arrange: a strategy that throws on any candle not newer than the last one of its stream.
    const strategy = `import { z } from 'zod';
import { defineStrategy } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    const last = new Map();
    return {
      onCandle(candle) {
        const key = candle.instrumentId + '/' + candle.timeframe;
        const previous = last.get(key);
        if (previous !== undefined && candle.openTime <= previous) throw new Error('replayed candle ' + key + ' at ' + candle.openTime);
        last.set(key, candle.openTime);
        return [];
      },
    };
  },
});
`;
    // History longer than the disconnection, so the second backfill overlaps what the strategy already saw.
    h = await FleetHarness.open({ bots: [{ folder: 'alpha', manifest: manifest('alpha'), strategy }], config: { marketData: { historyCandles: 50 } } });
    process = new BotProcess(h, 'alpha');
    await process.waitForLog((line) => line.msg === 'connected to the supervisor', 'the first welcome');
    // Act: another connection takes the session; the bot process reconnects and is welcomed again.
    const intruder = await h.raw();
    intruder.hello('alpha', h.token('alpha'));
    await intruder.waitFor((line) => line.t === 'welcome', 'the intruder welcomed');
    await process.waitForLog((line) => line.msg === 'connected to the supervisor', 'the second welcome', 2);
    // Assert
    const replays = process.lines.filter((line) => String(line.error ?? '').includes('replayed candle'));
    expect(replays.map((line) => line.error)).toEqual([]);
  });
});

describe('regressions: status', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  // Was bug 7: supervisor/fleet/bot-sessions.ts seeds #lastHeard with the boot time for every bot (so a bot
  // gets the full timeout to connect), and FleetControlService.status reports that as lastHeartbeatAt: a bot
  // that never connected shows a heartbeat at supervisor start instead of null.
  it('test_status_when_bot_never_connected_then_last_heartbeat_is_null', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    // Act
    const status = await h.fleet.control.status();
    // Assert
    expect(status.bots[0]).toMatchObject({ connected: false, lastHeartbeatAt: null });
  });
});
