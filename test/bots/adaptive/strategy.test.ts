import { describe, expect, it } from 'vitest';
import { parameters as parameterSchema } from '../../../bots/adaptive/strategy.ts';
import { Decimal } from '../../../core/decimal.ts';
import type { BotCodeError } from '../../../core/errors.ts';
import type { ClientOrderId } from '../../../core/ids.ts';
import type { BotStateView, OrderView, Strategy, StrategyAction, StrategyModule, StrategyNote, TimeframeCandle } from '../../../core/strategy.ts';
import { StrategyHost } from '../../../runtime/strategy-host.ts';
import { DEFAULT_INSTRUMENTS } from '../../../supervisor/config/fleet-config.ts';
import { loadStrategy } from '../../../runtime/strategy-loader.ts';
import { parseManifest } from '../../../supervisor/discovery/manifest.ts';
import { SyntheticCandleSource } from '../../../supervisor/market-data/synthetic-source.ts';
import type { Bar } from '../../../bots/adaptive/layers.ts';
import { BOT, BOT_FOLDER, BTC, DEFAULTS, ETH, FIFTEEN_MINUTES, MANIFEST, T0, candle, notesAt, ordersOf, simulate, strategy } from './fixtures.ts';
import type { SimulateOptions } from './fixtures.ts';
import { BREAKOUT_RUN, SIGNAL } from './scenarios.ts';

async function loaded(): Promise<{ module: StrategyModule; parameters: unknown }> {
  return loadStrategy({ path: BOT_FOLDER, manifest: parseManifest(MANIFEST) });
}

function riskAsked(options: SimulateOptions, overrides = {}): string {
  const enter = ordersOf(simulate(strategy(overrides), BREAKOUT_RUN.slice(0, SIGNAL + 1), options))[0]?.action;
  if (enter?.type !== 'ENTER' || enter.size.kind !== 'RISK') throw new Error('expected an entry sized by risk');
  // The share of equity the entry ends up risking: the fraction asked for times the drawdown scale the order manager applies.
  return enter.size.riskFraction.mul(enter.size.scale ?? Decimal.ONE).toString();
}

/** The strategy run inside the real host, so every action is validated as in production; returns what it asked for. */
function hosted(module: StrategyModule, parameters: unknown, errors: BotCodeError[], notes: StrategyNote[]): { host: StrategyHost; strategy: Strategy } {
  let last: StrategyAction[] = [];
  const spy: StrategyModule = {
    ...module,
    create: (context) => {
      const inner = module.create(context);
      return { onCandle: (c, s) => (last = inner.onCandle(c, s)) };
    },
  };
  const host = new StrategyHost({ botId: BOT, module: spy, parameters, instruments: [BTC, ETH], timeframes: ['15m'], onBotCodeError: (error) => errors.push(error), onNote: (note) => notes.push(note) });
  return {
    host,
    strategy: {
      onCandle: (c, s) => {
        last = [];
        host.onCandle(c, s);
        return last;
      },
    },
  };
}

function flatState(now: number, overrides: Partial<BotStateView> = {}): BotStateView {
  return { botId: BOT, now, equity: Decimal.parse('100000'), tradingState: 'ACTIVE', positions: new Map(), openOrders: [], pendingEntries: new Set(), drawdown: Decimal.ZERO, drawdownThreshold: Decimal.parse('0.08'), ...overrides };
}

