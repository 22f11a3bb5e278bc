import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../core/errors.ts';
import { parseExposureKey } from '../../../core/ids.ts';
import type { CatalogInstrument } from '../../../supervisor/config/fleet-config.ts';
import { catalog, DEFAULT_INSTRUMENTS, loadFleetConfig, orderManagerConfigFor } from '../../../supervisor/config/fleet-config.ts';
import { parseManifest } from '../../../supervisor/discovery/manifest.ts';

const PEPE: CatalogInstrument = {
  id: 'PEPEUSDT.BYBIT',
  kind: 'PERPETUAL',
  tickSize: '0.0000001',
  lotStep: '100',
  minQuantity: '100',
  minNotional: '5',
  exposure: { key: 'PEPE', beta: '1' },
  startPrice: '0.00001',
};

const MANIFEST = {
  id: 'alpha',
  name: 'Alpha',
  interfaceVersion: 1,
  venue: 'BYBIT',
  subAccount: 'alpha',
  instruments: ['BTCUSDT.BYBIT'],
  timeframes: ['5m'],
  risk: {
    riskPerTrade: '0.005',
    maxOpenRisk: '0.02',
    maxNotionalPerOrder: '10000',
    orderRateLimit: { maxRequests: 10, windowMs: 1000 },
    drawdown: { threshold: '0.1', windowMs: 86_400_000, action: 'HALTED' },
  },
  parameters: {},
};

