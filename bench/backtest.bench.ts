import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseBotId } from '../core/ids.ts';
import type { Strategy, StrategyModule } from '../core/strategy.ts';
import { DEFAULT_SYNTHETIC_START_MS, loadBot, syntheticInstruments } from '../supervisor/backtest/backtest.ts';
import type { LoadedBot } from '../supervisor/backtest/backtest.ts';
import { lowestTimeframe } from '../supervisor/backtest/candle-feed.ts';
import { runEngine } from '../supervisor/backtest/engine.ts';
import { defaultWorkers, grid, runSweep } from '../supervisor/backtest/sweep.ts';
import { SyntheticFeed } from '../supervisor/backtest/synthetic-feed.ts';
import { findProjectRoot } from '../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../supervisor/config/fleet-config.ts';
import type { FleetConfig } from '../supervisor/config/fleet-config.ts';
import type { Benchmark, Figure } from './harness.ts';
import { quantile, round } from './harness.ts';
import { recordStatements } from './sqlite-replay.ts';

const DAYS = 365;
const DAY_MS = 86_400_000;
const RUNS = 3;
const SWEEP_DAYS = 60;
/** 16 points: the scalper's stop and take-profit distances, 4 × 4. */
const SWEEP_GRID = [
  { key: 'stopAtr', values: [1, 1.2, 1.4, 1.6] },
  { key: 'takeProfitAtr', values: [1.5, 1.8, 2.1, 2.4] },
];
/** A drawdown window that never fires: the halts are lifted so that the scalper trades the whole year, as the target asks. */
const NEVER = [{ threshold: '1', windowMs: DAY_MS, action: 'HALTED' as const }];

let warnedNoGc = false;

/** `gc` exists when node runs with --expose-gc, as `npm run bench` does; without it the timed loops may collect. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) return gc();
  if (!warnedNoGc) console.error('backtest: node was started without --expose-gc, so the heap is not collected before each timed run (npm run bench does this)');
  warnedNoGc = true;
}

function botsDirectory(): string {
  return resolve(process.env.FLOTILLA_BOTS_DIR ?? join(findProjectRoot(), 'bots'));
}

/** The same strategy, its indicators and rules computed on every candle, its actions dropped: the candle path alone. */
function neverTrading(module: StrategyModule): StrategyModule {
  return {
    ...module,
    create(context) {
      const inner: Strategy = module.create(context);
      return {
        onCandle(candle, state) {
          inner.onCandle(candle, state);
          return [];
        },
      };
    },
  };
}

/** One timed run over a year of synthetic candles generated (and made Decimals) before the clock starts. */
async function timedYear(bot: LoadedBot, fleetConfig: FleetConfig, module: StrategyModule): Promise<{ seconds: number; candles: number; fills: number; generateSeconds: number }> {
  const { manifest } = bot;
  const feed = new SyntheticFeed({
    seed: fleetConfig.marketData.seed,
    instruments: syntheticInstruments(fleetConfig, manifest.instruments),
    timeframes: manifest.timeframes,
    startMs: DEFAULT_SYNTHETIC_START_MS,
    endMs: DEFAULT_SYNTHETIC_START_MS + DAYS * DAY_MS,
  });
  const generateStarted = process.hrtime.bigint();
  feed.generateAll();
  const generateSeconds = Number(process.hrtime.bigint() - generateStarted) / 1e9;
  // A full collection now, rather than in the timed loop: the year of candles just made is most of the heap.
  collectGarbage();
  const base = lowestTimeframe(manifest.timeframes);
  const started = process.hrtime.bigint();
  const result = await runEngine({ manifest, module, parameters: bot.parameters, fleetConfig, feed, baseTimeframes: new Map(manifest.instruments.map((id) => [id, base])) });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { seconds, candles: result.candles, fills: result.fills.length, generateSeconds };
}

const median = (values: number[]): number => quantile([...values].sort((a, b) => a - b), 0.5);

/**
 * A year of synthetic candles for the bot's own instruments and timeframes, through its strategy, the order manager,
 * the ledger (in memory, as every backtest opens it) and the paper matching engine. For the scalper the drawdown
 * halts are lifted, so it trades all year (about 63,000 fills), and the same year is run again with its actions
 * dropped: the candle path alone. The difference, per fill, is the order path's cost.
 */
