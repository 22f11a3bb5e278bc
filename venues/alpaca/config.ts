import { ConfigurationError } from '../../core/errors.ts';

/**
 * Where the adapter connects and how long it waits. An environment is "paper" (Alpaca's paper trading), "live", or a
 * stand-in's URL ("http://127.0.0.1:9978"), where trading, market data and both streams are served on one port.
 */

export type AlpacaFeed = 'iex' | 'sip';

export interface AlpacaTimeouts {
  /** One REST request, then it counts as a timeout (an ambiguous outcome for a POST). */
  requestMs: number;
  /** How long a submit, cancel or replace whose outcome was ambiguous keeps asking by client order ID. */
  settleMs: number;
  /** How long start() waits for the trade_updates streams before it goes on without them. */
  connectMs: number;
  /** Reconnect delays of the streams, doubling from min to max; never given up. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** fillsSince without a cursor starts this far back. */
  fillLookbackMs: number;
  /** How often the venue's clock (GET /v2/clock) is asked whether the US equity session is open. */
  clockPollMs: number;
}

export const DEFAULT_TIMEOUTS: AlpacaTimeouts = {
  requestMs: 5_000,
  settleMs: 10_000,
  connectMs: 10_000,
  reconnectMinMs: 1_000,
  reconnectMaxMs: 30_000,
  fillLookbackMs: 7 * 86_400_000,
  clockPollMs: 15_000,
};

export interface AlpacaEndpoints {
  /** Paper or live, as the SDK's `paper` option. */
  paper: boolean;
  /** A stand-in's base URL: both REST hosts are rewritten to it and its streams are used; null for Alpaca itself. */
  standin: string | null;
  tradingStreamUrl: string | undefined;
  dataStreamUrl(feed: AlpacaFeed): string | undefined;
}

export function resolveEnvironment(environment: string): AlpacaEndpoints {
  if (environment === 'paper' || environment === 'live') {
    return { paper: environment === 'paper', standin: null, tradingStreamUrl: undefined, dataStreamUrl: () => undefined };
  }
  let url: URL;
  try {
    url = new URL(environment);
  } catch {
    throw new ConfigurationError(`environment must be "paper", "live" or a stand-in's http:// URL, got ${JSON.stringify(environment)}`);
  }
  if (url.protocol !== 'http:' || (url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigurationError(`a stand-in environment is a plain http://host:port URL, got ${JSON.stringify(environment)}`);
  }
  const base = `http://${url.host}`;
  const ws = `ws://${url.host}`;
  return { paper: true, standin: base, tradingStreamUrl: `${ws}/stream`, dataStreamUrl: (feed) => `${ws}/v2/${feed}` };
}

export function resolveTimeouts(overrides: Partial<AlpacaTimeouts> | undefined): AlpacaTimeouts {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...overrides };
  for (const [key, value] of Object.entries(timeouts)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigurationError(`timeouts.${key} must be a positive whole number of ms, got ${value}`);
  }
  if (timeouts.reconnectMaxMs < timeouts.reconnectMinMs) throw new ConfigurationError('timeouts.reconnectMaxMs must not be below timeouts.reconnectMinMs');
  return timeouts;
}
