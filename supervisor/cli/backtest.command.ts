import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidInputError } from '../../core/errors.ts';
import { BotLoadError, runBacktest, UnknownBotError } from '../backtest/backtest.ts';
import type { MarketChoice } from '../backtest/backtest.ts';
import { DEFAULT_MAX_MISSING } from '../backtest/data-check.ts';
import { renderHtml } from '../backtest/html.ts';
import { progressBar } from '../backtest/progress.ts';
import type { ProgressSink } from '../backtest/progress.ts';
import type { BacktestReport } from '../backtest/report.ts';
import { loadFleetConfig } from '../config/fleet-config.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import { fleetConfigPath } from '../paths.ts';
import { botArgument } from './arguments.ts';
import type { CliCommand, Invocation } from './command.ts';
import { CliFailure, EXIT_CODES, UsageError } from './exit-codes.ts';
import { table } from './format.ts';
import { findProjectRoot } from './new-bot.command.ts';

/**
 * `supervisor backtest <bot>`: runs the bot's own strategy module through the order manager and the paper matching
 * engine on historical klines or the synthetic market, and reports. Local: no running supervisor is needed.
 */

const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function dateOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  // A bare date or a time without a zone is UTC, so a run means the same thing on every machine.
  const withZone = /T/.test(text) && !/(Z|[+-]\d{2}:\d{2})$/.test(text) ? `${text}Z` : text;
  const ms = DATE.test(text) ? Date.parse(withZone) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`${name} must be a date like 2024-01-31 or 2024-01-31T12:00Z (UTC unless a zone is given); got ${JSON.stringify(value)}`);
  return ms;
}

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
    return maxMissing === undefined ? { kind: 'data', path: resolve(cwd, data) } : { kind: 'data', path: resolve(cwd, data), maxMissing };
  }
  if (options['maxMissing'] !== undefined) throw new UsageError('--max-missing is for --data: the synthetic market misses no candles');
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

const pct = (value: number | null): string => (value === null ? '-' : `${(value * 100).toFixed(2)}%`);
const num = (value: number | null): string => (value === null ? '-' : value.toFixed(2));
const cents = (value: string | null): string => {
  if (value === null) return '-';
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  const rounded = (BigInt(whole + fraction.padEnd(3, '0').slice(0, 3)) + 5n) / 10n;
  const text = rounded.toString().padStart(3, '0');
  return `${negative && rounded !== 0n ? '-' : ''}${text.slice(0, -2)}.${text.slice(-2)}`;
};

