import { describe, expect, it } from 'vitest';
import strategyModule from '../../../bots/trend-following/strategy.ts';
import { STRATEGY_INTERFACE_VERSION } from '../../../core/strategy.ts';
import { DEFAULT_INSTRUMENTS } from '../../../supervisor/config/fleet-config.ts';
import { loadStrategy } from '../../../runtime/strategy-loader.ts';
import { parseManifest } from '../../../supervisor/discovery/manifest.ts';
import { BOT, BOT_FOLDER, DEFAULTS, MANIFEST_JSON, QQQ, SPY } from './harness.ts';

describe('trend-following manifest', () => {
  it('test_parse_manifest_when_shipped_manifest_then_alpaca_index_etfs_on_4h_and_1d', () => {
    // Act
    const manifest = parseManifest(MANIFEST_JSON);
    // Assert
    expect(manifest.id).toBe('trend-following');
    expect(manifest.id).toHaveLength(15);
    expect(manifest.venue).toBe('ALPACA');
    expect(manifest.subAccount).toBe('trend-following');
    expect(manifest.instruments).toEqual([QQQ, SPY]);
    expect(manifest.timeframes).toEqual(['4h', '1d']);
    expect(manifest.interfaceVersion).toBe(STRATEGY_INTERFACE_VERSION);
  });

  it('test_manifest_instruments_when_looked_up_in_the_catalog_then_unleveraged_equities', () => {
    // Arrange
    const manifest = parseManifest(MANIFEST_JSON);
    // Act
    const entries = manifest.instruments.map((id) => DEFAULT_INSTRUMENTS.find((instrument) => instrument.id === id));
    // Assert: 1× ETFs, so the bot's own leverage parameter is the only gearing.
    expect(entries.map((entry) => [entry?.kind, entry?.exposure.beta])).toEqual([
      ['EQUITY', '1'],
      ['EQUITY', '1'],
    ]);
  });

  it('test_load_strategy_when_shipped_folder_then_accepted_with_every_parameter', async () => {
    // Arrange
    const manifest = parseManifest(MANIFEST_JSON);
    // Act
    const { module, parameters } = await loadStrategy({ path: BOT_FOLDER, manifest });
    // Assert
    expect(module.interfaceVersion).toBe(STRATEGY_INTERFACE_VERSION);
    expect(parameters).toEqual(MANIFEST_JSON.parameters);
    expect(module.notes).toEqual({ TREND: ['UP', 'DOWN', 'NONE'] });
  });

  it('test_parameters_when_a_key_is_unknown_missing_or_inconsistent_then_refused', () => {
    // Arrange
    const schema = strategyModule.parameters;
    const { leverage: _dropped, ...missing } = DEFAULTS;
    // Act / Assert
    expect(schema.safeParse({ ...DEFAULTS, stopAtr: 2 }).success).toBe(false);
    expect(schema.safeParse(missing).success).toBe(false);
    expect(schema.safeParse({ ...DEFAULTS, dailyFastEmaPeriod: 50, dailySlowEmaPeriod: 50 }).success).toBe(false);
    expect(schema.safeParse({ ...DEFAULTS, partialExitFraction: 1.5 }).success).toBe(false);
    expect(schema.safeParse({ ...DEFAULTS, leverage: 0 }).success).toBe(false);
  });

  it('test_create_when_a_timeframe_is_missing_then_refused', () => {
    // Act / Assert
    expect(() => strategyModule.create({ botId: BOT, instruments: [QQQ], timeframes: ['4h'], parameters: DEFAULTS })).toThrow(/needs the 4h and 1d timeframes/);
  });
});
