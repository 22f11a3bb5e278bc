import { followsUsEquitySession } from '../../core/market-session.ts';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { BotId, InstrumentId } from '../../core/ids.ts';
import { TIMEFRAME_MS } from '../../core/strategy.ts';
import type { StrategyModule, Timeframe } from '../../core/strategy.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import { catalog, syntheticCatalog } from '../config/fleet-config.ts';
import { loadStrategy } from '../../runtime/strategy-loader.ts';
import { discoverBots } from '../discovery/discover.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import { syntheticInstrumentsOf } from '../market-data/synthetic.ts';
import type { SyntheticInstrument } from '../market-data/synthetic.ts';
import type { ArrayFeed, CandleFeed } from './candle-feed.ts';
import { lowestTimeframe } from './candle-feed.ts';
import { loadData } from './data-source.ts';
import { runEngine } from './engine.ts';
import type { EngineResult } from './engine.ts';
import { constantSchedule, loadFundingFiles } from './funding.ts';
import type { FundingChoice, FundingSchedule } from './funding.ts';
import { buildReport } from './report.ts';
import type { BacktestReport, BacktestSource } from './report.ts';
import { SyntheticFeed } from './synthetic-feed.ts';

const DAY_MS = TIMEFRAME_MS['1d'];
/** Where a synthetic backtest starts unless --from says otherwise: fixed, so a seed alone pins the run. */
export const DEFAULT_SYNTHETIC_START_MS = Date.UTC(2025, 0, 1);
export const DEFAULT_SYNTHETIC_DAYS = 30;

/** The bot named on the command line is not in the bots folder; the CLI's exit code 4. */
export class UnknownBotError extends InvalidInputError {
  override name = 'UnknownBotError';
}

/** The bot is there but does not load (manifest, strategy or parameters); the owner must fix it first. */
export class BotLoadError extends InvalidInputError {
  override name = 'BotLoadError';
}

/** `maxMissing`: the share of a stream's candles that may be missing (default DEFAULT_MAX_MISSING). */
export type MarketChoice = { kind: 'data'; path: string; maxMissing?: number; allowOffTick?: boolean } | { kind: 'synthetic'; days?: number; seed: number };

/** Where in-sample ends and out-of-sample starts: a moment, or a fraction of the run's period. `label` is how it was asked. */
export type SplitChoice = { kind: 'date'; atMs: number; label: string } | { kind: 'fraction'; fraction: number; label: string };

export interface BacktestOptions {
  botId: BotId;
  botsDir: string;
  fleetConfig: FleetConfig;
  market: MarketChoice;
  fromMs?: number;
  toMs?: number;
  /** Runs the bot on these of its manifest's instruments only; all of them when absent. */
  instruments?: readonly InstrumentId[];
  /** Strategy parameters that replace the manifest's (a sweep's grid point); the strategy's schema checks them. */
  parameters?: Readonly<Record<string, unknown>>;
  /** A folder to keep the ledger and the supervisor store in as files; in memory when absent. */
  keepLedger?: string;
  funding?: FundingChoice;
  split?: SplitChoice;
  onProgress?(done: number, total: number): void;
}

export interface BacktestRun {
  report: BacktestReport;
  result: EngineResult;
}

export interface PreparedMarket {
  feed: CandleFeed;
  baseTimeframes: Map<InstrumentId, Timeframe>;
  source: BacktestSource;
  findings: string[];
  /** The run's first open and last close, ms. */
  span: { startMs: number; endMs: number };
}

export interface LoadedBot {
  manifest: BotManifest;
  module: StrategyModule;
  parameters: unknown;
}

/** Finds the bot by id in the bots folder and loads its strategy module, as the fleet does at start. */
export async function loadBot(botsDir: string, botId: BotId, fleetConfig: FleetConfig): Promise<LoadedBot> {
  const found = discoverBots(botsDir, new Set(catalog(fleetConfig).map((instrument) => instrument.id)));
  const bot = found.find((candidate) => candidate.manifest?.id === botId);
  if (bot === undefined) {
    const known = found.flatMap((candidate) => (candidate.manifest === null ? [] : [candidate.manifest.id]));
    throw new UnknownBotError(`no bot ${botId} in ${botsDir}${known.length > 0 ? ` (found: ${known.join(', ')})` : ''}`);
  }
  if (bot.status !== 'LOADED') throw new BotLoadError(`bot ${botId} (${bot.path}) does not load: ${bot.status}: ${bot.reason}`);
  try {
    const { module, parameters } = await loadStrategy(bot);
    return { manifest: bot.manifest, module, parameters };
  } catch (error) {
    throw new BotLoadError(`bot ${botId} (${bot.path}) does not load: ${(error as Error).message}`);
  }
}

/** The keys a strategy's parameters schema declares, when it is an object schema that says (zod's `shape`). */
export function parameterKeys(module: StrategyModule): string[] | null {
  const shape = (module.parameters as { shape?: unknown }).shape;
  return shape !== null && typeof shape === 'object' ? Object.keys(shape) : null;
}

