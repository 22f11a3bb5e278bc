import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import { parseIntentId } from '../../../core/ids.ts';
import type { WireCandle } from '../../../core/protocol.ts';
import { TIMEFRAME_MS } from '../../../core/strategy.ts';
import type { Timeframe } from '../../../core/strategy.ts';
import { parseExposition, valueOf } from '../metrics/fixture.ts';
import { BTC, ETH, FleetHarness, SOL, botIdOf, manifest, marketLong, omEvent, quietBot, until } from './fleet-harness.ts';

const HISTORY = 5;
const TIMEOUT_MS = 60_000;
const streamOf = (candle: WireCandle): string => `${candle.instrumentId}/${candle.timeframe}`;

describe('bot sessions: welcome, backfill and live candles', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  it('test_connect_when_token_is_right_then_welcome_has_state_and_history_per_stream_then_live_candles_of_its_streams_only', async () => {
    // Arrange
    h = await FleetHarness.open({
      bots: [quietBot('multi', { instruments: [BTC, ETH], timeframes: ['1m', '5m'] }), quietBot('other', { instruments: [SOL], timeframes: ['15m'] })],
      config: { marketData: { historyCandles: HISTORY } },
    });
    const wanted = [`${BTC}/1m`, `${BTC}/5m`, `${ETH}/1m`, `${ETH}/5m`];
    // Act
    const bot = h.bot('multi');
    const welcome = await bot.welcome();
    // Two live candles on every stream, the slowest (5m) included.
    const liveCount = (stream: string): number => bot.messages.filter((message) => message.t === 'candle' && streamOf(message.candle) === stream).length;
    await bot.waitFor((message) => (message.t === 'candle' && wanted.every((stream) => liveCount(stream) >= 2) ? true : undefined), 'two live candles on every stream');
    // Assert: the welcome.
    expect(welcome.heartbeatIntervalMs).toBe(1_000);
    expect(welcome.state).toEqual({ equity: '100000', drawdown: '0', drawdownThreshold: expect.any(String), tradingState: 'ACTIVE', positions: [], openOrders: [] });
    expect(welcome.now).toBeLessThanOrEqual(h.fleet.clock.now());
    // Exactly the configured history, per stream, every candle closed, in delivery order (close time, lower timeframe first).
    const perStream = new Map<string, WireCandle[]>();
    for (const candle of welcome.backfill) perStream.set(streamOf(candle), [...(perStream.get(streamOf(candle)) ?? []), candle]);
    expect([...perStream.keys()].sort()).toEqual([...wanted].sort());
    for (const candles of perStream.values()) expect(candles).toHaveLength(HISTORY);
    for (const candle of welcome.backfill) expect(candle.openTime + candle.durationMs).toBeLessThanOrEqual(welcome.now);
    const closes = welcome.backfill.map((candle) => candle.openTime + candle.durationMs);
    expect(closes).toEqual([...closes].sort((a, b) => a - b));
    // Live: only its instruments and timeframes, and each stream continues its backfill with no gap and no repeat.
    const live = bot.messages.flatMap((message) => (message.t === 'candle' ? [message.candle] : []));
    expect(new Set(live.map(streamOf))).toEqual(new Set(wanted));
    for (const stream of wanted) {
      const series = [...(perStream.get(stream) ?? []), ...live.filter((candle) => streamOf(candle) === stream)];
      const step = TIMEFRAME_MS[stream.split('/')[1] as Timeframe];
      for (let index = 1; index < series.length; index++) expect(series[index]!.openTime - series[index - 1]!.openTime).toBe(step);
    }
  });

  it('test_connect_when_newer_connection_for_same_bot_then_it_wins_and_gets_its_own_welcome', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const first = await h.connectedBot('alpha', { reconnectMs: 60_000 });
    // Act
    const raw = await h.raw();
    raw.hello('alpha', h.token('alpha'));
    const welcome = await raw.waitFor((line) => line.t === 'welcome', 'the second welcome');
    raw.write({ t: 'command', seq: 1, command: marketLong(h, 'alpha', 'from-second', BTC, '0.01') });
    const result = await raw.waitFor((line) => line.t === 'result', 'a result');
    // Assert: the first connection was dropped by the supervisor, the session is the second one's.
    await until(() => !first.client.connected, 'the first client sees its connection dropped');
    expect(welcome.backfill).toHaveLength(HISTORY);
    expect(result.result).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED' } });
    expect(h.fleet.sessions.isConnected(first.botId)).toBe(true);
    expect(first.messages.some((message) => message.t === 'result')).toBe(false);
  });
});

