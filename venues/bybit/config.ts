import type { Clock } from '../../core/clock.ts';
import { ConfigurationError } from '../../core/errors.ts';
import { instrumentSymbol, instrumentVenue, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { Logger } from '../../core/logger.ts';

/**
 * What a BybitVenue is built from: the venue's name, the environment (Bybit's demo trading, testnet or mainnet, or
 * the URL of a stand-in), one key per sub-account, the fleet's instruments, a clock, a logger and timeouts. Every
 * option is checked here, and a problem is one ConfigurationError naming each bad key; no key or secret is ever
 * part of a message.
 */

/** A sub-account's API key. Held only inside the adapter: never logged, never in an error, a report or a metric. */
export interface BybitCredentials {
  key: string;
  secret: string;
}

export interface BybitTimeouts {
  /** How long one HTTP request may take before its outcome counts as unknown. */
  requestMs: number;
  /** X-BAPI-RECV-WINDOW: how long after it was signed Bybit still takes a request. */
  recvWindowMs: number;
  /**
   * How long a command may spend settling an unknown outcome (asking Bybit by orderLinkId, sending again under the
   * same ID) before it gives up with OutcomeUnknownError and leaves the order to reconciliation.
   */
  settleMs: number;
  /**
   * How long a new entry may wait for rate limits before it is rejected unsent: an entry sent late is a different
   * trade. Protective orders and cancels wait as long as it takes.
   */
  entryDeadlineMs: number;
  /** Waiting out a 10006 that came without a reset time. */
  rateLimitBackoffMs: number;
  /** Waiting out HTTP 429 (Bybit overloaded); doubles on each one in a row, up to ten times this. */
  overloadBackoffMs: number;
  /** Waiting out HTTP 403 (the IP limit, which Bybit holds for minutes); doubles on each one in a row, up to ten times this. */
  ipLimitBackoffMs: number;
  /** The private stream's first reconnect delay; doubles on each failed attempt, up to reconnectMaxMs. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** How long start() waits for each private stream to connect before going on without it (it keeps trying). */
  connectMs: number;
  /** How often the clock offset to Bybit's server time is measured again. */
  clockResyncMs: number;
  /**
   * How far before the last fill a fill cursor re-asks: executions may become visible slightly out of time order,
   * so a cursor remembers the IDs it has delivered over this span instead of trusting one timestamp.
   */
  fillSettleMs: number;
  /** Where a fill listing without a cursor starts: this long before now (Bybit answers a week per request). */
  fillLookbackMs: number;
}

export const DEFAULT_TIMEOUTS: BybitTimeouts = {
  requestMs: 5_000,
  recvWindowMs: 5_000,
  settleMs: 30_000,
  entryDeadlineMs: 10_000,
  rateLimitBackoffMs: 1_000,
  overloadBackoffMs: 1_000,
  ipLimitBackoffMs: 60_000,
  reconnectMinMs: 500,
  reconnectMaxMs: 30_000,
  connectMs: 10_000,
  clockResyncMs: 15 * 60_000,
  fillSettleMs: 10_000,
  fillLookbackMs: 7 * 86_400_000,
};

export interface BybitVenueOptions {
  /** The venue's name in instrument IDs: "BYBIT" in BTCUSDT.BYBIT. */
  name: string;
  /** "demo" (Bybit's demo trading), "testnet", "mainnet", or a stand-in's URL such as "http://127.0.0.1:9977". */
  environment: string;
  credentials: ReadonlyMap<SubAccountId, BybitCredentials>;
  /** The fleet's instruments on this venue; the Bybit symbol is the part of the ID before ".<name>". */
  instruments: readonly Instrument[];
  /** Report times; the wire (signatures, rate-limit resets, backoffs) runs on the wall clock, as Bybit does. */
  clock: Clock;
  logger: Logger;
  timeouts?: Partial<BybitTimeouts>;
}

/** Where an environment's REST and WebSocket endpoints are, in the options bybit-api takes. */
export interface BybitEndpoints {
  /** For messages: the environment as configured. */
  label: string;
  rest: { baseUrl?: string; testnet?: boolean; demoTrading?: boolean };
  privateStream: { wsUrl?: string; testnet?: boolean; demoTrading?: boolean };
  /** Demo trading has no market data of its own: Bybit serves it from mainnet. */
  publicStream: { wsUrl?: string; testnet?: boolean };
}

const VENUE_NAME = /^[A-Z][A-Z0-9]{1,15}$/;

/** Maps an environment to bybit-api's options; throws ConfigurationError for anything else. */
export function resolveEnvironment(environment: string, what = 'environment'): BybitEndpoints {
  switch (environment) {
    case 'demo':
      return { label: 'demo', rest: { demoTrading: true }, privateStream: { demoTrading: true }, publicStream: {} };
    case 'testnet':
      return { label: 'testnet', rest: { testnet: true }, privateStream: { testnet: true }, publicStream: { testnet: true } };
    case 'mainnet':
      return { label: 'mainnet', rest: {}, privateStream: {}, publicStream: {} };
  }
  let url: URL;
  try {
    url = new URL(environment);
  } catch {
    throw new ConfigurationError(`${what} must be "demo", "testnet", "mainnet" or a URL such as "http://127.0.0.1:9977", got ${JSON.stringify(environment)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigurationError(`${what} URL must be http:// or https://, got ${JSON.stringify(environment)}`);
  if (url.username !== '' || url.password !== '') throw new ConfigurationError(`${what} URL must not carry a user or password`);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(`${what} URL must be the server's root (scheme, host and port only), got ${JSON.stringify(environment)}`);
  }
  const origin = url.origin;
  const wsOrigin = `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
  // A stand-in serves Bybit's paths: the private stream on /v5/private, public linear data on /v5/public/linear.
  return { label: origin, rest: { baseUrl: origin }, privateStream: { wsUrl: `${wsOrigin}/v5/private` }, publicStream: { wsUrl: `${wsOrigin}/v5/public/linear` } };
}

export interface ResolvedOptions {
  name: string;
  endpoints: BybitEndpoints;
  credentials: Map<SubAccountId, BybitCredentials>;
  /** Bybit symbol → the fleet's instrument, and back. */
  bySymbol: Map<string, Instrument>;
  symbolOf: Map<InstrumentId, string>;
  timeouts: BybitTimeouts;
}

export function credentialProblem(subAccountId: string, credentials: BybitCredentials | undefined): string | null {
  if (credentials === undefined || typeof credentials !== 'object') return `credentials for sub-account ${subAccountId} are missing`;
  if (typeof credentials.key !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(credentials.key)) return `credentials.${subAccountId}.key must be 1-128 printable characters`;
  if (typeof credentials.secret !== 'string' || !/^[\x21-\x7e]{1,256}$/.test(credentials.secret)) return `credentials.${subAccountId}.secret must be 1-256 printable characters`;
  return null;
}

/** Checks every option and names every problem at once. */
export function resolveOptions(options: BybitVenueOptions): ResolvedOptions {
  const problems: string[] = [];
  if (!VENUE_NAME.test(options.name)) problems.push(`name must be 2-16 capitals and digits starting with a letter, got ${JSON.stringify(options.name)}`);
  let endpoints: BybitEndpoints | null = null;
  try {
    endpoints = resolveEnvironment(options.environment);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const credentials = new Map<SubAccountId, BybitCredentials>();
  for (const [subAccountId, given] of options.credentials) {
    const problem = credentialProblem(subAccountId, given);
    if (problem !== null) problems.push(problem);
    else credentials.set(subAccountId, { key: given.key, secret: given.secret });
  }
  const bySymbol = new Map<string, Instrument>();
  const symbolOf = new Map<InstrumentId, string>();
  for (const instrument of options.instruments) {
    if (instrumentVenue(instrument.id) !== options.name) {
      problems.push(`instrument ${instrument.id} is not on venue ${options.name}`);
      continue;
    }
    const symbol = instrumentSymbol(instrument.id);
    if (bySymbol.has(symbol)) problems.push(`instrument ${instrument.id} is listed twice`);
    bySymbol.set(symbol, instrument);
    symbolOf.set(instrument.id, symbol);
  }
  const timeouts = { ...DEFAULT_TIMEOUTS };
  for (const [key, value] of Object.entries(options.timeouts ?? {})) {
    if (!(key in DEFAULT_TIMEOUTS)) {
      problems.push(`timeouts.${key} is not a timeout the adapter knows (${Object.keys(DEFAULT_TIMEOUTS).join(', ')})`);
      continue;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) problems.push(`timeouts.${key} must be a positive integer of ms, got ${JSON.stringify(value)}`);
    else timeouts[key as keyof BybitTimeouts] = value;
  }
  if (timeouts.reconnectMaxMs < timeouts.reconnectMinMs) problems.push('timeouts.reconnectMaxMs must not be below timeouts.reconnectMinMs');
  if (problems.length > 0 || endpoints === null) throw new ConfigurationError(`Bybit venue ${JSON.stringify(options.name)}: ${problems.join('; ')}`);
  return { name: options.name, endpoints, credentials, bySymbol, symbolOf, timeouts };
}
