import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Decimal } from '../../core/decimal.ts';
import type { BotCodeError } from '../../core/errors.ts';
import type { BotId, InstrumentId } from '../../core/ids.ts';
import { parseBotId, parseInstrumentId } from '../../core/ids.ts';
import type { BotCommand } from '../../core/intent.ts';
import type { SupervisorMessage, WireCommand } from '../../core/protocol.ts';
import { candleFromWire } from '../../core/protocol.ts';
import { defineStrategy } from '../../core/strategy.ts';
import type { BotStateView, StrategyAction, StrategyModule, StrategyNote, Timeframe, TimeframeCandle } from '../../core/strategy.ts';
import { StrategyHost } from '../../runtime/strategy-host.ts';
import { loadStrategy } from '../../runtime/strategy-loader.ts';
import { parseManifest } from '../../supervisor/discovery/manifest.ts';
import { SyntheticCandleSource } from '../../supervisor/market-data/synthetic-source.ts';
import { BTC, ETH, FleetHarness, PROJECT_ROOT, quietBot } from '../supervisor/fleet/fleet-harness.ts';

const BOT = parseBotId('alpha');
const T0 = Date.UTC(2026, 2, 2, 12, 0);

function candle(instrumentId: InstrumentId, openTime: number, close = '60000', timeframe: Timeframe = '1m'): TimeframeCandle {
  const price = Decimal.parse(close);
  return { instrumentId, timeframe, openTime, durationMs: 60_000, open: price, high: price, low: price, close: price, volume: Decimal.parse('10') };
}

function view(overrides: Partial<BotStateView> = {}): BotStateView {
  return { botId: BOT, now: T0, equity: Decimal.parse('100000'), tradingState: 'ACTIVE', positions: new Map(), openOrders: [], pendingEntries: new Set(), drawdown: Decimal.ZERO, drawdownThreshold: Decimal.parse('0.1'), ...overrides };
}

/** A strategy that answers every candle with whatever `act` says, counting its calls. */
function scripted(act: (candle: TimeframeCandle) => unknown): { module: StrategyModule; calls: TimeframeCandle[] } {
  const calls: TimeframeCandle[] = [];
  const module = defineStrategy({
    interfaceVersion: 1,
    parameters: z.strictObject({}),
    create: () => ({
      onCandle: (candle: TimeframeCandle) => {
        calls.push(candle);
        return act(candle) as StrategyAction[];
      },
    }),
  });
  return { module: module as StrategyModule, calls };
}

function host(module: StrategyModule, options: { instruments?: InstrumentId[]; timeframes?: Timeframe[]; botId?: BotId } = {}): { host: StrategyHost; errors: BotCodeError[] } {
  const errors: BotCodeError[] = [];
  const created = new StrategyHost({
    botId: options.botId ?? BOT,
    module,
    parameters: {},
    instruments: options.instruments ?? [BTC],
    timeframes: options.timeframes ?? ['1m'],
    onBotCodeError: (error) => errors.push(error),
  });
  return { host: created, errors };
}

const enter = (instrumentId: InstrumentId, close: Decimal): StrategyAction => ({
  type: 'ENTER',
  instrumentId,
  side: 'BUY',
  size: { kind: 'QUANTITY', quantity: Decimal.parse('0.01') },
  orderType: 'MARKET',
  stopLoss: close.mul(Decimal.parse('0.9')),
  reason: 'test',
});