describe('bot sessions: heartbeats', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  it('test_check_heartbeats_when_connected_bot_is_silent_past_timeout_then_reducing_heartbeat_lost_and_status_shows_it', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const bot = await h.connectedBot('alpha');
    const heardAt = h.fleet.sessions.lastHeardAt(bot.botId)!;
    const changed = omEvent(h.fleet, (event) => (event.type === 'STATE_CHANGED' ? event.state : undefined), 'a state change');
    const pushesBefore = bot.messages.length;
    // Act
    h.fleet.sessions.checkHeartbeats(heardAt + TIMEOUT_MS + 1);
    // Assert
    expect(await changed).toMatchObject({ scope: 'bot:alpha', state: 'REDUCING', reason: 'HEARTBEAT_LOST' });
    const status = await h.fleet.control.status();
    expect(status.bots[0]).toMatchObject({ botId: 'alpha', connected: true, effectiveState: 'REDUCING', state: { state: 'REDUCING', reason: 'HEARTBEAT_LOST' } });
    // The bot is told its new state.
    const pushed = await bot.waitFor((message) => (message.t === 'state' ? message.state : undefined), 'a state push', pushesBefore);
    expect(pushed.tradingState).toBe('REDUCING');
    // While it stays silent it may not open anything new.
    const entry = h.fleet.om.submitIntent({
      intentId: parseIntentId('while-reducing'),
      botId: bot.botId,
      instrumentId: BTC,
      side: 'BUY',
      size: { kind: 'QUANTITY', quantity: Decimal.parse('0.01') },
      orderType: 'MARKET',
      reduceOnly: false,
      bracket: { stopLoss: Decimal.parse(h.priceAt(BTC, '0.9')) },
      reason: 'test',
    });
    expect(entry).toMatchObject({ outcome: 'DENIED', reason: 'REDUCE_ONLY_STATE' });
  });

  it('test_check_heartbeats_when_silence_is_within_timeout_then_nothing_changes', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const bot = await h.connectedBot('alpha');
    // Act
    h.fleet.sessions.checkHeartbeats(h.fleet.sessions.lastHeardAt(bot.botId)! + TIMEOUT_MS);
    // Assert
    expect(h.fleet.om.scopeState('bot:alpha')).toMatchObject({ state: 'ACTIVE', reason: null });
  });

  it('test_check_heartbeats_when_one_bot_heard_later_then_only_the_silent_one_is_reducing', async () => {
    // Arrange: "silent" was last heard at boot; "chatty" connects later.
    h = await FleetHarness.open({ bots: [quietBot('silent'), quietBot('chatty', { instruments: [ETH] })] });
    const chatty = await h.connectedBot('chatty');
    const chattyHeard = h.fleet.sessions.lastHeardAt(chatty.botId)!;
    // A bot never heard from has no heartbeat to show; its silence counts from boot.
    expect(h.fleet.sessions.lastHeardAt(botIdOf('silent'))).toBeNull();
    // Act
    h.fleet.sessions.checkHeartbeats(chattyHeard + TIMEOUT_MS);
    // Assert
    expect(h.fleet.om.effectiveState(botIdOf('silent'))).toBe('REDUCING');
    expect(h.fleet.om.effectiveState(chatty.botId)).toBe('ACTIVE');
  });

  it('test_heartbeat_when_bot_is_heard_again_then_heartbeat_lost_is_lifted', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const bot = await h.connectedBot('alpha');
    const heardBefore = h.fleet.sessions.lastHeardAt(bot.botId)!;
    h.fleet.sessions.checkHeartbeats(heardBefore + TIMEOUT_MS + 1);
    expect(h.fleet.om.effectiveState(bot.botId)).toBe('REDUCING');
    const restored = omEvent(h.fleet, (event) => (event.type === 'STATE_CHANGED' && event.state.reason === 'HEARTBEAT_RESTORED' ? event.state : undefined), 'the heartbeat restored');
    // Act
    bot.client.heartbeat(123_456);
    // Assert
    expect(await restored).toMatchObject({ scope: 'bot:alpha', state: 'ACTIVE' });
    const status = await h.fleet.control.status();
    expect(status.bots[0]).toMatchObject({ effectiveState: 'ACTIVE', state: { state: 'ACTIVE', reason: 'HEARTBEAT_RESTORED' }, process: { status: 'online', memoryBytes: 123_456 } });
    expect(status.bots[0]!.lastHeartbeatAt).toBeGreaterThanOrEqual(heardBefore);
    const entry = await bot.execute(marketLong(h, 'alpha', 'after-restored', BTC, '0.01'));
    expect(entry).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED' } });
  });

  it('test_heartbeat_when_bot_is_halted_by_operator_then_halt_is_never_lifted', async () => {
    // Arrange: heartbeat lost, then an operator halt on top.
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    const bot = await h.connectedBot('alpha');
    h.fleet.sessions.checkHeartbeats(h.fleet.sessions.lastHeardAt(bot.botId)! + TIMEOUT_MS + 1);
    await h.fleet.control.halt({ botId: 'alpha', reason: 'maintenance' });
    // Act: heard again, by a heartbeat and by a command (the command's result is the barrier).
    bot.client.heartbeat(1);
    const entry = await bot.execute(marketLong(h, 'alpha', 'while-halted', BTC, '0.01'));
    // Assert
    expect(entry).toMatchObject({ kind: 'decision', decision: { outcome: 'DENIED', reason: 'TRADING_HALTED' } });
    expect(h.fleet.om.scopeState('bot:alpha')).toMatchObject({ state: 'HALTED', reason: 'OPERATOR_HALT', detail: 'maintenance' });
    expect((await h.fleet.control.status()).bots[0]).toMatchObject({ effectiveState: 'HALTED' });
  });

  it('test_check_heartbeats_when_bot_is_halted_then_the_halt_is_not_downgraded_to_reducing', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    await h.fleet.control.halt({ botId: 'alpha', reason: 'operator' });
    // Act
    h.fleet.sessions.checkHeartbeats(Date.now() + TIMEOUT_MS * 10);
    // Assert
    expect(h.fleet.om.scopeState('bot:alpha')).toMatchObject({ state: 'HALTED', reason: 'OPERATOR_HALT' });
  });
});

