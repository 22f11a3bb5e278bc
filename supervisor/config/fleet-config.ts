import { existsSync, readFileSync } from 'node:fs';
import { BlockList, isIP } from 'node:net';
import { isAbsolute, relative } from 'node:path';
import { z } from 'zod';
import { Decimal } from '../../core/decimal.ts';
import { ConfigurationError } from '../../core/errors.ts';
import { liveVenueSettingsSchema } from '../../venues/registry.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import type { ConfigLocator, OrderManagerConfig, OrderManagerConfigInput } from '../order-manager/config.ts';
import type { CatalogFactors } from '../market-data/synthetic.ts';
import { decimalString, describeConfigIssues, keyPath, nonNegativeDecimal, orderManagerConfigSchema, parseOrderManagerConfig, positiveDecimal } from '../order-manager/config.ts';

function decimalOrNull(text: string): Decimal | null {
  try {
    return Decimal.parse(text);
  } catch {
    return null;
  }
}

/**
 * An instrument of the fleet's catalog; in paper mode `startPrice` seeds the synthetic market (required there) and
 * `turnoverPerMinute` (quote currency) sets its volume: an ordinary 1m candle trades turnover / price. In live mode
 * the venue quotes both, and neither key may be set.
 */
/**
 * How an equity moves in the synthetic market (supervisor/market-data/equity-factors.ts), one of three:
 * a stock (`sector`, the basket whose factor it shares, and/or `marketBeta`, default 1), an index ETF (`index`:
 * constituent stock → weight, the rest of the weight is the market; `{}` is the market itself), or a daily-reset
 * leveraged or inverse ETF (`tracks`: its stock or index, the multiple being the ratio of their exposure betas).
 */
const factorsSchema = z
  .strictObject({
    sector: z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/, { message: 'a sector is 1-32 capitals, digits and underscores (MEGATECH)' }).optional(),
    marketBeta: positiveDecimal.optional(),
    index: z.record(z.string(), positiveDecimal).optional(),
    tracks: z.string().optional(),
  })
  .superRefine((factors, context) => {
    const roles = [factors.sector !== undefined || factors.marketBeta !== undefined, factors.index !== undefined, factors.tracks !== undefined].filter(Boolean).length;
    if (roles !== 1) context.addIssue({ code: 'custom', path: [], message: 'give exactly one of: sector and/or marketBeta (a stock), index (an index ETF), tracks (a leveraged or inverse ETF)' });
    const total = Object.values(factors.index ?? {}).reduce((sum, weight) => sum.add(decimalOrNull(weight) ?? Decimal.ZERO), Decimal.ZERO);
    if (total.gt(Decimal.ONE)) context.addIssue({ code: 'custom', path: ['index'], message: `the weights add up to ${total.toString()}, more than 1 (the rest of 1 is the market)` });
  });

const catalogInstrumentSchema = orderManagerConfigSchema.shape.instruments.element
  .extend({ startPrice: positiveDecimal.optional(), turnoverPerMinute: positiveDecimal.optional(), factors: factorsSchema.optional() })
  .superRefine((instrument, context) => {
    // The synthetic market cannot quote a price below one tick. Runs even when a key above failed, hence the guard.
    const startPrice = instrument.startPrice === undefined ? null : decimalOrNull(instrument.startPrice);
    const tickSize = decimalOrNull(instrument.tickSize);
    if (startPrice !== null && tickSize !== null && startPrice.isPositive() && startPrice.lt(tickSize)) {
      context.addIssue({ code: 'custom', path: ['startPrice'], message: `${instrument.startPrice} is below one tick (tickSize ${instrument.tickSize})` });
    }
  });

