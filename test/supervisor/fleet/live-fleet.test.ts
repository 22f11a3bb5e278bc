import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { ConfigurationError } from '../../../core/errors.ts';
import { parseClientOrderId } from '../../../core/ids.ts';
import { DEFAULT_INSTRUMENTS } from '../../../supervisor/config/fleet-config.ts';
import { Fleet } from '../../../supervisor/fleet/fleet.ts';
import { provision, startStandin, type Running } from '../../venues/bybit/standin/harness.ts';
import { FAST } from '../../venues/bybit/fixtures.ts';
import { BTC, FleetHarness, QQQ, botIdOf, capturingLogger, makeBotsRoot, marketLong, quietBot, removeBotsRoot, until, type LogEntry } from './fleet-harness.ts';

/**
 * The fleet in live mode against the Bybit stand-in: the adapter and candle source come from the registry, keys
 * from the secrets file, capital from the venue; reconciliation runs before anything trades, and an order goes the
 * whole path (bot, order manager, adapter, stand-in, execution report, ledger) and is there after a restart.
 */

const MINUTE = 60_000;

interface LiveSetup {
  running: Running;
  secretsPath: string;
  secretsDir: string;
}

let setup: LiveSetup | null = null;
let h: FleetHarness | null = null;

afterEach(async () => {
  await h?.dispose();
  h = null;
  if (setup !== null) {
    await setup.running.standin.stop();
    rmSync(setup.secretsDir, { recursive: true, force: true });
    setup = null;
  }
});

/** A stand-in whose market stands at the present minute, with a few minutes of BTC and ETH history, and the keys of `accounts`. */
async function liveSetup(accounts: readonly string[]): Promise<LiveSetup> {
  const now = Math.floor(Date.now() / MINUTE) * MINUTE;
  const clock = new ManualClock(now - 10 * MINUTE);
  const running = await startStandin({ clock });
  for (let minute = 0; minute < 9; minute++) {
    clock.advance(MINUTE);
    running.standin.pushCandle('BTCUSDT', { open: '60000', high: '60100', low: '59900', close: '60000' });
    running.standin.pushCandle('ETHUSDT', { open: '3000', high: '3010', low: '2990', close: '3000' });
  }
  const keys: Record<string, { key: string; secret: string }> = {};
  for (const [index, account] of accounts.entries()) {
    const credentials = await provision(running.standin, `live${index + 1}member`);
    keys[account] = { key: credentials.key, secret: credentials.secret };
  }
  const secretsDir = mkdtempSync(join(tmpdir(), 'flotilla-live-secrets-'));
  const secretsPath = join(secretsDir, 'secrets.json');
  writeFileSync(secretsPath, JSON.stringify({ version: 1, venues: { BYBIT: { accounts: keys } } }), { mode: 0o600 });
  chmodSync(secretsPath, 0o600);
  return { running, secretsPath, secretsDir };
}

/** Live mode on the stand-in, with the catalog cut to what the stand-in lists (BTC and ETH perpetuals). */
function liveConfig(live: LiveSetup, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const listed = DEFAULT_INSTRUMENTS.filter((entry) => entry.id === 'BTCUSDT.BYBIT' || entry.id === 'ETHUSDT.BYBIT').map(({ startPrice: _s, turnoverPerMinute: _t, ...instrument }) => instrument);
  return {
    mode: 'live',
    venues: { BYBIT: { adapter: 'bybit', environment: live.running.standin.url, timeouts: FAST } },
    secretsFile: live.secretsPath,
    defaultCatalog: false,
    instruments: listed,
    exposureKeys: { BTC: { policy: 'exclusive' }, ETH: { policy: 'exclusive' } },
    marketData: { historyCandles: 5 },
    heartbeat: { intervalMs: 1_000, timeoutMs: 60_000 },
    control: { port: 0 },
    metrics: { port: 0 },
    ...overrides,
  };
}

