import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../core/errors.ts';
import { parseBotId } from '../../../core/ids.ts';
import { loadBot, runBacktest } from '../../../supervisor/backtest/backtest.ts';
import type { SplitChoice } from '../../../supervisor/backtest/backtest.ts';
import type { PeriodStatistics } from '../../../supervisor/backtest/report.ts';
import { checkGrid, grid, parseSweep, rank, runSweep } from '../../../supervisor/backtest/sweep.ts';
import type { SweepRow } from '../../../supervisor/backtest/sweep.ts';
import { runCli } from '../../../supervisor/cli/run-cli.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { writeBot } from './scripted-bot.ts';

const ROOT = findProjectRoot();
const fleetConfig = loadFleetConfig(null);
const SPLIT: SplitChoice = { kind: 'fraction', fraction: 0.6, label: '0.6' };
let botsDir = '';

beforeAll(() => {
  mkdirSync(join(ROOT, '.test-bots'), { recursive: true });
  botsDir = mkdtempSync(join(ROOT, '.test-bots', 'sweep-'));
  writeBot(botsDir, { id: 'scripted', timeframes: ['5m'] });
});

afterAll(() => rmSync(botsDir, { recursive: true, force: true }));

function cli(argv: readonly string[], terminal = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  return runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: Object.assign({ write: (text: string) => (stderr += text) }, terminal ? { isTTY: true } : {}),
    env: {},
    cwd: ROOT,
  }).then((code) => ({ code, stdout, stderr }));
}

