import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { InvariantViolation } from '../../core/errors.ts';
import type { BotId, ExposureKey, InstrumentId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Side } from '../../core/intent.ts';
import type { EquitySnapshot, Ledger, OrderRecord, PositionRecord } from '../../ledger/types.ts';
import type { KeyPolicy, OrderManagerConfig } from './config.ts';
import { OrderBook } from './order-book.ts';

/** A bot's latest entry on an exposure key: its time (decision) and price (fill, or expected until it fills). */
export interface LastEntry {
  at: number;
  instrumentId: InstrumentId;
  side: Side;
  price: Decimal;
}

/**
 * What the order manager knows of the fleet's money and exposure, read by every decision: the bots' ledgers, the
 * marks, equity (cached until a fill or a held mark changes it), open risk, the in-flight order book and each bot's
 * latest entry per exposure key. It changes only through the order manager, which feeds it what it applies.
 */
export class Portfolio {
  readonly book = new OrderBook();
  readonly #config: OrderManagerConfig;
  readonly #ledgers: ReadonlyMap<BotId, Ledger>;
  readonly #clock: Clock;
  readonly #marks = new Map<InstrumentId, Decimal>();
  readonly #equity = new Map<BotId, EquitySnapshot>();
  readonly #instrumentsOnKey = new Map<ExposureKey, Instrument[]>();
  readonly #lastEntries = new Map<BotId, Map<ExposureKey, LastEntry>>();

