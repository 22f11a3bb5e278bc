import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STRATEGY_INTERFACE_VERSION } from '../../../core/strategy.ts';
import { DEFAULT_INSTRUMENTS, loadFleetConfig, orderManagerConfigFor } from '../../../supervisor/config/fleet-config.ts';
import { loadStrategy } from '../../../runtime/strategy-loader.ts';
import { discoverBots } from '../../../supervisor/discovery/discover.ts';
import { parseManifest } from '../../../supervisor/discovery/manifest.ts';
import aggressive from '../../../bots/aggressive/strategy.ts';
import { REGIMES } from '../../../bots/aggressive/regime.ts';
import { BOT_PATH, DEFAULTS, PROJECT_ROOT } from './fixtures.ts';

const RAW = JSON.parse(readFileSync(join(BOT_PATH, 'manifest.json'), 'utf8')) as { parameters: Record<string, unknown> };

describe('aggressive manifest', () => {
  it('test_parse_manifest_when_read_from_the_bot_folder_then_the_scalper_on_seven_perpetuals_at_5m', () => {
    // Act
    const manifest = parseManifest(RAW);
    // Assert
    const perpetuals = DEFAULT_INSTRUMENTS.filter((instrument) => instrument.kind === 'PERPETUAL').map((instrument) => instrument.id);
    expect(manifest.id).toBe('aggressive');
    expect(manifest.venue).toBe('BYBIT');
    expect(manifest.subAccount).toBe('aggressive');
    expect(manifest.interfaceVersion).toBe(STRATEGY_INTERFACE_VERSION);
    expect([...manifest.instruments].sort()).toEqual([...perpetuals].sort());
    expect(manifest.instruments).toHaveLength(7);
    expect(manifest.timeframes).toEqual(['5m']);
    expect(manifest.risk.maxAdds).toBe(0);
    expect(manifest.risk).toMatchObject({ riskPerTrade: expect.any(String), maxOpenRisk: expect.any(String), maxNotionalPerOrder: expect.any(String), orderRateLimit: expect.any(Object), drawdown: expect.any(Object) });
  });

  it('test_load_strategy_when_given_the_manifest_then_its_parameters_are_accepted_and_equal_the_test_defaults', async () => {
    // Arrange
    const manifest = parseManifest(RAW);
    // Act
    const { module, parameters } = await loadStrategy({ path: BOT_PATH, manifest });
    // Assert
    expect(module.interfaceVersion).toBe(STRATEGY_INTERFACE_VERSION);
    expect(parameters).toEqual(DEFAULTS);
    expect(module.notes).toEqual({ REGIME: REGIMES });
  });

  it('test_discover_bots_when_scanning_the_real_bots_folder_then_aggressive_is_loaded', () => {
    // Act
    const found = discoverBots(join(PROJECT_ROOT, 'bots')).find((bot) => bot.folder === 'aggressive');
    // Assert
    expect(found).toMatchObject({ status: 'LOADED', reason: null });
  });

  it('test_order_manager_config_when_built_from_the_manifest_then_its_risk_section_is_accepted', () => {
    // Arrange
    const manifest = parseManifest(RAW);
    // Act / Assert
    expect(() => orderManagerConfigFor(loadFleetConfig(null), [manifest])).not.toThrow();
  });

  it('test_parameters_when_a_key_is_unknown_or_missing_then_refused', () => {
    // Act
    const unknown = aggressive.parameters.safeParse({ ...DEFAULTS, trailingDistance: 0.5 });
    const { trailingAtr: _dropped, ...withoutTrailing } = DEFAULTS;
    const missing = aggressive.parameters.safeParse(withoutTrailing);
    // Assert
    expect(unknown.success).toBe(false);
    expect(missing.success).toBe(false);
  });

  it.each([
    ['an uptrend that tightens longs', { uptrendLongAdjustment: 0.05 }],
    ['a downtrend that tightens shorts', { downtrendShortAdjustment: 0.05 }],
    ['high volatility that eases longs', { highVolatilityLongAdjustment: -0.05 }],
    ['a quiet range that eases shorts', { quietShortAdjustment: -0.05 }],
    ['a choppy range that eases longs', { choppyLongAdjustment: -0.05 }],
    ['no confidence weight at all', { directionalWeight: 0, slopeWeight: 0, bandWeight: 0 }],
    ['a fractional period', { emaPeriod: 20.5 }],
    ['a scan interval of zero', { scanIntervalCandles: 0 }],
    ['a drawdown floor above one', { drawdownFloor: 1.5 }],
    ['a negative trailing distance', { trailingAtr: -0.8 }],
  ])('test_parameters_when_%s_then_refused', (_, change) => {
    // Act
    const parsed = aggressive.parameters.safeParse({ ...DEFAULTS, ...change });
    // Assert
    expect(parsed.success).toBe(false);
  });
});