describe('adaptive bot manifest', () => {
  it('test_manifest_when_parsed_then_a_15m_bybit_bot_on_catalog_perpetuals', () => {
    // Act
    const manifest = parseManifest(MANIFEST);
    // Assert
    const perpetuals = new Set(DEFAULT_INSTRUMENTS.filter((instrument) => instrument.kind === 'PERPETUAL').map((instrument) => instrument.id));
    expect(manifest).toMatchObject({ id: 'adaptive', venue: 'BYBIT', subAccount: 'adaptive', timeframes: ['15m'], interfaceVersion: 1 });
    expect(manifest.instruments.length).toBeGreaterThan(0);
    expect(manifest.instruments.every((id) => perpetuals.has(id))).toBe(true);
    expect(Number(manifest.risk.riskPerTrade)).toBeGreaterThanOrEqual(DEFAULTS.riskFraction);
  });

  it('test_load_strategy_when_given_the_folder_then_accepted_with_the_declared_notes', async () => {
    // Act
    const { module, parameters } = await loaded();
    // Assert
    expect(parameters).toEqual(MANIFEST.parameters);
    expect(module.notes).toEqual({ ENTRY_BLOCKED: ['ENVIRONMENT', 'DIRECTION', 'TRIGGER'], SIGNAL_MODEL: ['DISABLED', 'ACTIVE', 'FALLBACK'] });
  });

  it.each([
    ['an_unknown_key', { extra: 1 }],
    ['an_unknown_signal_model_key', { signalModel: { ...DEFAULTS.signalModel, threshold: 1 } }],
    ['ema_periods_out_of_order', { fastEmaPeriod: 21, midEmaPeriod: 9 }],
    ['mid_ema_not_below_slow', { midEmaPeriod: 50 }],
    ['band_width_min_not_below_max', { bandWidthMin: 0.05 }],
    ['trailing_boundaries_out_of_order', { wideTrailFromR: 0.8 }],
    ['tight_trail_wider_than_wide', { tightTrailAtr: 3 }],
    ['a_model_path_leaving_the_folder', { signalModel: { ...DEFAULTS.signalModel, path: '../example/model.json' } }],
    ['an_absolute_model_path', { signalModel: { ...DEFAULTS.signalModel, path: '/etc/passwd' } }],
    ['a_risk_fraction_above_five_percent', { riskFraction: 0.06 }],
    ['a_fractional_period', { atrPeriod: 14.5 }],
    ['a_missing_key', { adxPeriod: undefined }],
  ])('test_parameters_when_%s_then_refused', (_, change) => {
    expect(parameterSchema.safeParse({ ...MANIFEST.parameters, ...change }).success).toBe(false);
  });
});

describe('adaptive bot sizing', () => {
  it.each([
    ['no_drawdown', '0', '0.004'],
    ['half_way_to_the_threshold', '0.04', '0.0025'],
    ['at_the_threshold', '0.08', '0.001'],
    ['past_the_threshold', '0.12', '0.001'],
  ])('test_entry_when_%s_then_risk_scales_linearly_to_the_floor', (_, drawdown, expected) => {
    expect(riskAsked({ drawdown, drawdownThreshold: '0.08' })).toBe(expected);
  });

  it('test_entry_when_sized_then_by_risk_so_the_order_manager_divides_by_the_stop_distance', () => {
    expect(riskAsked({}, { riskFraction: 0.002 })).toBe('0.002');
  });
});