describe('strategy host guards the strategy', () => {
  it('test_on_candle_when_strategy_throws_then_bot_code_error_and_no_command_and_the_host_goes_on', () => {
    // Arrange
    let fail = true;
    const { module } = scripted((c) => {
      if (fail) throw new Error('index out of range');
      return [enter(BTC, c.close)];
    });
    const { host: subject, errors } = host(module);
    // Act
    const first = subject.onCandle(candle(BTC, T0), view());
    fail = false;
    const second = subject.onCandle(candle(BTC, T0 + 60_000), view());
    // Assert
    expect(first).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.name).toBe('BotCodeError');
    expect(errors[0]!.message).toContain('alpha');
    expect(errors[0]!.message).toContain('index out of range');
    expect(errors[0]!.message).toContain(BTC);
    expect(second).toHaveLength(1);
  });

  it.each([
    ['undefined', undefined],
    ['a_string', 'BUY'],
    ['an_object', { type: 'ENTER' }],
    ['a_number', 42],
  ])('test_on_candle_when_strategy_returns_%s_instead_of_an_array_then_bot_code_error_and_no_command', (_, garbage) => {
    // Arrange
    const { module } = scripted(() => garbage);
    const { host: subject, errors } = host(module);
    // Act
    const commands = subject.onCandle(candle(BTC, T0), view());
    // Assert
    expect(commands).toEqual([]);
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('must return an array')]);
  });

  it('test_on_candle_when_actions_are_not_actions_then_one_bot_code_error_each_and_no_command', () => {
    // Arrange
    const { module } = scripted(() => [null, 7, 'ENTER', { type: 'TELEPORT' }, {}]);
    const { host: subject, errors } = host(module);
    // Act
    const commands = subject.onCandle(candle(BTC, T0), view());
    // Assert
    expect(commands).toEqual([]);
    expect(errors).toHaveLength(5);
    expect(errors.at(3)?.message).toContain('TELEPORT');
  });

  it('test_on_candle_when_a_size_scale_is_not_a_decimal_then_refused_as_bot_code_error', () => {
    // Arrange: a drawdown scale given as a float, which would put a JS number on the wire.
    const enter = { type: 'ENTER', instrumentId: BTC, side: 'BUY', orderType: 'MARKET', size: { kind: 'RISK', riskFraction: Decimal.parse('0.004'), scale: 0.5 }, stopLoss: Decimal.parse('49000'), reason: 'test' };
    const { module } = scripted(() => [enter]);
    const { host: subject, errors } = host(module);
    // Act
    const commands = subject.onCandle(candle(BTC, T0), view());
    // Assert
    expect(commands).toEqual([]);
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining('with an optional scale: Decimal')]);
  });

  it('test_constructor_when_create_throws_then_bot_code_error', () => {
    // Arrange
    const module = defineStrategy({ interfaceVersion: 1, parameters: z.strictObject({}), create: () => { throw new Error('no config'); } }) as StrategyModule;
    // Act / Assert
    expect(() => host(module)).toThrow(/alpha: strategy create\(\) threw: no config/);
  });

  it('test_on_candle_when_enter_names_an_instrument_outside_the_manifest_then_refused_as_bot_code_error', () => {
    // Arrange
    const { module } = scripted((c) => [enter(ETH, c.close), enter(parseInstrumentId('QQQ.ALPACA'), c.close)]);
    const { host: subject, errors } = host(module, { instruments: [BTC] });
    // Act
    const commands = subject.onCandle(candle(BTC, T0), view());
    // Assert
    expect(commands).toEqual([]);
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining(`ENTER on ${ETH}, which is not in the manifest`), expect.stringContaining('QQQ.ALPACA')]);
  });

  it('test_on_candle_when_exit_names_an_instrument_it_holds_nothing_of_then_no_command', () => {
    // Arrange
    const { module } = scripted(() => [{ type: 'EXIT', instrumentId: ETH, reason: 'not mine' }]);
    const { host: subject } = host(module, { instruments: [BTC] });
    // Act
    const commands = subject.onCandle(candle(BTC, T0), view());
    // Assert
    expect(commands).toEqual([]);
  });

  it('test_on_candle_when_candle_is_outside_its_instruments_or_timeframes_then_strategy_is_not_called', () => {
    // Arrange
    const { module, calls } = scripted((c) => [enter(c.instrumentId, c.close)]);
    const { host: subject } = host(module, { instruments: [BTC], timeframes: ['5m'] });
    // Act
    const otherInstrument = subject.onCandle({ ...candle(ETH, T0), timeframe: '5m', durationMs: 300_000 }, view());
    const otherTimeframe = subject.onCandle(candle(BTC, T0), view());
    // Assert
    expect(otherInstrument).toEqual([]);
    expect(otherTimeframe).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('test_warm_up_when_strategy_acts_on_history_then_actions_are_discarded_but_failures_reported', () => {
    // Arrange
    const { module, calls } = scripted((c) => {
      if (c.openTime === T0 + 60_000) throw new Error('bad history');
      return [enter(BTC, c.close)];
    });
    const { host: subject, errors } = host(module);
    // Act
    subject.warmUp([candle(BTC, T0), candle(BTC, T0 + 60_000), candle(BTC, T0 + 120_000)], view());
    // Assert
    expect(calls).toHaveLength(3);
    expect(errors).toHaveLength(1);
  });
});

