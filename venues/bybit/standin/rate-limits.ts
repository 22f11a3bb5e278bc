/**
 * Bybit's per-UID API rate limits: a rolling one-second window per UID and endpoint, reported on every limited
 * reply in X-Bapi-Limit (the limit), X-Bapi-Limit-Status (what is left) and X-Bapi-Limit-Reset-Timestamp (when the
 * window frees a request again if exceeded, else now); over the limit the answer is retCode 10006 with the same headers.
 *
 * Default limits for a unified (UTA) account, category linear, from Bybit's "Rate Limit Rules"
 * (https://bybit-exchange.github.io/docs/v5/rate-limit, as in bybit-exchange/docs docs/v5/rate-limit.mdx at commit
 * daf3ed1737b28d1508adda5b7aea3597054e2f84, the "UTA Pro" tables): order create/amend/cancel 10/s, batch cancel
 * 10/s counted per order in the batch, realtime/history/execution list 50/s, position list 50/s, wallet balance
 * 50/s, universal transfer 5/s, create-sub-member and create-sub-api 5/s, query-sub-members and query-api 10/s,
 * coin query-info 5/s. Endpoints the table does not list have no per-UID limit.
 */
export const DEFAULT_RATE_LIMITS: Readonly<Record<string, number>> = {
  'POST /v5/order/create': 10,
  'POST /v5/order/amend': 10,
  'POST /v5/order/cancel': 10,
  'POST /v5/order/cancel-batch': 10,
  'GET /v5/order/realtime': 50,
  'GET /v5/order/history': 50,
  'GET /v5/execution/list': 50,
  'GET /v5/position/list': 50,
  'GET /v5/account/wallet-balance': 50,
  'POST /v5/asset/transfer/universal-transfer': 5,
  'POST /v5/user/create-sub-member': 5,
  'POST /v5/user/create-sub-api': 5,
  'GET /v5/user/query-sub-members': 10,
  'GET /v5/user/query-api': 10,
  'GET /v5/asset/coin/query-info': 5,
};

export const WINDOW_MS = 1_000;

export interface LimitState {
  limit: number;
  /** What is left in the window after this request (0 when it was refused). */
  remaining: number;
  /** When the window frees a request again if it is exhausted; otherwise now. */
  resetAt: number;
}

export interface Admission extends LimitState {
  /** How many of the requested units were granted: all, or for a batch the first ones that fit. */
  granted: number;
}

export function limitHeaders(state: LimitState): Record<string, string> {
  return {
    'X-Bapi-Limit': String(state.limit),
    'X-Bapi-Limit-Status': String(state.remaining),
    'X-Bapi-Limit-Reset-Timestamp': String(state.resetAt),
  };
}

export class RateLimiter {
  readonly #limits: Readonly<Record<string, number>>;
  /** Per "uid route": the times of the units granted within the last window, oldest first. */
  readonly #windows = new Map<string, number[]>();

  constructor(limits: Readonly<Record<string, number>> = DEFAULT_RATE_LIMITS) {
    for (const [route, limit] of Object.entries(limits)) {
      if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`rate limit for ${route} must be a positive integer, got ${limit}`);
    }
    this.#limits = limits;
  }

  limitOf(route: string): number | undefined {
    return this.#limits[route];
  }

  /** Takes up to `units` from the UID's window for the route; null for a route without a limit. */
  admit(uid: number, route: string, now: number, units = 1): Admission | null {
    const limit = this.#limits[route];
    if (limit === undefined) return null;
    const key = `${uid} ${route}`;
    let times = this.#windows.get(key);
    if (times === undefined) {
      times = [];
      this.#windows.set(key, times);
    }
    let expired = 0;
    while (expired < times.length && (times[expired] as number) <= now - WINDOW_MS) expired++;
    if (expired > 0) times.splice(0, expired);
    const granted = Math.max(0, Math.min(units, limit - times.length));
    for (let index = 0; index < granted; index++) times.push(now);
    const remaining = limit - times.length;
    const exhausted = granted < units || remaining === 0;
    const resetAt = exhausted && times.length > 0 ? (times[0] as number) + WINDOW_MS : now;
    return { limit, remaining, resetAt, granted };
  }
}
