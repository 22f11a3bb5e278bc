import type { ApiKey } from '../accounts.ts';
import type { Exchange } from '../exchange.ts';
import type { Market } from '../market.ts';
import type { LimitState, RateLimiter } from '../rate-limits.ts';
import type { Params } from '../wire.ts';

/** What a REST handler sees: the exchange, the request's parameters and, on private routes, the caller's key. */
export interface RouteContext {
  exchange: Exchange;
  market: Market;
  /** GET: the query parameters; POST: the JSON body. */
  params: Params;
  /** The caller's key and UID; a public route gets null and 0. */
  key: ApiKey | null;
  uid: number;
  /** Wall time (the clock requests are checked against). */
  now: number;
  /** Market time (candles, orders, executions). */
  marketNow: number;
  /** For a batch that takes its rate-limit units order by order. */
  limiter: RateLimiter;
  route: string;
}

export interface RouteResult {
  result: unknown;
  retExtInfo?: unknown;
  /** A route that takes its own rate-limit units reports where its window stands, for the X-Bapi-Limit headers. */
  limit?: LimitState | null;
}

/**
 * read: any valid key; trade: a key that may place orders (not read-only, ContractTrade Order); master: the master
 * UID's key, not read-only.
 */
export type Access = 'public' | 'read' | 'trade' | 'master';

export interface Route {
  access: Access;
  /** A batch takes its rate-limit units itself, one per order, so the first ones can pass and the rest fail. */
  limitsItself?: boolean;
  handle(context: RouteContext): RouteResult;
}

export type RouteTable = Readonly<Record<string, Route>>;

export function ok(result: unknown, retExtInfo?: unknown): RouteResult {
  return retExtInfo === undefined ? { result } : { result, retExtInfo };
}
