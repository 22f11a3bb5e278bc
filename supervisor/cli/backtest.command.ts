import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { parseInstrumentId } from '../../core/ids.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { BotLoadError, configureBot, loadBot, resolveSplit, runBacktest, setUpRun, UnknownBotError } from '../backtest/backtest.ts';
import type { BacktestOptions, MarketChoice, SplitChoice } from '../backtest/backtest.ts';
import { DEFAULT_MAX_MISSING } from '../backtest/data-check.ts';
import { DEFAULT_FUNDING_INTERVAL_HOURS } from '../backtest/funding.ts';
import type { FundingChoice } from '../backtest/funding.ts';
import { renderHtml } from '../backtest/html.ts';
import { progressBar } from '../backtest/progress.ts';
import type { ProgressSink } from '../backtest/progress.ts';
import type { BacktestReport } from '../backtest/report.ts';
import { checkGrid, parseSweep, rank, RANK_FIGURES, runSweep, toSweepRunOptions } from '../backtest/sweep.ts';
import type { RankFigure } from '../backtest/sweep.ts';
import { renderReport, renderSweep } from '../backtest/text.ts';
import { loadFleetConfig } from '../config/fleet-config.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import { fleetConfigPath } from '../paths.ts';
import { botArgument, DATE_OR_TIME, dateOption } from './arguments.ts';
import type { CliCommand, Invocation } from './command.ts';
import { CliFailure, EXIT_CODES, UsageError } from './exit-codes.ts';
import { findProjectRoot } from './new-bot.command.ts';

/** A sweep without --split is split here: its ranking is by in-sample figures, judged by out-of-sample ones. */
const DEFAULT_SWEEP_SPLIT: SplitChoice = { kind: 'fraction', fraction: 0.7, label: '0.7' };

/**
 * `supervisor backtest <bot>`: runs the bot's own strategy module through the order manager and the paper matching
 * engine on historical klines or the synthetic market, and reports. Local: no running supervisor is needed.
 */

function integerOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  const number = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`);
  return number;
}

function fractionOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  const number = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!(number >= 0 && number < 1)) throw new UsageError(`${name} must be a fraction from 0 up to, not including, 1 (0.2 is 20%); got ${JSON.stringify(value)}`);
  return number;
}

function marketChoice(options: Readonly<Record<string, unknown>>, defaultSeed: number, cwd: string): MarketChoice {
  const data = options['data'];
  const synthetic = options['synthetic'] === true;
  if (data !== undefined && synthetic) throw new UsageError('--data and --synthetic exclude each other: backtest on files or on the synthetic market');
  if (data !== undefined) {
    if (options['days'] !== undefined || options['seed'] !== undefined) throw new UsageError('--days and --seed are for --synthetic; with --data the files set the period (narrow it with --from and --to)');
    if (typeof data !== 'string' || data.trim() === '') throw new UsageError('--data needs a file or a folder');
    const maxMissing = fractionOption(options['maxMissing'], '--max-missing');
    return { kind: 'data', path: resolve(cwd, data), ...(maxMissing === undefined ? {} : { maxMissing }), ...(options['allowOffTick'] === true ? { allowOffTick: true } : {}) };
  }
  if (options['maxMissing'] !== undefined) throw new UsageError('--max-missing is for --data: the synthetic market misses no candles');
  if (options['allowOffTick'] !== undefined) throw new UsageError('--allow-off-tick is for --data: the synthetic market quotes on the tick');
  const days = integerOption(options['days'], '--days', 1, 3_650);
  const seed = integerOption(options['seed'], '--seed', -(2 ** 31), 2 ** 31 - 1) ?? defaultSeed;
  return days === undefined ? { kind: 'synthetic', seed } : { kind: 'synthetic', days, seed };
}

function botsDirectory(invocation: Invocation, root: string): string {
  const option = invocation.options['botsDir'];
  const fromEnvironment = invocation.io.env['FLOTILLA_BOTS_DIR'];
  if (typeof option === 'string') return resolve(invocation.io.cwd, option);
  if (fromEnvironment !== undefined && fromEnvironment !== '') return resolve(invocation.io.cwd, fromEnvironment);
  return join(root, 'bots');
}

function failure(error: unknown): never {
  if (error instanceof UnknownBotError) throw new CliFailure(EXIT_CODES.UNKNOWN_BOT, `${error.message}; "supervisor bots" lists the bots`);
  if (error instanceof BotLoadError) throw new CliFailure(EXIT_CODES.FAILED, error.message);
  if (error instanceof InvalidInputError) throw new CliFailure(EXIT_CODES.USAGE, error.message);
  throw error;
}

const COMMA_LIST = /^[^,\s]+(,[^,\s]+)*$/;

function instrumentsOption(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  if (!COMMA_LIST.test(text)) throw new UsageError(`--instruments must be a comma-separated list such as BTCUSDT.BYBIT,ETHUSDT.BYBIT; got ${JSON.stringify(value)}`);
  return text.split(',');
}

/** Full ids, or symbols the bot's venue completes (`ETHUSDT` → `ETHUSDT.BYBIT`); the manifest's list checks them. */
function instrumentIds(items: readonly string[], venue: string): InstrumentId[] {
  return items.map((item) => {
    try {
      return parseInstrumentId(item.includes('.') ? item.toUpperCase() : `${item.toUpperCase()}.${venue}`);
    } catch (error) {
      throw new UsageError(`--instruments: ${(error as Error).message}`);
    }
  });
}

function splitOption(value: unknown): SplitChoice | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  if (/^0?\.\d+$/.test(text)) {
    const fraction = Number(text);
    if (fraction > 0 && fraction < 1) return { kind: 'fraction', fraction, label: text };
  }
  if (DATE_OR_TIME.test(text)) return { kind: 'date', atMs: dateOption(text, '--split') as number, label: text };
  throw new UsageError(`--split must be a date like 2024-06-01 (UTC) or a fraction of the period between 0 and 1 like 0.7; got ${JSON.stringify(value)}`);
}

function fundingOption(options: Readonly<Record<string, unknown>>, cwd: string): FundingChoice | undefined {
  const file = options['funding'];
  const rate = options['fundingRate'];
  const interval = options['fundingInterval'];
  if (file !== undefined && rate !== undefined) throw new UsageError('--funding and --funding-rate exclude each other: funding rates from files, or one constant rate');
  if (interval !== undefined && rate === undefined) throw new UsageError('--funding-interval goes with --funding-rate: a file gives its own funding times');
  if (file !== undefined) {
    if (typeof file !== 'string' || file.trim() === '') throw new UsageError('--funding needs a file or a folder of funding-rate exports');
    return { kind: 'file', path: resolve(cwd, file) };
  }
  if (rate === undefined) return undefined;
  const text = typeof rate === 'string' ? rate.trim() : '';
  let parsed: Decimal;
  try {
    parsed = Decimal.parse(text, '--funding-rate');
  } catch {
    throw new UsageError(`--funding-rate must be a decimal fraction per funding time, e.g. 0.0001 (0.01%) or -0.00005; got ${JSON.stringify(rate)}`);
  }
  if (parsed.abs().gte(Decimal.ONE)) throw new UsageError(`--funding-rate must be a fraction below 1 (0.0001 is 0.01%); got ${text}`);
  const hours = integerOption(interval, '--funding-interval', 1, 24) ?? DEFAULT_FUNDING_INTERVAL_HOURS;
  if (24 % hours !== 0) throw new UsageError(`--funding-interval must divide a day: 1, 2, 3, 4, 6, 8, 12 or 24 hours; got ${hours}`);
  return { kind: 'constant', rate: parsed, intervalHours: hours };
}

function rankOption(value: unknown): RankFigure {
  if (value === undefined) return 'sharpe';
  if (typeof value === 'string' && (RANK_FIGURES as readonly string[]).includes(value)) return value as RankFigure;
  throw new UsageError(`--rank-by must be one of ${RANK_FIGURES.join(', ')}; got ${JSON.stringify(value)}`);
}

function keptFolder(value: unknown, cwd: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError('--keep-ledger needs a folder to keep the ledger and the supervisor store in');
  return resolve(cwd, value);
}

function writeReport(reportDir: string | null, report: BacktestReport): void {
  if (reportDir === null) return;
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(join(reportDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(reportDir, 'report.html'), renderHtml(report));
}

async function run(invocation: Invocation): Promise<void> {
  const { io, options } = invocation;
  const botId = botArgument(invocation.args[0], 'bot');
  const fromMs = dateOption(options['from'], '--from');
  const toMs = dateOption(options['to'], '--to');
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) throw new UsageError('--to must be after --from');
  const root = findProjectRoot();
  const configOverride = io.env['FLOTILLA_CONFIG'];
  let fleetConfig: FleetConfig;
  try {
    fleetConfig = loadFleetConfig(configOverride !== undefined && configOverride !== '' ? resolve(io.cwd, configOverride) : fleetConfigPath(root));
  } catch (error) {
    failure(error);
  }
  const market = marketChoice(options, fleetConfig.marketData.seed, io.cwd);
  const funding = fundingOption(options, io.cwd);
  const sweeps = (options['sweep'] as string[] | undefined) ?? [];
  const sweeping = sweeps.length > 0;
  const keepLedger = keptFolder(options['keepLedger'], io.cwd);
  if (sweeping && keepLedger !== undefined) throw new UsageError('--keep-ledger keeps one run\'s ledger; a sweep makes many: run the grid point you want to keep on its own');
  if (sweeping && options['report'] !== undefined) throw new UsageError('--report writes one run\'s report; a sweep prints its table (--json for JSON): run the grid point you want on its own with --report');
  if (!sweeping && (options['rankBy'] !== undefined || options['workers'] !== undefined)) throw new UsageError('--rank-by and --workers are for --sweep');
  const rankBy = rankOption(options['rankBy']);
  // A sweep is judged out of sample; without a split the trader would be ranking by the data the grid was fitted to.
  const split = splitOption(options['split']) ?? (sweeping ? DEFAULT_SWEEP_SPLIT : undefined);
  const botsDir = botsDirectory(invocation, root);
  const instruments = instrumentsOption(options['instruments']);
  const reportOption = options['report'];
  const reportDir = typeof reportOption === 'string' ? resolve(io.cwd, reportOption) : null;
  const progress = progressBar(io.stderr as ProgressSink, sweeping ? `sweep ${botId}` : `backtest ${botId}`);
  const backtest: BacktestOptions = {
    botId,
    botsDir,
    fleetConfig,
    market,
    ...(fromMs === undefined ? {} : { fromMs }),
    ...(toMs === undefined ? {} : { toMs }),
    ...(keepLedger === undefined ? {} : { keepLedger }),
    ...(funding === undefined ? {} : { funding }),
    ...(split === undefined ? {} : { split }),
  };
  try {
    // Symbols without a venue take the bot's; the manifest is read once to know it.
    const bot = await loadBot(botsDir, botId, fleetConfig);
    const subset = instruments === undefined ? undefined : instrumentIds(instruments, bot.manifest.venue);
    if (subset !== undefined) backtest.instruments = subset;
    if (sweeping) {
      const axes = parseSweep(sweeps);
      const points = checkGrid(configureBot(bot, { instruments: subset }), axes);
      const workers = integerOption(options['workers'], '--workers', 1, 64);
      const setup = await setUpRun({ ...backtest, parameters: {} });
      const splitAt = resolveSplit(split as SplitChoice, setup.market.span, setup.market.baseTimeframes);
      for (const line of setup.market.findings) io.stderr.write(`data: ${line}\n`);
      const rows = await runSweep({
        run: toSweepRunOptions({ ...backtest, split: split as SplitChoice }),
        points,
        ...(workers === undefined ? {} : { workers }),
        ...(progress === null ? {} : { onProgress: (done: number, total: number, runs: number) => progress.update(done, total, `, ${runs}/${points.length} runs`) }),
      });
      progress?.finish();
      const ranked = rank(rows, rankBy);
      const at = new Date(splitAt).toISOString();
      if (invocation.json) {
        io.stdout.write(`${JSON.stringify({ bot: botId, rankBy, split: { at, asked: (split as SplitChoice).label }, parameters: axes.map((axis) => axis.key), rows: ranked }, null, 2)}\n`);
        return;
      }
      io.stdout.write(`${renderSweep(ranked, axes.map((axis) => axis.key), rankBy, { at, label: (split as SplitChoice).label })}\n`);
      return;
    }
    const { report } = await runBacktest({ ...backtest, ...(progress === null ? {} : { onProgress: (done: number, total: number) => progress.update(done, total) }) });
    progress?.finish();
    // What the data checks found goes to stderr, so --json output stays one document.
    for (const line of report.dataFindings) io.stderr.write(`data: ${line}\n`);
    writeReport(reportDir, report);
    if (invocation.json) {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    io.stdout.write(`${renderReport(report)}\n`);
    if (reportDir !== null) io.stdout.write(`\nWrote ${join(reportDir, 'report.json')} and ${join(reportDir, 'report.html')}\n`);
    if (keepLedger !== undefined) io.stdout.write(`Kept the ledger in ${join(keepLedger, 'ledgers', `${botId}.sqlite`)} and the supervisor store in ${join(keepLedger, 'supervisor.sqlite')}\n`);
  } catch (error) {
    progress?.finish();
    failure(error);
  }
}

export const commands: CliCommand[] = [
  {
    name: 'backtest',
    summary: 'backtest a bot on kline files or the synthetic market, through the real order manager and paper venue (local)',
    configure: (command) => {
      command
        .argument('<bot>', 'the bot id (its folder is found under the bots folder)')
        .option('--data <path>', 'a kline file or a folder of them, named <SYMBOL>-<timeframe>.csv|json (Binance or Bybit exports)')
        .option('--max-missing <fraction>', `with --data, the share of an instrument's candles in the run's period that may be missing before the data is refused, 0 to below 1 (default ${DEFAULT_MAX_MISSING})`)
        .option('--allow-off-tick', "with --data, accept prices below one tick or off the instrument's tick (reported) instead of refusing the file")
        .option('--synthetic', 'use the seeded synthetic market (the default without --data)')
        .option('--days <n>', 'length of a synthetic run in days (default 30)')
        .option('--seed <n>', "seed of the synthetic market (default: the fleet configuration's marketData.seed)")
        .option('--from <date>', 'start, e.g. 2024-01-01 (UTC)')
        .option('--to <date>', 'end, e.g. 2024-06-30 (UTC)')
        .option('--instruments <ids>', "run on these of the manifest's instruments only, e.g. BTCUSDT.BYBIT,ETHUSDT (a symbol takes the bot's venue)")
        .option('--funding <path>', 'perpetual funding from a funding-rate export (Binance or Bybit, CSV or JSON) or a folder of them, named <SYMBOL>-funding....csv|json')
        .option('--funding-rate <rate>', 'perpetual funding at one constant rate per funding time, e.g. 0.0001 (positive: longs pay shorts)')
        .option('--funding-interval <hours>', `with --funding-rate, hours between funding times from 00:00 UTC (default ${DEFAULT_FUNDING_INTERVAL_HOURS})`)
        .option('--split <date|fraction>', 'report in-sample (before) and out-of-sample (after) side by side: a date, or a fraction of the period such as 0.7')
        .option('--sweep <parameter=v1,v2,...>', 'run every combination of these strategy parameter values (repeat for a grid), in worker threads', (item: string, previous: string[] = []) => [...previous, item])
        .option('--rank-by <figure>', `with --sweep, the in-sample figure to rank by: ${RANK_FIGURES.join(', ')} (default sharpe)`)
        .option('--workers <n>', 'with --sweep, worker threads (default: one per core)')
        .option('--keep-ledger <dir>', 'keep the ledger (ledgers/<bot>.sqlite) and the supervisor store (supervisor.sqlite) there as files; in memory otherwise')
        .option('--report <dir>', 'write report.json and report.html there')
        .option('--bots-dir <dir>', "where bot folders live (default: $FLOTILLA_BOTS_DIR, else the project's bots/)");
    },
    run,
  },
];
