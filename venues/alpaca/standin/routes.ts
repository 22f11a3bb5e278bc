import { Decimal } from '../../../core/decimal.ts';
import { formatNewYork, isOpen, nextClose, nextOpen, sessionsBetween, newYorkTimeOfDay } from '../../../core/us-equity-calendar.ts';
import { assetJson } from './assets.ts';
import { parseTimeframe, type BarBook } from './bars.ts';
import type { Account, Exchange, FillActivity } from './exchange.ts';
import { OPEN_STATUSES, orderJson, type AlpacaOrder } from './orders.ts';
import { integerParam, invalid, iso, notFound, timeParam, type Body } from './wire.ts';

/** The REST routes the stand-in serves, each a template ("/v2/orders/{id}") and a handler. */

export interface RouteContext {
  exchange: Exchange;
  bars: BarBook;
  account: Account;
  query: URLSearchParams;
  body: Body;
  params: Record<string, string>;
  /** Market time. */
  now: number;
}

/** 204 with no body when the handler returns undefined. */
export type Handler = (context: RouteContext) => unknown;

export interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  names: string[];
  handle: Handler;
}

function route(method: string, template: string, handle: Handler): Route {
  const names: string[] = [];
  // The colon in /v2/orders:by_client_order_id is part of the path, not a parameter.
  const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => (names.push(name), '([^/]+)'));
  return { method, template, pattern: new RegExp(`^${source}$`), names, handle };
}

export function findRoute(routes: readonly Route[], method: string, path: string): { route: Route; params: Record<string, string> } | null {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (match === null) continue;
    const params: Record<string, string> = {};
    candidate.names.forEach((name, index) => (params[name] = decodeURIComponent(match[index + 1] ?? '')));
    return { route: candidate, params };
  }
  return null;
}

function accountJson({ exchange, account }: RouteContext): Record<string, unknown> {
  const funds = exchange.funds(account);
  let cash = funds.engineBalance;
  let long = Decimal.ZERO;
  let short = Decimal.ZERO;
  for (const position of exchange.positions(account)) {
    // The engine books a position on margin, as a perpetual; at Alpaca buying shares spends cash and shorting adds it.
    cash = cash.sub(position.qty.mul(position.averagePrice));
    const value = position.qty.mul(position.price);
    if (position.qty.isPositive()) long = long.add(value);
    else short = short.add(value);
  }
  const buyingPower = funds.freeMargin.mul(funds.leverage);
  return {
    id: account.id,
    account_number: account.accountNumber,
    status: 'ACTIVE',
    crypto_status: 'INACTIVE',
    currency: 'USD',
    cash: cash.toString(),
    portfolio_value: funds.equity.toString(),
    equity: funds.equity.toString(),
    last_equity: funds.equity.toString(),
    long_market_value: long.toString(),
    short_market_value: short.toString(),
    buying_power: buyingPower.toString(),
    regt_buying_power: buyingPower.toString(),
    daytrading_buying_power: buyingPower.toString(),
    non_marginable_buying_power: funds.freeMargin.toString(),
    initial_margin: funds.equity.sub(funds.freeMargin).toString(),
    maintenance_margin: funds.equity.sub(funds.freeMargin).toString(),
    multiplier: funds.leverage.toString(),
    pattern_day_trader: false,
    trading_blocked: false,
    transfers_blocked: false,
    account_blocked: false,
    shorting_enabled: true,
    trade_suspended_by_user: false,
    created_at: iso(account.createdAt),
  };
}

function positionJson(position: ReturnType<Exchange['positions']>[number]): Record<string, unknown> {
  const costBasis = position.qty.mul(position.averagePrice);
  const marketValue = position.qty.mul(position.price);
  const unrealized = marketValue.sub(costBasis);
  return {
    asset_id: position.asset.id,
    symbol: position.symbol,
    exchange: 'NASDAQ',
    asset_class: 'us_equity',
    asset_marginable: true,
    avg_entry_price: position.averagePrice.toString(),
    qty: position.qty.toString(),
    qty_available: position.qty.toString(),
    side: position.qty.isPositive() ? 'long' : 'short',
    market_value: marketValue.toString(),
    cost_basis: costBasis.toString(),
    unrealized_pl: unrealized.toString(),
    unrealized_plpc: costBasis.isZero() ? '0' : unrealized.div(costBasis.abs()).round(8).toString(),
    unrealized_intraday_pl: unrealized.toString(),
    unrealized_intraday_plpc: costBasis.isZero() ? '0' : unrealized.div(costBasis.abs()).round(8).toString(),
    current_price: position.price.toString(),
    lastday_price: position.price.toString(),
    change_today: '0',
  };
}