describe('strategy host warm-up is part of the contract', () => {
  it('test_warm_up_when_the_strategy_reads_state_then_history_says_warming_up_and_live_does_not', () => {
    // Arrange
    const seen: Array<boolean | undefined> = [];
    const module = defineStrategy({
      interfaceVersion: 1,
      parameters: z.strictObject({}),
      create: () => ({
        onCandle: (_c: TimeframeCandle, state: BotStateView): StrategyAction[] => {
          seen.push(state.warmingUp);
          return [];
        },
      }),
    });
    const { host: subject } = host(module as StrategyModule);
    // Act: two history candles, then a live one handed a view that (wrongly) still says warming up.
    subject.warmUp([candle(BTC, T0), candle(BTC, T0 + 60_000)], view());
    subject.onCandle(candle(BTC, T0 + 120_000), view({ warmingUp: true }));
    subject.onCandle(candle(BTC, T0 + 180_000), view());
    // Assert
    expect(seen).toEqual([true, true, false, undefined]);
  });

  it('test_warm_up_when_the_strategy_acts_on_history_then_the_drop_is_counted_and_reported_once_with_a_reason', () => {
    // Arrange
    const { module } = scripted((c) => [enter(BTC, c.close)]);
    const dropped: Array<{ count: number; firstReason: string }> = [];
    const subject = new StrategyHost({ botId: BOT, module, parameters: {}, instruments: [BTC], timeframes: ['1m'], onBotCodeError: () => {}, onWarmUpActionsDropped: (report) => dropped.push(report) });
    // Act
    subject.warmUp([candle(BTC, T0), candle(BTC, T0 + 60_000), candle(BTC, T0 + 120_000)], view());
    const live = subject.onCandle(candle(BTC, T0 + 180_000), view());
    // Assert: three dropped, reported in one report naming the first; the live candle's action goes out.
    expect(dropped).toEqual([{ count: 3, firstReason: expect.stringMatching(/^ENTER \(test\) on the BTCUSDT\.BYBIT 1m candle of 2026-03-02T12:00:00\.000Z, a history candle$/) }]);
    expect(live).toHaveLength(1);
  });
});

describe('strategy host notes in warm-up', () => {
  it('test_warm_up_when_the_strategy_notes_a_state_then_the_latest_of_each_note_is_delivered_once', () => {
    // Arrange: a model that falls back on the second history candle and says so once, then notes a regime each candle.
    const module = defineStrategy({
      interfaceVersion: 1,
      parameters: z.strictObject({}),
      notes: { SIGNAL_MODEL: ['ACTIVE', 'FALLBACK'], REGIME: ['QUIET', 'WILD'] },
      create: () => ({
        onCandle: (c: TimeframeCandle): StrategyAction[] => [
          ...(c.openTime === T0 ? [{ type: 'NOTE' as const, name: 'SIGNAL_MODEL', value: 'ACTIVE' }] : []),
          ...(c.openTime === T0 + 60_000 ? [{ type: 'NOTE' as const, name: 'SIGNAL_MODEL', value: 'FALLBACK' }] : []),
          { type: 'NOTE', name: 'REGIME', value: c.openTime === T0 + 120_000 ? 'WILD' : 'QUIET', instrumentId: BTC },
          enter(BTC, c.close),
        ],
      }),
    });
    const notes: StrategyNote[] = [];
    const subject = new StrategyHost({ botId: BOT, module: module as StrategyModule, parameters: {}, instruments: [BTC], timeframes: ['1m'], onBotCodeError: (error) => { throw error; }, onNote: (note) => notes.push(note) });
    // Act
    subject.warmUp([candle(BTC, T0), candle(BTC, T0 + 60_000), candle(BTC, T0 + 120_000)], view());
    // Assert: one note per name and instrument, the latest, and no order.
    expect(notes).toEqual([
      { name: 'SIGNAL_MODEL', value: 'FALLBACK', instrumentId: null, candleOpenTime: T0 + 60_000 },
      { name: 'REGIME', value: 'WILD', instrumentId: BTC, candleOpenTime: T0 + 120_000 },
    ]);
  });
});

