import { Decimal } from '../../core/decimal.ts';
import type { BotId, ClientOrderId, ExposureKey, InstrumentId } from '../../core/ids.ts';
import { sideSign } from '../../core/intent.ts';
import { isOpenStatus } from '../../core/order.ts';
import type { OrderRecord } from '../../ledger/types.ts';

/**
 * An entry order that has not finished filling: it counts as exposure and locks its key. A venue that never
 * answers must not lock a key for ever, so an unacknowledged entry's lock lapses after the TTL; once the venue
 * has acknowledged it, the lock holds until the order fills or ends.
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
  lockExpiresAt: number;
  partlyFilled: boolean;
}

/**
 * The order manager's index of open Flotilla orders: in-flight entries by key (locks and pending exposure)
 * and working protective stops by bot and instrument (open risk). Rebuilt from the ledgers at every start.
 */
export class OrderBook {
  readonly #entries = new Map<ClientOrderId, InFlightEntry>();
  readonly #entriesByKey = new Map<ExposureKey, Set<InFlightEntry>>();
  readonly #stops = new Map<BotId, Map<InstrumentId, Map<ClientOrderId, Decimal>>>();

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

  /** Keys with at least one entry whose lock has not expired; for metrics and status. */
  lockedKeys(now: number): ExposureKey[] {
    const keys: ExposureKey[] = [];
    for (const [key, set] of this.#entriesByKey) {
      for (const entry of set) {
        if (entry.lockExpiresAt > now) {
          keys.push(key);
          break;
        }
      }
    }
    return keys;
  }

  isLocked(key: ExposureKey, now: number): InFlightEntry | null {
    for (const entry of this.entriesOnKey(key)) if (entry.lockExpiresAt > now) return entry;
    return null;
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
  track(order: OrderRecord, key: ExposureKey, entryPrice: Decimal, stopDistance: Decimal, lockTtlMs: number): void {
    const open = isOpenStatus(order.status);
    if (order.role === 'STOP') this.#setStop(order, open);
    if (order.role !== 'ENTRY') return;
    if (!open) {
      this.#removeEntry(order.clientOrderId);
      return;
    }
    const remaining = order.quantity.sub(order.filledQuantity);
    const existing = this.#entries.get(order.clientOrderId);
    const lockExpiresAt = order.status === 'PENDING_SUBMIT' ? order.createdAt + lockTtlMs : Number.POSITIVE_INFINITY;
    if (existing !== undefined) {
      existing.lockExpiresAt = lockExpiresAt;
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
      lockExpiresAt,
      partlyFilled: order.filledQuantity.isPositive(),
    });
  }
}
