import type { ZodType } from 'zod';
import type { Candle } from './candle.ts';
import type { Decimal } from './decimal.ts';
import type { BotId, ClientOrderId, InstrumentId } from './ids.ts';
import type { OrderType, Side, SizeRequest } from './intent.ts';
import type { OrderRole } from './ids.ts';
import type { TradingState } from './trading-state.ts';

/** Bumped when the contract below changes incompatibly; a bot built for another version is refused at load. */
export const STRATEGY_INTERFACE_VERSION = 1;

export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];
export const TIMEFRAME_MS: Record<Timeframe, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

export interface TimeframeCandle extends Candle {
  timeframe: Timeframe;
}

/** A copy of one of the bot's positions; changing it changes nothing. */
export interface PositionView {
  instrumentId: InstrumentId;
  quantity: Decimal;
  averageEntryPrice: Decimal;
  realizedPnl: Decimal;
  unrealizedPnl: Decimal;
}

/** A copy of one of the bot's open orders. */
export interface OrderView {
  clientOrderId: ClientOrderId;
  instrumentId: InstrumentId;
  role: OrderRole;
  side: Side;
  type: OrderType;
  quantity: Decimal;
  filledQuantity: Decimal;
  limitPrice: Decimal | null;
  triggerPrice: Decimal | null;
  status: string;
}

/** What a strategy sees of its own bot: copies, so a strategy bug cannot corrupt the engine's state. */
export interface BotStateView {
  botId: BotId;
  now: number;
  equity: Decimal;
  tradingState: TradingState;
  positions: ReadonlyMap<InstrumentId, PositionView>;
  openOrders: readonly OrderView[];
  /** Entry intents sent and not yet answered, by instrument: a strategy must not enter twice while one is pending. */
  pendingEntries: ReadonlySet<InstrumentId>;
  /**
   * The bot's current peak-to-trough drawdown and the threshold that halts it, as fractions (0.03 is 3%), in the
   * binding window of its drawdown policy: a breached window, else the one with the largest drawdown / threshold.
   */
  drawdown: Decimal;
  drawdownThreshold: Decimal;
  /**
   * True while the candle being shown is warm-up history (sent at connect so indicators can fill), false or absent
   * for a live one. Actions returned during warm-up are dropped, visibly: they are counted and logged, never sent.
   */
  warmingUp?: boolean;
  /**
   * For a live candle of an instrument that trades in a session (an equity): whether that session was open at its
   * venue when the supervisor delivered the candle, as the order manager judges it (the venue's own clock where it
   * has one, so a stand-in's market time counts, not the wall clock). Absent in warm-up, in backtests and for
   * instruments that trade around the clock: judge by the calendar at `now` there.
   */
  sessionOpen?: boolean;
}

/** What a strategy may ask for. The runtime turns each into a command for the order manager. */
export type StrategyAction =
  | {
      type: 'ENTER';
      instrumentId: InstrumentId;
      side: Side;
      size: SizeRequest;
      orderType: OrderType;
      limitPrice?: Decimal;
      triggerPrice?: Decimal;
      stopLoss: Decimal;
      takeProfit?: Decimal;
      reason: string;
    }
  | { type: 'EXIT'; instrumentId: InstrumentId; quantity?: Decimal; reason: string }
  | { type: 'MOVE_STOP'; clientOrderId: ClientOrderId; triggerPrice: Decimal; reason: string }
  | { type: 'CANCEL'; clientOrderId: ClientOrderId; reason: string }
  /**
   * Something worth counting, not an order: which filter blocked an entry, the regime seen, a model fallback.
   * `name` and `value` must be declared in the module's `notes`, so they make bounded metric labels; the
   * instrument, when given, ties the note to that instrument's candle (backtests group trades by it).
   */
  | { type: 'NOTE'; name: string; value: string; instrumentId?: InstrumentId };

export interface StrategyNote {
  name: string;
  value: string;
  instrumentId: InstrumentId | null;
  /** The candle it was made on. */
  candleOpenTime: number;
}

/** One of the bot's entries the order manager denied: the instrument and the reason, from core/decision.ts's closed set. */
export interface EntryDenial {
  instrumentId: InstrumentId;
  reason: string;
  decidedAt: number;
}

/** One running instance of a strategy; it keeps its own indicator state between calls. */
export interface Strategy {
  onCandle(candle: TimeframeCandle, state: BotStateView): StrategyAction[];
  /**
   * Told when the order manager denies one of the bot's entries, so the strategy may remember it (a note on its next
   * candle, a pause before asking again). It returns nothing: what the strategy makes of it shows on its next candle.
   */
  onEntryDenied?(denial: EntryDenial): void;
}

export interface StrategyContext<P> {
  botId: BotId;
  instruments: readonly InstrumentId[];
  timeframes: readonly Timeframe[];
  parameters: P;
}

/** The default export of a bot folder's strategy module. */
export interface StrategyModule<P = unknown> {
  interfaceVersion: number;
  /** Validates the manifest's "parameters" object; it must reject unknown keys (z.strictObject). */
  parameters: ZodType<P>;
  create(context: StrategyContext<P>): Strategy;
  /** Every note the strategy may emit, with its closed set of values; none when absent. */
  notes?: Readonly<Record<string, readonly string[]>>;
}

export function defineStrategy<P>(module: StrategyModule<P>): StrategyModule<P> {
  return module;
}