export function renderReport(report: BacktestReport): string {
  const s = report.summary;
  const lines = [
    `Backtest of ${report.bot.id} (${report.bot.name}): ${report.period.from ?? '-'} to ${report.period.to ?? '-'}, ${report.candles} candles`,
    report.source.kind === 'synthetic' ? `Synthetic market, seed ${report.source.seed}, ${report.source.days} days` : `Data: ${report.source.files.join(', ')}`,
    '',
    table(
      [{ header: 'METRIC' }, { header: 'VALUE', align: 'right' }],
      [
        ['Starting equity', cents(s.startingEquity)],
        ['Final equity', cents(s.finalEquity)],
        ['Net PnL', `${cents(s.netPnl)} (${pct(s.returnFraction)})`],
        ['Realized PnL (gross)', cents(s.realizedPnl)],
        ['Unrealized PnL at end', cents(s.unrealizedPnl)],
        ['Fees', cents(s.fees)],
        ['Trades (closed/open)', `${s.trades}/${s.openTrades}`],
        ['Win rate', pct(s.winRate)],
        ['Profit factor', num(s.profitFactor)],
        ['Average win', cents(s.averageWin)],
        ['Average loss', cents(s.averageLoss)],
        ['Expectancy per trade', cents(s.expectancy)],
        ['Reward to risk', num(s.rewardToRisk)],
        ['Break-even win rate', pct(s.breakEvenWinRate)],
        ['Max drawdown', pct(s.maxDrawdown)],
        ['Sharpe (daily, x sqrt 365)', num(s.sharpe)],
        ['Sortino (daily, x sqrt 365)', num(s.sortino)],
        ['Time in market', pct(s.timeInMarket)],
        ['Strategy code errors', String(report.botCodeErrors.count)],
      ],
    ),
  ];
  if (report.regimes !== null) {
    lines.push('', 'By regime at entry:', table(
      [{ header: 'REGIME' }, { header: 'TRADES', align: 'right' }, { header: 'WIN RATE', align: 'right' }, { header: 'PROFIT FACTOR', align: 'right' }, { header: 'NET PNL', align: 'right' }],
      Object.entries(report.regimes).map(([regime, g]) => [regime, String(g.trades), pct(g.winRate), num(g.profitFactor), cents(g.netPnl)]),
    ));
  }
  if (report.entryBlocked !== null) {
    lines.push('', 'Entries blocked, by layer:', table([{ header: 'LAYER' }, { header: 'COUNT', align: 'right' }], Object.entries(report.entryBlocked).map(([layer, count]) => [layer, String(count)])));
  }
  const denials = Object.entries(report.decisions.denials);
  if (denials.length > 0) lines.push('', `Order manager: ${Object.entries(report.decisions.outcomes).map(([outcome, count]) => `${count} ${outcome}`).join(', ')}; reasons: ${denials.map(([reason, count]) => `${reason} ${count}`).join(', ')}`);
  for (const change of report.stateChanges) lines.push(`Trading state ${change.state} at ${change.at}: ${change.reason ?? ''} ${change.detail}`.trimEnd());
  for (const message of report.botCodeErrors.messages.slice(0, 5)) lines.push(`Strategy error: ${message}`);
  return lines.join('\n');
}

function failure(error: unknown): never {
  if (error instanceof UnknownBotError) throw new CliFailure(EXIT_CODES.UNKNOWN_BOT, `${error.message}; "supervisor bots" lists the bots`);
  if (error instanceof BotLoadError) throw new CliFailure(EXIT_CODES.FAILED, error.message);
  if (error instanceof InvalidInputError) throw new CliFailure(EXIT_CODES.USAGE, error.message);
  throw error;
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
  const reportOption = options['report'];
  const reportDir = typeof reportOption === 'string' ? resolve(io.cwd, reportOption) : null;
  const progress = progressBar(io.stderr as ProgressSink, `backtest ${botId}`);
  let report: BacktestReport;
  try {
    ({ report } = await runBacktest({
      botId,
      botsDir: botsDirectory(invocation, root),
      fleetConfig,
      market,
      ...(fromMs === undefined ? {} : { fromMs }),
      ...(toMs === undefined ? {} : { toMs }),
      ...(progress === null ? {} : { onProgress: (done: number, total: number) => progress.update(done, total) }),
    }));
  } catch (error) {
    progress?.finish();
    failure(error);
  }
  progress?.finish();
  // What the data checks found goes to stderr, so --json output stays one document.
  for (const line of report.dataFindings) io.stderr.write(`data: ${line}\n`);
  if (reportDir !== null) {
    mkdirSync(reportDir, { recursive: true });
    writeFileSync(join(reportDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(reportDir, 'report.html'), renderHtml(report));
  }
  if (invocation.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  io.stdout.write(`${renderReport(report)}\n`);
  if (reportDir !== null) io.stdout.write(`\nWrote ${join(reportDir, 'report.json')} and ${join(reportDir, 'report.html')}\n`);
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
        .option('--synthetic', 'use the seeded synthetic market (the default without --data)')
        .option('--days <n>', 'length of a synthetic run in days (default 30)')
        .option('--seed <n>', "seed of the synthetic market (default: the fleet configuration's marketData.seed)")
        .option('--from <date>', 'start, e.g. 2024-01-01 (UTC)')
        .option('--to <date>', 'end, e.g. 2024-06-30 (UTC)')
        .option('--report <dir>', 'write report.json and report.html there')
        .option('--bots-dir <dir>', "where bot folders live (default: $FLOTILLA_BOTS_DIR, else the project's bots/)");
    },
    run,
  },
];
