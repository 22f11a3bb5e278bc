import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../core/errors.ts';
import { parseInstrumentId } from '../../../core/ids.ts';
import { syntheticInstruments } from '../../../supervisor/backtest/backtest.ts';
import { catalog, loadFleetConfig, orderManagerConfigFor, syntheticCatalog } from '../../../supervisor/config/fleet-config.ts';
import { syntheticMarket } from '../../../supervisor/fleet/market.ts';

/** The catalog key `factors`: how an equity moves with others in the synthetic market, checked at load. */

const equity = (symbol: string, key: string, beta: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: `${symbol}.ALPACA`,
  kind: 'EQUITY',
  tickSize: '0.01',
  lotStep: '1',
  minQuantity: '1',
  minNotional: '1',
  exposure: { key, beta },
  startPrice: '100',
  ...extra,
});

describe('the catalog key factors', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-factors-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function load(config: Record<string, unknown>): ReturnType<typeof loadFleetConfig> {
    const path = join(dir, 'flotilla.config.json');
    writeFileSync(path, JSON.stringify({ clock: { start: '2026-01-05T14:00:00Z' }, ...config }));
    return loadFleetConfig(path);
  }

  it('test_built_in_catalog_when_loaded_then_every_basket_stock_index_and_leveraged_etf_has_its_factors', () => {
    const byId = new Map(catalog(loadFleetConfig(null)).map((instrument) => [instrument.id, instrument.factors]));
    for (const symbol of ['AAPL', 'MSFT', 'AMZN', 'META', 'GOOGL', 'TSLA']) expect(byId.get(`${symbol}.ALPACA`)?.sector).toBe('MEGATECH');
    for (const symbol of ['NVDA', 'AMD', 'AVGO']) expect(byId.get(`${symbol}.ALPACA`)?.sector).toBe('SEMIS');
    expect(Object.keys(byId.get('QQQ.ALPACA')?.index ?? {})).toHaveLength(6);
    expect(byId.get('SPY.ALPACA')?.index).toEqual({});
    expect(byId.get('SQQQ.ALPACA')?.tracks).toBe('QQQ.ALPACA');
    expect(byId.get('SPXS.ALPACA')?.tracks).toBe('SPY.ALPACA');
    expect(byId.get('BTCUSDT.BYBIT')).toBeUndefined();
  });

  it.each([
    [{ sector: 'MEGATECH', colour: 'red' }, /instruments\.0\.factors: Unrecognized key: "colour"/],
    [{ sector: 'MEGATECH', index: {} }, /instruments\.0\.factors: give exactly one of/],
    [{ marketBeta: '0' }, /instruments\.0\.factors\.marketBeta: must be greater than zero/],
    [{ sector: 'mega tech' }, /instruments\.0\.factors\.sector: a sector is 1-32 capitals/],
    [{ index: { 'AAPL.ALPACA': '0.7', 'MSFT.ALPACA': '0.6' } }, /instruments\.0\.factors\.index: the weights add up to 1\.3, more than 1/],
  ])('test_factors_when_%j_then_refused_naming_the_file_and_key', (factors, message) => {
    expect(() => load({ instruments: [equity('XYZ', 'XYZ', '1', { factors })], exposureKeys: { XYZ: { policy: 'exclusive' } } })).toThrow(ConfigurationError);
    expect(() => load({ instruments: [equity('XYZ', 'XYZ', '1', { factors })], exposureKeys: { XYZ: { policy: 'exclusive' } } })).toThrow(new RegExp(`flotilla\\.config\\.json: .*${message.source}`));
  });

  it('test_factors_when_they_reference_what_cannot_be_made_then_refused_naming_the_key', () => {
    const keys = { exposureKeys: { XYZ: { policy: 'exclusive' }, ABC: { policy: 'exclusive' } } };
    expect(() => load({ ...keys, instruments: [equity('XYZ', 'XYZ', '1', { factors: { index: { 'NOPE.ALPACA': '0.5' } } })] })).toThrow(/flotilla\.config\.json: instruments\.0\.factors\.index\.NOPE\.ALPACA: NOPE\.ALPACA is not in the catalog/);
    // An index is made of stocks, not of another index.
    expect(() => load({ ...keys, instruments: [equity('XYZ', 'XYZ', '1', { factors: { index: { 'QQQ.ALPACA': '0.5' } } })] })).toThrow(/instruments\.0\.factors\.index\.QQQ\.ALPACA: QQQ\.ALPACA is not a stock of the equity factors/);
    // A leveraged ETF's multiple is the ratio of two betas on one key.
    expect(() => load({ ...keys, instruments: [equity('XYZ', 'XYZ', '2', { factors: { tracks: 'QQQ.ALPACA' } })] })).toThrow(/instruments\.0\.factors\.tracks: QQQ\.ALPACA must share the exposure key XYZ/);
    expect(() => load({ ...keys, instruments: [equity('XYZ', 'NDX', '2', { factors: { tracks: 'SQQQ.ALPACA' } })] })).toThrow(/instruments\.0\.factors\.tracks: SQQQ\.ALPACA must be a stock or an index of the equity factors \(it has factors\.tracks itself\)/);
    expect(() => load({ instruments: [{ ...equity('XYZ', 'BTC', '1', { factors: { marketBeta: '1' } }), id: 'XYZUSDT.BYBIT', kind: 'PERPETUAL' }] })).toThrow(/instruments\.0\.factors: equity factors apply only to kind EQUITY/);
  });

  it('test_live_mode_when_a_configured_instrument_has_factors_then_refused_as_paper_only', () => {
    const live = { mode: 'live', clock: undefined, venues: { ALPACA: { adapter: 'alpaca', environment: 'paper' } } };
    const path = join(dir, 'flotilla.config.json');
    const { startPrice: _startPrice, ...instrument } = equity('XYZ', 'XYZ', '1', { factors: { marketBeta: '1' } });
    writeFileSync(path, JSON.stringify({ ...live, instruments: [instrument], exposureKeys: { XYZ: { policy: 'exclusive' } } }));
    expect(() => loadFleetConfig(path)).toThrow(/instruments\.0\.factors: applies only in paper mode/);
  });

  it('test_built_in_etfs_when_qqq_is_configured_without_factors_then_it_and_its_leveraged_etfs_walk_alone', () => {
    const config = load({ instruments: [equity('QQQ', 'NDX', '1', { startPrice: '480' })] });
    const byId = new Map(catalog(config).map((instrument) => [instrument.id, instrument.factors]));
    expect(byId.get('QQQ.ALPACA')).toBeUndefined();
    expect(byId.get('SQQQ.ALPACA')).toBeUndefined();
    expect(byId.get('TQQQ.ALPACA')).toBeUndefined();
    expect(byId.get('SOXS.ALPACA')?.tracks).toBe('SOXX.ALPACA');
    const [qqq, sqqq, soxs] = syntheticInstruments(config, ['QQQ.ALPACA', 'SQQQ.ALPACA', 'SOXS.ALPACA'].map(parseInstrumentId));
    expect([qqq?.factors, sqqq?.factors, soxs?.factors?.kind]).toEqual([undefined, undefined, 'LEVERAGED']);
  });

  it('test_factors_when_configured_then_the_fleets_market_uses_them_and_the_order_manager_never_sees_them', () => {
    const config = load({
      defaultCatalog: false,
      exposureKeys: { XYZ: { policy: 'exclusive' } },
      instruments: [
        equity('XYZ', 'XYZ', '1', { factors: { sector: 'MEGATECH', marketBeta: '1.5' } }),
        equity('XYZU', 'XYZ', '3', { factors: { tracks: 'XYZ.ALPACA' } }),
      ],
    });
    expect(orderManagerConfigFor(config, []).instruments.get(parseInstrumentId('XYZU.ALPACA'))?.beta.toString()).toBe('3');
    const [xyzu] = syntheticInstruments(config, [parseInstrumentId('XYZU.ALPACA')]);
    expect(xyzu?.factors?.kind === 'LEVERAGED' ? [xyzu.factors.tracks.id, xyzu.factors.multiple] : null).toEqual(['XYZ.ALPACA', 3]);
    // The paper fleet's market makes the stock and its triple, which moves 3× the stock's move since the last close.
    const { source } = syntheticMarket(config, syntheticCatalog(config), dir, ['1m', '1d']);
    source.advanceTo(Date.parse('2026-01-05T20:00:00Z'));
    const [xyz, triple] = ['XYZ.ALPACA', 'XYZU.ALPACA'].map(parseInstrumentId) as [ReturnType<typeof parseInstrumentId>, ReturnType<typeof parseInstrumentId>];
    const lastClose = (id: typeof xyz): number => source.history(id, '1d', 1, Date.parse('2026-01-05T00:00:00Z'))[0]!.close.toNumber();
    const stockMinutes = source.history(xyz, '1m', 300, Number.MAX_SAFE_INTEGER);
    const tripleMinutes = source.history(triple, '1m', 300, Number.MAX_SAFE_INTEGER);
    expect(stockMinutes.length).toBe(300);
    expect(stockMinutes.every((minute) => minute.openTime >= Date.parse('2026-01-05T14:30:00Z'))).toBe(true);
    stockMinutes.forEach((minute, index) => {
      const stockMove = minute.close.toNumber() / lastClose(xyz) - 1;
      const tripleMove = tripleMinutes[index]!.close.toNumber() / lastClose(triple) - 1;
      expect(Math.abs(tripleMove - 3 * stockMove)).toBeLessThan(1e-3);
    });
  });
});
