import { join, resolve } from 'node:path';
import { parseBotId } from '../core/ids.ts';
import { DEFAULT_SYNTHETIC_START_MS, loadBot, syntheticInstruments } from '../supervisor/backtest/backtest.ts';
import { lowestTimeframe } from '../supervisor/backtest/candle-feed.ts';
import { runEngine } from '../supervisor/backtest/engine.ts';
import { SyntheticFeed } from '../supervisor/backtest/synthetic-feed.ts';
import { findProjectRoot } from '../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../supervisor/config/fleet-config.ts';
import type { Benchmark, Figure } from './harness.ts';
import { quantile, round } from './harness.ts';

const DAYS = 365;
const DAY_MS = 86_400_000;
const RUNS = 3;

let warnedNoGc = false;

/** `gc` exists when node runs with --expose-gc, as `npm run bench` does; without it the timed loops may collect. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) return gc();
  if (!warnedNoGc) console.error('backtest: node was started without --expose-gc, so the heap is not collected before each timed run (npm run bench does this)');
  warnedNoGc = true;
}

/**
 * A year of synthetic candles for the bot's own instruments and timeframes, through its strategy, the order manager,
 * the ledger and the paper matching engine. The market is generated, and its candles made Decimals, before the clock
 * starts, as a backtest over files parses them first (its own speed is in supervisor/market-data/README.md), so the
 * figure is the backtest loop's.
 */
async function backtestBot(botName: string): Promise<Figure[]> {
  const prefix = `backtest.${botName}`;
  const root = findProjectRoot();
  const botsDir = resolve(process.env.FLOTILLA_BOTS_DIR ?? join(root, 'bots'));
  // The embedded defaults, so figures compare across machines whatever flotilla.config.json says.
  const fleetConfig = loadFleetConfig(null);
  let bot: Awaited<ReturnType<typeof loadBot>>;
  try {
    bot = await loadBot(botsDir, parseBotId(botName), fleetConfig);
  } catch (error) {
    console.error(`${prefix}: skipped, the bot is not available: ${(error as Error).message}`);
    return [];
  }
  const { manifest } = bot;
  const base = lowestTimeframe(manifest.timeframes);
  const rates: number[] = [];
  let candles = 0;
  let fills = 0;
  let generateSeconds = 0;
  // This machine's figures wander by a fifth from run to run, so each run is repeated and the median reported.
  for (let run = 0; run < RUNS; run++) {
    const feed = new SyntheticFeed({
      seed: fleetConfig.marketData.seed,
      instruments: syntheticInstruments(fleetConfig, manifest.instruments),
      timeframes: manifest.timeframes,
      startMs: DEFAULT_SYNTHETIC_START_MS,
      endMs: DEFAULT_SYNTHETIC_START_MS + DAYS * DAY_MS,
    });
    const generateStarted = process.hrtime.bigint();
    feed.generateAll();
    generateSeconds = Number(process.hrtime.bigint() - generateStarted) / 1e9;
    // A full collection now, rather than in the timed loop: the year of candles just made is most of the heap.
    collectGarbage();
    const started = process.hrtime.bigint();
    const result = await runEngine({
      manifest,
      module: bot.module,
      parameters: bot.parameters,
      fleetConfig,
      feed,
      baseTimeframes: new Map(manifest.instruments.map((id) => [id, base])),
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rates.push(result.candles / seconds);
    candles = result.candles;
    fills = result.fills.length;
  }
  rates.sort((a, b) => a - b);
  return [
    { name: `${prefix}.candles_per_s`, value: round(quantile(rates, 0.5), 0), unit: `candles/s (median of ${RUNS} runs)` },
    { name: `${prefix}.candles_per_s.min`, value: round(rates[0] ?? Number.NaN, 0), unit: 'candles/s (slowest run)' },
    { name: `${prefix}.candles_per_s.max`, value: round(rates[rates.length - 1] ?? Number.NaN, 0), unit: 'candles/s (fastest run)' },
    { name: `${prefix}.candles`, value: candles, unit: `candles (${manifest.instruments.length} instruments × ${manifest.timeframes.join('+')} × ${DAYS} days)` },
    { name: `${prefix}.fills`, value: fills, unit: 'fills' },
    { name: `${prefix}.generate_s`, value: round(generateSeconds, 2), unit: 's (synthetic market and its Decimal candles, not in candles_per_s)' },
  ];
}

export const backtestBenchmarks: Benchmark[] = ['aggressive', 'adaptive', 'trend-following'].map((botName) => ({
  name: `backtest.${botName}`,
  run: () => backtestBot(botName),
}));