/** A fee rate: a fraction of notional; a negative maker rate is a rebate. */
const feeRate = (lowest: 'rebate' | 'zero') =>
  decimalString((value) => {
    if (value.abs().gte(Decimal.ONE)) return 'must be a fraction of notional below 1 (0.0002 is 2 basis points)';
    return lowest === 'zero' && value.isNegative() ? 'must not be negative' : null;
  });

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (however written, IPv4-mapped included) and localhost. */
export function isLoopbackHost(host: string): boolean {
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** A venue's name as instrument IDs end in it ("BTCUSDT.BYBIT"). */
const venueName = z.string().regex(/^[A-Z][A-Z0-9]{1,15}$/, { message: 'a venue name is 2-16 capitals and digits, as instrument IDs end in it (BYBIT)' });

export const fleetConfigSchema = z.strictObject({
  /** "paper": the built-in paper venue on a synthetic market. "live": the adapters of `venues`, on the venues' money. */
  mode: z.enum(['paper', 'live']).default('paper'),
  /** Live mode only: each venue the fleet's bots trade on, by its name in instrument IDs, and the adapter that serves it. */
  venues: z.record(venueName, liveVenueSettingsSchema).optional(),
  /** Live mode only: the venue keys file; default $FLOTILLA_SECRETS or ~/.config/flotilla/secrets.json. Never inside the project. */
  secretsFile: z.string().min(1).optional(),
  /**
   * Live mode only: the worst taker slippage the risk caps allow for, in basis points of the price. On paper it is
   * known exactly (paper.slippageBaseBps + paper.slippageJitterBps) and this key may not be set.
   */
  slippageAllowanceBps: nonNegativeDecimal.optional(),
  clock: z
    .strictObject({
      /** Market time per real time: 1 is real time; 300 makes a 5-minute candle close every second. */
      speed: z.number().positive().max(100_000).default(300),
      /** Where market time starts, ISO 8601; defaults to the supervisor's start. */
      start: z.iso.datetime().optional(),
    })
    .default({ speed: 300 }),
  marketData: z
    .strictObject({
      seed: z.number().int().default(20_261_121),
      /** Closed candles sent to a bot when it subscribes, for indicator warm-up. */
      historyCandles: z.number().int().min(0).max(5_000).default(300),
      /**
       * Caps the warm-up at this much market time, whatever the timeframe: 300 daily candles would mean
       * generating 300 days of minutes before the first start; 100 days gives a daily strategy 100 candles.
       */
      maxHistoryDays: z.number().int().positive().max(3_650).default(100),
    })
    .default({ seed: 20_261_121, historyCandles: 300, maxHistoryDays: 100 }),
  /**
   * The built-in catalog (DEFAULT_INSTRUMENTS and DEFAULT_EXPOSURE_KEYS) is the base that `instruments` and
   * `exposureKeys` extend; false makes them the whole catalog instead.
   */
  defaultCatalog: z.boolean().default(true),
  /** Added to the catalog; one with the id of a built-in instrument replaces it. */
  instruments: z.array(catalogInstrumentSchema).optional(),
  /** Added to the catalog's keys; one with the name of a built-in key replaces its policy. */
  exposureKeys: orderManagerConfigSchema.shape.exposureKeys.optional(),
  /** A fast fall and a slow bleed of all sub-accounts together: 15% within a day, 20% within 30 days or 25% within 90 halts. */
  fleetDrawdown: orderManagerConfigSchema.shape.fleetDrawdown.default([
    { threshold: '0.15', windowMs: 86_400_000, action: 'HALTED' },
    { threshold: '0.2', windowMs: 30 * 86_400_000, action: 'HALTED' },
    { threshold: '0.25', windowMs: 90 * 86_400_000, action: 'HALTED' },
  ]),
  unansweredOrderMs: orderManagerConfigSchema.shape.unansweredOrderMs,
  equitySampleIntervalMs: z.number().int().positive().default(1_000),
  decisionRetention: z.number().int().positive().default(1_000_000),
  /** How long (ms of market time) a position may wait for its stop's acceptance before it is an incident and repaired. */
  protectionGraceMs: z.number().int().positive().default(10_000),
  decisionRetentionMs: orderManagerConfigSchema.shape.decisionRetentionMs,
  reconciliation: z
    .strictObject({
      /**
       * How long (market time) after an order was written a venue that does not know it can be taken never to have
       * received it: the venue's receive window plus the request timeout.
       */
      receiveWindowMs: z.number().int().positive().default(15_000),
      /** What a position that differs between a bot's ledger and its venue does to the bot. */
      onMismatch: z.enum(['REDUCING', 'HALTED']).default('HALTED'),
    })
    .default({ receiveWindowMs: 15_000, onMismatch: 'HALTED' }),
  paper: z
    .strictObject({
      seed: z.number().int().default(7),
      makerFeeRate: feeRate('rebate').default('0.0002'),
      takerFeeRate: feeRate('zero').default('0.00055'),
      slippageBaseBps: nonNegativeDecimal.default('1'),
      slippageJitterBps: nonNegativeDecimal.default('2'),
      /** The most of a candle's volume one resting order may fill: a fraction above 0, at most 1. */
      participation: decimalString((value) => (value.isPositive() && value.lte(Decimal.ONE) ? null : 'must be a fraction above 0 and at most 1')).default('0.1'),
      /** Each bot's sub-account starts with this much quote currency. */
      startingBalance: nonNegativeDecimal.default('100000'),
      leverage: positiveDecimal.default('5'),
    })
    .default({ seed: 7, makerFeeRate: '0.0002', takerFeeRate: '0.00055', slippageBaseBps: '1', slippageJitterBps: '2', participation: '0.1', startingBalance: '100000', leverage: '5' }),
  heartbeat: z
    .strictObject({
      /** Real-time ms between a bot's heartbeats. */
      intervalMs: z.number().int().positive().default(1_000),
      /** A bot silent this long (real time) is set to REDUCING until it is heard again. */
      timeoutMs: z.number().int().positive().default(5_000),
    })
    .default({ intervalMs: 1_000, timeoutMs: 5_000 }),
  discovery: z
    .strictObject({
      /** Real-time ms between looks at the bots folder; what changed there is adopted without a restart (Fleet.rescan). */
      rescanMs: z.number().int().positive().default(2_000),
    })
    .default({ rescanMs: 2_000 }),
  control: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65_535).default(0) }).default({ host: '127.0.0.1', port: 0 }),
  metrics: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(9464),
      /** The operator's explicit yes to serving /metrics on a host other than loopback; status then says so. */
      exposeBeyondLoopback: z.boolean().default(false),
    })
    // The metrics name every bot, its equity, positions and decisions: not for the network unless asked for.
    .refine((metrics) => metrics.exposeBeyondLoopback || isLoopbackHost(metrics.host), {
      path: ['host'],
      message: 'must be a loopback address (127.0.0.1, ::1 or localhost); to serve metrics beyond this machine, also set metrics.exposeBeyondLoopback to true',
    })
    .default({ host: '127.0.0.1', port: 9464, exposeBeyondLoopback: false }),
});

