import ccxt from 'ccxt';
import type { Clock } from '../../core/clock.ts';
import { ConfigurationError } from '../../core/errors.ts';
import { instrumentSymbol, instrumentVenue, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';

/**
 * What a CcxtVenue is built from: the venue's name, the ccxt exchange id, the environment (mainnet, the exchange's
 * sandbox, or the URL of a stand-in that speaks the exchange's wire), the market type, one key per sub-account,
 * the fleet's instruments, a clock, a logger and timeouts. Every option is checked here and every problem named
 * at once; no key or secret is ever part of a message.
 */

/** A sub-account's API key. Held only inside the adapter's ccxt clients: never logged, never in an error. */
export interface CcxtCredentials {
  key: string;
  secret: string;
}

export interface CcxtTimeouts {
  /** ccxt's `timeout`: how long one HTTP request may take before its outcome counts as unknown. */
  requestMs: number;
  /** How long a command may spend learning an unknown outcome (asking by client order ID) before OutcomeUnknownError. */
  settleMs: number;
  /** How long a new entry may wait for rate limits or an unreachable exchange before it is rejected unsent. */
  entryDeadlineMs: number;
  /** The first wait after a rate-limit refusal; doubles on each one in a row, up to ten times this. */
  rateLimitBackoffMs: number;
  /** The private stream's first reconnect delay; doubles on each failed attempt, up to reconnectMaxMs. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** How long start() waits for each private stream to connect before going on without it (it keeps trying). */
  connectMs: number;
  /** How far before the last fill a fill cursor asks again (trades may become visible slightly out of time order). */
  fillSettleMs: number;
  /** Where a fill listing without a cursor starts: this long before now. */
  fillLookbackMs: number;
}

export const DEFAULT_TIMEOUTS: CcxtTimeouts = {
  requestMs: 5_000,
  settleMs: 30_000,
  entryDeadlineMs: 10_000,
  rateLimitBackoffMs: 1_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
  connectMs: 10_000,
  fillSettleMs: 10_000,
  fillLookbackMs: 7 * 86_400_000,
};

/** The market types the adapter trades: derivatives with positions (spot has none to reconcile against). */
export const MARKET_TYPES = ['swap', 'future'] as const;
export type MarketType = (typeof MARKET_TYPES)[number];

export interface CcxtVenueOptions {
  /** The venue's name in instrument IDs: "BYBIT" in BTCUSDT.BYBIT. */
  name: string;
  /** ccxt's exchange id, e.g. "bybit". */
  exchange: string;
  /** "mainnet", "sandbox" (the exchange's test environment, ccxt's setSandboxMode), or a stand-in's URL. */
  environment: string;
  /** Which markets the instruments are: "swap" (perpetuals, the default) or "future". */
  marketType?: MarketType;
  credentials: ReadonlyMap<SubAccountId, CcxtCredentials>;
  /** The fleet's instruments on this venue; the exchange's market id is the part of the ID before ".<name>". */
  instruments: readonly Instrument[];
  clock: Clock;
  logger: Logger;
  timeouts?: Partial<CcxtTimeouts>;
}

export type Environment = { kind: 'mainnet' } | { kind: 'sandbox' } | { kind: 'url'; origin: string };

const VENUE_NAME = /^[A-Z][A-Z0-9]{1,15}$/;

/** An environment as the adapter uses it; ConfigurationError for anything else. */
export function resolveEnvironment(environment: string, what = 'environment'): Environment {
  if (environment === 'mainnet') return { kind: 'mainnet' };
  if (environment === 'sandbox' || environment === 'testnet') return { kind: 'sandbox' };
  let url: URL;
  try {
    url = new URL(environment);
  } catch {
    throw new ConfigurationError(`${what} must be "mainnet", "sandbox" (or "testnet") or a stand-in's URL such as "http://127.0.0.1:9977", got ${JSON.stringify(environment)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigurationError(`${what} URL must be http:// or https://, got ${JSON.stringify(environment)}`);
  if (url.username !== '' || url.password !== '') throw new ConfigurationError(`${what} URL must not carry a user or password`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') throw new ConfigurationError(`${what} URL must be the server's root (scheme, host and port only), got ${JSON.stringify(environment)}`);
  return { kind: 'url', origin: url.origin };
}

/** Null when ccxt (with ccxt.pro's streams) has the exchange; else why not. */
export function exchangeProblem(exchange: string): string | null {
  if (!ccxt.exchanges.includes(exchange)) return `exchange ${JSON.stringify(exchange)} is not a ccxt exchange id (see ccxt.exchanges)`;
  if (!(exchange in ccxt.pro)) return `exchange ${JSON.stringify(exchange)} has no ccxt.pro class: the adapter needs its private streams`;
  return null;
}

export function credentialProblem(subAccountId: string, credentials: CcxtCredentials | undefined): string | null {
  if (credentials === undefined || typeof credentials !== 'object') return `credentials for sub-account ${subAccountId} are missing`;
  if (typeof credentials.key !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(credentials.key)) return `credentials.${subAccountId}.key must be 1-256 printable characters`;
  if (typeof credentials.secret !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(credentials.secret)) return `credentials.${subAccountId}.secret must be 1-512 printable characters`;
  return null;
}

export interface ResolvedOptions {
  name: string;
  exchange: string;
  environment: Environment;
  marketType: MarketType;
  credentials: Map<SubAccountId, CcxtCredentials>;
  /** The exchange's market id of each fleet instrument. */
  marketIdOf: Map<InstrumentId, string>;
  timeouts: CcxtTimeouts;
}

export function resolveOptions(options: CcxtVenueOptions): ResolvedOptions {
  const problems: string[] = [];
  if (!VENUE_NAME.test(options.name)) problems.push(`name must be 2-16 capitals and digits starting with a letter, got ${JSON.stringify(options.name)}`);
  const exchange = exchangeProblem(options.exchange);
  if (exchange !== null) problems.push(exchange);
  let environment: Environment | null = null;
  try {
    environment = resolveEnvironment(options.environment);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const marketType = options.marketType ?? 'swap';
  if (!MARKET_TYPES.includes(marketType)) problems.push(`marketType must be one of ${MARKET_TYPES.join(', ')}, got ${JSON.stringify(marketType)}`);
  const credentials = new Map<SubAccountId, CcxtCredentials>();
  for (const [subAccountId, given] of options.credentials) {
    const problem = credentialProblem(subAccountId, given);
    if (problem !== null) problems.push(problem);
    else credentials.set(subAccountId, { key: given.key, secret: given.secret });
  }
  const marketIdOf = new Map<InstrumentId, string>();
  for (const instrument of options.instruments) {
    if (instrumentVenue(instrument.id) !== options.name) problems.push(`instrument ${instrument.id} is not on venue ${options.name}`);
    else if (marketIdOf.has(instrument.id)) problems.push(`instrument ${instrument.id} is listed twice`);
    else marketIdOf.set(instrument.id, instrumentSymbol(instrument.id));
  }
  const timeouts = { ...DEFAULT_TIMEOUTS };
  for (const [key, value] of Object.entries(options.timeouts ?? {})) {
    if (!(key in DEFAULT_TIMEOUTS)) problems.push(`timeouts.${key} is not a timeout the adapter knows (${Object.keys(DEFAULT_TIMEOUTS).join(', ')})`);
    else if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) problems.push(`timeouts.${key} must be a positive integer of ms, got ${JSON.stringify(value)}`);
    else timeouts[key as keyof CcxtTimeouts] = value;
  }
  if (timeouts.reconnectMaxMs < timeouts.reconnectMinMs) problems.push('timeouts.reconnectMaxMs must not be below timeouts.reconnectMinMs');
  if (problems.length > 0 || environment === null) throw new ConfigurationError(`ccxt venue ${JSON.stringify(options.name)}: ${problems.join('; ')}`);
  return { name: options.name, exchange: options.exchange, environment, marketType, credentials, marketIdOf, timeouts };
}