/** Declares the adaptive bot's SIGNAL_MODEL note; the tests make the notes through the channel themselves. */
const NOTING_STRATEGY = `import { z } from 'zod';
import { defineStrategy } from 'flotilla/strategy';

export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  notes: { SIGNAL_MODEL: ['DISABLED', 'ACTIVE', 'FALLBACK'] },
  create() {
    return { onCandle: () => [] };
  },
});
`;

/** A command whose result proves that everything the bot wrote before it has been handled. */
const BARRIER = { type: 'CANCEL_ORDER', botId: 'alpha', clientOrderId: 'alpha_00000000_E1' } as const;

describe('bot sessions: notes', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  async function signalModelMetrics(): Promise<{ made: Record<string, number | undefined>; state: Record<string, number | undefined> }> {
    const all = parseExposition(await h.fleet.metrics.metricsText());
    const per = (name: string, extra: Record<string, string> = {}): Record<string, number | undefined> =>
      Object.fromEntries(['DISABLED', 'ACTIVE', 'FALLBACK'].map((value) => [value, valueOf(all, name, { bot: 'alpha', note: 'SIGNAL_MODEL', ...extra, value })]));
    return { made: per('flotilla_strategy_notes_total'), state: per('flotilla_bot_note_state', { instrument: '' }) };
  }

  it('test_note_when_replayed_then_status_and_the_state_gauge_show_it_and_the_counter_does_not_count_it', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [{ folder: 'alpha', manifest: manifest('alpha'), strategy: NOTING_STRATEGY }] });
    const raw = await h.raw();
    raw.hello('alpha', h.token('alpha'));
    await raw.waitFor((line) => line.t === 'welcome', 'the welcome');
    // Act
    raw.write({ t: 'note', name: 'SIGNAL_MODEL', value: 'ACTIVE', instrumentId: null, replayed: false });
    raw.write({ t: 'note', name: 'SIGNAL_MODEL', value: 'FALLBACK', instrumentId: null, replayed: true });
    raw.write({ t: 'command', seq: 1, command: BARRIER });
    await raw.waitFor((line) => line.t === 'result', 'the barrier result');
    // Assert
    expect((await h.fleet.control.status()).bots[0]!.notes).toEqual({ SIGNAL_MODEL: 'FALLBACK' });
    expect(await signalModelMetrics()).toEqual({ made: { DISABLED: 0, ACTIVE: 1, FALLBACK: 0 }, state: { DISABLED: 0, ACTIVE: 0, FALLBACK: 1 } });
  });

  it('test_note_when_made_per_instrument_then_status_keeps_each_instrument_and_refuses_one_outside_the_manifest', async () => {
    // Arrange
    const strategy = NOTING_STRATEGY.replace("notes: { SIGNAL_MODEL: ['DISABLED', 'ACTIVE', 'FALLBACK'] }", "notes: { SIGNAL_MODEL: ['DISABLED', 'ACTIVE', 'FALLBACK'], REGIME: ['QUIET', 'WILD'] }");
    h = await FleetHarness.open({ bots: [{ folder: 'alpha', manifest: manifest('alpha', { instruments: [BTC] }), strategy }] });
    const raw = await h.raw();
    raw.hello('alpha', h.token('alpha'));
    await raw.waitFor((line) => line.t === 'welcome', 'the welcome');
    // Act: BTC is in the manifest, ETH is not.
    raw.write({ t: 'note', name: 'REGIME', value: 'WILD', instrumentId: BTC, replayed: false });
    raw.write({ t: 'note', name: 'REGIME', value: 'QUIET', instrumentId: ETH, replayed: false });
    raw.write({ t: 'note', name: 'SIGNAL_MODEL', value: 'ACTIVE', instrumentId: null, replayed: false });
    raw.write({ t: 'command', seq: 1, command: BARRIER });
    await raw.waitFor((line) => line.t === 'result', 'the barrier result');
    // Assert
    expect((await h.fleet.control.status()).bots[0]!.notes).toEqual({ [`REGIME/${BTC}`]: 'WILD', SIGNAL_MODEL: 'ACTIVE' });
  });

  it('test_status_when_the_supervisor_restarts_then_the_bot_replays_its_notes_and_status_and_gauge_show_them_uncounted', async () => {
    // Arrange
    h = await FleetHarness.open({ bots: [{ folder: 'alpha', manifest: manifest('alpha'), strategy: NOTING_STRATEGY }] });
    const bot = await h.connectedBot('alpha');
    bot.client.note('SIGNAL_MODEL', 'FALLBACK', null);
    await bot.execute(BARRIER);
    expect((await signalModelMetrics()).made.FALLBACK).toBe(1);
    // Act
    await h.closeFleet();
    const welcomes = bot.messages.length;
    await h.reopen();
    await bot.welcome(welcomes);
    await bot.execute(BARRIER);
    // Assert
    expect((await h.fleet.control.status()).bots[0]!.notes).toEqual({ SIGNAL_MODEL: 'FALLBACK' });
    expect(await signalModelMetrics()).toEqual({ made: { DISABLED: 0, ACTIVE: 0, FALLBACK: 0 }, state: { DISABLED: 0, ACTIVE: 0, FALLBACK: 1 } });
  });
});