export type FleetConfig = z.output<typeof fleetConfigSchema>;

/** The live default of slippageAllowanceBps: 10 bp, a liquid perpetual's taker slippage on a bot's order size with room. */
export const LIVE_SLIPPAGE_ALLOWANCE_BPS = '10';

type KeyPath = readonly (string | number)[];

/** Keys that describe the paper venue or the synthetic market: meaningless against a real venue, so refused there. */
const PAPER_ONLY: readonly KeyPath[] = [['paper'], ['clock'], ['marketData', 'seed'], ['marketData', 'maxHistoryDays']];
const LIVE_ONLY: readonly KeyPath[] = [['venues'], ['secretsFile'], ['slippageAllowanceBps']];

function present(input: unknown, path: KeyPath): boolean {
  let at: unknown = input;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return false;
    at = (at as Record<string | number, unknown>)[key];
  }
  return true;
}

/** The id of the venue an instrument trades on: what follows the last dot of its id. */
export function venueOf(instrumentId: string): string {
  return instrumentId.slice(instrumentId.lastIndexOf('.') + 1);
}

/**
 * What the mode forbids or requires, read from the file as written (a default is not a choice): paper-only keys in
 * live mode and live-only keys in paper mode are refused by name, as a configured instrument without a start price
 * on paper, and a live fleet without venues or with a venue none of its instruments trades on.
 */
