import { Decimal } from '../../../core/decimal.ts';
import type { BotCodeError } from '../../../core/errors.ts';
import type { ClientOrderId, InstrumentId } from '../../../core/ids.ts';
import { instrumentSymbol, parseBotId } from '../../../core/ids.ts';
import type { Intent } from '../../../core/intent.ts';
import type { BotStateView, OrderView, PositionView, StrategyAction, StrategyModule, TimeframeCandle } from '../../../core/strategy.ts';
import type { TradingState } from '../../../core/trading-state.ts';
import { StrategyHost } from '../../../runtime/strategy-host.ts';
import { InstrumentIndicators } from '../../../bots/aggressive/indicators.ts';
import aggressive from '../../../bots/aggressive/strategy.ts';
import type { AggressiveParameters } from '../../../bots/aggressive/parameters.ts';
import { DEFAULTS, FIVE_MINUTES } from './fixtures.ts';

export const BOT = parseBotId('aggressive');

export interface ReplayOptions {
  parameters?: Partial<AggressiveParameters>;
  tradingState?: TradingState;
  drawdown?: string;
  drawdownThreshold?: string;
  /** When false, entries are left pending forever (as if the order manager never answered). */
  fillEntries?: boolean;
  /** Positions and orders the bot already has before the first candle. */
  positions?: PositionView[];
  openOrders?: OrderView[];
  pendingEntries?: InstrumentId[];
}

export interface Replay {
  /** Everything that happened, one line each, in order: the "sequence of actions" tests compare. */
  events: string[];
  entries: Array<{ index: number; intent: Intent }>;
  moves: Array<{ index: number; instrumentId: InstrumentId; long: boolean; clientOrderId: ClientOrderId; from: Decimal; triggerPrice: Decimal }>;
  notes: Array<{ index: number; instrumentId: InstrumentId | null; value: string }>;
  errors: BotCodeError[];
  /** The most instruments ever holding a position or a pending entry at once. */
  peakOccupied: number;
}

/**
 * Replays candles through the real StrategyHost around the aggressive strategy, with a small simulated book:
 * market entries fill at the close with a bracket of STOP and TAKE_PROFIT orders; a stop or take-profit the
 * next candles reach closes the position; a MOVE_STOP replaces the stop under a new ID. A MOVE_STOP aimed at
 * anything but a STOP order throws, so a test cannot miss the strategy touching its take-profit.
 */