describe('the grid', () => {
  it('test_parse_sweep_when_values_are_numbers_booleans_or_words_then_each_keeps_its_type', () => {
    expect(parseSweep(['stopAtr=1,1.25,2e-1', 'trail=true,false', 'mode=fast,slow'])).toEqual([
      { key: 'stopAtr', values: [1, 1.25, 0.2] },
      { key: 'trail', values: [true, false] },
      { key: 'mode', values: ['fast', 'slow'] },
    ]);
  });

  it.each([
    ['stopAtr', /must be <parameter>=<value>,<value>/],
    ['stopAtr=1,,2', /an empty value/],
    ['stopAtr=1,1', /a value is listed twice/],
  ])('test_parse_sweep_when_%s_then_refused', (spec, message) => {
    expect(() => parseSweep([spec])).toThrow(message);
  });

  it('test_parse_sweep_when_a_key_is_given_twice_then_refused', () => {
    expect(() => parseSweep(['a=1', 'a=2'])).toThrow('--sweep a is given twice');
  });

  it('test_grid_when_two_axes_then_every_combination_with_the_first_axis_slowest', () => {
    expect(grid(parseSweep(['a=1,2', 'b=x,y,z']))).toEqual([
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' },
      { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
  });

  it('test_check_grid_when_a_key_is_not_a_strategy_parameter_or_a_value_is_refused_by_its_schema_then_refused_by_name', async () => {
    const bot = await loadBot(botsDir, parseBotId('scripted'), fleetConfig);
    expect(checkGrid(bot, parseSweep(['every=3,5', 'rewardRisk=1,2']))).toHaveLength(4);
    expect(() => checkGrid(bot, parseSweep(['stopLoss=1,2']))).toThrow(/--sweep stopLoss: not a parameter of bot scripted's strategy \(it knows: every, throwEvery, stopFraction/);
    expect(() => checkGrid(bot, parseSweep(['every=3,-1']))).toThrow(InvalidInputError);
    expect(() => checkGrid(bot, parseSweep(['every=3,-1']))).toThrow(/parameters \{"every":-1\} are refused by bot scripted's strategy: every:/);
  });

  it('test_rank_when_figures_differ_then_best_first_drawdown_smallest_first_and_missing_figures_last', () => {
    const period = (sharpe: number | null, maxDrawdown: number): PeriodStatistics => ({ sharpe, maxDrawdown } as PeriodStatistics);
    const row = (point: number, sharpe: number | null, maxDrawdown: number): SweepRow => ({ point, parameters: {}, inSample: period(sharpe, maxDrawdown), outOfSample: period(null, 0), fills: 0, botCodeErrors: 0, stateChanges: 0 });
    const rows = [row(0, 1, 0.3), row(1, null, 0.1), row(2, 2.5, 0.2), row(3, 1, 0.05)];
    expect(rank(rows, 'sharpe').map((r) => r.point)).toEqual([2, 0, 3, 1]);
    expect(rank(rows, 'max-drawdown').map((r) => r.point)).toEqual([3, 1, 2, 0]);
  });
});

describe('a sweep', () => {
  const run = { botId: 'scripted', botsDir: '', fleetConfig, market: { kind: 'synthetic' as const, days: 2, seed: 42 }, split: SPLIT };
  const points = grid(parseSweep(['every=3,9', 'rewardRisk=1,2.5']));
  let rows: SweepRow[] = [];

  beforeAll(async () => {
    rows = await runSweep({ run: { ...run, botsDir }, points, workers: 2 });
  });

  it('test_sweep_when_run_in_two_workers_then_each_row_is_the_backtest_of_its_grid_point_alone', async () => {
    expect(rows.map((row) => row.parameters)).toEqual(points);
    for (const row of rows) {
      const alone = await runBacktest({ botId: parseBotId('scripted'), botsDir, fleetConfig, market: run.market, split: SPLIT, parameters: row.parameters });
      expect(row.inSample).toEqual(alone.report.split?.inSample);
      expect(row.outOfSample).toEqual(alone.report.split?.outOfSample);
      expect(row.fills).toBe(alone.report.summary.fills);
    }
    // The grid points trade differently, or the sweep would be sweeping nothing.
    expect(new Set(rows.map((row) => row.inSample.netPnl)).size).toBe(points.length);
  });

  it('test_sweep_when_one_worker_then_the_same_rows', async () => {
    expect(await runSweep({ run: { ...run, botsDir }, points, workers: 1 })).toEqual(rows);
  });

  it('test_sweep_when_a_run_fails_then_the_sweep_fails_naming_the_point', async () => {
    await expect(runSweep({ run: { ...run, botsDir }, points: [{ every: 3 }, { every: 'often' }], workers: 2 })).rejects.toThrow(/sweep point \{"every":"often"\} failed/);
  });
});

describe('supervisor backtest --sweep', () => {
  it('test_cli_when_sweeping_with_json_then_one_document_of_rows_ranked_by_the_in_sample_figure', async () => {
    const result = await cli(['backtest', 'scripted', '--days', '2', '--seed', '42', '--sweep', 'every=3,9', '--sweep', 'rewardRisk=1,2.5', '--rank-by', 'profit-factor', '--split', '0.6', '--json', '--bots-dir', botsDir]);
    expect(result.code, result.stderr).toBe(0);
    const document = JSON.parse(result.stdout) as { rankBy: string; split: { at: string; asked: string }; parameters: string[]; rows: SweepRow[] };
    expect(document.rankBy).toBe('profit-factor');
    expect(document.parameters).toEqual(['every', 'rewardRisk']);
    expect(document.split.asked).toBe('0.6');
    expect(document.rows).toHaveLength(4);
    const figures = document.rows.map((row) => row.inSample.profitFactor ?? Number.NEGATIVE_INFINITY);
    expect(figures).toEqual([...figures].sort((a, b) => b - a));
    for (const row of document.rows) expect(row.outOfSample.from).toBe(document.split.at);
  });

  it('test_cli_when_sweeping_on_a_terminal_then_a_progress_bar_counts_runs_and_one_table_shows_both_periods', async () => {
    const result = await cli(['backtest', 'scripted', '--days', '2', '--sweep', 'every=3,9', '--bots-dir', botsDir], true);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('\rsweep scripted [');
    expect(result.stderr).toContain(', 2/2 runs');
    expect(result.stdout).toContain('2 runs, ranked by in-sample sharpe; in-sample until');
    expect(result.stdout).toContain('(--split 0.7)');
    expect(result.stdout).toMatch(/#\s+every\s+IS SHARPE\s+IS RETURN\s+IS TRADES\s+IS WIN\/BE.*OOS SHARPE/);
  });

  it('test_cli_when_the_sweep_names_an_unknown_parameter_or_clashes_with_other_options_then_exit_2', async () => {
    const unknown = await cli(['backtest', 'scripted', '--days', '1', '--sweep', 'stopLoss=1,2', '--bots-dir', botsDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--sweep stopLoss: not a parameter of bot scripted');
    expect((await cli(['backtest', 'scripted', '--sweep', 'every=3', '--keep-ledger', '/tmp/x', '--bots-dir', botsDir])).code).toBe(2);
    expect((await cli(['backtest', 'scripted', '--sweep', 'every=3', '--rank-by', 'luck', '--bots-dir', botsDir])).stderr).toContain('--rank-by must be one of sharpe');
    expect((await cli(['backtest', 'scripted', '--rank-by', 'sharpe', '--bots-dir', botsDir])).stderr).toContain('--rank-by and --workers are for --sweep');
  });
});