function modeProblems(input: unknown, config: FleetConfig, entries: readonly CatalogEntry[]): string[] {
  const problems: string[] = [];
  const [forbidden, other] = config.mode === 'live' ? [PAPER_ONLY, 'paper'] : [LIVE_ONLY, 'live'];
  for (const path of forbidden) if (present(input, path)) problems.push(`${keyPath([...path])}: applies only in ${other} mode (mode is "${config.mode}")`);
  (config.instruments ?? []).forEach((instrument, index) => {
    if (config.mode === 'live') {
      for (const key of ['startPrice', 'turnoverPerMinute', 'factors'] as const) {
        if (instrument[key] !== undefined) problems.push(`instruments.${index}.${key}: applies only in paper mode, where it drives the synthetic market; the venue quotes it live`);
      }
      const venue = venueOf(instrument.id);
      if (!Object.hasOwn(config.venues ?? {}, venue)) problems.push(`instruments.${index}.id: ${instrument.id} trades on ${venue}, which has no entry under venues (add venues.${venue}, or leave the instrument out)`);
    } else if (instrument.startPrice === undefined) {
      problems.push(`instruments.${index}.startPrice: required in paper mode, where it seeds the synthetic market`);
    }
  });
  if (config.mode === 'live') {
    const venues = Object.keys(config.venues ?? {});
    if (venues.length === 0) problems.push('venues: live mode needs at least one venue, such as { "BYBIT": { "adapter": "bybit", "environment": "demo" } }');
    const traded = new Set(entries.map((entry) => venueOf(entry.instrument.id)));
    for (const venue of venues) if (!traded.has(venue)) problems.push(`venues.${venue}: no instrument of the catalog trades on ${venue} (instrument IDs end in .${venue})`);
  }
  return problems;
}
export type CatalogInstrument = z.output<typeof catalogInstrumentSchema>;
/** An instrument the synthetic market can quote: it has a start price. */
export type SyntheticCatalogInstrument = CatalogInstrument & { startPrice: string };

const perpetual = (symbol: string, key: string, tickSize: string, lotStep: string, startPrice: string, turnoverPerMinute: string): SyntheticCatalogInstrument => ({
  id: `${symbol}.BYBIT`,
  kind: 'PERPETUAL',
  tickSize,
  lotStep,
  minQuantity: lotStep,
  minNotional: '5',
  exposure: { key, beta: '1' },
  startPrice,
  turnoverPerMinute,
});

const equity = (symbol: string, key: string, beta: string, startPrice: string, turnoverPerMinute: string): SyntheticCatalogInstrument => ({
  id: `${symbol}.ALPACA`,
  kind: 'EQUITY',
  tickSize: '0.01',
  lotStep: '1',
  minQuantity: '1',
  minNotional: '1',
  exposure: { key, beta },
  startPrice,
  turnoverPerMinute,
});

/**
 * The embedded catalog: Bybit perpetuals for the scalper's seven coins, and Alpaca ETFs with their inverses. The
 * turnovers are round figures of the order of each market's real per-minute turnover (a day's volume / 1440 for
 * the coins; the ETFs' session volume spread over the synthetic market's 24 hours).
 */
