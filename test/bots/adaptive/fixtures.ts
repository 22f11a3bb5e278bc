import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decimal } from '../../../core/decimal.ts';
import type { ClientOrderId, InstrumentId } from '../../../core/ids.ts';
import { parseBotId, parseInstrumentId } from '../../../core/ids.ts';
import type { BotStateView, OrderView, PositionView, Strategy, StrategyAction, TimeframeCandle } from '../../../core/strategy.ts';
import type { TradingState } from '../../../core/trading-state.ts';
import { IndicatorTrack } from '../../../bots/adaptive/layers.ts';
import type { Bar, Reading } from '../../../bots/adaptive/layers.ts';
import type { AdaptiveOptions, AdaptiveParameters } from '../../../bots/adaptive/strategy.ts';
import { createAdaptiveStrategy, parameters as parameterSchema } from '../../../bots/adaptive/strategy.ts';

export const BOT_FOLDER = join(import.meta.dirname, '..', '..', '..', 'bots', 'adaptive');
export const BOT = parseBotId('adaptive');
export const BTC = parseInstrumentId('BTCUSDT.BYBIT');
export const ETH = parseInstrumentId('ETHUSDT.BYBIT');
export const T0 = Date.UTC(2026, 0, 5, 0, 0);
export const FIFTEEN_MINUTES = 900_000;

/** The manifest's parameters, parsed by the strategy's own schema. */
export const MANIFEST = JSON.parse(readFileSync(join(BOT_FOLDER, 'manifest.json'), 'utf8')) as { parameters: AdaptiveParameters; [key: string]: unknown };
export const DEFAULTS: AdaptiveParameters = parameterSchema.parse(MANIFEST.parameters);

export type Overrides = Partial<Omit<AdaptiveParameters, 'signalModel'>> & { signalModel?: Partial<AdaptiveParameters['signalModel']> };

export function params(overrides: Overrides = {}): AdaptiveParameters {
  return parameterSchema.parse({ ...DEFAULTS, ...overrides, signalModel: { ...DEFAULTS.signalModel, ...overrides.signalModel } });
}

export function strategy(overrides: Overrides = {}, options: AdaptiveOptions = {}, instruments: InstrumentId[] = [BTC, ETH]): Strategy {
  return createAdaptiveStrategy({ botId: BOT, instruments, timeframes: ['15m'], parameters: params(overrides) }, options);
}

// Candles ----------------------------------------------------------------------------------------------------

const round = (value: number): number => Math.round(value * 1e6) / 1e6;

function bar(open: number, close: number, upperWick: number, lowerWick: number, volume = 100): Bar {
  return { open: round(open), close: round(close), high: round(Math.max(open, close) + upperWick), low: round(Math.min(open, close) - lowerWick), volume };
}

/**
 * A trend with pullbacks: three of six candles are down candles that take out the previous low, so both
 * directional movements are present and ADX settles near 27 rather than pinning at 100. Band width ≈ 0.022,
 * +DI above −DI, the EMAs stacked; volume flat, so layer 1 blocks every one of these candles on volume.
 */
const WAVE: ReadonlyArray<readonly [number, number, number]> = [
  [0.3, 0.1, 0.05],
  [0.2, 0.1, 0.05],
  [-0.2, 0.05, 0.3],
  [0.25, 0.1, 0.05],
  [-0.15, 0.05, 0.3],
  [0.2, 0.1, 0.05],
];

export function uptrend(count = 90, start = 100): Bar[] {
  const bars: Bar[] = [];
  let price = start;
  for (let i = 0; i < count; i++) {
    const [delta, upper, lower] = WAVE[i % WAVE.length]!;
    bars.push(bar(price, price + delta, upper, lower));
    price = round(price + delta);
  }
  return bars;
}

/** Sideways: up and down candles of equal size, so ADX sinks below any useful threshold. */
export function range(count = 90, start = 100): Bar[] {
  const bars: Bar[] = [];
  let price = start;
  for (let i = 0; i < count; i++) {
    const delta = i % 2 === 0 ? 0.3 : -0.3;
    bars.push(bar(price, price + delta, 0.1, 0.1));
    price = round(price + delta);
  }
  return bars;
}

/** The same path upside down around `pivot`, for the short side: every rule is symmetric. */
export function mirror(bars: readonly Bar[], pivot = 200): Bar[] {
  return bars.map((b) => ({ open: round(pivot - b.open), close: round(pivot - b.close), high: round(pivot - b.low), low: round(pivot - b.high), volume: b.volume }));
}

/** The indicator reading after `bars`, as the strategy computes it. */
export function readingAfter(bars: readonly Bar[], overrides: Overrides = {}): Reading {
  const track = new IndicatorTrack(params(overrides));
  let ready = false;
  for (const b of bars) ready = track.update(b);
  if (!ready) throw new Error('fixture too short to warm the indicators');
  return { ...track.reading };
}

