import { describe, expect, it } from 'vitest';
import { STRATEGY_INTERFACE_VERSION } from '../../../core/strategy.ts';
import { loadStrategy } from '../../../runtime/strategy-loader.ts';
import { DEFAULT_INSTRUMENTS, loadFleetConfig, orderManagerConfigFor } from '../../../supervisor/config/fleet-config.ts';
import { discoverBots } from '../../../supervisor/discovery/discover.ts';
import { parseManifest } from '../../../supervisor/discovery/manifest.ts';
import strategyModule, { NOTES } from '../../../bots/equity-baskets/strategy.ts';
import { BOT_FOLDER, DEFAULTS, MANIFEST_JSON } from './harness.ts';
import { join } from 'node:path';

describe('equity-baskets manifest', () => {
  it('is the fourth shipped bot: nine stocks and two inverse ETFs on Alpaca, 1-minute candles, its own sub-account', () => {
    const manifest = parseManifest(MANIFEST_JSON);
    expect(manifest).toMatchObject({ id: 'equity-baskets', venue: 'ALPACA', subAccount: 'equity-baskets', timeframes: ['1m'], interfaceVersion: STRATEGY_INTERFACE_VERSION });
    const catalog = new Set(DEFAULT_INSTRUMENTS.map((instrument) => instrument.id));
    for (const instrument of manifest.instruments) expect(catalog.has(instrument)).toBe(true);
    expect(manifest.instruments).toHaveLength(11);
  });

  it('carries the issue’s risk: 0.2% a trade, 1% open, one add, a 90 s lock on an entry’s key; the order manager accepts it', () => {
    const manifest = parseManifest(MANIFEST_JSON);
    expect(manifest.risk).toMatchObject({ riskPerTrade: '0.002', maxOpenRisk: '0.01', maxAdds: 1, entryLockMs: 90_000 });
    const bot = orderManagerConfigFor(loadFleetConfig(null), [manifest]).bots.get(manifest.id);
    expect(bot?.entryLockMs).toBe(90_000);
    expect(bot?.maxOpenRisk.toString()).toBe('0.01');
  });

  it('has the baskets of the issue in its parameters: MEGATECH to SQQQ (3 signalling, 60% negative), SEMIS to SOXS (2, 66%)', () => {
    expect(DEFAULTS.baskets).toEqual([
      { name: 'MEGATECH', stocks: ['AAPL.ALPACA', 'MSFT.ALPACA', 'AMZN.ALPACA', 'META.ALPACA', 'GOOGL.ALPACA', 'TSLA.ALPACA'], inverseEtf: 'SQQQ.ALPACA', minSignalling: 3, minNegativeShare: 0.6 },
      { name: 'SEMIS', stocks: ['NVDA.ALPACA', 'AMD.ALPACA', 'AVGO.ALPACA'], inverseEtf: 'SOXS.ALPACA', minSignalling: 2, minNegativeShare: 0.66 },
    ]);
    expect(DEFAULTS).toMatchObject({ signalThreshold: 0.15, maxMeanScore: -0.12, persistEvaluations: 2, trendMinutes: 3, riskFraction: 0.002, openRiskBudget: 0.01, stopPercent: 0.015, stopAtr: 0.7, rewardRisk: 1.5, maxAdds: 1 });
  });

  it('loads through the real loader and is discovered in the bots folder, declaring the notes the views count', async () => {
    const manifest = parseManifest(MANIFEST_JSON);
    const { module, parameters } = await loadStrategy({ path: BOT_FOLDER, manifest });
    expect(parameters).toEqual(DEFAULTS);
    expect(Object.keys(module.notes ?? {}).sort()).toEqual(['basket_state', 'block', 'flip_flop', 'route', 'suppress']);
    expect(NOTES.route).toEqual(['ENTRY', 'ADD', 'STOCK_LONG', 'ETF_DIRECT']);
    for (const value of ['BELOW_BREADTH', 'MEAN_TOO_WEAK', 'NOT_PERSISTENT', 'NOT_FALLING', 'LOCKED', 'CONFLICT', 'MARKET_CLOSED', 'RISK_FULL']) expect(NOTES.suppress).toContain(value);
    for (const value of ['IN_FLIGHT_LOCK', 'WOULD_HEDGE', 'WOULD_STACK', 'PYRAMID_LIMIT', 'OTHER']) expect(NOTES.block).toContain(value);
    expect(NOTES.basket_state).toEqual(['IDLE', 'WATCHING', 'ACTIONABLE', 'HOLDING', 'ADDED']);
    expect(NOTES.flip_flop).toEqual(['SIGN_CHANGED']);
    const found = discoverBots(join(BOT_FOLDER, '..')).find((bot) => bot.folder === 'equity-baskets');
    expect(found).toMatchObject({ status: 'LOADED', reason: null });
  });

  it.each([
    ['an unknown key', { basketSize: 6 }],
    ['an unknown key in a basket', { baskets: [{ ...DEFAULTS.baskets[0]!, etf: 'SQQQ.ALPACA' }] }],
    ['a stock in two baskets', { baskets: [DEFAULTS.baskets[0]!, { ...DEFAULTS.baskets[1]!, stocks: ['AAPL.ALPACA', 'AMD.ALPACA'] }] }],
    ['two baskets on one ETF', { baskets: [DEFAULTS.baskets[0]!, { ...DEFAULTS.baskets[1]!, inverseEtf: 'SQQQ.ALPACA' }] }],
    ['a basket needing more signals than it has stocks', { baskets: [{ ...DEFAULTS.baskets[1]!, minSignalling: 4 }] }],
    ['a positive mean threshold', { maxMeanScore: 0.12 }],
    ['a fast EMA not faster than the slow one', { fastEmaPeriod: 13 }],
    ['a trade risk above the open-risk budget', { riskFraction: 0.02 }],
  ])('refuses %s in its parameters', (_, change) => {
    expect(strategyModule.parameters.safeParse({ ...DEFAULTS, ...change }).success).toBe(false);
  });

  it('refuses at create() a basket whose stock or ETF is not among the manifest’s instruments', () => {
    const instruments = parseManifest(MANIFEST_JSON).instruments.filter((instrument) => instrument !== 'SOXS.ALPACA');
    expect(() => strategyModule.create({ botId: parseManifest(MANIFEST_JSON).id, instruments, timeframes: ['1m'], parameters: DEFAULTS })).toThrow(/SOXS.ALPACA is not among the manifest's instruments/);
  });
});