function fillJson(fill: FillActivity): Record<string, unknown> {
  return {
    id: fill.id,
    activity_type: 'FILL',
    transaction_time: iso(fill.transactionTime),
    type: fill.type,
    price: fill.price.toString(),
    qty: fill.qty.toString(),
    side: fill.side,
    symbol: fill.symbol,
    leaves_qty: fill.leavesQty.toString(),
    order_id: fill.orderId,
    cum_qty: fill.cumQty.toString(),
    order_status: fill.orderStatus,
  };
}

/** GET /v2/account/activities/FILL: by transaction time, `direction` asc or desc (desc by default), paged by activity ID. */
function fills({ account, query }: RouteContext): unknown {
  const after = timeParam(query, 'after');
  const until = timeParam(query, 'until');
  const direction = query.get('direction') ?? 'desc';
  if (direction !== 'asc' && direction !== 'desc') throw invalid('direction must be asc or desc');
  const pageSize = integerParam(query, 'page_size', 100, 1, 100);
  let rows = account.fills.filter((fill) => (after === null || fill.transactionTime > after) && (until === null || fill.transactionTime < until));
  if (direction === 'desc') rows = rows.slice().reverse();
  const token = query.get('page_token');
  if (token !== null && token !== '') {
    const index = rows.findIndex((fill) => fill.id === token);
    if (index < 0) throw invalid('page_token is not an activity of this listing');
    rows = rows.slice(index + 1);
  }
  return rows.slice(0, pageSize).map(fillJson);
}

function listOrders({ exchange, account, query }: RouteContext): unknown {
  const status = query.get('status') ?? 'open';
  if (!['open', 'closed', 'all'].includes(status)) throw invalid('status must be open, closed or all');
  const limit = integerParam(query, 'limit', 50, 1, 500);
  const after = timeParam(query, 'after');
  const until = timeParam(query, 'until');
  const direction = query.get('direction') ?? 'desc';
  if (direction !== 'asc' && direction !== 'desc') throw invalid('direction must be asc or desc');
  const symbols = query.get('symbols')?.split(',').filter((symbol) => symbol !== '') ?? [];
  let rows = [...account.orders.values()].filter((order) => {
    const open = OPEN_STATUSES.has(order.status);
    if (status === 'open' && !open) return false;
    if (status === 'closed' && open) return false;
    if (after !== null && order.createdAt <= after) return false;
    if (until !== null && order.createdAt >= until) return false;
    return symbols.length === 0 || symbols.includes(order.symbol);
  });
  // nested=true: an oco's leg is listed inside its parent, not on its own.
  const nestedListing = query.get('nested') === 'true';
  if (nestedListing) rows = rows.filter((order) => order.parentId === null);
  rows.sort((a, b) => a.sequence - b.sequence);
  if (direction === 'desc') rows = rows.reverse();
  return rows.slice(0, limit).map((order) => (nestedListing ? orderJson(order, exchange.legsOf(account, order)) : orderJson(order)));
}

/** Node's JSON.rawJSON (not in TypeScript's lib yet): a number written from its decimal text, exactly. */
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function bars({ bars: book, query, now }: RouteContext): unknown {
  const symbols = (query.get('symbols') ?? '').split(',').filter((symbol) => symbol !== '');
  if (symbols.length === 0) throw invalid('symbols is required');
  for (const symbol of symbols) if (!book.serves(symbol)) throw invalid(`invalid symbol: ${symbol}`);
  const timeframe = parseTimeframe(query.get('timeframe') ?? '');
  const feed = query.get('feed') ?? 'sip';
  if (feed !== 'iex' && feed !== 'sip') throw invalid('feed must be iex or sip');
  const start = timeParam(query, 'start') ?? now - (now % 86_400_000);
  const end = timeParam(query, 'end') ?? now;
  const limit = integerParam(query, 'limit', 1000, 1, 10_000);
  const sort = query.get('sort') ?? 'asc';
  if (sort !== 'asc' && sort !== 'desc') throw invalid('sort must be asc or desc');
  const token = query.get('page_token');
  const skip = token === null || token === '' ? 0 : Number(Buffer.from(token, 'base64url').toString('utf8'));
  if (!Number.isSafeInteger(skip) || skip < 0) throw invalid('invalid page_token');
  const rows: Array<{ symbol: string; bar: ReturnType<BarBook['bars']>[number] }> = [];
  for (const symbol of [...symbols].sort()) {
    const list = book.bars(symbol, timeframe, start, end);
    for (const bar of sort === 'asc' ? list : list.reverse()) rows.push({ symbol, bar });
  }
  const page = rows.slice(skip, skip + limit);
  const out: Record<string, unknown[]> = {};
  for (const { symbol, bar } of page) {
    // Alpaca's bars carry JSON numbers; written from the decimal text, so nothing is rounded on the way.
    (out[symbol] ??= []).push({ t: iso(bar.t), o: rawJSON(bar.o.toString()), h: rawJSON(bar.h.toString()), l: rawJSON(bar.l.toString()), c: rawJSON(bar.c.toString()), v: rawJSON(bar.v.toString()), n: bar.n, vw: rawJSON(bar.c.toString()) });
  }
  const next = skip + limit < rows.length ? Buffer.from(String(skip + limit), 'utf8').toString('base64url') : null;
  return { bars: out, next_page_token: next, currency: 'USD' };
}

