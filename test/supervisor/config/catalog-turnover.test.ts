import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { ConfigurationError } from '../../../core/errors.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import { syntheticInstruments } from '../../../supervisor/backtest/backtest.ts';
import { DEFAULT_INSTRUMENTS, catalog, loadFleetConfig, syntheticCatalog, orderManagerConfigFor } from '../../../supervisor/config/fleet-config.ts';
import { syntheticMarket } from '../../../supervisor/fleet/market.ts';

const shib = { id: 'SHIBUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.00000001', lotStep: '1', minQuantity: '1', minNotional: '5', exposure: { key: 'SHIB', beta: '1' }, startPrice: '0.00001' };

describe('the catalog key turnoverPerMinute', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-turnover-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function load(instruments: unknown[]): ReturnType<typeof loadFleetConfig> {
    const path = join(dir, 'flotilla.config.json');
    // A fixed start, so two markets built from two configurations stand at the same minute.
    writeFileSync(path, JSON.stringify({ instruments, exposureKeys: { SHIB: { policy: 'exclusive' } }, clock: { start: '2026-01-05T00:00:00Z' } }));
    return loadFleetConfig(path);
  }

  it('gives every default instrument its own turnover', () => {
    const turnovers = new Map(DEFAULT_INSTRUMENTS.map((instrument) => [instrument.id, instrument.turnoverPerMinute]));
    expect([...turnovers.values()].every((turnover) => turnover !== undefined && dec(turnover).isPositive())).toBe(true);
    expect(turnovers.get('BTCUSDT.BYBIT')).not.toBe(turnovers.get('LINKUSDT.BYBIT'));
  });

  it.each([['0'], ['-5'], ['1e6'], ['0.000']])('refuses a turnover of %j, naming the file and the key', (turnover) => {
    expect(() => load([{ ...shib, turnoverPerMinute: turnover }])).toThrow(ConfigurationError);
    expect(() => load([{ ...shib, turnoverPerMinute: turnover }])).toThrow(/flotilla\.config\.json.*instruments\.0\.turnoverPerMinute/);
  });

  it('is used by the fleet\'s market and the backtest\'s, and the order manager is not bothered by it', () => {
    const config = load([{ ...shib, turnoverPerMinute: '250000' }]);
    const [instrument] = syntheticInstruments(config, [parseInstrumentId(shib.id)]);
    expect(instrument?.turnoverPerMinute).toEqual(dec('250000'));
    expect(orderManagerConfigFor(config, []).instruments.get(parseInstrumentId(shib.id))?.minNotional).toEqual(dec('5'));

    // The fleet's synthetic market: a bigger turnover, proportionally bigger volume on the same prices.
    const volumes = (turnover: string): { close: string; volume: number }[] => {
      const fleetConfig = load([{ ...shib, turnoverPerMinute: turnover }]);
      const { source } = syntheticMarket(fleetConfig, syntheticCatalog(fleetConfig), dir, ['1m']);
      return source.history(parseInstrumentId(shib.id), '1m', 50, Number.MAX_SAFE_INTEGER).map((c) => ({ close: c.close.toString(), volume: c.volume.toNumber() }));
    };
    const small = volumes('100000');
    const large = volumes('1000000');
    expect(large.map((c) => c.close)).toEqual(small.map((c) => c.close));
    const ratio = large.reduce((sum, c) => sum + c.volume, 0) / small.reduce((sum, c) => sum + c.volume, 0);
    expect(ratio).toBeGreaterThan(9);
    expect(ratio).toBeLessThan(11);
  });
});