export const DEFAULT_INSTRUMENTS: SyntheticCatalogInstrument[] = [
  perpetual('BTCUSDT', 'BTC', '0.1', '0.001', '60000', '5000000'),
  perpetual('ETHUSDT', 'ETH', '0.01', '0.01', '3000', '2500000'),
  perpetual('SOLUSDT', 'SOL', '0.01', '0.1', '150', '1000000'),
  perpetual('XRPUSDT', 'XRP', '0.0001', '1', '0.6', '500000'),
  perpetual('DOGEUSDT', 'DOGE', '0.00001', '1', '0.15', '400000'),
  perpetual('ADAUSDT', 'ADA', '0.0001', '1', '0.45', '150000'),
  perpetual('LINKUSDT', 'LINK', '0.001', '0.1', '15', '100000'),
  equity('QQQ', 'NDX', '1', '480', '2000000'),
  equity('TQQQ', 'NDX', '3', '60', '1000000'),
  equity('SQQQ', 'NDX', '-3', '9', '300000'),
  equity('SPY', 'SPX', '1', '560', '3000000'),
  equity('SPXS', 'SPX', '-3', '7', '50000'),
  equity('SOXL', 'SOX', '3', '30', '500000'),
  equity('SOXS', 'SOX', '-3', '20', '150000'),
  equity('SOXX', 'SOX', '1', '230', '300000'),
  // The equity-baskets bot's stocks: each its own exposure key, so holding one says nothing about its index.
  equity('AAPL', 'AAPL', '1', '230', '2500000'),
  equity('MSFT', 'MSFT', '1', '420', '2000000'),
  equity('AMZN', 'AMZN', '1', '190', '1500000'),
  equity('META', 'META', '1', '560', '1500000'),
  equity('GOOGL', 'GOOGL', '1', '170', '1000000'),
  equity('TSLA', 'TSLA', '1', '250', '3000000'),
  equity('NVDA', 'NVDA', '1', '130', '5000000'),
  equity('AMD', 'AMD', '1', '150', '1000000'),
  equity('AVGO', 'AVGO', '1', '170', '1000000'),
];

/**
 * How the built-in equities move together in the synthetic market: MEGATECH and SEMIS stocks share their basket's
 * factor (and the market's, by their beta); QQQ is half its six MEGATECH stocks and half the market, SOXX its three
 * SEMIS, SPY the market; each leveraged and inverse ETF is its exposure beta times its index, reset daily.
 */
const DEFAULT_FACTORS: Readonly<Record<string, CatalogFactors>> = {
  'AAPL.ALPACA': { sector: 'MEGATECH', marketBeta: '1.1' },
  'MSFT.ALPACA': { sector: 'MEGATECH', marketBeta: '1' },
  'AMZN.ALPACA': { sector: 'MEGATECH', marketBeta: '1.2' },
  'META.ALPACA': { sector: 'MEGATECH', marketBeta: '1.3' },
  'GOOGL.ALPACA': { sector: 'MEGATECH', marketBeta: '1.1' },
  'TSLA.ALPACA': { sector: 'MEGATECH', marketBeta: '1.8' },
  'NVDA.ALPACA': { sector: 'SEMIS', marketBeta: '1.7' },
  'AMD.ALPACA': { sector: 'SEMIS', marketBeta: '1.8' },
  'AVGO.ALPACA': { sector: 'SEMIS', marketBeta: '1.4' },
  'QQQ.ALPACA': { index: { 'AAPL.ALPACA': '0.12', 'MSFT.ALPACA': '0.12', 'AMZN.ALPACA': '0.08', 'META.ALPACA': '0.07', 'GOOGL.ALPACA': '0.07', 'TSLA.ALPACA': '0.04' } },
  'SOXX.ALPACA': { index: { 'NVDA.ALPACA': '0.4', 'AVGO.ALPACA': '0.35', 'AMD.ALPACA': '0.25' } },
  'SPY.ALPACA': { index: {} },
  'TQQQ.ALPACA': { tracks: 'QQQ.ALPACA' },
  'SQQQ.ALPACA': { tracks: 'QQQ.ALPACA' },
  'SOXL.ALPACA': { tracks: 'SOXX.ALPACA' },
  'SOXS.ALPACA': { tracks: 'SOXX.ALPACA' },
  'SPXS.ALPACA': { tracks: 'SPY.ALPACA' },
};
for (const instrument of DEFAULT_INSTRUMENTS) {
  const factors = DEFAULT_FACTORS[instrument.id];
  if (factors !== undefined) instrument.factors = factors;
}

