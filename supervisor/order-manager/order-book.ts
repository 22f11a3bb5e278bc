import { Decimal } from '../../core/decimal.ts';
import type { BotId, ClientOrderId, ExposureKey, InstrumentId } from '../../core/ids.ts';
import { sideSign } from '../../core/intent.ts';
import { isOpenStatus } from '../../core/order.ts';
import type { OrderRecord } from '../../ledger/types.ts';

/**
 * An entry order that has not finished filling: it counts as exposure and locks its key until it fills or ends. An
 * entry the venue has not answered locks its key too, for as long as its outcome is unknown: it is settled by asking
 * the venue by client order ID (reconciliation), never by letting the lock lapse into a second entry.
 */
export interface InFlightEntry {
  clientOrderId: ClientOrderId;
  botId: BotId;
  instrumentId: InstrumentId;
  key: ExposureKey;
  /** Signed remaining quantity: positive for a buy. */
  remaining: Decimal;
  /** The price its exposure is valued at: limit or trigger, else the mark at decision time. */
  price: Decimal;
  /** |entry − stop|, for open-risk accounting; zero if it has no stop. */
  stopDistance: Decimal;
  partlyFilled: boolean;
}

/**
 * A key held past its entry's life: an entry approved at `since` by a bot whose `entryLockMs` is set keeps its key
 * locked for every bot until `until` (market time), filled, canceled or rejected meanwhile, so that a burst of
 * signals on one key cannot become a second entry the moment the first one fills.
 */
export interface MinimumLock {
  botId: BotId;
  key: ExposureKey;
  since: number;
  until: number;
}

/**
 * The order manager's index of open Flotilla orders: in-flight entries by key (locks and pending exposure)
 * and working protective stops by bot and instrument (open risk). Rebuilt from the ledgers at every start.
 */
export class OrderBook {
  readonly #entries = new Map<ClientOrderId, InFlightEntry>();
  readonly #entriesByKey = new Map<ExposureKey, Set<InFlightEntry>>();
  readonly #stops = new Map<BotId, Map<InstrumentId, Map<ClientOrderId, Decimal>>>();
  /** The latest-ending minimum lock per key; an expired one is dropped when next read. */
  readonly #minimumLocks = new Map<ExposureKey, MinimumLock>();

  addEntry(entry: InFlightEntry): void {
    this.#entries.set(entry.clientOrderId, entry);
    let set = this.#entriesByKey.get(entry.key);
    if (set === undefined) {
      set = new Set();
      this.#entriesByKey.set(entry.key, set);
    }
    set.add(entry);
  }

  entry(clientOrderId: ClientOrderId): InFlightEntry | null {
    return this.#entries.get(clientOrderId) ?? null;
  }

  entriesOnKey(key: ExposureKey): ReadonlySet<InFlightEntry> {
    return this.#entriesByKey.get(key) ?? new Set();
  }

  entries(): Iterable<InFlightEntry> {
    return this.#entries.values();
  }

  entryCount(): number {
    return this.#entries.size;
  }

  /**
   * Holds a key until `lock.until` whatever becomes of the entry; a lock ending sooner than the one the key already
   * has changes nothing. A lock that has no time to run (entryLockMs 0) is not kept at all.
   */
  holdKey(lock: MinimumLock): void {
    if (lock.until <= lock.since) return;
    const held = this.#minimumLocks.get(lock.key);
    if (held === undefined || held.until < lock.until) this.#minimumLocks.set(lock.key, lock);
  }

  /** The minimum lock on a key at `now`, if one still runs. */
  minimumLock(key: ExposureKey, now: number): MinimumLock | null {
    const held = this.#minimumLocks.get(key);
    if (held === undefined) return null;
    if (held.until > now) return held;
    this.#minimumLocks.delete(key);
    return null;
  }

  /** Keys with at least one entry in flight, or a minimum lock still running at `now`; for metrics and status. */
  lockedKeys(now: number): ExposureKey[] {
    const keys = new Set<ExposureKey>();
    for (const [key, set] of this.#entriesByKey) if (set.size > 0) keys.add(key);
    for (const key of [...this.#minimumLocks.keys()]) if (this.minimumLock(key, now) !== null) keys.add(key);
    return [...keys];
  }

  /** What locks a key at `now`: an entry in flight, else a minimum lock still running. */
  isLocked(key: ExposureKey, now: number): InFlightEntry | MinimumLock | null {
    for (const entry of this.entriesOnKey(key)) return entry;
    return this.minimumLock(key, now);
  }

  #removeEntry(clientOrderId: ClientOrderId): void {
    const entry = this.#entries.get(clientOrderId);
    if (entry === undefined) return;
    this.#entries.delete(clientOrderId);
    this.#entriesByKey.get(entry.key)?.delete(entry);
  }

  #setStop(order: OrderRecord, open: boolean): void {
    let byInstrument = this.#stops.get(order.botId);
    if (byInstrument === undefined) {
      byInstrument = new Map();
      this.#stops.set(order.botId, byInstrument);
    }
    let stops = byInstrument.get(order.instrumentId);
    if (stops === undefined) {
      stops = new Map();
      byInstrument.set(order.instrumentId, stops);
    }
    if (open && order.triggerPrice !== null) stops.set(order.clientOrderId, order.triggerPrice);
    else stops.delete(order.clientOrderId);
  }

  /** The working stop triggers protecting a bot's position on an instrument. */
  stopsFor(botId: BotId, instrumentId: InstrumentId): Iterable<Decimal> {
    return this.#stops.get(botId)?.get(instrumentId)?.values() ?? [];
  }

  /** Brings the index in line with an order's latest ledger state. */
  track(order: OrderRecord, key: ExposureKey, entryPrice: Decimal, stopDistance: Decimal): void {
    const open = isOpenStatus(order.status);
    if (order.role === 'STOP') this.#setStop(order, open);
    if (order.role !== 'ENTRY') return;
    if (!open) {
      this.#removeEntry(order.clientOrderId);
      return;
    }
    const remaining = order.quantity.sub(order.filledQuantity);
    const existing = this.#entries.get(order.clientOrderId);
    if (existing !== undefined) {
      existing.remaining = sideSign(order.side) === 1 ? remaining : remaining.neg();
      existing.partlyFilled = order.filledQuantity.isPositive();
      return;
    }
    this.addEntry({
      clientOrderId: order.clientOrderId,
      botId: order.botId,
      instrumentId: order.instrumentId,
      key,
      remaining: sideSign(order.side) === 1 ? remaining : remaining.neg(),
      price: entryPrice,
      stopDistance,
      partlyFilled: order.filledQuantity.isPositive(),
    });
  }
}