describe('adaptive bot entry gating', () => {
  const atSignal = (options: SimulateOptions): StrategyAction[] => {
    const simulation = simulate(strategy(), BREAKOUT_RUN.slice(0, SIGNAL + 1), options);
    return simulation.steps.filter((step) => step.index === SIGNAL).map((step) => step.action);
  };

  it.each([
    ['an_entry_is_pending', { pending: (i: number) => i === SIGNAL }],
    ['the_bot_is_reducing', { tradingState: () => 'REDUCING' as const }],
    ['the_bot_is_halted', { tradingState: () => 'HALTED' as const }],
  ])('test_signal_when_%s_then_no_entry_and_no_block_note', (_, options) => {
    expect(atSignal(options)).toEqual([]);
  });

  it('test_signal_when_an_entry_order_rests_unfilled_then_no_entry_and_no_block_note', () => {
    // Arrange
    const subject = strategy();
    BREAKOUT_RUN.slice(0, SIGNAL).forEach((b, i) => subject.onCandle(candle(b, i), flatState(T0 + (i + 1) * FIFTEEN_MINUTES)));
    const resting: OrderView = { clientOrderId: 'adaptive_x_E1' as ClientOrderId, instrumentId: BTC, role: 'ENTRY', side: 'BUY', type: 'LIMIT', quantity: Decimal.ONE, filledQuantity: Decimal.ZERO, limitPrice: Decimal.parse('100'), triggerPrice: null, status: 'ACCEPTED' };
    // Act
    const actions = subject.onCandle(candle(BREAKOUT_RUN[SIGNAL]!, SIGNAL), flatState(T0 + (SIGNAL + 1) * FIFTEEN_MINUTES, { openOrders: [resting] }));
    // Assert
    expect(actions).toEqual([]);
  });

  it('test_candles_when_two_instruments_interleave_then_each_is_judged_on_its_own_and_noted_with_its_id', () => {
    // Arrange: BTC gets the breakout, ETH the same trend with a quiet last candle.
    const subject = strategy();
    const eth: Bar[] = BREAKOUT_RUN.slice(0, SIGNAL + 1).map((b, i) => (i === SIGNAL ? { ...b, close: b.open + 0.02, high: b.open + 0.04 } : b));
    const actions: Array<{ instrument: string; action: StrategyAction }> = [];
    // Act
    for (let i = 0; i <= SIGNAL; i++) {
      const state = flatState(T0 + (i + 1) * FIFTEEN_MINUTES);
      for (const action of subject.onCandle(candle(BREAKOUT_RUN[i]!, i, BTC), state)) if (i === SIGNAL) actions.push({ instrument: 'BTC', action });
      for (const action of subject.onCandle(candle(eth[i]!, i, ETH), state)) if (i === SIGNAL) actions.push({ instrument: 'ETH', action });
    }
    // Assert
    expect(actions).toEqual([
      { instrument: 'BTC', action: expect.objectContaining({ type: 'ENTER', instrumentId: BTC }) },
      { instrument: 'ETH', action: { type: 'NOTE', name: 'ENTRY_BLOCKED', value: 'TRIGGER', instrumentId: ETH } },
    ]);
  });

  it('test_position_when_found_after_a_restart_with_its_stop_at_break_even_then_it_is_still_trailed', () => {
    // Arrange: a fresh strategy meets a long it did not open, its stop already moved to the entry.
    const subject = strategy();
    const entry = BREAKOUT_RUN[SIGNAL]!.close;
    const position = { instrumentId: BTC, quantity: Decimal.ONE, averageEntryPrice: Decimal.fromNumber(entry, 10), realizedPnl: Decimal.ZERO, unrealizedPnl: Decimal.ZERO };
    let stop = entry;
    const prices: number[] = [];
    // Act
    BREAKOUT_RUN.forEach((b, i) => {
      const holding = i > SIGNAL;
      const order: OrderView = { clientOrderId: `adaptive_x_S${prices.length}` as ClientOrderId, instrumentId: BTC, role: 'STOP', side: 'SELL', type: 'STOP_MARKET', quantity: Decimal.ONE, filledQuantity: Decimal.ZERO, limitPrice: null, triggerPrice: Decimal.fromNumber(stop, 10), status: 'ACCEPTED' };
      // On the signal candle an entry is pending (sent before the restart), so this instance plans nothing itself.
      const state = flatState(T0 + (i + 1) * FIFTEEN_MINUTES, holding ? { positions: new Map([[BTC, position]]), openOrders: [order] } : { pendingEntries: new Set(i === SIGNAL ? [BTC] : []) });
      for (const action of subject.onCandle(candle(b, i), state)) {
        if (holding && action.type === 'MOVE_STOP') {
          stop = action.triggerPrice.toNumber();
          prices.push(stop);
        }
      }
    });
    // Assert: with no stop behind the entry and no plan, R came from the ATR; the stop climbed from break-even.
    expect(prices.length).toBeGreaterThan(3);
    expect(prices[0]).toBeGreaterThan(entry);
    expect(prices.every((price, i) => i === 0 || price > prices[i - 1]!)).toBe(true);
  });
});