/** Opens a fleet on a config file and returns the error it refused to start with. */
async function refusalToOpen(config: Record<string, unknown>, bots: Parameters<typeof makeBotsRoot>[0]): Promise<string> {
  const home = mkdtempSync(join(tmpdir(), 'flotilla-live-refused-'));
  const botsRoot = makeBotsRoot(bots);
  const configPath = join(home, 'flotilla.config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const logs: LogEntry[] = [];
  try {
    const fleet = await Fleet.open({ home, botsRoot, configPath, logger: capturingLogger(logs), pm2: null, ports: { control: 0, metrics: 0 } });
    try {
      await fleet.start();
    } finally {
      await fleet.close();
    }
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  } finally {
    rmSync(home, { recursive: true, force: true });
    removeBotsRoot(botsRoot);
  }
  throw new Error('the fleet started');
}

describe('the fleet in live mode on the Bybit stand-in', () => {
  it('takes its capital from the venue, reconciles, and sends an entry with its stop through the adapter; after a restart the ledger and the venue still agree', async () => {
    // Arrange
    setup = await liveSetup(['alpha']);
    h = await FleetHarness.open({ bots: [quietBot('alpha', { instruments: [BTC] })], exactConfig: liveConfig(setup) });
    const alpha = botIdOf('alpha');
    const ledger = h.fleet.om.ledger(alpha);
    expect(h.fleet.market.mode).toBe('live');
    expect(ledger.capital().toString()).toBe('100000');
    expect(h.fleet.reconciliation.status(alpha)?.state).toBe('RECONCILED');
    expect(h.fleet.om.mark(BTC)?.toString()).toBe('60000');
    expect(() => h?.fleet.venue).toThrow(/trades live: there is no paper venue/);
    const bot = await h.connectedBot('alpha');
    // Act: a market entry; the stand-in fills it on the next candle, and its stop goes to the venue.
    const decided = await bot.execute(marketLong(h, 'alpha', 'alpha-live-1', BTC, '0.01'));
    expect(decided).toMatchObject({ kind: 'decision', decision: { outcome: 'APPROVED' } });
    await until(() => ledger.openOrders().some((order) => order.role === 'ENTRY' && order.status === 'ACCEPTED') || ledger.position(BTC) !== null, 'the venue to accept the entry');
    setup.running.clock.advance(MINUTE);
    setup.running.standin.pushCandle('BTCUSDT', { open: '60000', high: '60050', low: '59950', close: '60000' });
    await until(() => ledger.position(BTC)?.quantity.toString() === '0.01', 'the entry fill in the ledger');
    await until(() => ledger.openOrders().some((order) => order.role === 'STOP' && order.status === 'ACCEPTED'), 'the stop accepted by the venue');
    // Assert: the ledger and the venue hold the same position and the same working stop.
    const subAccountId = h.fleet.omConfig.bots.get(alpha)!.subAccountId;
    const venue = h.fleet.market.venuesByName((inner) => inner).get('BYBIT')!;
    expect((await venue.positions(subAccountId)).map((position) => [position.instrumentId, position.quantity.toString()])).toEqual([[BTC, '0.01']]);
    const stops = (await venue.openOrders(subAccountId)).filter((order) => parseClientOrderId(order.clientOrderId).role === 'STOP');
    expect(stops).toHaveLength(1);
    expect(stops.map((order) => order.clientOrderId)).toEqual(ledger.openOrders().filter((order) => order.role === 'STOP').map((order) => order.clientOrderId));
    expect(h.fleet.om.unprotectedPositions(alpha)).toEqual([]);
    // A restart is the same path: reconciled again, no mismatch, the capital not booked twice.
    bot.close();
    await h.closeFleet();
    await h.reopen();
    const reopened = h.fleet.om.ledger(alpha);
    expect(h.fleet.reconciliation.status(alpha)).toMatchObject({ state: 'RECONCILED', findings: { positionMismatches: [] } });
    expect(reopened.capital().toString()).toBe('100000');
    expect(reopened.position(BTC)?.quantity.toString()).toBe('0.01');
  });

  it('refuses to start when a bot has no key, naming the manifest, the sub-account and the command to run, never a key', async () => {
    setup = await liveSetup(['alpha']);
    const message = await refusalToOpen(liveConfig(setup), [quietBot('alpha', { instruments: [BTC] }), quietBot('beta', { instruments: [BTC] })]);
    expect(message).toMatch(/beta\/manifest\.json: subAccount: the secrets file .* holds no BYBIT key for sub-account beta; run `supervisor accounts provision --venue BYBIT`/);
    expect(message).not.toMatch(/alpha\/manifest\.json/);
    const { key, secret } = (JSON.parse(readFileSync(setup.secretsPath, 'utf8')) as { venues: { BYBIT: { accounts: { alpha: { key: string; secret: string } } } } }).venues.BYBIT.accounts.alpha;
    expect(message).not.toContain(key);
    expect(message).not.toContain(secret);
  });

  it('refuses to start a bot whose venue is not configured', async () => {
    setup = await liveSetup(['alpha']);
    const config = liveConfig(setup, {
      instruments: [...(liveConfig(setup).instruments as object[]), { id: QQQ, kind: 'EQUITY', tickSize: '0.01', lotStep: '1', minQuantity: '1', minNotional: '1', exposure: { key: 'NDX', beta: '1' } }],
      exposureKeys: { BTC: { policy: 'exclusive' }, ETH: { policy: 'exclusive' }, NDX: { policy: 'exclusive' } },
    });
    // The instrument configured for it is refused first, by its key: nothing could quote or trade it.
    const message = await refusalToOpen(config, [quietBot('alpha', { instruments: [BTC] }), quietBot('equity', { venue: 'ALPACA', instruments: [QQQ] })]);
    expect(message).toMatch(/flotilla\.config\.json: instruments\.2\.id: QQQ\.ALPACA trades on ALPACA, which has no entry under venues/);
  });

  it('refuses to start when the catalog disagrees with what the venue lists, naming every difference', async () => {
    setup = await liveSetup(['alpha']);
    const instruments = (liveConfig(setup).instruments as Array<Record<string, unknown>>).map((instrument) => (instrument.id === 'BTCUSDT.BYBIT' ? { ...instrument, tickSize: '0.5' } : instrument));
    const withSol = [...instruments, { id: 'SOLUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.01', lotStep: '0.1', minQuantity: '0.1', minNotional: '5', exposure: { key: 'SOL', beta: '1' } }];
    const message = await refusalToOpen(liveConfig(setup, { instruments: withSol, exposureKeys: { BTC: { policy: 'exclusive' }, ETH: { policy: 'exclusive' }, SOL: { policy: 'exclusive' } } }), [quietBot('alpha', { instruments: [BTC] })]);
    expect(message).toMatch(/the catalog disagrees with BYBIT/);
    expect(message).toMatch(/BTCUSDT\.BYBIT: tickSize is 0\.5 in the catalog but 0\.1 at BYBIT/);
    expect(message).toMatch(/SOLUSDT\.BYBIT: BYBIT does not list it/);
  });
});