describe('strategy host notes in warm-up, in order', () => {
  it('test_warm_up_when_a_note_changes_after_another_instruments_then_the_latest_is_delivered_last', () => {
    // Arrange: BTC quiet, ETH quiet, then BTC wild: status keeps one value per note name, so WILD must land last.
    const module = defineStrategy({
      interfaceVersion: 1,
      parameters: z.strictObject({}),
      notes: { REGIME: ['QUIET', 'WILD'] },
      create: () => ({
        onCandle: (c: TimeframeCandle): StrategyAction[] => [{ type: 'NOTE', name: 'REGIME', value: c.instrumentId === BTC && c.openTime > T0 ? 'WILD' : 'QUIET', instrumentId: c.instrumentId }],
      }),
    });
    const notes: StrategyNote[] = [];
    const subject = new StrategyHost({ botId: BOT, module: module as StrategyModule, parameters: {}, instruments: [BTC, ETH], timeframes: ['1m'], onBotCodeError: (error) => { throw error; }, onNote: (note) => notes.push(note) });
    // Act
    subject.warmUp([candle(BTC, T0), candle(ETH, T0), candle(BTC, T0 + 60_000)], view());
    // Assert
    expect(notes.map((note) => `${String(note.instrumentId)} ${note.value}`)).toEqual([`${ETH} QUIET`, `${BTC} WILD`]);
  });
});