describe('adaptive bot in the strategy host', () => {
  it('test_signal_model_status_when_history_is_replayed_first_then_announced_once_as_warm_up_ends', async () => {
    // Arrange: the missing-model case, which an operator must see in status.
    const { module } = await loaded();
    const parameters = { ...MANIFEST.parameters, signalModel: { ...DEFAULTS.signalModel, enabled: true, path: 'no-such-model.json' } };
    const errors: BotCodeError[] = [];
    const notes: StrategyNote[] = [];
    const { host } = hosted(module, parameters, errors, notes);
    const candles = BREAKOUT_RUN.map((b, i) => candle(b, i));
    const welcome = candles[59]!.openTime + FIFTEEN_MINUTES + 60_000;
    // Act
    host.warmUp(candles.slice(0, 60), flatState(welcome));
    const live = candles.slice(60, 70).flatMap((c) => host.onCandle(c, flatState(c.openTime + FIFTEEN_MINUTES)));
    // Assert
    expect(errors).toEqual([]);
    expect(live).toEqual([]);
    // Noted on the first history candle; the host passes it on when warm-up ends, and no live candle repeats it.
    expect(notes.filter((note) => note.name === 'SIGNAL_MODEL')).toEqual([{ name: 'SIGNAL_MODEL', value: 'FALLBACK', instrumentId: null, candleOpenTime: candles[0]!.openTime }]);
    // One per live candle, plus the latest of the warm-up, which the host passes on once.
    expect(notes.filter((note) => note.name === 'ENTRY_BLOCKED')).toHaveLength(11);
  });

  it('test_synthetic_market_when_a_month_of_15m_candles_runs_through_the_host_then_valid_actions_every_layer_noted_and_deterministic', async () => {
    // Arrange
    const { module, parameters } = await loaded();
    const instrument = { tickSize: Decimal.parse('0.1'), lotStep: Decimal.parse('0.001') };
    const source = new SyntheticCandleSource({ seed: 11, startMs: T0, historyLimit: 3_000, instruments: [{ id: BTC, ...instrument, startPrice: Decimal.parse('60000') }, { id: ETH, ...instrument, startPrice: Decimal.parse('3000') }] });
    const streams = new Map<string, TimeframeCandle[]>([[BTC, []], [ETH, []]]);
    for (const [id, list] of streams) source.subscribe(id as typeof BTC, '15m', (c) => list.push(c));
    source.advanceTo(T0 + 3_000 * FIFTEEN_MINUTES);
    const bars = (id: string): Bar[] => streams.get(id)!.map((c) => ({ open: c.open.toNumber(), high: c.high.toNumber(), low: c.low.toNumber(), close: c.close.toNumber(), volume: c.volume.toNumber() }));
    const runOnce = (id: typeof BTC): { log: string[]; errors: BotCodeError[]; notes: StrategyNote[] } => {
      const errors: BotCodeError[] = [];
      const notes: StrategyNote[] = [];
      const { log } = simulate(hosted(module, parameters, errors, notes).strategy, bars(id), { instrumentId: id });
      return { log, errors, notes };
    };
    for (const id of [BTC, ETH]) {
      // Act
      const first = runOnce(id);
      const second = runOnce(id);
      // Assert
      expect(first.errors).toEqual([]);
      expect(second.log).toEqual(first.log);
      const blocked = new Set(first.notes.filter((note) => note.name === 'ENTRY_BLOCKED').map((note) => note.value));
      expect([...blocked].sort()).toEqual(['DIRECTION', 'ENVIRONMENT', 'TRIGGER']);
      expect(first.notes.filter((note) => note.name === 'ENTRY_BLOCKED').every((note) => note.instrumentId === id)).toBe(true);
      expect(first.log.filter((line) => line.includes('ENTER')).length).toBeGreaterThan(5);
      expect(first.log.filter((line) => line.includes('MOVE_STOP')).length).toBeGreaterThan(5);
      expect(first.notes.filter((note) => note.name === 'SIGNAL_MODEL').map((note) => note.value)).toEqual(['DISABLED']);
    }
  });

  it('test_notes_when_flat_then_exactly_one_entry_note_per_candle_except_on_entry', () => {
    // Act
    const simulation = simulate(strategy(), BREAKOUT_RUN);
    // Assert: before the entry each ready candle has one note; on the entry and while holding there are none.
    for (let i = 49; i < SIGNAL; i++) expect(notesAt(simulation, i)).toHaveLength(1);
    expect(notesAt(simulation, SIGNAL)).toEqual([]);
  });
});