/**
 * The bot as a run uses it: on a subset of its instruments, and with some of its parameters replaced. Every
 * instrument must be one of the manifest's, and every parameter one the strategy's schema knows, with a value it
 * accepts; anything else is refused by name, as an unknown configuration key is everywhere.
 */
export function configureBot(bot: LoadedBot, changes: { instruments?: readonly InstrumentId[]; parameters?: Readonly<Record<string, unknown>> }): LoadedBot {
  let manifest = bot.manifest;
  if (changes.instruments !== undefined) {
    const unknown = changes.instruments.filter((id) => !manifest.instruments.includes(id));
    if (unknown.length > 0) throw new InvalidInputError(`--instruments: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among bot ${manifest.id}'s instruments (${manifest.instruments.join(', ')})`);
    if (new Set(changes.instruments).size !== changes.instruments.length) throw new InvalidInputError('--instruments: an instrument is listed twice');
    if (changes.instruments.length === 0) throw new InvalidInputError('--instruments: name at least one instrument');
    const chosen = new Set(changes.instruments);
    manifest = { ...manifest, instruments: manifest.instruments.filter((id) => chosen.has(id)) };
  }
  let parameters = bot.parameters;
  if (changes.parameters !== undefined && Object.keys(changes.parameters).length > 0) {
    const known = parameterKeys(bot.module);
    const unknown = Object.keys(changes.parameters).filter((key) => known === null ? !Object.hasOwn(manifest.parameters, key) : !known.includes(key));
    if (unknown.length > 0) {
      throw new InvalidInputError(`${unknown.join(', ')} ${unknown.length === 1 ? 'is not a parameter' : 'are not parameters'} of bot ${manifest.id}'s strategy (it knows: ${(known ?? Object.keys(manifest.parameters)).join(', ')})`);
    }
    const merged = { ...manifest.parameters, ...changes.parameters };
    const parsed = bot.module.parameters.safeParse(merged);
    if (!parsed.success) {
      throw new InvalidInputError(`parameters ${JSON.stringify(changes.parameters)} are refused by bot ${manifest.id}'s strategy: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`);
    }
    manifest = { ...manifest, parameters: merged };
    parameters = parsed.data;
  }
  return { manifest, module: bot.module, parameters };
}

/**
 * The synthetic market's instruments as the catalog describes them, volume from each one's quote turnover; an
 * equity made of others (QQQ of its stocks) carries them, so the market makes them too without emitting them.
 */
export function syntheticInstruments(fleetConfig: FleetConfig, ids: readonly InstrumentId[]): SyntheticInstrument[] {
  const entries = new Map(syntheticInstrumentsOf(syntheticCatalog(fleetConfig)).map((instrument) => [instrument.id as string, instrument]));
  return ids.map((id) => {
    const instrument = entries.get(id);
    if (instrument === undefined) throw new InvalidInputError(`${id} is not in the fleet's instrument catalog`);
    return instrument;
  });
}

/** The candles of the run: read from kline exports, or generated by the seeded synthetic market. */
export function prepareMarket(options: Pick<BacktestOptions, 'fleetConfig' | 'market' | 'fromMs' | 'toMs'>, manifest: BotManifest): PreparedMarket {
  const { market } = options;
  if (market.kind === 'data') {
    const entries = new Map(catalog(options.fleetConfig).map((entry) => [entry.id, entry]));
    const tickSizes = new Map(manifest.instruments.flatMap((id) => {
      const entry = entries.get(id);
      return entry === undefined ? [] : [[id, Decimal.parse(entry.tickSize)] as const];
    }));
    const loaded = loadData({
      path: market.path,
      instruments: manifest.instruments,
      timeframes: manifest.timeframes,
      fromMs: options.fromMs,
      toMs: options.toMs,
      maxMissing: market.maxMissing,
      tickSizes,
      allowOffTick: market.allowOffTick === true,
      sessionInstruments: new Set(manifest.instruments.filter((id) => {
        const kind = entries.get(id)?.kind;
        return kind !== undefined && followsUsEquitySession({ kind });
      })),
    });
    return { feed: loaded.feed, baseTimeframes: loaded.baseTimeframes, source: { kind: 'data', files: loaded.files }, findings: loaded.findings, span: loaded.span };
  }
  const startMs = options.fromMs ?? DEFAULT_SYNTHETIC_START_MS;
  const days = market.days ?? (options.toMs === undefined ? DEFAULT_SYNTHETIC_DAYS : undefined);
  const endMs = days === undefined ? (options.toMs as number) : Math.min(startMs + days * DAY_MS, options.toMs ?? Number.POSITIVE_INFINITY);
  if (!(endMs > startMs)) throw new InvalidInputError(`the period is empty: it ends (${new Date(endMs).toISOString()}) before it starts (${new Date(startMs).toISOString()})`);
  const base = lowestTimeframe(manifest.timeframes);
  const feed = new SyntheticFeed({ seed: market.seed, instruments: syntheticInstruments(options.fleetConfig, manifest.instruments), timeframes: manifest.timeframes, startMs, endMs });
  return {
    feed,
    baseTimeframes: new Map(manifest.instruments.map((id) => [id, base])),
    source: { kind: 'synthetic', seed: market.seed, days: Math.round(((endMs - startMs) / DAY_MS) * 1000) / 1000 },
    findings: [],
    span: { startMs: Math.ceil(startMs / TIMEFRAME_MS[base]) * TIMEFRAME_MS[base], endMs },
  };
}

