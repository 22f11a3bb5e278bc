import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { InstrumentId } from '../../core/ids.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import type { BacktestOptions, LoadedBot, MarketChoice, SplitChoice } from './backtest.ts';
import { configureBot, parameterKeys } from './backtest.ts';
import type { FundingChoice } from './funding.ts';
import type { BacktestReport, PeriodStatistics } from './report.ts';

/**
 * Parameter sweeps: every combination of a grid of strategy parameters, each run as its own backtest on the same
 * candles, in worker threads (one per core), ranked by an in-sample figure with the out-of-sample figures beside.
 */

export interface SweepAxis {
  key: string;
  values: unknown[];
}

/** A manifest value as written on the command line: a number, true/false, or else a string. */
function value(text: string): unknown {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true' || trimmed === 'false') return trimmed === 'true';
  return trimmed;
}

/** `key=v1,v2,...` per --sweep; a key twice, a key without values or an empty value is refused. */
export function parseSweep(specs: readonly string[]): SweepAxis[] {
  const axes: SweepAxis[] = [];
  for (const spec of specs) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(spec.trim());
    if (match === null) throw new InvalidInputError(`--sweep must be <parameter>=<value>,<value>,... (e.g. stopAtr=1,1.2,1.5); got ${JSON.stringify(spec)}`);
    const [, key = '', list = ''] = match;
    if (axes.some((axis) => axis.key === key)) throw new InvalidInputError(`--sweep ${key} is given twice; list all its values in one --sweep ${key}=...`);
    const texts = list.split(',');
    if (texts.some((text) => text.trim() === '')) throw new InvalidInputError(`--sweep ${key}: an empty value in ${JSON.stringify(list)}`);
    const values = texts.map(value);
    if (new Set(values.map((one) => JSON.stringify(one))).size !== values.length) throw new InvalidInputError(`--sweep ${key}: a value is listed twice in ${JSON.stringify(list)}`);
    axes.push({ key, values });
  }
  return axes;
}

/** Every combination, the first axis varying slowest: the order rows keep when figures tie. */
export function grid(axes: readonly SweepAxis[]): Array<Record<string, unknown>> {
  let points: Array<Record<string, unknown>> = [{}];
  for (const axis of axes) points = points.flatMap((point) => axis.values.map((one) => ({ ...point, [axis.key]: one })));
  return points;
}

/** The most grid points one sweep runs; beyond it the trader is fitting noise, and waiting hours. */
export const MAX_GRID_POINTS = 1_000;

/**
 * Checks every grid point against the strategy's schema before any run: each key must be a parameter the strategy
 * knows, and each combination one it accepts.
 */
export function checkGrid(bot: LoadedBot, axes: readonly SweepAxis[]): Array<Record<string, unknown>> {
  const known = parameterKeys(bot.module);
  for (const axis of axes) {
    if (known !== null ? !known.includes(axis.key) : !Object.hasOwn(bot.manifest.parameters, axis.key)) {
      throw new InvalidInputError(`--sweep ${axis.key}: not a parameter of bot ${bot.manifest.id}'s strategy (it knows: ${(known ?? Object.keys(bot.manifest.parameters)).join(', ')})`);
    }
  }
  const points = grid(axes);
  if (points.length > MAX_GRID_POINTS) throw new InvalidInputError(`the sweep has ${points.length} combinations, more than ${MAX_GRID_POINTS}; sweep fewer values`);
  for (const point of points) configureBot(bot, { parameters: point });
  return points;
}

export const RANK_FIGURES = ['sharpe', 'sortino', 'profit-factor', 'return', 'net-pnl', 'win-rate', 'expectancy', 'max-drawdown', 'trades'] as const;
export type RankFigure = (typeof RANK_FIGURES)[number];

/** A figure of a period as a number to sort by; null ranks last. A smaller drawdown is the better one. */
export function figureOf(period: PeriodStatistics, figure: RankFigure): number | null {
  switch (figure) {
    case 'sharpe':
      return period.sharpe;
    case 'sortino':
      return period.sortino;
    case 'profit-factor':
      return period.profitFactor;
    case 'return':
      return period.returnFraction;
    case 'net-pnl':
      return Decimal.parse(period.netPnl).toNumber();
    case 'win-rate':
      return period.winRate;
    case 'expectancy':
      return period.expectancy === null ? null : Decimal.parse(period.expectancy).toNumber();
    case 'max-drawdown':
      return period.maxDrawdown;
    case 'trades':
      return period.trades;
  }
}

export interface SweepRow {
  /** Position in the grid, from 0. */
  point: number;
  parameters: Record<string, unknown>;
  inSample: PeriodStatistics;
  outOfSample: PeriodStatistics;
  fills: number;
  botCodeErrors: number;
  /** Trading-state changes, such as a drawdown halt, over the whole run. */
  stateChanges: number;
}

/** Best first by the in-sample figure; ties keep grid order. */
export function rank(rows: readonly SweepRow[], figure: RankFigure): SweepRow[] {
  const better = figure === 'max-drawdown' ? (a: number, b: number) => a - b : (a: number, b: number) => b - a;
  return [...rows].sort((a, b) => {
    const x = figureOf(a.inSample, figure);
    const y = figureOf(b.inSample, figure);
    if (x === null || y === null) return x === y ? a.point - b.point : x === null ? 1 : -1;
    return better(x, y) || a.point - b.point;
  });
}