export function replay(markets: readonly (readonly TimeframeCandle[])[], options: ReplayOptions = {}): Replay {
  const parameters = aggressive.parameters.parse({ ...DEFAULTS, ...options.parameters });
  const instruments = [...new Set(markets.flatMap((candles) => candles.map((candle) => candle.instrumentId)))];
  const result: Replay = { events: [], entries: [], moves: [], notes: [], errors: [], peakOccupied: 0 };
  let index = 0;
  const host = new StrategyHost({
    botId: BOT,
    module: aggressive as StrategyModule,
    parameters,
    instruments,
    timeframes: ['5m'],
    onBotCodeError: (error) => result.errors.push(error),
    onNote: (note) => {
      result.notes.push({ index, instrumentId: note.instrumentId, value: note.value });
      result.events.push(`${index} ${note.instrumentId === null ? '-' : instrumentSymbol(note.instrumentId)} NOTE ${note.name}=${note.value}`);
    },
  });
  const positions = new Map<InstrumentId, PositionView>((options.positions ?? []).map((position) => [position.instrumentId, position]));
  const openOrders: OrderView[] = [...(options.openOrders ?? [])];
  const pendingEntries = new Set<InstrumentId>(options.pendingEntries ?? []);
  let sequence = 0;
  const state: BotStateView = {
    botId: BOT,
    now: 0,
    equity: Decimal.parse('100000'),
    tradingState: options.tradingState ?? 'ACTIVE',
    positions,
    openOrders,
    pendingEntries,
    drawdown: Decimal.parse(options.drawdown ?? '0'),
    drawdownThreshold: Decimal.parse(options.drawdownThreshold ?? '0.08'),
  };
  const order = (instrumentId: InstrumentId, role: OrderView['role'], side: OrderView['side'], triggerPrice: Decimal): OrderView => ({
    clientOrderId: `${role.toLowerCase()}-${++sequence}` as ClientOrderId,
    instrumentId,
    role,
    side,
    type: 'STOP_MARKET',
    quantity: Decimal.ONE,
    filledQuantity: Decimal.ZERO,
    limitPrice: null,
    triggerPrice,
    status: 'OPEN',
  });
  const close = (instrumentId: InstrumentId, why: string): void => {
    positions.delete(instrumentId);
    for (let i = openOrders.length - 1; i >= 0; i--) if (openOrders[i]!.instrumentId === instrumentId) openOrders.splice(i, 1);
    result.events.push(`${index} ${instrumentSymbol(instrumentId)} ${why}`);
  };

  const candles = markets.flat().sort((a, b) => a.openTime - b.openTime || instruments.indexOf(a.instrumentId) - instruments.indexOf(b.instrumentId));
  for (const candle of candles) {
    index = Math.round((candle.openTime - candles[0]!.openTime) / candle.durationMs);
    state.now = candle.openTime + candle.durationMs;
    const position = positions.get(candle.instrumentId);
    if (position !== undefined) {
      const long = position.quantity.isPositive();
      const stop = openOrders.find((o) => o.instrumentId === candle.instrumentId && o.role === 'STOP');
      const target = openOrders.find((o) => o.instrumentId === candle.instrumentId && o.role === 'TAKE_PROFIT');
      if (stop !== undefined && (long ? candle.low.lte(stop.triggerPrice!) : candle.high.gte(stop.triggerPrice!))) close(candle.instrumentId, `STOP_FILLED ${stop.triggerPrice!.toFixed(4)}`);
      else if (target !== undefined && (long ? candle.high.gte(target.triggerPrice!) : candle.low.lte(target.triggerPrice!))) close(candle.instrumentId, `TAKE_PROFIT_FILLED ${target.triggerPrice!.toFixed(4)}`);
    }
    for (const command of host.onCandle(candle, state)) {
      if (command.type === 'SUBMIT_ORDER' && !command.intent.reduceOnly) {
        const intent = command.intent;
        result.entries.push({ index, intent });
        const size = `${intent.size.kind === 'RISK' ? intent.size.riskFraction.toString() : intent.size.quantity.toString()}${intent.size.scale === undefined ? '' : `×${intent.size.scale.toString()}`}`;
        result.events.push(`${index} ${symbol(candle)} ENTER ${intent.side} stop=${intent.bracket!.stopLoss.toFixed(4)} takeProfit=${intent.bracket!.takeProfit!.toFixed(4)} risk=${size} (${intent.reason})`);
        if (options.fillEntries === false) {
          pendingEntries.add(intent.instrumentId);
          continue;
        }
        const long = intent.side === 'BUY';
        positions.set(intent.instrumentId, { instrumentId: intent.instrumentId, quantity: long ? Decimal.ONE : Decimal.ONE.neg(), averageEntryPrice: candle.close, realizedPnl: Decimal.ZERO, unrealizedPnl: Decimal.ZERO });
        openOrders.push(order(intent.instrumentId, 'STOP', long ? 'SELL' : 'BUY', intent.bracket!.stopLoss));
        openOrders.push(order(intent.instrumentId, 'TAKE_PROFIT', long ? 'SELL' : 'BUY', intent.bracket!.takeProfit!));
      } else if (command.type === 'SUBMIT_ORDER') {
        close(command.intent.instrumentId, `EXIT (${command.intent.reason})`);
      } else if (command.type === 'MOVE_STOP') {
        const at = openOrders.findIndex((o) => o.clientOrderId === command.clientOrderId);
        const moved = openOrders[at];
        if (moved === undefined || moved.role !== 'STOP') throw new Error(`MOVE_STOP on ${command.clientOrderId}, which is ${moved === undefined ? 'not open' : `a ${moved.role} order`}`);
        result.moves.push({ index, instrumentId: moved.instrumentId, long: moved.side === 'SELL', clientOrderId: command.clientOrderId, from: moved.triggerPrice!, triggerPrice: command.triggerPrice });
        result.events.push(`${index} ${symbol(candle)} MOVE_STOP ${moved.triggerPrice!.toFixed(4)} -> ${command.triggerPrice.toFixed(4)}`);
        openOrders[at] = order(moved.instrumentId, 'STOP', moved.side, command.triggerPrice);
      } else {
        throw new Error(`the scalper never cancels, got ${command.type}`);
      }
    }
    result.peakOccupied = Math.max(result.peakOccupied, new Set([...positions.keys(), ...pendingEntries]).size);
  }
  return result;
}