const last = (bars: readonly Bar[]): Bar => bars[bars.length - 1]!;

/** A candle whose body runs `reach` × the previous range (plus a margin) in the given direction, on heavy volume. */
export function breakoutBar(bars: readonly Bar[], sign: 1 | -1, reach = 0.5, margin = 0.05, volume = 250): Bar {
  const previous = last(bars);
  const open = previous.close;
  const close = open + sign * (reach * (previous.high - previous.low) + margin);
  return bar(open, close, 0.02, 0.02, volume);
}

/** A small candle on heavy volume that stays clear of the fast EMA: no breakout, no pullback. */
export function quietBar(bars: readonly Bar[], sign: 1 | -1, volume = 250): Bar {
  const open = last(bars).close;
  return bar(open, open + sign * 0.02, 0.02, 0.02, volume);
}

/**
 * A small candle that dips to the fast EMA (reachAtr ATRs beyond it; negative stops short of it) and closes back on
 * the trend's side. The EMA is taken after this candle's close, as the strategy sees it.
 */
export function pullbackBar(bars: readonly Bar[], sign: 1 | -1, reachAtr = 0, volume = 250): Bar {
  const r = readingAfter(bars);
  const open = last(bars).close;
  const close = open + sign * 0.02;
  const fastAfter = r.fastEma + (2 / (DEFAULTS.fastEmaPeriod + 1)) * (close - r.fastEma);
  const extreme = fastAfter - sign * reachAtr * r.atr;
  return sign === 1 ? { open, close, high: close + 0.02, low: round(extreme), volume } : { open, close, high: round(extreme), low: close - 0.02, volume };
}

/** Steady progress after an entry: `count` candles each closing `step` further in the trade's favour. */
export function run(bars: readonly Bar[], sign: 1 | -1, count: number, step: number, wick = 0.05): Bar[] {
  const out: Bar[] = [];
  let price = last(bars).close;
  for (let i = 0; i < count; i++) {
    out.push(bar(price, price + sign * step, wick, wick));
    price = round(price + sign * step);
  }
  return out;
}

export function candle(b: Bar, index: number, instrumentId: InstrumentId = BTC): TimeframeCandle {
  const d = (value: number): Decimal => Decimal.fromNumber(value, 8);
  return { instrumentId, timeframe: '15m', openTime: T0 + index * FIFTEEN_MINUTES, durationMs: FIFTEEN_MINUTES, open: d(b.open), high: d(b.high), low: d(b.low), close: d(b.close), volume: d(b.volume) };
}

// A fake broker ------------------------------------------------------------------------------------------------

export interface SimulateOptions {
  instrumentId?: InstrumentId;
  equity?: string;
  drawdown?: string;
  drawdownThreshold?: string;
  tradingState?: (index: number) => TradingState;
  pending?: (index: number) => boolean;
  /** false: the take-profit never fills (a limit order left in the queue), so the trade can run past it. */
  takeProfitFills?: boolean;
}

export interface Step {
  index: number;
  action: StrategyAction;
}

export interface Simulation {
  steps: Step[];
  /** One line per action or fill, e.g. "92:ENTER BUY stop=… tp=…", "97:MOVE_STOP 109.3", "99:NOTE ENTRY_BLOCKED=TRIGGER". */
  log: string[];
  /** Entry price and stop/take-profit of each position opened. */
  entries: Array<{ index: number; entry: number; stop: number; takeProfit: number | null; side: 'BUY' | 'SELL' }>;
}

export function describeAction(action: StrategyAction): string {
  switch (action.type) {
    case 'ENTER':
      return `ENTER ${action.side} stop=${action.stopLoss.toString()} tp=${action.takeProfit?.toString() ?? '-'} risk=${action.size.kind === 'RISK' ? action.size.riskFraction.toString() : '?'}${action.size.scale === undefined ? '' : `×${action.size.scale.toString()}`} (${action.reason})`;
    case 'EXIT':
      return `EXIT ${action.quantity?.toString() ?? 'all'}`;
    case 'MOVE_STOP':
      return `MOVE_STOP ${action.triggerPrice.toString()} (${action.reason})`;
    case 'CANCEL':
      return `CANCEL ${action.clientOrderId}`;
    case 'NOTE':
      return `NOTE ${action.name}=${action.value}`;
  }
}

/**
 * Feeds `bars` to a strategy as 15-minute candles and plays the venue: an ENTER fills at that candle's close with
 * its stop and take-profit attached; later candles hit the stop (checked first) or the take-profit by their range;
 * a MOVE_STOP replaces the stop under a new ID, as the order manager does. state.now is each candle's close.
 */
