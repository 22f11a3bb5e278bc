import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../../supervisor/backtest/report.ts';
import { runCli } from '../../../supervisor/cli/run-cli.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { fiveMinuteKlines, MOSTLY_MISSING_DAY, range } from './data-fixtures.ts';

const DATA = join(import.meta.dirname, 'data');

/** Enters long on every 4th 5m candle with nothing open, with a stop and a take-profit; notes nothing. */
const STRATEGY = `
import { z } from 'zod';
import { Decimal, defineStrategy } from 'flotilla/strategy';
export default defineStrategy({
  interfaceVersion: 1,
  parameters: z.strictObject({}),
  create() {
    let calls = 0;
    return {
      onCandle(candle, state) {
        if (candle.timeframe !== '5m') return [];
        calls++;
        const held = state.positions.get(candle.instrumentId);
        if ((held !== undefined && !held.quantity.isZero()) || calls % 4 !== 0) return [];
        if (state.openOrders.some((order) => order.instrumentId === candle.instrumentId)) return [];
        const close = candle.close.toNumber();
        return [{ type: 'ENTER', instrumentId: candle.instrumentId, side: 'BUY', size: { kind: 'RISK', riskFraction: Decimal.parse('0.002') }, orderType: 'MARKET',
          stopLoss: Decimal.fromNumber(close * 0.997, 8), takeProfit: Decimal.fromNumber(close * 1.004, 8), reason: 'every fourth' }];
      },
    };
  },
});
`;

const ROOT = findProjectRoot();
let botsDir = '';
let outDir = '';

function cli(argv: readonly string[], stderrIsTerminal = false): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  return runCli(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: Object.assign({ write: (text: string) => (stderr += text) }, stderrIsTerminal ? { isTTY: true } : {}),
    env: {},
    cwd: ROOT,
  }).then((code) => ({ code, stdout, stderr }));
}

beforeAll(() => {
  mkdirSync(join(ROOT, '.test-bots'), { recursive: true });
  botsDir = mkdtempSync(join(ROOT, '.test-bots', 'cli-'));
  outDir = mkdtempSync(join(tmpdir(), 'flotilla-bt-cli-'));
  const folder = join(botsDir, 'steady');
  mkdirSync(folder);
  writeFileSync(join(folder, 'strategy.ts'), STRATEGY);
  writeFileSync(
    join(folder, 'manifest.json'),
    JSON.stringify({
      id: 'steady',
      name: 'Steady',
      interfaceVersion: 1,
      venue: 'BYBIT',
      subAccount: 'steady',
      instruments: ['BTCUSDT.BYBIT', 'ETHUSDT.BYBIT'],
      timeframes: ['5m', '15m'],
      risk: { maxNotionalPerOrder: '30000', orderRateLimit: { maxRequests: 50, windowMs: 1000 }, drawdown: { threshold: '0.5', windowMs: 86_400_000, action: 'HALTED' } },
      parameters: {},
    }),
  );
});