describe('fleet configuration', () => {
  let dir: string;
  let cwd: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-config-'));
    file = join(dir, 'flotilla.config.json');
    // Messages name the file as the operator sees it from the working directory: "flotilla.config.json".
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

  it('test_load_when_a_tick_size_has_too_many_decimals_then_the_error_names_the_file_and_the_key', () => {
    const message = refusal({ instruments: [PEPE, { ...PEPE, id: 'BONK.BYBIT', tickSize: '0.0000000000000000001' }], exposureKeys: { PEPE: { policy: 'exclusive' } } });
    expect(message).toBe('flotilla.config.json: instruments.1.tickSize: decimal "0.0000000000000000001" has more than 18 decimal places');
  });

  it('test_load_when_a_start_price_is_bad_then_it_fails_at_load_naming_the_key', () => {
    const exposureKeys = { PEPE: { policy: 'exclusive' } };
    expect(refusal({ instruments: [{ ...PEPE, startPrice: '1e-5' }], exposureKeys })).toMatch(/^flotilla\.config\.json: instruments\.0\.startPrice: .*plain decimal/);
    expect(refusal({ instruments: [{ ...PEPE, startPrice: '0' }], exposureKeys })).toBe('flotilla.config.json: instruments.0.startPrice: must be greater than zero');
    expect(refusal({ instruments: [{ ...PEPE, startPrice: '0.00000001' }], exposureKeys })).toBe(
      'flotilla.config.json: instruments.0.startPrice: 0.00000001 is below one tick (tickSize 0.0000001)',
    );
  });

  it('test_load_when_decimal_keys_are_floats_or_out_of_range_then_each_is_named', () => {
    const message = refusal({ paper: { makerFeeRate: 0.0002, participation: '1.5', leverage: '0' }, fleetDrawdown: { threshold: '0.15000000000000000001', windowMs: 1, action: 'HALTED' } });
    expect(message).toContain('flotilla.config.json: paper.makerFeeRate: must be a decimal string in quotes');
    expect(message).toContain('flotilla.config.json: paper.participation: must be a fraction above 0 and at most 1');
    expect(message).toContain('flotilla.config.json: paper.leverage: must be greater than zero');
    // A single window is read as a list of one, so its keys are named as the first window's.
    expect(message).toContain('flotilla.config.json: fleetDrawdown.0.threshold: decimal "0.15000000000000000001" has more than 18 decimal places');
  });

  it('test_load_when_a_key_is_unknown_or_the_file_is_not_json_or_not_a_file_then_the_file_is_named', () => {
    expect(refusal({ paper: { leverige: '5' } })).toMatch(/^flotilla\.config\.json: paper: Unrecognized key: "leverige"/);
    writeFileSync(file, '{ "mode": "paper", }');
    expect(() => loadFleetConfig(file)).toThrow(/^flotilla\.config\.json: not valid JSON/);
    const folder = join(dir, 'folder.json');
    mkdirSync(folder);
    expect(() => loadFleetConfig(folder)).toThrow(/^folder\.json: cannot be read: EISDIR/);
    process.chdir(cwd);
    expect(() => loadFleetConfig(folder)).toThrow(new RegExp(`^${folder.replaceAll('.', '\\.')}: cannot be read`));
  });

  it('test_catalog_when_an_instrument_with_a_new_id_is_configured_then_it_is_added_to_the_built_in_ones', () => {
    const config = load({ instruments: [PEPE], exposureKeys: { PEPE: { policy: 'exclusive' } } });
    const ids = catalog(config).map((instrument) => instrument.id);
    expect(ids).toEqual([...DEFAULT_INSTRUMENTS.map((instrument) => instrument.id), 'PEPEUSDT.BYBIT']);
    const om = orderManagerConfigFor(config, []);
    expect(om.instruments.size).toBe(DEFAULT_INSTRUMENTS.length + 1);
    expect([...om.keyPolicies.keys()]).toEqual(expect.arrayContaining(['BTC', 'NDX', 'PEPE']));
  });

  it('test_catalog_when_a_built_in_id_or_key_is_configured_then_it_replaces_that_one_in_place', () => {
    const config = load({ instruments: [{ ...DEFAULT_INSTRUMENTS[0], startPrice: '90000' }], exposureKeys: { NDX: { policy: 'capped', maxNotional: '50000' } } });
    const instruments = catalog(config);
    expect(instruments).toHaveLength(DEFAULT_INSTRUMENTS.length);
    expect(instruments[0]).toMatchObject({ id: 'BTCUSDT.BYBIT', startPrice: '90000' });
    const ndx = orderManagerConfigFor(config, []).keyPolicies.get(parseExposureKey('NDX'));
    expect(ndx?.policy === 'capped' ? ndx.maxNotional.toString() : ndx).toBe('50000');
  });

  it('test_catalog_when_default_catalog_is_false_then_the_configured_instruments_are_the_whole_catalog', () => {
    const config = load({ defaultCatalog: false, instruments: [PEPE], exposureKeys: { PEPE: { policy: 'exclusive' } } });
    expect(catalog(config).map((instrument) => instrument.id)).toEqual(['PEPEUSDT.BYBIT']);
    expect([...orderManagerConfigFor(config, []).keyPolicies.keys()]).toEqual(['PEPE']);
    expect(refusal({ defaultCatalog: false })).toBe('flotilla.config.json: instruments: must list at least one instrument when defaultCatalog is false');
  });

  it('test_catalog_when_its_cross_references_are_broken_then_load_names_the_key_in_the_file', () => {
    expect(refusal({ instruments: [PEPE] })).toBe('flotilla.config.json: instruments.0.exposure.key: PEPE has no entry in exposureKeys (give it a policy: exclusive or capped)');
    expect(refusal({ exposureKeys: { WIF: { policy: 'exclusive' } } })).toBe('flotilla.config.json: exposureKeys.WIF: no instrument maps to this key (remove it or map an instrument to it)');
    expect(refusal({ instruments: [PEPE, PEPE], exposureKeys: { PEPE: { policy: 'exclusive' } } })).toBe('flotilla.config.json: instruments.1.id: PEPEUSDT.BYBIT is listed twice (also instruments.0)');
    // The file's index, not the merged catalog's: this is the 15th instrument, the file's first.
    expect(refusal({ instruments: [{ ...PEPE, id: 'pepe' }], exposureKeys: { PEPE: { policy: 'exclusive' } } })).toMatch(/^flotilla\.config\.json: instruments\.0\.id: /);
  });

  it('test_catalog_when_every_built_in_instrument_is_configured_as_is_then_each_passes_the_schema', () => {
    expect(catalog(load({ instruments: DEFAULT_INSTRUMENTS }))).toEqual(DEFAULT_INSTRUMENTS);
  });

  it('test_order_manager_config_when_a_manifest_risk_key_is_bad_then_the_error_names_the_manifest_and_its_key', () => {
    const config = load({});
    const manifest = parseManifest({ ...MANIFEST, risk: { ...MANIFEST.risk, riskPerTrade: '0.05' } });
    expect(() => orderManagerConfigFor(config, [manifest])).toThrow(/^manifest\.json of bot alpha: risk\.riskPerTrade: 0\.05 is larger than maxOpenRisk/);
    expect(() => orderManagerConfigFor(config, [manifest], { manifestFile: () => 'bots/alpha/manifest.json' })).toThrow(/^bots\/alpha\/manifest\.json: risk\.riskPerTrade: /);
    const tooFine = parseManifest({ ...MANIFEST, risk: { ...MANIFEST.risk, maxNotionalPerOrder: '1.0000000000000000001' } });
    expect(() => orderManagerConfigFor(config, [tooFine])).toThrow('manifest.json of bot alpha: risk.maxNotionalPerOrder: decimal "1.0000000000000000001" has more than 18 decimal places');
  });
});
