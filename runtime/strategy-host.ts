import { Decimal } from '../core/decimal.ts';
import { BotCodeError } from '../core/errors.ts';
import type { BotId, InstrumentId } from '../core/ids.ts';
import { instrumentSymbol, parseIntentId } from '../core/ids.ts';
import type { BotCommand, Intent } from '../core/intent.ts';
import type { BotStateView, EntryDenial, Strategy, StrategyAction, StrategyModule, StrategyNote, Timeframe, TimeframeCandle } from '../core/strategy.ts';

export interface StrategyHostOptions {
  botId: BotId;
  module: StrategyModule;
  parameters: unknown;
  instruments: readonly InstrumentId[];
  timeframes: readonly Timeframe[];
  /** Told of every failure of the bot's own code; the host itself never throws it on. */
  onBotCodeError(error: BotCodeError): void;
  /**
   * Told of every note the strategy makes on a live candle, and after a warm-up of the latest note of each name and
   * instrument it made there: a state the strategy reported once (a model fallen back, say) is not lost to warm-up.
   */
  onNote?(note: StrategyNote): void;
  /**
   * Told after each warm-up of the actions the strategy returned on history candles, which are never sent: how many,
   * and the reason of the first, so the operator can see a strategy that does not check `state.warmingUp`.
   */
  onWarmUpActionsDropped?(dropped: { count: number; firstReason: string }): void;
}

/**
 * Runs a bot's strategy inside a guard, in every mode (live, paper, backtest): the strategy sees copies of
 * state and returns actions, the host turns them into commands for the order manager. A throw or a malformed
 * action becomes a BotCodeError and no command at all — fail closed: no decision, no order.
 */
export class StrategyHost {
  readonly #options: StrategyHostOptions;
  readonly #strategy: Strategy;
  /** Timeframes by instrument: looked up per candle without building a key string. */
  readonly #subscribed: Map<InstrumentId, ReadonlySet<Timeframe>>;

  constructor(options: StrategyHostOptions) {
    this.#options = options;
    this.#subscribed = new Map(options.instruments.map((instrument) => [instrument, new Set(options.timeframes)]));
    try {
      this.#strategy = options.module.create({ botId: options.botId, instruments: options.instruments, timeframes: options.timeframes, parameters: options.parameters });
    } catch (error) {
      throw new BotCodeError(`bot ${options.botId}: strategy create() threw: ${(error as Error).message}`);
    }
  }

  /**
   * Feeds history for indicator warm-up, with `state.warmingUp` set. Orders the strategy asks for on old candles are
   * dropped (counted and reported once per warm-up), notes are not.
   */
  warmUp(candles: readonly TimeframeCandle[], state: BotStateView): void {
    const latest = new Map<string, { note: Extract<StrategyAction, { type: 'NOTE' }>; candle: TimeframeCandle }>();
    const history: BotStateView = { ...state, warmingUp: true };
    let dropped = 0;
    let firstReason = '';
    for (const candle of candles) {
      for (const action of this.#call(candle, history)) {
        if (action === null || typeof action !== 'object' || action.type !== 'NOTE') {
          if (dropped === 0) firstReason = describeDropped(action, candle);
          dropped++;
          continue;
        }
        // Deleted first, so the notes go out in the order they were last made and the latest value lands last.
        const key = `${String(action.name)}/${String(action.instrumentId ?? '')}`;
        latest.delete(key);
        latest.set(key, { note: action, candle });
      }
    }
    for (const { note, candle } of latest.values()) this.#note(note, candle);
    if (dropped > 0) this.#options.onWarmUpActionsDropped?.({ count: dropped, firstReason });
  }