afterAll(() => {
  rmSync(botsDir, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

describe('supervisor backtest', () => {
  it('test_cli_when_synthetic_with_json_and_report_then_one_json_document_and_both_files', async () => {
    const reportDir = join(outDir, 'synthetic');
    const result = await cli(['backtest', 'steady', '--synthetic', '--days', '2', '--seed', '9', '--json', '--report', reportDir, '--bots-dir', botsDir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as BacktestReport;
    expect(report.bot.id).toBe('steady');
    expect(report.source).toEqual({ kind: 'synthetic', seed: 9, days: 2 });
    expect(report.candles).toBe(2 * 2 * (288 + 96));
    expect(report.summary.trades).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8'))).toEqual(report);
    const html = readFileSync(join(reportDir, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('Drawdown');
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it('test_cli_when_human_output_on_a_terminal_then_table_and_progress_bar', async () => {
    const result = await cli(['backtest', 'steady', '--days', '1', '--bots-dir', botsDir], true);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Backtest of steady (Steady)');
    expect(result.stdout).toMatch(/Win rate\s+\d+\.\d\d%/);
    expect(result.stdout).toMatch(/Break-even win rate/);
    expect(result.stderr).toContain('\rbacktest steady [');
    expect(result.stderr).toContain('100% 768/768 candles');
  });

  it('test_cli_when_data_folder_then_findings_on_stderr_and_report_on_stdout', async () => {
    const result = await cli(['backtest', 'steady', '--data', join(DATA, 'mixed'), '--json', '--bots-dir', botsDir]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as BacktestReport;
    expect(report.source.kind).toBe('data');
    expect(report.candles).toBe(2 * (24 + 8));
    expect(result.stderr).toContain('data: BTCUSDT-5m.csv (binance-csv): 24 5m candles');
  });

  it('test_cli_when_data_is_broken_then_exit_2_naming_file_and_row', async () => {
    const result = await cli(['backtest', 'steady', '--data', join(DATA, 'broken'), '--instruments', 'BTCUSDT', '--bots-dir', botsDir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/BTCUSDT-5m\.csv: line 3: high is below open or close/);
  });

  it('test_cli_when_a_price_is_below_the_instruments_tick_then_exit_2_with_file_and_line_unless_allowed', async () => {
    const dataDir = join(outDir, 'off-tick');
    mkdirSync(dataDir);
    const rows = fiveMinuteKlines(range(0, 48)).split('\n');
    // BTCUSDT ticks in 0.1 on the catalog: 98.95 can never have traded.
    rows[9] = (rows[9] as string).replace(',99,', ',98.95,');
    writeFileSync(join(dataDir, 'BTCUSDT-5m.csv'), rows.join('\n'));
    const refused = await cli(['backtest', 'steady', '--data', dataDir, '--instruments', 'BTCUSDT.BYBIT', '--json', '--bots-dir', botsDir]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`${join(dataDir, 'BTCUSDT-5m.csv')}: line 10: low 98.95 is not on the tick (0.1)`);
    expect(refused.stderr).toContain('--allow-off-tick');
    const allowed = await cli(['backtest', 'steady', '--data', dataDir, '--instruments', 'BTCUSDT.BYBIT', '--allow-off-tick', '--json', '--bots-dir', botsDir]);
    expect(allowed.code, allowed.stderr).toBe(0);
    const report = JSON.parse(allowed.stdout) as BacktestReport;
    expect(report.settings.allowOffTick).toBe(true);
    expect(report.dataFindings).toContain('BTCUSDT-5m.csv: 1 rows with prices below one tick or off the tick, accepted by --allow-off-tick (first: line 10: low 98.95 is not on the tick (0.1))');
  });

  it('test_cli_when_instruments_names_symbols_then_the_bots_venue_completes_them_and_the_run_uses_only_those', async () => {
    const result = await cli(['backtest', 'steady', '--days', '1', '--instruments', 'ethusdt', '--json', '--bots-dir', botsDir]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as BacktestReport;
    expect(report.instruments).toEqual(['ETHUSDT.BYBIT']);
    const unknown = await cli(['backtest', 'steady', '--days', '1', '--instruments', 'BTCUSDT,DOGEUSDT', '--bots-dir', botsDir]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--instruments: DOGEUSDT.BYBIT is not among bot steady's instruments (BTCUSDT.BYBIT, ETHUSDT.BYBIT)");
    expect((await cli(['backtest', 'steady', '--instruments', 'BTC USDT', '--bots-dir', botsDir])).code).toBe(2);
  });

  it('test_cli_when_keep_ledger_then_the_ledger_and_store_are_files_there_and_a_second_run_into_it_is_refused', async () => {
    const kept = join(outDir, 'kept');
    const first = await cli(['backtest', 'steady', '--days', '1', '--keep-ledger', kept, '--bots-dir', botsDir]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Kept the ledger in ${join(kept, 'ledgers', 'steady.sqlite')} and the supervisor store in ${join(kept, 'supervisor.sqlite')}`);
    expect(existsSync(join(kept, 'ledgers', 'steady.sqlite'))).toBe(true);
    expect(existsSync(join(kept, 'supervisor.sqlite'))).toBe(true);
    const second = await cli(['backtest', 'steady', '--days', '1', '--keep-ledger', kept, '--bots-dir', botsDir]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('never writes into an earlier run');
  });

  it('test_cli_when_funding_options_are_wrong_then_exit_2', async () => {
    expect((await cli(['backtest', 'steady', '--funding-rate', '2', '--bots-dir', botsDir])).stderr).toContain('--funding-rate must be a fraction below 1');
    expect((await cli(['backtest', 'steady', '--funding-rate', 'lots', '--bots-dir', botsDir])).code).toBe(2);
    expect((await cli(['backtest', 'steady', '--funding-rate', '0.0001', '--funding-interval', '5', '--bots-dir', botsDir])).stderr).toContain('--funding-interval must divide a day');
    expect((await cli(['backtest', 'steady', '--funding', DATA, '--funding-rate', '0.0001', '--bots-dir', botsDir])).stderr).toContain('exclude each other');
    expect((await cli(['backtest', 'steady', '--funding-interval', '4', '--bots-dir', botsDir])).stderr).toContain('--funding-interval goes with --funding-rate');
    expect((await cli(['backtest', 'steady', '--days', '1', '--funding', join(DATA, 'mixed'), '--bots-dir', botsDir])).stderr).toContain('no funding rates for BTCUSDT.BYBIT, ETHUSDT.BYBIT');
  });

  it('test_cli_when_split_is_given_then_both_periods_are_printed_side_by_side_and_a_bad_one_is_exit_2', async () => {
    const result = await cli(['backtest', 'steady', '--days', '2', '--split', '2025-01-02', '--bots-dir', botsDir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Split at 2025-01-02T00:00:00\.000Z:\n\s+IN-SAMPLE\s+OUT-OF-SAMPLE/);
    expect(result.stdout).toMatch(/Break-even win rate\s+\d+\.\d\d%\s+\d+\.\d\d%/);
    expect((await cli(['backtest', 'steady', '--split', '1.5', '--bots-dir', botsDir])).stderr).toContain('--split must be a date like 2024-06-01 (UTC) or a fraction');
    expect((await cli(['backtest', 'steady', '--days', '1', '--split', '2026-01-01', '--bots-dir', botsDir])).code).toBe(2);
  });

  it('test_cli_when_data_is_mostly_missing_then_exit_2_naming_file_share_and_next_step', async () => {
    const dataDir = join(outDir, 'sparse');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'BTCUSDT-5m.csv'), fiveMinuteKlines(range(0, 288)));
    writeFileSync(join(dataDir, 'ETHUSDT-5m.csv'), fiveMinuteKlines(MOSTLY_MISSING_DAY));
    const result = await cli(['backtest', 'steady', '--data', dataDir, '--json', '--bots-dir', botsDir]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${join(dataDir, 'ETHUSDT-5m.csv')}: 94.4% of the 5m candles from 2024-01-01T00:00Z to 2024-01-02T00:00Z missing`);
    expect(result.stderr).toContain('or allow more with --max-missing');
  });

  it('test_cli_when_max_missing_allows_the_share_missing_then_the_run_goes_on_and_reports_it', async () => {
    const dataDir = join(outDir, 'sparse-allowed');
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'BTCUSDT-5m.csv'), fiveMinuteKlines(range(0, 288)));
    writeFileSync(join(dataDir, 'ETHUSDT-5m.csv'), fiveMinuteKlines(MOSTLY_MISSING_DAY));
    const result = await cli(['backtest', 'steady', '--data', dataDir, '--max-missing', '0.95', '--json', '--bots-dir', botsDir]);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as BacktestReport).dataFindings).toContain('ETHUSDT-5m.csv: 94.4% of the 5m candles from 2024-01-01T00:00Z to 2024-01-02T00:00Z missing (272 of 288: 0 before the first candle, 266 in gaps, 6 after the last); at most 95.0% may be');
  });

  it.each([['1'], ['-0.1'], ['20%'], ['']])('test_cli_when_max_missing_is_%j_then_exit_2', async (value) => {
    const result = await cli(['backtest', 'steady', '--data', join(DATA, 'mixed'), '--max-missing', value, '--bots-dir', botsDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max-missing must be a fraction from 0 up to, not including, 1');
  });

  it('test_cli_when_max_missing_is_given_without_data_then_exit_2', async () => {
    const result = await cli(['backtest', 'steady', '--synthetic', '--max-missing', '0.5', '--bots-dir', botsDir]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max-missing is for --data');
  });

  it('test_cli_when_arguments_are_wrong_then_exit_2', async () => {
    expect((await cli(['backtest', 'steady', '--data', DATA, '--synthetic', '--bots-dir', botsDir])).code).toBe(2);
    expect((await cli(['backtest', 'steady', '--days', 'ten', '--bots-dir', botsDir])).code).toBe(2);
    expect((await cli(['backtest', 'steady', '--from', 'yesterday', '--bots-dir', botsDir])).code).toBe(2);
    expect((await cli(['backtest', 'steady', '--from', '2025-02-01', '--to', '2025-01-01', '--bots-dir', botsDir])).code).toBe(2);
    expect((await cli(['backtest', 'steady', '--data', join(DATA, 'nowhere'), '--bots-dir', botsDir])).stderr).toContain('does not exist');
  });

  it('test_cli_when_bot_is_unknown_then_exit_4', async () => {
    const result = await cli(['backtest', 'ghost', '--days', '1', '--bots-dir', botsDir]);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('no bot ghost');
    expect(existsSync(join(outDir, 'ghost'))).toBe(false);
  });
});