describe('strategy host intent ids', () => {
  it('test_on_candle_when_the_same_candle_is_replayed_then_the_same_intent_ids', () => {
    // Arrange
    const strategy = () => scripted((c) => [enter(BTC, c.close), { type: 'EXIT', instrumentId: BTC, reason: 'x' }, enter(BTC, c.close)]).module;
    const position = { instrumentId: BTC, quantity: Decimal.parse('0.02'), averageEntryPrice: Decimal.parse('59000'), realizedPnl: Decimal.ZERO, unrealizedPnl: Decimal.ZERO };
    const state = view({ positions: new Map([[BTC, position]]) });
    const one = host(strategy()).host;
    const other = host(strategy()).host;
    const bar = candle(BTC, T0);
    // Act
    const first = one.onCandle(bar, state);
    const replayed = one.onCandle(bar, state);
    const elsewhere = other.onCandle(bar, state);
    const next = one.onCandle(candle(BTC, T0 + 60_000), state);
    // Assert
    const ids = (commands: BotCommand[]) => commands.map((command) => (command.type === 'SUBMIT_ORDER' ? command.intent.intentId : command.type === 'MOVE_STOP' ? command.intentId : null));
    expect(ids(first)).toEqual([`BTCUSDT.1m.${T0.toString(36)}.0`, `BTCUSDT.1m.${T0.toString(36)}.1`, `BTCUSDT.1m.${T0.toString(36)}.2`]);
    expect(replayed).toEqual(first);
    expect(elsewhere).toEqual(first);
    expect(ids(next)).not.toEqual(ids(first));
    // The EXIT became a reduce-only close of the whole position.
    expect(first[1]).toMatchObject({ type: 'SUBMIT_ORDER', intent: { side: 'SELL', reduceOnly: true, orderType: 'MARKET', size: { kind: 'QUANTITY' } } });
  });

  it('test_example_bot_when_two_hosts_see_the_same_market_then_identical_commands', async () => {
    // Arrange: the real example bot, fed a synthetic market.
    const path = join(PROJECT_ROOT, 'bots', '_example');
    const manifest = parseManifest(JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')));
    const { module, parameters } = await loadStrategy({ path, manifest });
    const source = new SyntheticCandleSource({ seed: 11, startMs: T0, instruments: [{ id: BTC, tickSize: Decimal.parse('0.1'), lotStep: Decimal.parse('0.001'), startPrice: Decimal.parse('60000') }] });
    source.advanceTo(T0 + 400 * 60_000);
    const candles = source.history(BTC, '1m', 400, T0 + 400 * 60_000);
    const make = () => new StrategyHost({ botId: manifest.id, module, parameters, instruments: manifest.instruments, timeframes: manifest.timeframes, onBotCodeError: (error) => { throw error; } });
    const hosts = [make(), make()];
    // Act
    const outputs = hosts.map((subject) => candles.flatMap((c) => subject.onCandle(c, view({ botId: manifest.id, now: c.openTime + 60_000 }))));
    // Assert
    expect(outputs[0]!.length).toBeGreaterThan(0);
    expect(JSON.stringify(outputs[1])).toBe(JSON.stringify(outputs[0]));
  });
});

describe('strategy host on the live channel', () => {
  let h: FleetHarness;
  afterEach(async () => {
    await h.dispose();
  });

  it('test_live_candle_when_strategy_enters_then_the_intent_crosses_the_channel_and_is_approved', async () => {
    // Arrange: a bot runtime assembled as bot-main does it: the host in front, the channel client behind.
    h = await FleetHarness.open({ bots: [quietBot('alpha')] });
    let liveFrom = Number.POSITIVE_INFINITY;
    let entered = false;
    const { module, calls } = scripted((c) => {
      if (entered || c.openTime + c.durationMs <= liveFrom) return [];
      entered = true;
      return [enter(BTC, c.close)];
    });
    const errors: BotCodeError[] = [];
    const subject = new StrategyHost({ botId: BOT, module, parameters: {}, instruments: [BTC], timeframes: ['1m'], onBotCodeError: (error) => errors.push(error) });
    const sent: Array<{ seq: number; intentId: string; openTime: number }> = [];
    const onMessage = (message: SupervisorMessage, bot: { send(command: WireCommand): number }): void => {
      if (message.t === 'welcome') {
        liveFrom = message.now;
        subject.warmUp(message.backfill.map(candleFromWire), view());
      }
      if (message.t !== 'candle') return;
      const live = candleFromWire(message.candle);
      for (const command of subject.onCandle(live, view())) {
        const seq = bot.send(JSON.parse(JSON.stringify(command)) as WireCommand);
        sent.push({ seq, intentId: command.type === 'SUBMIT_ORDER' ? command.intent.intentId : '', openTime: live.openTime });
      }
    };
    // Act
    const bot = h.bot('alpha', { onMessage });
    const result = await bot.waitFor((message) => (message.t === 'result' ? message : undefined), 'the result of the first live entry');
    await h.fleet.om.idle();
    // Assert
    expect(errors).toEqual([]);
    expect(calls.length).toBeGreaterThan(5);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.intentId).toBe(`BTCUSDT.1m.${sent[0]!.openTime.toString(36)}.0`);
    expect(result).toMatchObject({ seq: sent[0]!.seq, result: { kind: 'decision', decision: { intentId: sent[0]!.intentId, outcome: 'APPROVED' } } });
    expect(h.fleet.om.ledger(BOT).ordersForIntent(sent[0]!.intentId as never).map((order) => order.role)).toEqual(['ENTRY', 'STOP']);
  });
});
