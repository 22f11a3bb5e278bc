import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../core/errors.ts';
import { loadFleetConfig, orderManagerConfigFor, syntheticCatalog } from '../../../supervisor/config/fleet-config.ts';

/** Live mode in flotilla.config.json: its venues, the keys that apply only to one mode, and the defaults it takes. */

const BYBIT_DEMO = { adapter: 'bybit', environment: 'demo' };

describe('fleet configuration in live mode', () => {
  let dir: string;
  let cwd: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-live-config-'));
    file = join(dir, 'flotilla.config.json');
    cwd = process.cwd();
    process.chdir(dir);
  });
  afterEach(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });

  const load = (config: unknown): ReturnType<typeof loadFleetConfig> => {
    writeFileSync(file, JSON.stringify(config));
    return loadFleetConfig(file);
  };
  const refusal = (config: unknown): string => {
    try {
      load(config);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return (error as Error).message;
    }
    throw new Error('the configuration was accepted');
  };

  it('accepts a Bybit venue with its environment, timeouts and provisioning', () => {
    const config = load({
      mode: 'live',
      venues: { BYBIT: { ...BYBIT_DEMO, timeouts: { requestMs: 4000 }, provisioning: { startingCapital: '1000', ipWhitelist: ['203.0.113.7'] } } },
      secretsFile: '/srv/flotilla/secrets.json',
    });
    expect(config.mode).toBe('live');
    expect(config.venues?.BYBIT).toEqual({ adapter: 'bybit', environment: 'demo', timeouts: { requestMs: 4000 }, provisioning: { startingCapital: '1000', ipWhitelist: ['203.0.113.7'] } });
    expect(config.secretsFile).toBe('/srv/flotilla/secrets.json');
  });

  it('accepts a stand-in URL as the environment', () => {
    expect(load({ mode: 'live', venues: { BYBIT: { adapter: 'bybit', environment: 'http://127.0.0.1:9977' } } }).venues?.BYBIT?.environment).toBe('http://127.0.0.1:9977');
  });

  it('accepts an Alpaca venue with its feed beside Bybit, for the catalog\'s ALPACA instruments', () => {
    const config = load({ mode: 'live', venues: { BYBIT: BYBIT_DEMO, ALPACA: { adapter: 'alpaca', environment: 'paper', feed: 'sip' } } });
    expect(config.venues?.ALPACA).toEqual({ adapter: 'alpaca', environment: 'paper', feed: 'sip' });
    expect(refusal({ mode: 'live', venues: { ALPACA: { adapter: 'alpaca', environment: 'paper', feed: 'nasdaq' } } })).toMatch(/venues\.ALPACA\.feed/);
  });

  it('needs at least one venue', () => {
    expect(refusal({ mode: 'live' })).toMatch(/^flotilla\.config\.json: venues: live mode needs at least one venue/);
    expect(refusal({ mode: 'live', venues: {} })).toMatch(/venues: live mode needs at least one venue/);
  });

  it('refuses an unknown adapter, environment, timeout or provisioning key by name', () => {
    expect(refusal({ mode: 'live', venues: { BYBIT: { adapter: 'bitmex', environment: 'demo' } } })).toMatch(/venues\.BYBIT.*adapter must be one of: "bybit", "alpaca", "ccxt"/);
    expect(refusal({ mode: 'live', venues: { BYBIT: { adapter: 'bybit', environment: 'moon' } } })).toMatch(/venues\.BYBIT\.environment: .*demo.*testnet.*mainnet/s);
    expect(refusal({ mode: 'live', venues: { BYBIT: { ...BYBIT_DEMO, timeouts: { requestMs: -1 } } } })).toMatch(/venues\.BYBIT\.timeouts\.requestMs/);
    expect(refusal({ mode: 'live', venues: { BYBIT: { ...BYBIT_DEMO, timeouts: { lunchMs: 5 } } } })).toMatch(/venues\.BYBIT\.timeouts.*lunchMs/);
    expect(refusal({ mode: 'live', venues: { BYBIT: { ...BYBIT_DEMO, provisioning: { startingCapital: 1000 } } } })).toMatch(/venues\.BYBIT\.provisioning\.startingCapital: must be a decimal string/);
    expect(refusal({ mode: 'live', venues: { BYBIT: { ...BYBIT_DEMO, provisioning: { startingCapital: '0' } } } })).toMatch(/startingCapital: must be greater than zero/);
    expect(refusal({ mode: 'live', venues: { BYBIT: { ...BYBIT_DEMO, provisioning: { startingCapital: '10', ipWhitelist: ['my-laptop'] } } } })).toMatch(/ipWhitelist\.0: must be an IPv4 or IPv6 address/);
    expect(refusal({ mode: 'live', venues: { BYBIT: { ...BYBIT_DEMO, apiKey: 'x' } } })).toMatch(/venues\.BYBIT.*apiKey/);
  });

  it('refuses a venue name that cannot end an instrument ID, and a venue no instrument trades on', () => {
    expect(refusal({ mode: 'live', venues: { bybit: BYBIT_DEMO } })).toMatch(/venues.*a venue name is 2-16 capitals/);
    expect(refusal({ mode: 'live', venues: { BYBIT: BYBIT_DEMO, KRAKEN: BYBIT_DEMO } })).toMatch(/venues\.KRAKEN: no instrument of the catalog trades on KRAKEN/);
  });

  it('refuses every paper-only key, each by name, in one message', () => {
    const message = refusal({
      mode: 'live',
      venues: { BYBIT: BYBIT_DEMO },
      paper: { seed: 3 },
      clock: { speed: 1 },
      marketData: { seed: 5, maxHistoryDays: 10, historyCandles: 200 },
      instruments: [{ id: 'PEPEUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.0000001', lotStep: '100', minQuantity: '100', minNotional: '5', exposure: { key: 'PEPE', beta: '1' }, startPrice: '0.00001', turnoverPerMinute: '1000' }],
      exposureKeys: { PEPE: { policy: 'exclusive' } },
    });
    for (const key of ['paper', 'clock', 'marketData.seed', 'marketData.maxHistoryDays']) expect(message).toContain(`flotilla.config.json: ${key}: applies only in paper mode`);
    expect(message).toContain('instruments.0.startPrice: applies only in paper mode');
    expect(message).toContain('instruments.0.turnoverPerMinute: applies only in paper mode');
    expect(message).not.toContain('historyCandles');
  });

  it('refuses every live-only key in paper mode', () => {
    const message = refusal({ venues: { BYBIT: BYBIT_DEMO }, secretsFile: '/x', slippageAllowanceBps: '5' });
    for (const key of ['venues', 'secretsFile', 'slippageAllowanceBps']) expect(message).toContain(`flotilla.config.json: ${key}: applies only in live mode (mode is "paper")`);
  });

  it('still needs a start price for a configured instrument in paper mode', () => {
    expect(refusal({ instruments: [{ id: 'PEPEUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.0000001', lotStep: '100', minQuantity: '100', minNotional: '5', exposure: { key: 'PEPE', beta: '1' } }], exposureKeys: { PEPE: { policy: 'exclusive' } } })).toMatch(
      /instruments\.0\.startPrice: required in paper mode/,
    );
  });

  it('takes the live slippage allowance from the file, 10 bp when unset, and the paper one from the paper venue', () => {
    expect(orderManagerConfigFor(load({ mode: 'live', venues: { BYBIT: BYBIT_DEMO }, slippageAllowanceBps: '25' }), []).slippageAllowance.toString()).toBe('0.0025');
    expect(orderManagerConfigFor(load({ mode: 'live', venues: { BYBIT: BYBIT_DEMO } }), []).slippageAllowance.toString()).toBe('0.001');
    expect(orderManagerConfigFor(load({ paper: { slippageBaseBps: '2', slippageJitterBps: '3' } }), []).slippageAllowance.toString()).toBe('0.0005');
  });

  it('leaves out the built-in instruments of a venue the live fleet does not configure, and refuses a configured one by name', () => {
    const alpacaOnly = load({ mode: 'live', venues: { ALPACA: { adapter: 'alpaca', environment: 'paper', feed: 'iex' } } });
    const ids = [...orderManagerConfigFor(alpacaOnly, []).instruments.keys()];
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id.endsWith('.ALPACA'))).toBe(true);
    expect(
      refusal({
        mode: 'live',
        venues: { ALPACA: { adapter: 'alpaca', environment: 'paper', feed: 'iex' } },
        instruments: [{ id: 'PEPEUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.0000001', lotStep: '100', minQuantity: '100', minNotional: '5', exposure: { key: 'PEPE', beta: '1' } }],
        exposureKeys: { PEPE: { policy: 'exclusive' } },
      }),
    ).toMatch(/instruments\.0\.id: PEPEUSDT\.BYBIT trades on BYBIT, which has no entry under venues/);
  });

  it('lets a live configuration list an instrument without a start price, which the synthetic market then refuses by name', () => {
    const config = load({
      mode: 'live',
      venues: { BYBIT: BYBIT_DEMO },
      instruments: [{ id: 'PEPEUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.0000001', lotStep: '100', minQuantity: '100', minNotional: '5', exposure: { key: 'PEPE', beta: '1' } }],
      exposureKeys: { PEPE: { policy: 'exclusive' } },
    });
    expect(() => syntheticCatalog(config)).toThrow(/instruments\.0: PEPEUSDT\.BYBIT has no startPrice/);
  });
});
