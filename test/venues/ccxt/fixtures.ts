import { silentLogger, type Logger } from '../../../core/logger.ts';
import type { SubAccountId } from '../../../core/ids.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import type { BybitStandinOptions } from '../../../venues/bybit/standin/standin.ts';
import { CcxtVenue } from '../../../venues/ccxt/ccxt-venue.ts';
import type { CcxtTimeouts } from '../../../venues/ccxt/config.ts';
import { btc, eth, Recorder } from '../bybit/fixtures.ts';
import { provision, startStandin, type Credentials, type Running } from '../bybit/standin/harness.ts';

/** The ccxt adapter with ccxt's bybit client against the Bybit stand-in on 127.0.0.1, sub-accounts provisioned as the CLI will. */

export interface CcxtSetup {
  running: Running;
  venue: CcxtVenue;
  accounts: SubAccountId[];
  credentials: Map<SubAccountId, Credentials>;
  recorder: Recorder;
  trade(price: string, symbol?: string): void;
  candle(open: string, high: string, low: string, close: string, symbol?: string): void;
  close(): Promise<void>;
}

export interface CcxtSetupOptions {
  accounts?: string[];
  timeouts?: Partial<CcxtTimeouts>;
  standin?: Partial<BybitStandinOptions>;
  logger?: Logger;
  /** Start the venue (default true). */
  start?: boolean;
}

/** Small timeouts, so a fault's timeout or backoff takes a fraction of a second. */
export const FAST: Partial<CcxtTimeouts> = {
  requestMs: 1_000,
  settleMs: 3_000,
  rateLimitBackoffMs: 100,
  reconnectMinMs: 50,
  reconnectMaxMs: 400,
  connectMs: 5_000,
};

/** An adapter on a running stand-in, with these sub-accounts' keys. */
export function ccxtVenueOn(running: Running, credentials: ReadonlyMap<SubAccountId, Credentials>, options: CcxtSetupOptions = {}): CcxtVenue {
  return new CcxtVenue({
    name: 'BYBIT',
    exchange: 'bybit',
    environment: running.standin.url,
    credentials,
    instruments: [btc, eth],
    clock: running.clock,
    logger: options.logger ?? silentLogger,
    timeouts: { ...FAST, ...options.timeouts },
  });
}

export async function setupCcxt(options: CcxtSetupOptions = {}): Promise<CcxtSetup> {
  const running = await startStandin(options.standin);
  running.clock.advance(60_000);
  running.standin.pushCandle('BTCUSDT', { open: '60000', high: '60000', low: '60000', close: '60000' });
  running.clock.advance(60_000);
  running.standin.pushCandle('ETHUSDT', { open: '3000', high: '3000', low: '3000', close: '3000' });
  const credentials = new Map<SubAccountId, Credentials>();
  for (const [index, name] of (options.accounts ?? ['alpha']).entries()) credentials.set(parseSubAccountId(name), await provision(running.standin, `member${index + 1}x`));
  const venue = ccxtVenueOn(running, credentials, options);
  const recorder = new Recorder();
  venue.onExecutionReport((report) => recorder.report(report));
  venue.onConnectionEvent((event) => recorder.connection(event));
  if (options.start !== false) await venue.start();
  return {
    running,
    venue,
    accounts: [...credentials.keys()],
    credentials,
    recorder,
    trade: (value, symbol = 'BTCUSDT') => {
      running.clock.advance(60_000);
      running.standin.pushCandle(symbol, { open: value, high: value, low: value, close: value });
    },
    candle: (open, high, low, close, symbol = 'BTCUSDT') => {
      running.clock.advance(60_000);
      running.standin.pushCandle(symbol, { open, high, low, close });
    },
    close: async () => {
      await venue.stop();
      await running.standin.stop();
    },
  };
}
