import { ApiError, type Alpaca } from '@alpacahq/alpaca-trade-api';
import { Decimal } from '../../core/decimal.ts';
import { VenueReplyError } from '../../core/errors.ts';
import type { ClientOrderId } from '../../core/ids.ts';
import { readOrder, type AlpacaOrderRow } from './mapping.ts';
import { calendarDay, type VenueCalendarDay, type VenueClockReading } from './session-clock.ts';

/**
 * The REST calls the adapter makes for one account, with replies read field by field. A Flotilla order is a chain of
 * Alpaca orders (each replace makes the next); `chain` finds its first and current ones from its client order ID,
 * since Alpaca cancels and replaces by order ID only.
 */

/**
 * One execution's identity, the same from both places a fill is seen: its Alpaca order and that order's cumulative
 * filled quantity after it (the stream's order.id and order.filled_qty; a FILL activity's order_id and cum_qty). The
 * stream's execution_id and the activity's ID ("<time>::<uuid>") are not documented to share anything, so neither
 * can dedup a fill seen on the stream and again by the gap-fill. Each execution of an order raises its cumulative
 * quantity, so the pair is unique.
 */
export function executionIdentity(orderId: string, cumulativeQty: Decimal): string {
  return `${orderId}@${cumulativeQty.toString()}`;
}

export interface FillRow {
  id: string;
  /** executionIdentity: the same for this execution on the stream. */
  executionId: string;
  orderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  price: Decimal;
  qty: Decimal;
  cumQty: Decimal;
  leavesQty: Decimal;
  at: number;
}

export interface Chain {
  root: AlpacaOrderRow;
  current: AlpacaOrderRow;
  generation: number;
}

function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

function decimalText(row: Record<string, unknown>, name: string, what: string): Decimal {
  const value = row[name];
  if (typeof value !== 'string') throw new VenueReplyError(`${what}: ${name} is not a decimal string`);
  return Decimal.parse(value, `${what} ${name}`);
}

export class AccountApi {
  readonly #client: Alpaca;

  constructor(client: Alpaca) {
    this.#client = client;
  }

  get client(): Alpaca {
    return this.#client;
  }