function clock({ now }: RouteContext): unknown {
  return { timestamp: formatNewYork(now), is_open: isOpen(now), next_open: formatNewYork(nextOpen(now)), next_close: formatNewYork(nextClose(now)) };
}

function calendar({ query, now }: RouteContext): unknown {
  const today = new Date(now).toISOString().slice(0, 10);
  // A date, or an RFC 3339 time whose date part is taken (the SDK sends Dates as ISO times).
  const dateOf = (name: string, fallback: string): string => {
    const value = query.get(name) ?? fallback;
    if (!/^\d{4}-\d{2}-\d{2}/.test(value)) throw invalid(`${name} must be YYYY-MM-DD or an RFC 3339 time`);
    return value.slice(0, 10);
  };
  const start = dateOf('start', today);
  const end = dateOf('end', start);
  return sessionsBetween(start, end).map((session) => ({
    date: session.date,
    open: newYorkTimeOfDay(session.open),
    close: newYorkTimeOfDay(session.close),
    session_open: '0400',
    session_close: '2000',
    settlement_date: session.date,
  }));
}

/** A single order as Alpaca answers it: an oco parent with its legs. */
function nested(exchange: RouteContext['exchange'], account: RouteContext['account'], order: AlpacaOrder): unknown {
  return orderJson(order, exchange.legsOf(account, order));
}

export const ROUTES: readonly Route[] = [
  route('GET', '/v2/account', accountJson),
  route('GET', '/v2/clock', clock),
  route('GET', '/v2/calendar', calendar),
  route('GET', '/v2/assets/{symbol}', ({ exchange, params }) => {
    const asset = exchange.asset(params['symbol'] ?? '');
    if (asset === undefined) throw notFound('asset not found');
    return assetJson(asset);
  }),
  route('GET', '/v2/assets', ({ exchange }) => exchange.assets().map(assetJson)),
  route('POST', '/v2/orders', ({ exchange, account, body }) => nested(exchange, account, exchange.placeOrder(account, body))),
  route('GET', '/v2/orders', listOrders),
  route('GET', '/v2/orders:by_client_order_id', ({ exchange, account, query }) => {
    const id = query.get('client_order_id');
    if (id === null || id === '') throw invalid('client_order_id is required');
    return nested(exchange, account, exchange.orderByClientId(account, id));
  }),
  route('GET', '/v2/orders/{id}', ({ exchange, account, params }) => nested(exchange, account, exchange.order(account, params['id'] ?? ''))),
  route('PATCH', '/v2/orders/{id}', ({ exchange, account, params, body }) => nested(exchange, account, exchange.replaceOrder(account, params['id'] ?? '', body))),
  route('DELETE', '/v2/orders/{id}', ({ exchange, account, params }) => {
    exchange.cancelOrder(account, params['id'] ?? '');
    return undefined;
  }),
  route('GET', '/v2/positions', ({ exchange, account }) => exchange.positions(account).map(positionJson)),
  route('GET', '/v2/positions/{symbol}', ({ exchange, account, params }) => {
    const position = exchange.positions(account).find((row) => row.symbol === params['symbol']);
    if (position === undefined) throw notFound('position does not exist');
    return positionJson(position);
  }),
  route('GET', '/v2/account/activities/FILL', fills),
  route('GET', '/v2/account/activities', (context) => {
    const types = context.query.get('activity_types');
    if (types !== 'FILL') throw invalid('the stand-in lists FILL activities only (activity_types=FILL)');
    return fills(context);
  }),
  route('GET', '/v2/stocks/bars', bars),
  route('GET', '/v2/stocks/{symbol}/bars', (context) => {
    const query = new URLSearchParams(context.query);
    query.set('symbols', context.params['symbol'] ?? '');
    const result = bars({ ...context, query }) as { bars: Record<string, unknown[]>; next_page_token: string | null };
    return { bars: result.bars[context.params['symbol'] ?? ''] ?? [], symbol: context.params['symbol'], next_page_token: result.next_page_token };
  }),
];

/** Routes Alpaca has and the stand-in refuses on purpose, with why. */
export const REFUSED: Readonly<Record<string, string>> = {
  'DELETE /v2/orders': 'cancelling every order at once is not served: cancel each order by its ID',
  'DELETE /v2/positions': 'closing every position at once is not served: close each position with an order',
};