export const DEFAULT_EXPOSURE_KEYS: OrderManagerConfigInput['exposureKeys'] = {
  BTC: { policy: 'exclusive' },
  ETH: { policy: 'exclusive' },
  SOL: { policy: 'exclusive' },
  XRP: { policy: 'exclusive' },
  DOGE: { policy: 'exclusive' },
  ADA: { policy: 'exclusive' },
  LINK: { policy: 'exclusive' },
  NDX: { policy: 'capped', maxNotional: '150000' },
  SPX: { policy: 'capped', maxNotional: '150000' },
  SOX: { policy: 'exclusive' },
  AAPL: { policy: 'exclusive' },
  MSFT: { policy: 'exclusive' },
  AMZN: { policy: 'exclusive' },
  META: { policy: 'exclusive' },
  GOOGL: { policy: 'exclusive' },
  TSLA: { policy: 'exclusive' },
  NVDA: { policy: 'exclusive' },
  AMD: { policy: 'exclusive' },
  AVGO: { policy: 'exclusive' },
};

/** A configuration file as messages name it: relative to the working directory when it lies inside it. */
function displayPath(path: string, cwd = process.cwd()): string {
  const inside = relative(cwd, path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

const BUILT_IN = 'the built-in catalog';

/**
 * Reads the fleet configuration file if there is one; no file means the embedded paper defaults. Every problem is
 * refused here, at load, named by the file and the key (`flotilla.config.json: instruments.3.tickSize: ...`),
 * including the catalog's cross-references (an instrument's exposure key without a policy, an instrument listed
 * twice), so nothing in the file can fail later.
 */
export function loadFleetConfig(path: string | null): FleetConfig {
  const file = path === null ? 'fleet configuration' : displayPath(path);
  let input: unknown = {};
  if (path !== null && existsSync(path)) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigurationError(`${file}: cannot be read: ${(error as Error).message}`);
    }
    try {
      input = JSON.parse(text);
    } catch (error) {
      throw new ConfigurationError(`${file}: not valid JSON: ${(error as Error).message}`);
    }
  }
  const parsed = fleetConfigSchema.safeParse(input);
  if (!parsed.success) throw new ConfigurationError(describeConfigIssues(parsed.error, (at) => `${file}: ${keyPath(at)}`));
  const problems = modeProblems(input, parsed.data, catalogEntries(parsed.data, file));
  if (problems.length > 0) throw new ConfigurationError(problems.map((problem) => `${file}: ${problem}`).join('\n'));
  orderManagerConfigFor(parsed.data, [], { configFile: file });
  return parsed.data;
}

interface CatalogEntry {
  instrument: CatalogInstrument;
  /** Its index in the configuration's `instruments`, or null for a built-in one. */
  configuredAt: number | null;
}

/** The built-in catalog with the configured instruments added (a configured id replaces the built-in one). */
function catalogEntries(config: FleetConfig, configFile: string): CatalogEntry[] {
  const configured = config.instruments ?? [];
  const firstAt = new Map<string, number>();
  configured.forEach((instrument, index) => {
    const earlier = firstAt.get(instrument.id);
    if (earlier !== undefined) throw new ConfigurationError(`${configFile}: instruments.${index}.id: ${instrument.id} is listed twice (also instruments.${earlier})`);
    firstAt.set(instrument.id, index);
  });
  // Live, the built-in instruments of a venue the fleet does not trade on are left out: nothing could quote or trade them.
  const liveVenues = config.mode === 'live' ? new Set(Object.keys(config.venues ?? {})) : null;
  const base = config.defaultCatalog ? DEFAULT_INSTRUMENTS.filter((instrument) => liveVenues === null || liveVenues.size === 0 || liveVenues.has(venueOf(instrument.id))) : [];
  if (base.length === 0 && configured.length === 0) {
    throw new ConfigurationError(`${configFile}: instruments: must list at least one instrument when defaultCatalog is false`);
  }
  const entries: CatalogEntry[] = base.map((instrument) => {
    const at = firstAt.get(instrument.id);
    return at === undefined ? { instrument, configuredAt: null } : { instrument: configured[at] as CatalogInstrument, configuredAt: at };
  });
  const builtIn = new Set(base.map((instrument) => instrument.id));
  configured.forEach((instrument, index) => {
    if (!builtIn.has(instrument.id)) entries.push({ instrument, configuredAt: index });
  });
  return withFactorsChecked(entries, configFile);
}