  /** One closed candle in, the commands it leads to out. */
  onCandle(candle: TimeframeCandle, state: BotStateView): BotCommand[] {
    // A live candle is never history, whatever the caller's view said.
    const actions = this.#call(candle, state.warmingUp === true ? { ...state, warmingUp: false } : state);
    // Most candles lead to nothing; they should cost nothing more.
    if (actions.length === 0) return [];
    const commands: BotCommand[] = [];
    actions.forEach((action, index) => {
      if (action !== null && typeof action === 'object' && action.type === 'NOTE') {
        this.#note(action, candle);
        return;
      }
      // Deterministic IDs: the same candle replayed after a restart yields the same intents, which the order
      // manager recognises, so a crash between deciding and sending can never double an order.
      const intentId = parseIntentId(`${instrumentSymbol(candle.instrumentId)}.${candle.timeframe}.${candle.openTime.toString(36)}.${index}`);
      const command = this.#toCommand(action, intentId, state);
      if (command !== null) commands.push(command);
    });
    return commands;
  }

  /** Tells the strategy of an entry the order manager denied; a throw there is the bot's own failure, like any other. */
  entryDenied(denial: EntryDenial): void {
    if (this.#strategy.onEntryDenied === undefined) return;
    try {
      this.#strategy.onEntryDenied({ ...denial });
    } catch (error) {
      this.#fail(`onEntryDenied threw on ${denial.instrumentId} ${denial.reason}: ${(error as Error)?.message ?? String(error)}`);
    }
  }

  #call(candle: TimeframeCandle, state: BotStateView): StrategyAction[] {
    if (this.#subscribed.get(candle.instrumentId)?.has(candle.timeframe) !== true) return [];
    let actions: unknown;
    try {
      actions = this.#strategy.onCandle(candle, state);
    } catch (error) {
      this.#fail(`onCandle threw on ${candle.instrumentId} ${candle.timeframe}: ${(error as Error)?.message ?? String(error)}`);
      return [];
    }
    if (!Array.isArray(actions)) {
      this.#fail(`onCandle must return an array of actions, got ${typeof actions}`);
      return [];
    }
    return actions as StrategyAction[];
  }

  #note(action: Extract<StrategyAction, { type: 'NOTE' }>, candle: TimeframeCandle): void {
    const values = this.#options.module.notes?.[action.name];
    if (values === undefined || !values.includes(action.value)) {
      this.#fail(`note ${JSON.stringify(action.name)}=${JSON.stringify(action.value)} is not declared in the strategy module's notes`);
      return;
    }
    if (action.instrumentId !== undefined && !this.#options.instruments.includes(action.instrumentId)) {
      this.#fail(`note on ${String(action.instrumentId)}, which is not in the manifest`);
      return;
    }
    this.#options.onNote?.({ name: action.name, value: action.value, instrumentId: action.instrumentId ?? null, candleOpenTime: candle.openTime });
  }

  #fail(message: string): void {
    this.#options.onBotCodeError(new BotCodeError(`bot ${this.#options.botId}: ${message}`));
  }

  #toCommand(action: StrategyAction, intentId: Intent['intentId'], state: BotStateView): BotCommand | null {
    const botId = this.#options.botId;
    const problem = problemWith(action, this.#options.instruments);
    if (problem !== null) {
      this.#fail(problem);
      return null;
    }
    switch (action.type) {
      case 'ENTER': {
        const intent: Intent = {
          intentId,
          botId,
          instrumentId: action.instrumentId,
          side: action.side,
          size: action.size,
          orderType: action.orderType,
          reduceOnly: false,
          bracket: action.takeProfit === undefined ? { stopLoss: action.stopLoss } : { stopLoss: action.stopLoss, takeProfit: action.takeProfit },
          reason: action.reason,
        };
        if (action.limitPrice !== undefined) intent.limitPrice = action.limitPrice;
        if (action.triggerPrice !== undefined) intent.triggerPrice = action.triggerPrice;
        return { type: 'SUBMIT_ORDER', intent };
      }
      case 'EXIT': {
        const position = state.positions.get(action.instrumentId);
        if (position === undefined || position.quantity.isZero()) return null;
        const quantity = action.quantity ?? position.quantity.abs();
        return {
          type: 'SUBMIT_ORDER',
          intent: { intentId, botId, instrumentId: action.instrumentId, side: position.quantity.isPositive() ? 'SELL' : 'BUY', size: { kind: 'QUANTITY', quantity }, orderType: 'MARKET', reduceOnly: true, reason: action.reason },
        };
      }
      case 'MOVE_STOP':
        return { type: 'MOVE_STOP', botId, intentId, clientOrderId: action.clientOrderId, triggerPrice: action.triggerPrice };
      case 'CANCEL':
        return { type: 'CANCEL_ORDER', botId, clientOrderId: action.clientOrderId };
      case 'NOTE':
        return null;
    }
  }
}