  constructor(config: OrderManagerConfig, ledgers: ReadonlyMap<BotId, Ledger>, clock: Clock) {
    this.#config = config;
    this.#ledgers = ledgers;
    this.#clock = clock;
    for (const instrument of config.instruments.values()) {
      const list = this.#instrumentsOnKey.get(instrument.exposureKey) ?? [];
      list.push(instrument);
      this.#instrumentsOnKey.set(instrument.exposureKey, list);
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Reading

  ledger(botId: BotId): Ledger {
    const ledger = this.#ledgers.get(botId);
    if (ledger === undefined) throw new InvariantViolation(`bot ${botId} has no ledger`);
    return ledger;
  }

  botIds(): Iterable<BotId> {
    return this.#config.bots.keys();
  }

  instrument(instrumentId: InstrumentId): Instrument | undefined {
    return this.#config.instruments.get(instrumentId);
  }

  /** An exposure key's policy; a key without one is exclusive. */
  keyPolicy(key: ExposureKey): KeyPolicy {
    return this.#config.keyPolicies.get(key) ?? { policy: 'exclusive' };
  }

  instrumentsOnKey(key: ExposureKey): readonly Instrument[] {
    return this.#instrumentsOnKey.get(key) ?? [];
  }

  position(botId: BotId, instrumentId: InstrumentId): PositionRecord | null {
    return this.#ledgers.get(botId)?.position(instrumentId) ?? null;
  }

  mark(instrumentId: InstrumentId): Decimal | undefined {
    return this.#marks.get(instrumentId);
  }

  /** Balance plus unrealized PnL at the latest marks; cached until a fill or a mark changes it. */
  equitySnapshot(botId: BotId): EquitySnapshot {
    let snapshot = this.#equity.get(botId);
    if (snapshot === undefined) {
      snapshot = this.ledger(botId).equity(this.#marks, this.#clock.now());
      this.#equity.set(botId, snapshot);
    }
    return snapshot;
  }

  equity(botId: BotId): Decimal {
    return this.equitySnapshot(botId).equity;
  }

  fleetEquity(): Decimal {
    let total = Decimal.ZERO;
    for (const botId of this.#config.bots.keys()) total = total.add(this.equity(botId));
    return total;
  }

  /** The bot's open risk: the loss if every position hit its worst stop from the mark, plus its in-flight entries. */
  openRisk(botId: BotId): Decimal {
    const ledger = this.ledger(botId);
    let risk = Decimal.ZERO;
    for (const position of ledger.openPositions()) {
      const mark = this.#marks.get(position.instrumentId) ?? position.averageEntryPrice;
      let worst: Decimal | null = null;
      for (const stop of this.book.stopsFor(botId, position.instrumentId)) {
        // Loss from the mark to the stop; a stop already in profit risks nothing more.
        const loss = position.quantity.isPositive() ? mark.sub(stop) : stop.sub(mark);
        const clipped = Decimal.max(loss, Decimal.ZERO);
        worst = worst === null ? clipped : Decimal.max(worst, clipped);
      }
      // An unprotected position can lose its whole notional.
      risk = risk.add(position.quantity.abs().mul(worst ?? mark));
    }
    for (const entry of this.book.entries()) {
      if (entry.botId === botId) risk = risk.add(entry.remaining.abs().mul(entry.stopDistance));
    }
    return risk;
  }

  lastEntry(botId: BotId, key: ExposureKey): LastEntry | null {
    return this.#lastEntries.get(botId)?.get(key) ?? null;
  }

  // ------------------------------------------------------------------------------------------------------
  // Changing, as the order manager applies what happened

  /** A new market price; returns the bots holding the instrument, whose equity it changed. */
  setMark(instrumentId: InstrumentId, price: Decimal): BotId[] {
    this.#marks.set(instrumentId, price);
    const holders: BotId[] = [];
    for (const [botId, ledger] of this.#ledgers) {
      if (!ledger.holds(instrumentId)) continue;
      this.#equity.delete(botId);
      holders.push(botId);
    }
    return holders;
  }

  /** A fill changed the bot's balance or positions. */
  equityChanged(botId: BotId): void {
    this.#equity.delete(botId);
  }

  /** Brings the in-flight book in line with an order's latest state; `stopLoss` is an entry's bracket stop. */
  track(order: OrderRecord, stopLoss: Decimal | null): void {
    const instrument = this.#config.instruments.get(order.instrumentId);
    if (instrument === undefined) return;
    const price = order.limitPrice ?? order.triggerPrice ?? order.averageFillPrice ?? this.#marks.get(order.instrumentId) ?? Decimal.ZERO;
    const stopDistance = stopLoss === null ? Decimal.ZERO : price.sub(stopLoss).abs();
    this.book.track(order, instrument.exposureKey, price, stopDistance);
  }

  /** One bot's share of every start: its open orders in the book and its latest entry on each key. */
  recoverBot(botId: BotId, ledger: Ledger): void {
    const open = ledger.openOrders();
    const stopTriggers = new Map<string, Decimal>();
    for (const order of open) {
      if (order.role === 'STOP' && order.parentClientOrderId !== null && order.triggerPrice !== null) stopTriggers.set(order.parentClientOrderId, order.triggerPrice);
    }
    for (const order of open) this.track(order, stopTriggers.get(order.clientOrderId) ?? null);
    this.#equity.delete(botId);
    const seen = new Map<ExposureKey, LastEntry>();
    const held = new Set<ExposureKey>();
    for (const order of ledger.recentOrders(Number.MAX_SAFE_INTEGER)) {
      if (order.role !== 'ENTRY') continue;
      const instrument = this.#config.instruments.get(order.instrumentId);
      if (instrument === undefined) continue;
      // The minimum lock starts at the order's recorded time, so a restart neither shortens nor restarts it.
      if (!held.has(instrument.exposureKey)) {
        held.add(instrument.exposureKey);
        this.#holdKey(botId, instrument.exposureKey, order.createdAt);
      }
      if (seen.has(instrument.exposureKey)) continue;
      const price = order.averageFillPrice ?? order.limitPrice ?? order.triggerPrice;
      if (price !== null) seen.set(instrument.exposureKey, { at: order.createdAt, instrumentId: order.instrumentId, side: order.side, price });
      // Every key of the catalog found: nothing older can matter.
      if (seen.size === this.#instrumentsOnKey.size) break;
    }
    this.#lastEntries.set(botId, seen);
  }

  /** An entry approved at `since` holds its key for its bot's entryLockMs, whatever becomes of it. */
  #holdKey(botId: BotId, key: ExposureKey, since: number): void {
    const lockMs = this.#config.bots.get(botId)?.entryLockMs ?? 0;
    if (lockMs > 0) this.book.holdKey({ botId, key, since, until: since + lockMs });
  }

  /** An approved entry: what the bot's next add on the key is measured from, and the start of its minimum lock. */
  noteEntry(botId: BotId, entry: LastEntry & { key: ExposureKey }): void {
    this.#holdKey(botId, entry.key, entry.at);
    let entries = this.#lastEntries.get(botId);
    if (entries === undefined) {
      entries = new Map();
      this.#lastEntries.set(botId, entries);
    }
    entries.set(entry.key, { at: entry.at, instrumentId: entry.instrumentId, side: entry.side, price: entry.price });
  }

  /** Once an entry fills, its price is what the venue gave, not what was expected. */
  entryFilled(botId: BotId, order: OrderRecord): void {
    const key = this.#config.instruments.get(order.instrumentId)?.exposureKey;
    const last = key === undefined ? undefined : this.#lastEntries.get(botId)?.get(key);
    if (last === undefined || order.averageFillPrice === null || last.instrumentId !== order.instrumentId) return;
    last.price = order.averageFillPrice;
  }

  forgetBot(botId: BotId): void {
    this.#equity.delete(botId);
    this.#lastEntries.delete(botId);
  }
}
