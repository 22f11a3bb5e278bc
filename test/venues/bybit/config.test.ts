import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { ConfigurationError } from '../../../core/errors.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { BybitVenue } from '../../../venues/bybit/bybit-venue.ts';
import { resolveEnvironment, resolveOptions, type BybitVenueOptions } from '../../../venues/bybit/config.ts';
import { btc } from './fixtures.ts';

/** The environments and their endpoints, and options refused by name, never echoing a key or a secret. */

const SECRET = 'FAKE-SECRET-sentinel-0123456789';

function options(overrides: Partial<BybitVenueOptions> = {}): BybitVenueOptions {
  return {
    name: 'BYBIT',
    environment: 'demo',
    credentials: new Map([[parseSubAccountId('alpha'), { key: 'FAKE-KEY-sentinel-42', secret: SECRET }]]),
    instruments: [btc],
    clock: new ManualClock(),
    logger: silentLogger,
    ...overrides,
  };
}

describe('Bybit environments', () => {
  it('maps demo, testnet and mainnet to bybit-api options, and a URL to the stand-in paths', () => {
    expect(resolveEnvironment('demo')).toMatchObject({ rest: { demoTrading: true }, privateStream: { demoTrading: true }, publicStream: {} });
    expect(resolveEnvironment('testnet')).toMatchObject({ rest: { testnet: true }, privateStream: { testnet: true }, publicStream: { testnet: true } });
    expect(resolveEnvironment('mainnet')).toMatchObject({ rest: {}, privateStream: {}, publicStream: {} });
    expect(resolveEnvironment('http://127.0.0.1:9977')).toEqual({
      label: 'http://127.0.0.1:9977',
      rest: { baseUrl: 'http://127.0.0.1:9977' },
      privateStream: { wsUrl: 'ws://127.0.0.1:9977/v5/private' },
      publicStream: { wsUrl: 'ws://127.0.0.1:9977/v5/public/linear' },
    });
    expect(resolveEnvironment('https://bybit.example:8443/').privateStream.wsUrl).toBe('wss://bybit.example:8443/v5/private');
  });

  it('refuses anything else with a sentence that names the choices', () => {
    expect(() => resolveEnvironment('prod')).toThrow(/must be "demo", "testnet", "mainnet" or a URL/);
    expect(() => resolveEnvironment('ftp://127.0.0.1:1')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => resolveEnvironment('http://127.0.0.1:1/v5')).toThrow(/root/);
  });
});

describe('Bybit venue options', () => {
  it('names every problem at once, and no key or secret', () => {
    let message = '';
    try {
      resolveOptions(
        options({
          name: 'bybit',
          environment: 'prod',
          credentials: new Map([[parseSubAccountId('alpha'), { key: 'FAKE-KEY-sentinel-42', secret: `${SECRET} with a space` }]]),
          instruments: [{ ...btc, id: 'BTCUSDT.PAPER' as typeof btc.id }],
          timeouts: { requestMs: -1, bogus: 5 } as never,
        }),
      );
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      message = (error as Error).message;
    }
    for (const problem of ['name must be', 'environment must be', 'credentials.alpha.secret must be', 'BTCUSDT.PAPER is not on venue', 'timeouts.requestMs must be', 'timeouts.bogus is not a timeout']) expect(message).toContain(problem);
    expect(message).not.toContain('sentinel');
  });

  it('builds an adapter without touching the network, with amend in place and batches of 20', () => {
    const venue = new BybitVenue(options());
    expect(venue.name).toBe('BYBIT');
    expect(venue.capabilities).toEqual({ amend: true, maxBatchCancel: 20, fillSettleMs: 10_000 });
  });
});