export function simulate(subject: Strategy, bars: readonly Bar[], options: SimulateOptions = {}): Simulation {
  const instrumentId = options.instrumentId ?? BTC;
  const steps: Step[] = [];
  const log: string[] = [];
  const entries: Simulation['entries'] = [];
  let position: { quantity: number; entry: number } | null = null;
  let stop: { id: ClientOrderId; price: number } | null = null;
  let takeProfit: { id: ClientOrderId; price: number } | null = null;
  let sequence = 0;
  const nextId = (role: string): ClientOrderId => `adaptive_test_${role}${++sequence}` as ClientOrderId;

  bars.forEach((b, index) => {
    if (position !== null) {
      const long = position.quantity > 0;
      if (stop !== null && (long ? b.low <= stop.price : b.high >= stop.price)) {
        log.push(`${index}:STOPPED ${stop.price}`);
        position = null;
      } else if (takeProfit !== null && options.takeProfitFills !== false && (long ? b.high >= takeProfit.price : b.low <= takeProfit.price)) {
        log.push(`${index}:TOOK_PROFIT ${takeProfit.price}`);
        position = null;
      }
      if (position === null) {
        stop = null;
        takeProfit = null;
      }
    }
    const positions = new Map<InstrumentId, PositionView>();
    const openOrders: OrderView[] = [];
    if (position !== null) {
      const quantity = Decimal.fromNumber(position.quantity, 8);
      positions.set(instrumentId, { instrumentId, quantity, averageEntryPrice: Decimal.fromNumber(position.entry, 10), realizedPnl: Decimal.ZERO, unrealizedPnl: Decimal.ZERO });
      const exitSide = position.quantity > 0 ? 'SELL' : 'BUY';
      const order = (id: ClientOrderId, role: 'STOP' | 'TAKE_PROFIT', price: number): OrderView => ({
        clientOrderId: id,
        instrumentId,
        role,
        side: exitSide,
        type: role === 'STOP' ? 'STOP_MARKET' : 'LIMIT',
        quantity: quantity.abs(),
        filledQuantity: Decimal.ZERO,
        limitPrice: role === 'STOP' ? null : Decimal.fromNumber(price, 10),
        triggerPrice: role === 'STOP' ? Decimal.fromNumber(price, 10) : null,
        status: 'ACCEPTED',
      });
      if (stop !== null) openOrders.push(order(stop.id, 'STOP', stop.price));
      if (takeProfit !== null) openOrders.push(order(takeProfit.id, 'TAKE_PROFIT', takeProfit.price));
    }
    const c = candle(b, index, instrumentId);
    const state: BotStateView = {
      botId: BOT,
      now: c.openTime + c.durationMs,
      equity: Decimal.parse(options.equity ?? '100000'),
      tradingState: options.tradingState?.(index) ?? 'ACTIVE',
      positions,
      openOrders,
      pendingEntries: options.pending?.(index) === true ? new Set([instrumentId]) : new Set(),
      drawdown: Decimal.parse(options.drawdown ?? '0'),
      drawdownThreshold: Decimal.parse(options.drawdownThreshold ?? '0.08'),
    };
    for (const action of subject.onCandle(c, state)) {
      steps.push({ index, action });
      log.push(`${index}:${describeAction(action)}`);
      if (action.type === 'ENTER' && position === null) {
        const sign = action.side === 'BUY' ? 1 : -1;
        position = { quantity: sign, entry: b.close };
        stop = { id: nextId('S'), price: action.stopLoss.toNumber() };
        takeProfit = action.takeProfit === undefined ? null : { id: nextId('T'), price: action.takeProfit.toNumber() };
        entries.push({ index, entry: b.close, stop: stop.price, takeProfit: takeProfit?.price ?? null, side: action.side });
      } else if (action.type === 'MOVE_STOP') {
        if (stop === null || action.clientOrderId !== stop.id) throw new Error(`${index}: MOVE_STOP of ${action.clientOrderId}, which is not the open stop`);
        stop = { id: nextId('S'), price: action.triggerPrice.toNumber() };
      } else if (action.type === 'EXIT' && position !== null) {
        position = null;
        stop = null;
        takeProfit = null;
      }
    }
  });
  return { steps, log, entries };
}

/** Only the actions on candle `index`. */
export function actionsAt(simulation: Simulation, index: number): StrategyAction[] {
  return simulation.steps.filter((step) => step.index === index).map((step) => step.action);
}

export function notesAt(simulation: Simulation, index: number, name = 'ENTRY_BLOCKED'): string[] {
  return actionsAt(simulation, index).flatMap((action) => (action.type === 'NOTE' && action.name === name ? [action.value] : []));
}

export function ordersOf(simulation: Simulation): Step[] {
  return simulation.steps.filter((step) => step.action.type !== 'NOTE');
}