/** What a worker needs to set a run up: plain data, as it crosses a thread boundary. */
export interface SweepRunOptions {
  botId: string;
  botsDir: string;
  fleetConfig: FleetConfig;
  market: MarketChoice;
  fromMs?: number;
  toMs?: number;
  instruments?: string[];
  funding?: { kind: 'none' } | { kind: 'constant'; rate: string; intervalHours: number } | { kind: 'file'; path: string };
  split: SplitChoice;
}

export function toSweepRunOptions(options: BacktestOptions & { split: SplitChoice }): SweepRunOptions {
  const funding = options.funding;
  return {
    botId: options.botId,
    botsDir: options.botsDir,
    fleetConfig: options.fleetConfig,
    market: options.market,
    ...(options.fromMs === undefined ? {} : { fromMs: options.fromMs }),
    ...(options.toMs === undefined ? {} : { toMs: options.toMs }),
    ...(options.instruments === undefined ? {} : { instruments: [...options.instruments] }),
    ...(funding === undefined ? {} : { funding: funding.kind === 'constant' ? { ...funding, rate: funding.rate.toString() } : funding }),
    split: options.split,
  };
}

export function fromSweepRunOptions(options: SweepRunOptions): BacktestOptions & { split: SplitChoice } {
  const { funding: sent, instruments: _instruments, ...rest } = options;
  const funding: FundingChoice | undefined = sent === undefined ? undefined : sent.kind === 'constant' ? { ...sent, rate: Decimal.parse(sent.rate) } : sent;
  return {
    ...rest,
    botId: options.botId as BacktestOptions['botId'],
    ...(options.instruments === undefined ? {} : { instruments: options.instruments as InstrumentId[] }),
    ...(funding === undefined ? {} : { funding }),
  };
}

/** The sweep's row for one finished run. */
export function sweepRow(point: number, parameters: Record<string, unknown>, report: BacktestReport): SweepRow {
  if (report.split === null) throw new InvalidInputError('a sweep run needs a split');
  return {
    point,
    parameters,
    inSample: report.split.inSample,
    outOfSample: report.split.outOfSample,
    fills: report.summary.fills,
    botCodeErrors: report.botCodeErrors.count,
    stateChanges: report.stateChanges.length,
  };
}

/** Messages between the sweep and its workers. */
export type ToWorker = { type: 'run'; point: number; parameters: Record<string, unknown> } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; point: number; done: number; total: number }
  | { type: 'done'; row: SweepRow }
  | { type: 'failed'; point: number; message: string };

export interface SweepOptions {
  run: SweepRunOptions;
  points: ReadonlyArray<Record<string, unknown>>;
  /** Worker threads; one per core by default, never more than points. */
  workers?: number;
  /** Candles done over all runs so far, of the sweep's total. */
  onProgress?(done: number, total: number, runsDone: number): void;
}

const WORKER = new URL('./sweep-worker.ts', import.meta.url);

/** The default number of workers: one per core the process may use. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Runs every grid point in worker threads, each worker taking the next point as it finishes one, and returns the
 * rows in grid order. The first failure stops the sweep: a grid whose runs fail tells the trader nothing.
 */
export async function runSweep(options: SweepOptions): Promise<SweepRow[]> {
  const total = options.points.length;
  const count = Math.max(1, Math.min(total, options.workers ?? defaultWorkers()));
  const rows: SweepRow[] = [];
  const inFlight = new Map<number, number>();
  let perRun = 0;
  let next = 0;
  let finished = 0;
  const workers: Worker[] = [];
  const report = (): void => {
    if (perRun === 0) return;
    let done = finished * perRun;
    for (const candles of inFlight.values()) done += candles;
    options.onProgress?.(done, total * perRun, finished);
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const fail = (error: Error): void => {
        if (failed) return;
        failed = true;
        reject(error);
      };
      const feed = (worker: Worker): void => {
        if (failed) return;
        if (next >= total) {
          worker.postMessage({ type: 'stop' } satisfies ToWorker);
          return;
        }
        const point = next++;
        inFlight.set(point, 0);
        worker.postMessage({ type: 'run', point, parameters: options.points[point] as Record<string, unknown> } satisfies ToWorker);
      };
      for (let index = 0; index < count; index++) {
        const worker = new Worker(WORKER, { workerData: options.run });
        workers.push(worker);
        worker.on('message', (message: FromWorker) => {
          switch (message.type) {
            case 'ready':
              feed(worker);
              return;
            case 'progress':
              perRun = message.total;
              inFlight.set(message.point, message.done);
              report();
              return;
            case 'done':
              inFlight.delete(message.row.point);
              rows.push(message.row);
              finished++;
              report();
              if (finished === total) resolve();
              else feed(worker);
              return;
            case 'failed':
              fail(new InvalidInputError(`sweep point ${JSON.stringify(options.points[message.point])} failed: ${message.message}`));
              return;
          }
        });
        worker.on('error', fail);
        worker.on('exit', (code) => {
          if (code !== 0 && finished < total) fail(new Error(`a sweep worker stopped with exit code ${code} before the sweep was done`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
  return rows.sort((a, b) => a.point - b.point);
}
