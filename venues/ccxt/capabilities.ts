import ccxt, { type Exchange } from 'ccxt';
import { ConfigurationError } from '../../core/errors.ts';
import type { MarketType } from './config.ts';
import { PROFILES, type ExchangeProfile } from './profiles.ts';

/**
 * Whether a ccxt exchange can serve as a Flotilla venue, read from ccxt's own class (no network): the unified
 * methods the contract needs (`has`), streams for orders and trades, trigger orders for stops (`features`, where
 * ccxt states them), and a profile (profiles.ts) that says how the exchange names an order by its client order ID
 * on cancel and query. An exchange lacking any of them is refused, naming the exchange and everything it lacks.
 */

/** ccxt `has` entries the adapter calls, and what each is for. */
export const REQUIRED_METHODS: Readonly<Record<string, string>> = {
  createOrder: 'placing orders',
  cancelOrder: 'cancelling by client order ID',
  fetchOpenOrders: 'listing open orders',
  fetchClosedOrders: 'finding ended orders by client order ID',
  fetchMyTrades: 'fills since a time',
  fetchPositions: 'positions',
  fetchBalance: 'the balance',
  watchOrders: 'the private order stream',
  watchMyTrades: 'the private trade stream',
};

/** What the exchange lacks, in words; empty when it has everything. */
export function missingCapabilities(client: Exchange, marketType: MarketType): string[] {
  const missing: string[] = [];
  for (const [method, purpose] of Object.entries(REQUIRED_METHODS)) if (client.has[method] !== true && client.has[method] !== 'emulated') missing.push(`${method} (${purpose})`);
  const features = (client.features as Record<string, Record<string, { createOrder?: { triggerPrice?: unknown } } | undefined> | undefined> | undefined)?.[marketType];
  // ccxt states features per sub-type (linear, inverse); where it states them, trigger orders must be among them.
  const stated = features === undefined ? [] : Object.values(features).filter((entry) => entry !== undefined && entry !== null && typeof entry === 'object' && 'createOrder' in entry);
  if (stated.length > 0 && !stated.some((entry) => entry?.createOrder?.triggerPrice === true)) missing.push('createOrder with triggerPrice (protective stops)');
  if (!(client.id in PROFILES)) missing.push('a known way to name an order by its client order ID on cancel and query (no profile in venues/ccxt/profiles.ts)');
  return missing;
}

/** The exchange's profile; ConfigurationError naming the exchange and what it lacks when it cannot serve. */
export function checkCapabilities(exchange: string, marketType: MarketType): ExchangeProfile {
  const Class = (ccxt.pro as unknown as Record<string, (new (config?: Record<string, unknown>) => Exchange) | undefined>)[exchange];
  if (Class === undefined) throw new ConfigurationError(`ccxt exchange ${JSON.stringify(exchange)} cannot serve as a Flotilla venue: ccxt has no streaming (ccxt.pro) client for it`);
  const missing = missingCapabilities(new Class(), marketType);
  const profile = PROFILES[exchange];
  if (missing.length > 0 || profile === undefined) throw new ConfigurationError(`ccxt exchange ${JSON.stringify(exchange)} cannot serve as a Flotilla venue: it lacks ${missing.join('; ')}`);
  return profile;
}