  async place(input: Record<string, unknown>): Promise<AlpacaOrderRow> {
    return readOrder(await this.#client.trading.orders.submit(input as never), 'POST /v2/orders');
  }

  async replace(orderId: string, changes: Record<string, unknown>): Promise<AlpacaOrderRow> {
    return readOrder(await this.#client.trading.orders.patchOrderByOrderId({ orderId, patchOrderRequest: changes as never }), 'PATCH /v2/orders/{id}');
  }

  async cancel(orderId: string): Promise<void> {
    await this.#client.trading.orders.deleteOrderByOrderID({ orderId });
  }

  async byClientId(clientOrderId: string): Promise<AlpacaOrderRow | null> {
    try {
      return readOrder(await this.#client.trading.orders.getOrderByClientOrderId({ clientOrderId }), 'GET /v2/orders:by_client_order_id');
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async byId(orderId: string): Promise<AlpacaOrderRow> {
    return readOrder(await this.#client.trading.orders.getOrderByOrderID({ orderId, nested: true }), 'GET /v2/orders/{id}');
  }

  /** The chain of a Flotilla order: the first Alpaca order (its client_order_id is the Flotilla ID) and the latest. */
  async chain(id: ClientOrderId | string): Promise<Chain | null> {
    const root = await this.byClientId(id);
    if (root === null) return null;
    let current = root;
    let generation = 0;
    while (current.status === 'replaced' && current.replacedBy !== null && generation < 1_000) {
      current = await this.byId(current.replacedBy);
      generation++;
    }
    return { root, current, generation };
  }

  /** Open orders, an oco's leg nested in its parent (nested=true), as Alpaca lists them. */
  async openOrders(): Promise<AlpacaOrderRow[]> {
    const rows = await this.#client.trading.orders.getAllOrders({ status: 'open', limit: 500, nested: true } as never);
    return rows.map((row, index) => readOrder(row, `GET /v2/orders[${index}]`));
  }

  /** The latest 500 orders, open or ended, legs nested: where exit pairs are found again after a restart. */
  async recentOrders(): Promise<AlpacaOrderRow[]> {
    const rows = await this.#client.trading.orders.getAllOrders({ status: 'all', limit: 500, nested: true, direction: 'desc' } as never);
    return rows.map((row, index) => readOrder(row, `GET /v2/orders[${index}]`));
  }

  /** FILL activities oldest first, after the activity `pageToken` (or after `after` when there is none). */
  async fills(pageToken: string | null, after: Date | null, pageSize: number): Promise<FillRow[]> {
    const rows = await this.#client.trading.accountActivities.getAccountActivities({
      activityTypes: ['FILL'],
      direction: 'asc',
      pageSize,
      ...(pageToken === null ? {} : { pageToken }),
      ...(after === null || pageToken !== null ? {} : { after }),
    } as never);
    return rows.map((raw, index) => {
      const what = `GET /v2/account/activities[${index}]`;
      const row = raw as unknown as Record<string, unknown>;
      const id = row['id'];
      const orderId = row['order_id'];
      const symbol = row['symbol'];
      const side = row['side'];
      if (typeof id !== 'string' || typeof orderId !== 'string' || typeof symbol !== 'string' || (side !== 'buy' && side !== 'sell')) throw new VenueReplyError(`${what}: not a FILL activity`);
      const at = Date.parse(String(row['transaction_time']));
      const cumQty = decimalText(row, 'cum_qty', what);
      return {
        id,
        executionId: executionIdentity(orderId, cumQty),
        orderId,
        symbol,
        side: side === 'buy' ? 'BUY' : 'SELL',
        price: decimalText(row, 'price', what),
        qty: decimalText(row, 'qty', what),
        cumQty,
        leavesQty: decimalText(row, 'leaves_qty', what),
        at: Number.isNaN(at) ? 0 : at,
      };
    });
  }

  async positions(): Promise<Array<{ symbol: string; qty: Decimal; averagePrice: Decimal; unrealized: Decimal }>> {
    const rows = await this.#client.trading.positions.getAllOpenPositions();
    return rows.map((raw, index) => {
      const what = `GET /v2/positions[${index}]`;
      const row = raw as unknown as Record<string, unknown>;
      if (typeof row['symbol'] !== 'string') throw new VenueReplyError(`${what}: symbol is missing`);
      // The SDK maps positions to camelCase only.
      return { symbol: row['symbol'], qty: decimalText(row, 'qty', what), averagePrice: decimalText(row, 'avgEntryPrice', what), unrealized: decimalText(row, 'unrealizedPl', what) };
    });
  }

  /** GET /v2/clock: the venue's time, whether the session is open, and its next open and close. */
  async clock(): Promise<VenueClockReading> {
    const row = (await this.#client.trading.clock.legacyClock()) as unknown as Record<string, unknown>;
    const time = (name: string): number => {
      const value = row[name];
      const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (!Number.isFinite(ms)) throw new VenueReplyError(`GET /v2/clock: ${name} is not a time`);
      return ms;
    };
    if (typeof row['isOpen'] !== 'boolean') throw new VenueReplyError('GET /v2/clock: is_open is not a boolean');
    return { timestamp: time('timestamp'), isOpen: row['isOpen'], nextOpen: time('nextOpen'), nextClose: time('nextClose') };
  }

  /** GET /v2/account: what `accounts provision` shows of an account (its number, status, buying power, cash). */
  async account(): Promise<{ accountNumber: string; status: string; buyingPower: Decimal; cash: Decimal }> {
    const row = (await this.#client.trading.account.getAccount()) as unknown as Record<string, unknown>;
    const what = 'GET /v2/account';
    const pick = (snake: string, camel: string): unknown => row[snake] ?? row[camel];
    const accountNumber = pick('account_number', 'accountNumber');
    const status = pick('status', 'status');
    if (typeof accountNumber !== 'string' || typeof status !== 'string') throw new VenueReplyError(`${what}: account_number or status is missing`);
    const amount = (snake: string, camel: string): Decimal => {
      const value = pick(snake, camel);
      if (typeof value !== 'string') throw new VenueReplyError(`${what}: ${snake} is not a decimal string`);
      return Decimal.parse(value, `${what} ${snake}`);
    };
    return { accountNumber, status, buyingPower: amount('buying_power', 'buyingPower'), cash: amount('cash', 'cash') };
  }

  /** GET /v2/calendar: each trading day's open and close (New York) between two dates; early closes included. */
  async calendar(start: string, end: string): Promise<VenueCalendarDay[]> {
    const rows = (await this.#client.trading.calendar.legacyCalendar({ start: new Date(`${start}T00:00:00Z`), end: new Date(`${end}T00:00:00Z`) })) as unknown as Array<Record<string, unknown>>;
    return rows.map((row, index) => {
      const date = row['date'];
      const text = date instanceof Date ? date.toISOString().slice(0, 10) : typeof date === 'string' ? date.slice(0, 10) : '';
      const open = row['open'];
      const close = row['close'];
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text) || typeof open !== 'string' || typeof close !== 'string') throw new VenueReplyError(`GET /v2/calendar[${index}]: date, open or close is missing`);
      try {
        return calendarDay(text, open, close);
      } catch (error) {
        throw new VenueReplyError(`GET /v2/calendar[${index}]: ${(error as Error).message}`);
      }
    });
  }

  async equity(): Promise<Decimal> {
    const row = (await this.#client.trading.account.getAccount()) as unknown as Record<string, unknown>;
    return decimalText(row, 'equity', 'GET /v2/account');
  }

  /** An asset's increments (the SDK maps assets to camelCase only), or null when Alpaca does not list it. */
  async asset(symbol: string): Promise<{ priceIncrement: Decimal; tradeIncrement: Decimal; minOrderSize: Decimal } | null> {
    try {
      const row = (await this.#client.trading.assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: symbol } as never)) as unknown as Record<string, unknown>;
      const what = `GET /v2/assets/${symbol}`;
      return { priceIncrement: decimalText(row, 'priceIncrement', what), tradeIncrement: decimalText(row, 'minTradeIncrement', what), minOrderSize: decimalText(row, 'minOrderSize', what) };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
}