/** What a stock, an index or a leveraged ETF must be for another to be made of it; null when it fits. */
function factorProblems(entry: CatalogEntry, byId: ReadonlyMap<string, CatalogInstrument>): { key: string; problem: string }[] {
  const { instrument } = entry;
  const factors = instrument.factors;
  if (factors === undefined) return [];
  const problems: { key: string; problem: string }[] = [];
  if (instrument.kind !== 'EQUITY') problems.push({ key: 'factors', problem: `equity factors apply only to kind EQUITY (${instrument.id} is ${instrument.kind})` });
  for (const id of Object.keys(factors.index ?? {})) {
    const constituent = byId.get(id);
    if (constituent === undefined) problems.push({ key: `factors.index.${id}`, problem: `${id} is not in the catalog` });
    else if (constituent.factors?.sector === undefined && constituent.factors?.marketBeta === undefined) problems.push({ key: `factors.index.${id}`, problem: `${id} is not a stock of the equity factors (it has no factors.sector or factors.marketBeta)` });
  }
  if (factors.tracks !== undefined) {
    const tracked = byId.get(factors.tracks);
    if (tracked === undefined) problems.push({ key: 'factors.tracks', problem: `${factors.tracks} is not in the catalog` });
    else if (tracked.factors === undefined || tracked.factors.tracks !== undefined) problems.push({ key: 'factors.tracks', problem: `${factors.tracks} must be a stock or an index of the equity factors (it has ${tracked.factors === undefined ? 'no factors' : 'factors.tracks itself'})` });
    else if (tracked.exposure.key !== instrument.exposure.key || (decimalOrNull(tracked.exposure.beta)?.isZero() ?? true)) {
      problems.push({ key: 'factors.tracks', problem: `${factors.tracks} must share the exposure key ${instrument.exposure.key} with a beta other than 0: the daily multiple is the ratio of the two betas` });
    }
  }
  return problems;
}

/**
 * The catalog's equity factors, checked against each other. A configured instrument whose factors do not fit is an
 * error naming its key; a built-in one made of an instrument the configuration replaced without factors walks alone,
 * as every equity did before there were factors (and so, in turn, does what is made of it).
 */
function withFactorsChecked(input: CatalogEntry[], configFile: string): CatalogEntry[] {
  let entries = input;
  for (;;) {
    const byId = new Map(entries.map((entry) => [entry.instrument.id, entry.instrument]));
    let dropped = false;
    entries = entries.map((entry) => {
      const problems = factorProblems(entry, byId);
      if (problems.length === 0) return entry;
      if (entry.configuredAt !== null) {
        throw new ConfigurationError(problems.map(({ key, problem }) => `${configFile}: instruments.${entry.configuredAt}.${key}: ${problem}`).join('\n'));
      }
      const { factors: _factors, ...alone } = entry.instrument;
      dropped = true;
      return { instrument: alone, configuredAt: null };
    });
    if (!dropped) return entries;
  }
}

/** The fleet's instruments: the built-in catalog extended by the configured ones (see `defaultCatalog`). */
export function catalog(config: FleetConfig): CatalogInstrument[] {
  return catalogEntries(config, 'fleet configuration').map((entry) => entry.instrument);
}

/**
 * The catalog for the synthetic market (the paper fleet, a synthetic backtest, the stand-in): every instrument needs
 * a start price. Paper-mode configurations are checked at load; a live one may leave a configured instrument without.
 */
export function syntheticCatalog(config: FleetConfig): SyntheticCatalogInstrument[] {
  return catalogEntries(config, 'fleet configuration').map(({ instrument, configuredAt }) => {
    if (instrument.startPrice === undefined) {
      throw new ConfigurationError(`instruments.${configuredAt}: ${instrument.id} has no startPrice, which the synthetic market needs to quote it; replay recorded klines instead, or use a paper-mode configuration`);
    }
    return { ...instrument, startPrice: instrument.startPrice };
  });
}