function symbol(candle: TimeframeCandle): string {
  return instrumentSymbol(candle.instrumentId);
}

export function view(overrides: Partial<BotStateView> = {}): BotStateView {
  return {
    botId: BOT,
    now: 0,
    equity: Decimal.parse('100000'),
    tradingState: 'ACTIVE',
    positions: new Map(),
    openOrders: [],
    pendingEntries: new Set(),
    drawdown: Decimal.ZERO,
    drawdownThreshold: Decimal.parse('0.08'),
    ...overrides,
  };
}

/**
 * A fresh strategy fed `candles` as a reducing bot (so it warms up without entering), then asked about the
 * last one under `state`: what the bot does on exactly that candle.
 */
export function decide(candles: readonly TimeframeCandle[], parameters: Partial<AggressiveParameters> = {}, state: Partial<BotStateView> = {}): StrategyAction[] {
  const parsed = aggressive.parameters.parse({ ...DEFAULTS, ...parameters });
  const instruments = [...new Set(candles.map((candle) => candle.instrumentId))];
  const strategy = aggressive.create({ botId: BOT, instruments, timeframes: ['5m'], parameters: parsed });
  const warming = view({ tradingState: 'REDUCING' });
  for (const candle of candles.slice(0, -1)) strategy.onCandle(candle, warming);
  const last = candles.at(-1)!;
  return strategy.onCandle(last, view({ now: last.openTime + FIVE_MINUTES, ...state }));
}

/** The strategy's indicators for one instrument after these candles, for tests that need the numbers it sees. */
export function readingAfter(candles: readonly TimeframeCandle[], parameters: Partial<AggressiveParameters> = {}): InstrumentIndicators {
  const indicators = new InstrumentIndicators(aggressive.parameters.parse({ ...DEFAULTS, ...parameters }));
  for (const candle of candles) indicators.update(candle.high.toNumber(), candle.low.toNumber(), candle.close.toNumber());
  return indicators;
}

export function position(instrumentId: InstrumentId, quantity: string, averageEntryPrice: string): PositionView {
  return { instrumentId, quantity: Decimal.parse(quantity), averageEntryPrice: Decimal.parse(averageEntryPrice), realizedPnl: Decimal.ZERO, unrealizedPnl: Decimal.ZERO };
}

export function openOrder(clientOrderId: string, instrumentId: InstrumentId, role: OrderView['role'], side: OrderView['side'], triggerPrice: string | null): OrderView {
  return {
    clientOrderId: clientOrderId as ClientOrderId,
    instrumentId,
    role,
    side,
    type: role === 'ENTRY' ? 'LIMIT' : 'STOP_MARKET',
    quantity: Decimal.ONE,
    filledQuantity: Decimal.ZERO,
    limitPrice: role === 'ENTRY' ? Decimal.parse('1') : null,
    triggerPrice: triggerPrice === null ? null : Decimal.parse(triggerPrice),
    status: 'OPEN',
  };
}