const isoMinute = (ms: number): string => new Date(ms).toISOString().replace(':00.000Z', 'Z');

/** The split as a moment on the base timeframe's grid, strictly inside the run's period so both sides have candles. */
export function resolveSplit(split: SplitChoice, span: { startMs: number; endMs: number }, baseTimeframes: ReadonlyMap<InstrumentId, Timeframe>): number {
  const step = Math.max(...[...baseTimeframes.values()].map((timeframe) => TIMEFRAME_MS[timeframe]));
  const raw = split.kind === 'date' ? split.atMs : span.startMs + split.fraction * (span.endMs - span.startMs);
  const at = Math.floor(raw / step) * step;
  if (!(at > span.startMs && at < span.endMs)) {
    throw new InvalidInputError(`--split ${split.label} leaves no candles on one side: the run's period is ${isoMinute(span.startMs)} to ${isoMinute(span.endMs)}`);
  }
  return at;
}

/** The instruments of the run that pay funding: perpetuals. */
export function perpetualsOf(fleetConfig: FleetConfig, instruments: readonly InstrumentId[]): InstrumentId[] {
  const kinds = new Map(catalog(fleetConfig).map((entry) => [entry.id, entry.kind]));
  return instruments.filter((id) => kinds.get(id) === 'PERPETUAL');
}

/** The funding times and rates of the run's perpetuals, or null when the run books no funding. */
export function fundingSchedule(choice: FundingChoice | undefined, fleetConfig: FleetConfig, manifest: BotManifest, span: { startMs: number; endMs: number }): FundingSchedule | null {
  if (choice === undefined || choice.kind === 'none') return null;
  const perpetuals = perpetualsOf(fleetConfig, manifest.instruments);
  if (choice.kind === 'constant') return constantSchedule(perpetuals, choice.rate, choice.intervalHours, span.startMs, span.endMs);
  if (perpetuals.length === 0) throw new InvalidInputError(`--funding: bot ${manifest.id} trades no perpetual in this run (${manifest.instruments.join(', ')}), so there is no funding to book`);
  return loadFundingFiles(choice.path, perpetuals, span.startMs, span.endMs);
}

/** What a run needs besides its candles, resolved once: a sweep reuses it for every grid point. */
export interface RunSetup {
  bot: LoadedBot;
  market: PreparedMarket;
  funding: FundingSchedule | null;
  splitAt: number | null;
}

export async function setUpRun(options: BacktestOptions): Promise<RunSetup> {
  const loaded = await loadBot(options.botsDir, options.botId, options.fleetConfig);
  const bot = configureBot(loaded, { instruments: options.instruments, parameters: options.parameters });
  const market = prepareMarket(options, bot.manifest);
  const funding = fundingSchedule(options.funding, options.fleetConfig, bot.manifest, market.span);
  const splitAt = options.split === undefined ? null : resolveSplit(options.split, market.span, market.baseTimeframes);
  return { bot, market, funding, splitAt };
}

/** Runs the engine on a prepared setup and builds the report. */
export async function runSetUp(setup: RunSetup, options: BacktestOptions, feed: CandleFeed = setup.market.feed): Promise<BacktestRun> {
  const { bot, market, funding, splitAt } = setup;
  const result = await runEngine({
    manifest: bot.manifest,
    module: bot.module,
    parameters: bot.parameters,
    fleetConfig: options.fleetConfig,
    feed,
    baseTimeframes: market.baseTimeframes,
    ...(options.keepLedger === undefined ? {} : { keepLedger: options.keepLedger }),
    ...(funding === null ? {} : { funding: funding.events }),
    ...(splitAt === null ? {} : { splitAt }),
    onProgress: options.onProgress,
  });
  const report = buildReport(result, {
    manifest: bot.manifest,
    fleetConfig: options.fleetConfig,
    source: market.source,
    baseTimeframes: Object.fromEntries(market.baseTimeframes),
    dataFindings: [...market.findings, ...(funding?.findings ?? [])],
    parameters: bot.parameters,
    funding: funding?.description ?? null,
    splitAt,
    split: options.split?.label ?? null,
    allowOffTick: options.market.kind === 'data' && options.market.allowOffTick === true,
  });
  return { report, result };
}

/** Loads the bot, prepares its candles and funding, runs the engine and builds the report. */
export async function runBacktest(options: BacktestOptions): Promise<BacktestRun> {
  return runSetUp(await setUpRun(options), options);
}

/** A feed over the whole market that can be replayed, for several runs over the same candles. */
export function replayable(market: PreparedMarket): ArrayFeed {
  const feed = market.feed;
  if (feed instanceof SyntheticFeed) return feed.toArrayFeed();
  return (feed as ArrayFeed).replay();
}