/** A few words on an action dropped during warm-up, for the log line the operator sees. */
function describeDropped(action: unknown, candle: TimeframeCandle): string {
  const at = `${candle.instrumentId} ${candle.timeframe} candle of ${new Date(candle.openTime).toISOString()}`;
  if (action === null || typeof action !== 'object') return `a malformed action on the ${at}`;
  const a = action as Record<string, unknown>;
  const reason = typeof a.reason === 'string' && a.reason !== '' ? ` (${a.reason})` : '';
  return `${String(a.type)}${reason} on the ${at}, a history candle`;
}

const SIDES = new Set(['BUY', 'SELL']);
const ORDER_TYPES = new Set(['MARKET', 'LIMIT', 'STOP_MARKET']);
const isDecimal = (value: unknown): value is Decimal => value instanceof Decimal;
const optionalDecimal = (value: unknown): boolean => value === undefined || isDecimal(value);

/**
 * What is wrong with an action a strategy returned, or null. Strategies are the bot's own code and TypeScript
 * is erased at run time, so every field is checked here before anything becomes a command.
 */
function problemWith(action: unknown, instruments: readonly InstrumentId[]): string | null {
  if (action === null || typeof action !== 'object') return `an action must be an object, got ${String(action)}`;
  const a = action as Record<string, unknown>;
  const onManifest = (): string | null => (instruments.includes(a.instrumentId as InstrumentId) ? null : `${a.type as string} on ${String(a.instrumentId)}, which is not in the manifest`);
  switch (a.type) {
    case 'ENTER': {
      const size = a.size as Record<string, unknown> | null | undefined;
      if (!SIDES.has(a.side as string)) return `ENTER side must be BUY or SELL, got ${JSON.stringify(a.side)}`;
      if (!ORDER_TYPES.has(a.orderType as string)) return `ENTER orderType must be MARKET, LIMIT or STOP_MARKET, got ${JSON.stringify(a.orderType)}`;
      if (typeof size !== 'object' || size === null || !((size.kind === 'QUANTITY' && isDecimal(size.quantity)) || (size.kind === 'RISK' && isDecimal(size.riskFraction))) || !optionalDecimal(size.scale)) {
        return 'ENTER size must be { kind: "QUANTITY", quantity: Decimal } or { kind: "RISK", riskFraction: Decimal }, with an optional scale: Decimal';
      }
      if (!isDecimal(a.stopLoss)) return 'ENTER needs a stopLoss as a Decimal';
      if (!optionalDecimal(a.takeProfit) || !optionalDecimal(a.limitPrice) || !optionalDecimal(a.triggerPrice)) return 'ENTER prices must be Decimals';
      return onManifest();
    }
    case 'EXIT':
      if (!optionalDecimal(a.quantity)) return 'EXIT quantity must be a Decimal when given';
      return onManifest();
    case 'MOVE_STOP':
      if (typeof a.clientOrderId !== 'string' || !isDecimal(a.triggerPrice)) return 'MOVE_STOP needs a clientOrderId and a triggerPrice as a Decimal';
      return null;
    case 'CANCEL':
      return typeof a.clientOrderId === 'string' ? null : 'CANCEL needs a clientOrderId';
    case 'NOTE':
      return null;
    default:
      return `unknown action type ${JSON.stringify(a.type)}`;
  }
}
