import { Decimal } from '../../core/decimal.ts';
import type { BotId, InstrumentId } from '../../core/ids.ts';
import type { BotStateView, OrderView, PositionView } from '../../core/strategy.ts';
import type { TradingState } from '../../core/trading-state.ts';
import type { Ledger, PositionRecord } from '../../ledger/types.ts';
import { drawdownView, openOrderViews, positionView } from '../bot-state/bot-state.ts';
import type { OrderManager } from '../order-manager/order-manager.ts';

const NO_PENDING_ENTRIES: ReadonlySet<InstrumentId> = Object.freeze(new Set<InstrumentId>());

/**
 * The bot's state as its strategy sees it, from the same pieces the bot channel sends (bot-state/bot-state.ts), but
 * cheaply: positions are rebuilt only after a fill or a mark change on a held instrument, open orders only after
 * an order event. The pieces handed out are frozen, so a strategy that scribbles on one cannot change what it
 * is shown on the next candle. No entry is ever pending: the backtest answers every command before the next candle.
 */
export class StateViews {
  readonly #botId: BotId;
  readonly #om: OrderManager;
  readonly #ledger: Ledger;
  readonly #held = new Map<InstrumentId, PositionRecord>();
  readonly #positionViews = new Map<InstrumentId, PositionView>();
  #positions: ReadonlyMap<InstrumentId, PositionView> = new Map();
  #positionsStale = true;
  #orders: readonly OrderView[] = Object.freeze([]);
  #ordersStale = true;
  #tradingState: TradingState | null = null;
  /** The drawdown shown at `now` for that equity; the instruments of one step share it unless something changed. */
  #drawdownFor: { now: number; equity: Decimal; value: { drawdown: Decimal; drawdownThreshold: Decimal } } | null = null;

  constructor(botId: BotId, om: OrderManager, ledger: Ledger) {
    this.#botId = botId;
    this.#om = om;
    this.#ledger = ledger;
  }

  /** An order was recorded, acknowledged, filled or ended. */
  ordersChanged(): void {
    this.#ordersStale = true;
  }

  /** A fill moved a position. */
  positionsChanged(): void {
    this.#positionsStale = true;
    this.#ordersStale = true;
  }

  /** A trading state or a drawdown threshold changed. */
  stateChanged(): void {
    this.#tradingState = null;
    this.#drawdownFor = null;
  }

  /** A new mark changes the unrealized PnL of a held instrument, and nothing else. */
  markChanged(instrumentId: InstrumentId): void {
    if (this.#positionsStale) return;
    const position = this.#held.get(instrumentId);
    if (position === undefined) return;
    this.#positionViews.set(instrumentId, this.#positionView(position));
    this.#positions = new Map(this.#positionViews);
  }

  isHolding(): boolean {
    if (this.#positionsStale) this.#refreshPositions();
    return this.#held.size > 0;
  }

  view(now: number): BotStateView {
    if (this.#positionsStale) this.#refreshPositions();
    if (this.#ordersStale) this.#refreshOrders();
    const om = this.#om;
    const equity = om.equity(this.#botId);
    return {
      botId: this.#botId,
      now,
      equity,
      tradingState: (this.#tradingState ??= om.effectiveState(this.#botId)),
      positions: this.#positions,
      openOrders: this.#orders,
      pendingEntries: NO_PENDING_ENTRIES,
      ...this.#drawdown(now, equity),
    };
  }

  /**
   * The binding window's drawdown and threshold, as the live runtime shows them (strategyDrawdown). A reading moves
   * with equity (the order manager hands out a new object when it changes), with time (windows roll) and with the
   * state (a threshold set), so one is reused only at the same moment, for the same equity object, in the same state.
   */
  #drawdown(now: number, equity: Decimal): { drawdown: Decimal; drawdownThreshold: Decimal } {
    const cached = this.#drawdownFor;
    if (cached !== null && cached.now === now && cached.equity === equity) return cached.value;
    const value = drawdownView(this.#om, this.#botId);
    this.#drawdownFor = { now, equity, value };
    return value;
  }

  #positionView(position: PositionRecord): PositionView {
    return positionView(position, this.#om.mark(position.instrumentId));
  }

  #refreshPositions(): void {
    this.#held.clear();
    this.#positionViews.clear();
    for (const position of this.#ledger.openPositions()) {
      this.#held.set(position.instrumentId, position);
      this.#positionViews.set(position.instrumentId, this.#positionView(position));
    }
    this.#positions = new Map(this.#positionViews);
    this.#positionsStale = false;
  }

  #refreshOrders(): void {
    this.#orders = Object.freeze(openOrderViews(this.#ledger));
    this.#ordersStale = false;
  }
}
