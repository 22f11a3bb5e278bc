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

  /** Keys with at least one entry in flight; for metrics and status. */
  lockedKeys(): ExposureKey[] {
    const keys: ExposureKey[] = [];
    for (const [key, set] of this.#entriesByKey) if (set.size > 0) keys.push(key);
    return keys;
  }

  isLocked(key: ExposureKey): InFlightEntry | null {
    for (const entry of this.entriesOnKey(key)) return entry;
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
