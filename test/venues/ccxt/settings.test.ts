import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { ConfigurationError } from '../../../core/errors.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { Redactor } from '../../../venues/bybit/redact.ts';
import { checkCapabilities, missingCapabilities } from '../../../venues/ccxt/capabilities.ts';
import { CcxtVenue } from '../../../venues/ccxt/ccxt-venue.ts';
import { buildClient, pointAt } from '../../../venues/ccxt/client.ts';
import { outcomeOf } from '../../../venues/ccxt/outcomes.ts';
import { PROFILES } from '../../../venues/ccxt/profiles.ts';
import { ccxtSettingsSchema, createCcxtCandleSource, createCcxtVenue } from '../../../venues/ccxt/settings.ts';
import { btc } from '../bybit/fixtures.ts';

/** The `venues.<NAME>` entry for a ccxt venue, and exchanges refused at build by name and with what they lack. */

const base = { adapter: 'ccxt', exchange: 'bybit', environment: 'http://127.0.0.1:9977' };

function problems(input: unknown): string[] {
  const parsed = ccxtSettingsSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

function venueFor(exchange: string): CcxtVenue {
  return new CcxtVenue({ name: 'BYBIT', exchange, environment: 'mainnet', credentials: new Map(), instruments: [btc], clock: new ManualClock(), logger: silentLogger });
}

describe('ccxt venue settings', () => {
  it('takes an exchange, an environment, the market type and timeouts; defaultType is swap unless given', () => {
    expect(ccxtSettingsSchema.parse(base)).toEqual({ ...base, defaultType: 'swap' });
    expect(ccxtSettingsSchema.parse({ ...base, environment: 'sandbox', defaultType: 'future', timeouts: { requestMs: 2_000 } })).toMatchObject({ environment: 'sandbox', defaultType: 'future', timeouts: { requestMs: 2_000 } });
  });

  it('refuses unknown keys, exchanges ccxt does not have, bad environments and unknown timeouts, naming each', () => {
    expect(problems({ ...base, verbose: true })).toEqual([expect.stringContaining('verbose')]);
    expect(problems({ ...base, exchange: 'bybitt' })).toEqual([expect.stringMatching(/^exchange: exchange "bybitt" is not a ccxt exchange id/)]);
    expect(problems({ ...base, environment: 'demo' })).toEqual([expect.stringMatching(/^environment: .*"mainnet", "sandbox"/)]);
    expect(problems({ ...base, defaultType: 'spot' })).toEqual([expect.stringContaining('defaultType')]);
    expect(problems({ ...base, timeouts: { requestMs: 0 } })).toEqual([expect.stringContaining('timeouts.requestMs')]);
    expect(problems({ ...base, timeouts: { pingMs: 10 } })).toEqual([expect.stringContaining('pingMs')]);
  });

  it('refuses, by exchange name, an exchange that lacks a capability', () => {
    expect(problems({ ...base, exchange: 'bitstamp' })).toEqual([expect.stringMatching(/^exchange: ccxt exchange "bitstamp" cannot serve as a Flotilla venue: it lacks .*fetchPositions/)]);
  });

  it('builds the adapter from every key', () => {
    const settings = ccxtSettingsSchema.parse({ ...base, timeouts: { requestMs: 1_234 } });
    const venue = createCcxtVenue({ name: 'BYBIT', settings, credentials: new Map(), instruments: [btc], clock: new ManualClock(), logger: silentLogger, historyCandles: 10 });
    expect(venue.name).toBe('BYBIT');
    expect(venue.capabilities).toEqual({ amend: true, maxBatchCancel: 1, fillSettleMs: 10_000 });
    const candles = createCcxtCandleSource({ name: 'BYBIT', settings, credentials: new Map(), instruments: [btc], clock: new ManualClock(), logger: silentLogger, historyCandles: 10 });
    expect(() => candles.history(btc.id, '1m', 5, 0)).toThrow(/load\(\)/);
  });
});

describe('capabilities, checked against ccxt’s own classes', () => {
  it('accepts bybit: every method, the streams, trigger orders and a profile', () => {
    expect(missingCapabilities(new ccxt.pro.bybit(), 'swap')).toEqual([]);
    expect(checkCapabilities('bybit', 'swap')).toBe(PROFILES['bybit']);
  });

  it('refuses an exchange whose ccxt class lacks positions and ended orders (bitstamp), naming it and each lack', () => {
    expect(() => venueFor('bitstamp')).toThrow(ConfigurationError);
    expect(() => venueFor('bitstamp')).toThrow(/ccxt exchange "bitstamp" cannot serve as a Flotilla venue: it lacks fetchClosedOrders \(finding ended orders by client order ID\); fetchPositions \(positions\)/);
  });

  it('refuses an exchange with every method but no known way to cancel by client order ID (binanceusdm)', () => {
    expect(() => venueFor('binanceusdm')).toThrow(/"binanceusdm" cannot serve as a Flotilla venue: it lacks a known way to name an order by its client order ID on cancel and query/);
  });

  it('refuses an exchange without a ccxt.pro class', () => {
    const restOnly = ccxt.exchanges.find((id) => !(id in ccxt.pro));
    if (restOnly === undefined) return;
    expect(() => venueFor(restOnly)).toThrow(new RegExp(`${restOnly}.*has no ccxt.pro class`));
  });
});

describe('the clients the adapter builds', () => {
  it('parse amounts as strings, never log requests, and refuse to cancel every order at once', async () => {
    const client = await buildClient({ exchange: 'bybit', environment: { kind: 'url', origin: 'http://127.0.0.1:9' }, marketType: 'swap', profile: PROFILES['bybit']!, requestMs: 1_000, redactor: new Redactor() }, { key: 'k-123456', secret: 's-123456' });
    expect(client.number).toBe(String);
    expect(client.verbose).toBe(false);
    await expect(client.cancelAllOrders("BTC/USDT:USDT")).rejects.toThrow(/cancel by client order ID/);
    expect(client.urls['api']).toMatchObject({ public: 'http://127.0.0.1:9', ws: { private: { contract: 'ws://127.0.0.1:9/v5/private' } } });
  });

  it('send over node:http: a refused connection is "not sent", a reply that never comes is ccxt\'s RequestTimeout (unknown outcome)', async () => {
    const silent = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const setup = (origin: string) => ({ exchange: 'bybit', environment: { kind: 'url' as const, origin }, marketType: 'swap' as const, profile: PROFILES['bybit']!, requestMs: 300, redactor: new Redactor() });
    const refused = await buildClient(setup('http://127.0.0.1:1'), null);
    const hanging = await buildClient(setup(`http://127.0.0.1:${port}`), null);
    try {
      const notSent = await refused.fetchTime().catch((error: unknown) => error);
      expect(notSent).toBeInstanceOf(ccxt.NetworkError);
      expect(outcomeOf(notSent, PROFILES['bybit']!.codes).kind).toBe('NOT_SENT');
      const timedOut = await hanging.fetchTime().catch((error: unknown) => error);
      expect(timedOut).toBeInstanceOf(ccxt.RequestTimeout);
      expect(outcomeOf(timedOut, PROFILES['bybit']!.codes).kind).toBe('UNKNOWN_OUTCOME');
    } finally {
      await refused.close();
      await hanging.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('move every URL to a stand-in, keeping paths, ws to ws and wss to wss', () => {
    expect(pointAt({ a: 'https://api.{hostname}', b: ['wss://stream.{hostname}/v5/public/linear'], c: 'v5' }, 'https://standin.example:8443')).toEqual({
      a: 'https://standin.example:8443',
      b: ['wss://standin.example:8443/v5/public/linear'],
      c: 'v5',
    });
  });

  it('name every bad option at once', () => {
    expect(() => new CcxtVenue({ name: 'bybit', exchange: 'bybit', environment: 'ftp://x', credentials: new Map([[parseSubAccountId('alpha'), { key: '', secret: 'x' }]]), instruments: [btc], clock: new ManualClock(), logger: silentLogger })).toThrow(
      /name must be 2-16 capitals.*URL must be http:\/\/ or https:\/\/.*credentials\.alpha\.key must be 1-256 printable characters.*instrument BTCUSDT\.BYBIT is not on venue bybit/,
    );
  });
});
