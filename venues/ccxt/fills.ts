import type { Trade } from 'ccxt';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { isFlotillaClientOrderId, parseTradeId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { ExecutionReport } from '../../core/order.ts';
import type { FillCursor, VenueFill } from '../../core/venue.ts';
import { decimalOf, decimalOrNull } from './amounts.ts';
import type { ExchangeProfile } from './profiles.ts';

/**
 * The account's trades (ccxt's fetchMyTrades and watchMyTrades), read once into rows, and `fillsSince` paging
 * through them oldest first from a durable cursor. The cursor is a time to ask from plus the trade IDs already
 * delivered at or after it ("ccxt1:<fromMs>:<offset36>/<trade id>,..."); it asks again from a little before the
 * last trade it delivered (fillSettleMs), since trades can become visible slightly out of time order, and skips
 * the IDs it remembers: nothing is lost and nothing comes twice. One listing is fetched whole (every fleet market,
 * window by window as the exchange allows) and handed out page by page.
 */

export interface TradeRow {
  id: string;
  /** The client order ID of the trade's order; "" for an order placed without one. */
  clientOrderId: string;
  orderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  price: Decimal;
  quantity: Decimal;
  fee: Decimal;
  liquidity: 'MAKER' | 'TAKER';
  at: number;
  /** The exchange's sequence, for trades that share a millisecond. */
  sequence: number | null;
  /** The order's quantity and what was left after this trade, when the exchange says. */
  orderQuantity: Decimal | null;
  leaves: Decimal | null;
}

export function readTrade(trade: Trade, profile: ExchangeProfile, exchange: string): TradeRow {
  const where = `${exchange} trade ${String(trade.id)}`;
  if (typeof trade.id !== 'string' || trade.id === '' || typeof trade.timestamp !== 'number') throw new InvalidInputError(`${where}: a trade needs an id and a time`);
  const progress = profile.fillProgress(trade);
  return {
    id: trade.id,
    clientOrderId: profile.tradeClientOrderId(trade),
    orderId: typeof trade.order === 'string' ? trade.order : '',
    symbol: trade.symbol ?? '',
    side: trade.side === 'buy' ? 'BUY' : 'SELL',
    price: decimalOf(trade.price, `${where} price`),
    quantity: decimalOf(trade.amount, `${where} amount`),
    fee: decimalOrNull(trade.fee?.cost, `${where} fee`) ?? Decimal.ZERO,
    liquidity: trade.takerOrMaker === 'maker' ? 'MAKER' : 'TAKER',
    at: trade.timestamp,
    sequence: profile.tradeSequence(trade),
    orderQuantity: progress === null ? null : decimalOf(progress.orderQuantity, `${where} order quantity`),
    leaves: progress === null ? null : decimalOf(progress.leaves, `${where} leaves`),
  };
}

export function venueFillOf(row: TradeRow, instrumentId: InstrumentId): VenueFill {
  return {
    tradeId: parseTradeId(row.id),
    clientOrderId: row.clientOrderId === '' ? `#${row.orderId}` : row.clientOrderId,
    instrumentId,
    side: row.side,
    quantity: row.quantity,
    price: row.price,
    fee: row.fee,
    liquidity: row.liquidity,
    at: row.at,
  };
}

/** ORDER_FILLED for a trade of a Flotilla order, given how much of the order has filled with it; null for anyone else's. */
export function fillReportOf(subAccountId: SubAccountId, row: TradeRow, instrumentId: InstrumentId, cumulative: Decimal, leaves: Decimal): Extract<ExecutionReport, { type: 'ORDER_FILLED' }> | null {
  if (!isFlotillaClientOrderId(row.clientOrderId)) return null;
  const fill = { ...venueFillOf(row, instrumentId), clientOrderId: row.clientOrderId as ClientOrderId };
  return { type: 'ORDER_FILLED', subAccountId, fill, cumulativeQuantity: Decimal.max(cumulative, row.quantity), leavesQuantity: Decimal.max(leaves, Decimal.ZERO) };
}

/** Oldest first: by time, then the exchange's sequence, then ID, so one listing always sorts the same way. */
export function byTime(a: TradeRow, b: TradeRow): number {
  return a.at - b.at || (a.sequence ?? 0) - (b.sequence ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const PREFIX = 'ccxt1';

interface CursorState {
  from: number;
  seen: ReadonlyArray<{ time: number; id: string }>;
}

function encodeCursor(state: CursorState): FillCursor {
  return `${PREFIX}:${state.from}:${state.seen.map((entry) => `${(entry.time - state.from).toString(36)}/${encodeURIComponent(entry.id)}`).join(',')}`;
}

function decodeCursor(cursor: FillCursor): CursorState {
  const refuse = (why: string): never => {
    throw new InvalidInputError(`fill cursor ${JSON.stringify(cursor.length > 80 ? `${cursor.slice(0, 80)}…` : cursor)} is not one the ccxt adapter made: ${why}`);
  };
  const parts = cursor.split(':');
  if (parts.length !== 3 || parts[0] !== PREFIX) refuse(`it must read ${PREFIX}:<ms>:<seen>`);
  const from = Number(parts[1]);
  if (!/^\d{1,16}$/.test(parts[1] ?? '') || !Number.isSafeInteger(from)) refuse('its time is not a whole number of ms');
  const seen: { time: number; id: string }[] = [];
  for (const entry of (parts[2] ?? '') === '' ? [] : (parts[2] ?? '').split(',')) {
    const slash = entry.indexOf('/');
    const offset = slash > 0 ? Number.parseInt(entry.slice(0, slash), 36) : Number.NaN;
    let id = '';
    try {
      id = decodeURIComponent(entry.slice(slash + 1));
    } catch {
      refuse(`${JSON.stringify(entry)} has a malformed trade ID`);
    }
    if (!/^[0-9a-z]{1,11}$/.test(entry.slice(0, slash)) || !Number.isSafeInteger(offset) || id === '') refuse(`${JSON.stringify(entry)} is not <offset>/<trade ID>`);
    seen.push({ time: from + offset, id });
  }
  return { from, seen };
}

function advance(state: CursorState, taken: readonly TradeRow[], settleMs: number): CursorState {
  const last = taken[taken.length - 1];
  if (last === undefined) return state;
  const from = Math.max(state.from, last.at - settleMs);
  const ids = new Set<string>();
  const seen: { time: number; id: string }[] = [];
  for (const entry of [...state.seen, ...taken.map((row) => ({ time: row.at, id: row.id }))]) {
    if (entry.time < from || ids.has(entry.id)) continue;
    ids.add(entry.id);
    seen.push(entry);
  }
  return { from, seen };
}

export interface FillListingOptions {
  /** The sub-account's trades on one market in [since, until] (until null: as far as the exchange goes). */
  fetch: (subAccountId: SubAccountId, symbol: string, since: number, until: number | null) => Promise<TradeRow[]>;
  symbols: () => string[];
  now: () => number;
  settleMs: number;
  lookbackMs: number;
  /** The longest span one listing may ask for; null for none. */
  windowMs: number | null;
}

export class FillListing {
  readonly #options: FillListingOptions;
  readonly #rest = new Map<SubAccountId, { cursor: FillCursor; state: CursorState; rows: TradeRow[] }>();

  constructor(options: FillListingOptions) {
    this.#options = options;
  }

  /** The next page; `listedFrom` is where a fresh listing began (null when the page came from one already fetched). */
  async page(subAccountId: SubAccountId, cursor: FillCursor | null, limit: number): Promise<{ rows: TradeRow[]; cursor: FillCursor; complete: boolean; listedFrom: number | null }> {
    const kept = this.#rest.get(subAccountId);
    let state: CursorState;
    let rows: TradeRow[];
    let listedFrom: number | null = null;
    if (kept !== undefined && cursor !== null && kept.cursor === cursor) {
      ({ state, rows } = kept);
    } else {
      state = cursor === null ? { from: Math.max(0, this.#options.now() - this.#options.lookbackMs), seen: [] } : decodeCursor(cursor);
      rows = await this.#since(subAccountId, state);
      listedFrom = state.from;
    }
    const page = rows.slice(0, limit);
    const rest = rows.slice(limit);
    const next = advance(state, page, this.#options.settleMs);
    const nextCursor = encodeCursor(next);
    if (rest.length > 0) this.#rest.set(subAccountId, { cursor: nextCursor, state: next, rows: rest });
    else this.#rest.delete(subAccountId);
    return { rows: page, cursor: nextCursor, complete: rest.length === 0, listedFrom };
  }

  async #since(subAccountId: SubAccountId, state: CursorState): Promise<TradeRow[]> {
    const { windowMs, now } = this.#options;
    const seen = new Set(state.seen.map((entry) => entry.id));
    const found = new Map<string, TradeRow>();
    for (const symbol of this.#options.symbols()) {
      for (let start = state.from; ; start += windowMs ?? 0) {
        // The last window is left open, so the exchange's own clock bounds it.
        const last = windowMs === null || start + windowMs > now();
        for (const row of await this.#options.fetch(subAccountId, symbol, start, last ? null : start + (windowMs ?? 0) - 1)) {
          if (row.at >= state.from && !seen.has(row.id)) found.set(row.id, row);
        }
        if (last) break;
      }
    }
    return [...found.values()].sort(byTime);
  }
}