/** Where each manifest key of the order manager's per-bot input comes from. */
const MANIFEST_KEYS: Readonly<Record<string, readonly string[]>> = { id: ['id'], subAccountId: ['subAccount'], instruments: ['instruments'] };

export interface ConfigSources {
  /** The configuration file as messages name it; default "fleet configuration". */
  configFile?: string;
  /** A bot's manifest as messages name it; default "manifest.json of bot <id>". */
  manifestFile?: (manifest: BotManifest) => string;
}

/**
 * The order manager's configuration: the fleet's instruments, keys and limits, and each loaded bot's risk
 * settings from its manifest. Built-in exposure keys that no instrument uses are dropped; a configured one is an
 * error. Every error names the file a key came from: the configuration file, a bot's manifest, or the built-in
 * catalog.
 */
export function orderManagerConfigFor(config: FleetConfig, manifests: readonly BotManifest[], sources: ConfigSources = {}): OrderManagerConfig {
  const configFile = sources.configFile ?? 'fleet configuration';
  const manifestFile = sources.manifestFile ?? ((manifest: BotManifest) => `manifest.json of bot ${manifest.id}`);
  const entries = catalogEntries(config, configFile);
  const usedKeys = new Set(entries.map((entry) => entry.instrument.exposure.key));
  const configuredKeys = config.exposureKeys ?? {};
  const builtInKeys = config.defaultCatalog ? Object.entries(DEFAULT_EXPOSURE_KEYS).filter(([key]) => usedKeys.has(key) && !Object.hasOwn(configuredKeys, key)) : [];
  const locate: ConfigLocator = ([section, at, ...rest]) => {
    if (section === 'instruments' && typeof at === 'number') {
      const entry = entries[at];
      if (entry !== undefined && entry.configuredAt === null) return `${BUILT_IN}: ${entry.instrument.id}${rest.length === 0 ? '' : `.${keyPath(rest)}`}`;
      return `${configFile}: ${keyPath(['instruments', entry?.configuredAt ?? at, ...rest])}`;
    }
    if (section === 'exposureKeys' && typeof at === 'string' && !Object.hasOwn(configuredKeys, at)) return `${BUILT_IN}: exposureKeys.${keyPath([at, ...rest])}`;
    if (section === 'bots' && typeof at === 'number') {
      const manifest = manifests[at];
      const [key, ...deeper] = rest;
      const manifestKey = MANIFEST_KEYS[String(key)] ?? ['risk', ...(key === undefined ? [] : [key])];
      return `${manifest === undefined ? 'a bot manifest' : manifestFile(manifest)}: ${keyPath([...manifestKey, ...deeper])}`;
    }
    return `${configFile}: ${keyPath([section, at, ...rest].filter((part) => part !== undefined))}`;
  };
  return parseOrderManagerConfig(
    {
      instruments: entries.map(({ instrument: { startPrice: _startPrice, turnoverPerMinute: _turnover, factors: _factors, ...instrument } }) => instrument),
      exposureKeys: { ...Object.fromEntries(builtInKeys), ...configuredKeys },
      bots: manifests.map((manifest) => ({
        id: manifest.id,
        subAccountId: manifest.subAccount,
        instruments: manifest.instruments,
        ...manifest.risk,
      })),
      unansweredOrderMs: config.unansweredOrderMs,
      fleetDrawdown: config.fleetDrawdown,
      equitySampleIntervalMs: config.equitySampleIntervalMs,
      decisionRetention: config.decisionRetention,
      // On paper, the worst taker slippage is known exactly: the base plus the whole jitter range.
      slippageAllowanceBps:
        config.mode === 'live'
          ? (config.slippageAllowanceBps ?? LIVE_SLIPPAGE_ALLOWANCE_BPS)
          : Decimal.parse(config.paper.slippageBaseBps).add(Decimal.parse(config.paper.slippageJitterBps)).toString(),
      protectionGraceMs: config.protectionGraceMs,
      decisionRetentionMs: config.decisionRetentionMs,
    },
    locate,
  );
}