async function backtestBot(botName: string): Promise<Figure[]> {
  const prefix = `backtest.${botName}`;
  // The embedded defaults, so figures compare across machines whatever flotilla.config.json says.
  const shipped = loadFleetConfig(null);
  let bot: LoadedBot;
  try {
    bot = await loadBot(botsDirectory(), parseBotId(botName), shipped);
  } catch (error) {
    console.error(`${prefix}: skipped, the bot is not available: ${(error as Error).message}`);
    return [];
  }
  const scalper = botName === 'aggressive';
  const fleetConfig = scalper ? { ...shipped, fleetDrawdown: NEVER } : shipped;
  if (scalper) bot = { ...bot, manifest: { ...bot.manifest, risk: { ...bot.manifest.risk, drawdown: NEVER } } };
  const rates: number[] = [];
  const seconds: number[] = [];
  let last = { seconds: 0, candles: 0, fills: 0, generateSeconds: 0 };
  // This machine's figures wander by a fifth from run to run, so each run is repeated and the median reported.
  for (let run = 0; run < RUNS; run++) {
    last = await timedYear(bot, fleetConfig, bot.module);
    rates.push(last.candles / last.seconds);
    seconds.push(last.seconds);
  }
  rates.sort((a, b) => a - b);
  const figures: Figure[] = [
    { name: `${prefix}.candles_per_s`, value: round(median(rates), 0), unit: `candles/s (median of ${RUNS} runs)` },
    { name: `${prefix}.candles_per_s.min`, value: round(rates[0] ?? Number.NaN, 0), unit: 'candles/s (slowest run)' },
    { name: `${prefix}.candles_per_s.max`, value: round(rates[rates.length - 1] ?? Number.NaN, 0), unit: 'candles/s (fastest run)' },
    { name: `${prefix}.candles`, value: last.candles, unit: `candles (${bot.manifest.instruments.length} instruments × ${bot.manifest.timeframes.join('+')} × ${DAYS} days)` },
    { name: `${prefix}.fills`, value: last.fills, unit: scalper ? 'fills (drawdown halts lifted, so it trades all year)' : 'fills' },
    { name: `${prefix}.generate_s`, value: round(last.generateSeconds, 2), unit: 's (synthetic market and its Decimal candles, not in candles_per_s)' },
  ];
  if (!scalper) return figures;
  const candleRates: number[] = [];
  const candleSeconds: number[] = [];
  const silent = neverTrading(bot.module);
  for (let run = 0; run < RUNS; run++) {
    const year = await timedYear(bot, fleetConfig, silent);
    candleRates.push(year.candles / year.seconds);
    candleSeconds.push(year.seconds);
  }
  const orderPathSeconds = median(seconds) - median(candleSeconds);
  // The trading year once more, its SQLite statements recorded, then replayed alone (see sqlite-replay.ts): whatever
  // the order path's own code costs, a run that issues these statements cannot be faster than the candle path plus them.
  const recording = recordStatements();
  try {
    await timedYear(bot, fleetConfig, bot.module);
  } finally {
    recording.stop();
  }
  collectGarbage();
  const statements = recording.replay();
  figures.push(
    { name: `${prefix}.candle_path_candles_per_s`, value: round(median(candleRates), 0), unit: `candles/s (same year, indicators computed, never trades; median of ${RUNS})` },
    { name: `${prefix}.us_per_fill`, value: round((orderPathSeconds / Math.max(1, last.fills)) * 1e6, 1), unit: 'µs per fill on the order path (median run time less the candle path, per fill)' },
    { name: `${prefix}.sqlite_statements`, value: statements.statements, unit: 'SQLite statements the trading year runs (ledger and supervisor store)' },
    { name: `${prefix}.sqlite_statement_s`, value: round(statements.seconds, 2), unit: 's those statements take replayed back to back on fresh in-memory databases, nothing between them' },
    { name: `${prefix}.ceiling_candles_per_s`, value: round(last.candles / (median(candleSeconds) + statements.seconds), 0), unit: 'candles/s if the order path cost only its SQLite statements (candle path + statement replay)' },
  );
  return figures;
}

/** The scalper's folder as a bot of its own with its drawdown halts lifted, for the sweep's workers to load. */
function unhaltedScalper(): { botsDir: string; remove(): void } {
  const root = findProjectRoot();
  // Inside the project, so 'flotilla/strategy' resolves for it; .test-bots/ is ignored by git.
  mkdirSync(join(root, '.test-bots'), { recursive: true });
  const botsDir = mkdtempSync(join(root, '.test-bots', 'bench-sweep-'));
  const folder = join(botsDir, 'aggressive');
  cpSync(join(botsDirectory(), 'aggressive'), folder, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as { risk: { drawdown: unknown } };
  manifest.risk.drawdown = NEVER;
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
  return { botsDir, remove: () => rmSync(botsDir, { recursive: true, force: true }) };
}

/**
 * A 16-point grid of 60-day scalper backtests (halts lifted, so every run trades all 60 days): once in one worker,
 * one run after the other, and once in one worker per core. Each worker loads the bot and generates the market
 * once, then replays it for every point it runs.
 */
async function sweep(): Promise<Figure[]> {
  const fleetConfig = { ...loadFleetConfig(null), fleetDrawdown: NEVER };
  const bot = unhaltedScalper();
  try {
    const points = grid(SWEEP_GRID);
    const run = {
      botId: 'aggressive',
      botsDir: bot.botsDir,
      fleetConfig,
      market: { kind: 'synthetic' as const, days: SWEEP_DAYS, seed: fleetConfig.marketData.seed },
      split: { kind: 'fraction' as const, fraction: 0.7, label: '0.7' },
    };
    const timed = async (workers: number): Promise<number> => {
      collectGarbage();
      const started = process.hrtime.bigint();
      const rows = await runSweep({ run, points, workers });
      if (rows.length !== points.length) throw new Error(`the sweep returned ${rows.length} rows for ${points.length} points`);
      return Number(process.hrtime.bigint() - started) / 1e9;
    };
    const sequential = await timed(1);
    const workers = defaultWorkers();
    const parallel = await timed(workers);
    return [
      { name: 'backtest.sweep.runs_per_minute', value: round((points.length / parallel) * 60, 1), unit: `runs/min (${points.length}-point grid of ${SWEEP_DAYS}-day scalper backtests, ${workers} worker threads)` },
      { name: 'backtest.sweep.sequential_runs_per_minute', value: round((points.length / sequential) * 60, 1), unit: 'runs/min (the same grid in one worker, one run after the other)' },
      { name: 'backtest.sweep.speedup', value: round(sequential / parallel, 2), unit: `× (one worker per core over one worker; ${workers} cores)` },
    ];
  } finally {
    bot.remove();
  }
}

export const backtestBenchmarks: Benchmark[] = [
  ...['aggressive', 'adaptive', 'trend-following'].map((botName) => ({ name: `backtest.${botName}`, run: () => backtestBot(botName) })),
  { name: 'backtest.sweep', run: sweep },
];
