import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import type { InstrumentId } from '../../../core/ids.ts';
import { parseBotId, parseInstrumentId } from '../../../core/ids.ts';
import { openLedger } from '../../../ledger/sqlite-ledger.ts';
import { runBacktest } from '../../../supervisor/backtest/backtest.ts';
import type { BacktestOptions, BacktestRun } from '../../../supervisor/backtest/backtest.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import type { FleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { ledgerPath } from '../../../supervisor/paths.ts';
import { expectBooksToAgree, recomputeFunding } from './accounting.ts';
import type { FundingTime } from './accounting.ts';
import { writeBot } from './scripted-bot.ts';

/** What a trader audits in a report beyond its totals: the fills, the split, the subset, resizes, funding from files. */

const ROOT = findProjectRoot();
const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.UTC(2025, 0, 1);
const BTC = parseInstrumentId('BTCUSDT.BYBIT');
const ETH = parseInstrumentId('ETHUSDT.BYBIT');
const fleetConfig = loadFleetConfig(null);
let botsDir = '';
let scratch = '';

function options(botId: string, overrides: Partial<BacktestOptions> = {}): BacktestOptions {
  return { botId: parseBotId(botId), botsDir, fleetConfig, market: { kind: 'synthetic', days: 3, seed: 42 }, ...overrides };
}

const sum = (values: readonly string[]): Decimal => Decimal.sum(values.map((value) => Decimal.parse(value)));

beforeAll(() => {
  mkdirSync(join(ROOT, '.test-bots'), { recursive: true });
  botsDir = mkdtempSync(join(ROOT, '.test-bots', 'audit-'));
  scratch = mkdtempSync(join(tmpdir(), 'flotilla-bt-audit-'));
  writeBot(botsDir, { id: 'scripted', timeframes: ['5m'] });
  // Every entry asks for more notional than the manifest allows, so the order manager resizes it.
  writeBot(botsDir, { id: 'oversized', timeframes: ['5m'], maxNotionalPerOrder: '3000', parameters: { riskFraction: 0.01 } });
  writeBot(botsDir, { id: 'btc-only', timeframes: ['5m'], instruments: ['BTCUSDT.BYBIT'] });
});

afterAll(() => {
  rmSync(botsDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('the split', () => {
  let run: BacktestRun;

  beforeAll(async () => {
    run = await runBacktest(options('scripted', { split: { kind: 'fraction', fraction: 0.5, label: '0.5' }, funding: { kind: 'constant', rate: Decimal.parse('0.0002'), intervalHours: 4 } }));
  });

  it('test_split_when_a_fraction_then_in_and_out_of_sample_meet_at_the_period_midpoint_and_add_up_to_the_whole', () => {
    const { split, summary } = run.report;
    if (split === null) throw new Error('no split');
    expect(split.at).toBe('2025-01-02T12:00:00.000Z');
    const { inSample, outOfSample } = split;
    expect([inSample.from, inSample.to, outOfSample.from, outOfSample.to]).toEqual(['2025-01-01T00:00:00.000Z', split.at, split.at, '2025-01-04T00:00:00.000Z']);
    expect(inSample.startingEquity).toBe(summary.startingEquity);
    expect(inSample.endingEquity).toBe(outOfSample.startingEquity);
    expect(outOfSample.endingEquity).toBe(summary.finalEquity);
    // Exact money: the two halves' PnL, fees and funding are the whole run's.
    expect(sum([inSample.netPnl, outOfSample.netPnl]).eq(Decimal.parse(summary.netPnl))).toBe(true);
    expect(sum([inSample.fees, outOfSample.fees]).eq(Decimal.parse(summary.fees))).toBe(true);
    expect(sum([inSample.funding, outOfSample.funding]).eq(Decimal.parse(summary.funding))).toBe(true);
    expect(inSample.fills + outOfSample.fills).toBe(summary.fills);
    expect(inSample.trades + outOfSample.trades).toBe(summary.trades);
    expect(inSample.trades).toBe(run.report.trades.filter((trade) => trade.closedAt !== null && trade.openedAt < split.at).length);
    for (const side of [inSample, outOfSample]) {
      expect(side.trades).toBeGreaterThan(5);
      if (side.rewardToRisk !== null) expect(side.breakEvenWinRate).toBeCloseTo(1 / (1 + side.rewardToRisk), 5);
    }
  });

  it('test_split_when_a_date_then_it_is_used_as_given_and_one_outside_the_period_is_refused', async () => {
    const dated = await runBacktest(options('scripted', { market: { kind: 'synthetic', days: 2, seed: 42 }, split: { kind: 'date', atMs: START + 30 * HOUR, label: '2025-01-02T06:00Z' } }));
    expect(dated.report.split?.at).toBe('2025-01-02T06:00:00.000Z');
    expect(dated.report.settings.split).toBe('2025-01-02T06:00Z');
    await expect(runBacktest(options('scripted', { split: { kind: 'date', atMs: START + 10 * DAY, label: '2025-01-11' } }))).rejects.toThrow(
      '--split 2025-01-11 leaves no candles on one side: the run\'s period is 2025-01-01T00:00Z to 2025-01-04T00:00Z',
    );
  });
});

describe('the fills and the decisions', () => {
  it('test_report_when_built_then_every_fill_is_listed_with_its_order_role_and_client_order_id_as_the_kept_ledger_has_them', async () => {
    const kept = join(scratch, 'kept');
    const run = await runBacktest(options('scripted', { keepLedger: kept }));
    const ledger = openLedger({ path: ledgerPath(kept, 'scripted'), botId: parseBotId('scripted'), clock: new ManualClock() });
    try {
      const fills = ledger.fills();
      expect(run.report.fills).toHaveLength(run.report.summary.fills);
      expect(run.report.fills.map((fill) => fill.tradeId)).toEqual(fills.map((fill) => fill.tradeId));
      for (const [index, row] of run.report.fills.entries()) {
        const fill = fills[index];
        if (fill === undefined) throw new Error('fewer fills in the ledger');
        expect(row).toEqual({
          at: new Date(fill.at).toISOString(),
          instrumentId: fill.instrumentId,
          side: fill.side,
          quantity: fill.quantity.toString(),
          price: fill.price.toString(),
          fee: fill.fee.toString(),
          liquidity: fill.liquidity,
          role: ledger.order(fill.clientOrderId)?.role,
          clientOrderId: fill.clientOrderId,
          tradeId: fill.tradeId,
        });
      }
      expect(new Set(run.report.fills.map((fill) => fill.role))).toEqual(new Set(['ENTRY', 'STOP', 'TAKE_PROFIT']));
    } finally {
      ledger.close();
    }
    expect(existsSync(join(kept, 'supervisor.sqlite'))).toBe(true);
  });

  it('test_keep_ledger_when_the_folder_already_holds_a_run_then_refused_and_the_earlier_run_is_untouched', async () => {
    const kept = join(scratch, 'twice');
    await runBacktest(options('scripted', { keepLedger: kept, market: { kind: 'synthetic', days: 1, seed: 42 } }));
    const before = readFileSync(ledgerPath(kept, 'scripted'));
    const again = runBacktest(options('scripted', { keepLedger: kept, market: { kind: 'synthetic', days: 1, seed: 42 } }));
    await expect(again).rejects.toThrow(/already holds .*scripted\.sqlite; a backtest never writes into an earlier run's ledger/);
    expect(readFileSync(ledgerPath(kept, 'scripted')).equals(before)).toBe(true);
  });

  it('test_decisions_when_entries_are_cut_to_the_notional_cap_then_they_are_resizes_not_denials', async () => {
    const run = await runBacktest(options('oversized', { market: { kind: 'synthetic', days: 1, seed: 42 } }));
    const { outcomes, denials, resizes } = run.report.decisions;
    expect(outcomes['RESIZED']).toBeGreaterThan(5);
    expect(resizes['NOTIONAL_EXCEEDS_MAX']).toBe(outcomes['RESIZED']);
    expect(denials['NOTIONAL_EXCEEDS_MAX']).toBeUndefined();
    expect(Object.values(denials).reduce((total, count) => total + count, 0)).toBe(outcomes['DENIED'] ?? 0);
  });
});

describe('instrument subsets', () => {
  it('test_instruments_when_a_subset_then_the_bot_runs_and_trades_on_it_alone', async () => {
    const run = await runBacktest(options('scripted', { instruments: [ETH] }));
    expect(run.report.instruments).toEqual([ETH]);
    expect(Object.keys(run.report.byInstrument)).toEqual([ETH]);
    expect(run.report.candles).toBe(3 * 288);
    expect(run.result.fills.length).toBeGreaterThan(0);
    expect(new Set(run.result.fills.map((fill) => fill.instrumentId))).toEqual(new Set([ETH]));
  });

  it('test_instruments_when_one_is_not_the_bots_then_refused_naming_it_and_the_bots_list', async () => {
    const refused = runBacktest(options('scripted', { instruments: [BTC, parseInstrumentId('SOLUSDT.BYBIT')] }));
    await expect(refused).rejects.toBeInstanceOf(InvalidInputError);
    await expect(refused).rejects.toThrow("--instruments: SOLUSDT.BYBIT is not among bot scripted's instruments (BTCUSDT.BYBIT, ETHUSDT.BYBIT)");
  });

  it('test_report_when_instruments_were_traded_then_each_has_its_row_and_the_rows_add_up', async () => {
    const run = await runBacktest(options('scripted'));
    const rows = Object.values(run.report.byInstrument);
    expect(Object.keys(run.report.byInstrument)).toEqual([BTC, ETH]);
    expect(rows.reduce((total, row) => total + row.trades, 0)).toBe(run.report.summary.trades);
    expect(rows.reduce((total, row) => total + row.fills, 0)).toBe(run.report.summary.fills);
    expect(sum(rows.map((row) => row.fees)).eq(Decimal.parse(run.report.summary.fees))).toBe(true);
    expect(sum(rows.map((row) => row.realizedPnl)).eq(Decimal.parse(run.report.summary.realizedPnl))).toBe(true);
  });
});

describe('any instrument of the catalog', () => {
  it('test_synthetic_when_a_coin_is_priced_at_a_hundred_thousandth_then_the_backtest_runs_and_trades_on_its_tick', async () => {
    const pepe: FleetConfig = {
      ...fleetConfig,
      instruments: [{ id: 'PEPEUSDT.BYBIT', kind: 'PERPETUAL', tickSize: '0.00000001', lotStep: '1', minQuantity: '1', minNotional: '5', exposure: { key: 'PEPE', beta: '1' }, startPrice: '0.00001' }],
      exposureKeys: { PEPE: { policy: 'exclusive' } },
    };
    writeBot(botsDir, { id: 'pepe', timeframes: ['5m'], instruments: ['PEPEUSDT.BYBIT'] });
    const run = await runBacktest(options('pepe', { fleetConfig: pepe, market: { kind: 'synthetic', days: 2, seed: 42 } }));
    expect(run.report.candles).toBe(2 * 288);
    expect(run.report.summary.trades).toBeGreaterThan(3);
    expect(run.report.botCodeErrors.count).toBe(0);
    const tick = Decimal.parse('0.00000001');
    for (const fill of run.result.fills) expect(fill.price.isMultipleOf(tick)).toBe(true);
  });
});

describe('funding from a venue export', () => {
  const days = 3;
  const klines: Array<[number, Decimal]> = [];

  /** A gap in the klines around a funding time: 07:35 to 08:25 on each day. */
  const inGap = (at: number): boolean => {
    const ofDay = at % DAY;
    return ofDay >= 7 * HOUR + 35 * 60_000 && ofDay < 8 * HOUR + 25 * 60_000;
  };

  /**
   * Three days of BTC 5m klines on the 0.1 tick, a slow zigzag with a gap around each 08:00 funding time, and
   * Binance's funding JSON with its mark prices.
   */
  function writeData(dir: string): FundingTime[] {
    mkdirSync(dir, { recursive: true });
    const rows: string[] = [];
    let tenths = 420_000;
    for (let index = 0; index < days * 288; index++) {
      const open = tenths;
      tenths += ((index * 7919) % 23) - 11 + (Math.floor(index / 60) % 2 === 0 ? 3 : -3);
      const close = tenths;
      const high = Math.max(open, close) + 5;
      const low = Math.min(open, close) - 5;
      const at = START + index * 300_000;
      if (inGap(at)) continue;
      rows.push(`${at},${open / 10},${high / 10},${low / 10},${close / 10},12.5,0,0,0,0,0,0`);
      klines.push([at + 300_000, Decimal.parse(String(close / 10))]);
    }
    writeFileSync(join(dir, 'BTCUSDT-5m.csv'), rows.join('\n'));
    const times: FundingTime[] = [];
    for (let at = START; at <= START + days * DAY; at += 8 * HOUR) {
      const index = times.length;
      // The 08:00 rows carry no mark price: the position is valued at the last close before the gap.
      const markPrice = inGap(at - 1) ? null : Decimal.parse(`${42_000 + index * 3}.7`);
      times.push({ instrumentId: BTC, at, rate: Decimal.parse(index % 3 === 2 ? '-0.00031' : '0.00047'), markPrice });
    }
    writeFileSync(join(dir, 'BTCUSDT-funding.json'), JSON.stringify(times.map((time) => ({ symbol: 'BTCUSDT', fundingTime: time.at, fundingRate: time.rate.toString(), ...(time.markPrice === null ? {} : { markPrice: time.markPrice.toString() }) }))));
    return times;
  }

  it('test_funding_when_a_binance_export_has_mark_prices_then_payments_use_its_rates_and_marks_and_the_books_agree', async () => {
    const dir = join(scratch, 'btc-data');
    const times = writeData(dir);
    const kept = join(scratch, 'btc-kept');
    const run = await runBacktest(options('btc-only', { market: { kind: 'data', path: join(dir, 'BTCUSDT-5m.csv') }, funding: { kind: 'file', path: join(dir, 'BTCUSDT-funding.json') }, keepLedger: kept }));
    expect(run.report.settings.funding).toContain('binance-json');
    const funding = recomputeFunding(run.result.fills, times, new Map([[BTC, klines]]), { firstOpen: START, lastClose: START + days * DAY });
    expect(funding.length).toBeGreaterThan(2);
    // Funding times inside a gap of the data are booked on the position the candles before the gap left.
    expect(funding.filter((payment) => inGap(payment.at - 1)).length).toBeGreaterThan(0);
    const lastCloseBefore = (at: number): string | undefined => klines.filter(([closeAt]) => closeAt <= at).pop()?.[1].toString();
    expect(run.report.funding.map((row) => row.markPrice)).toEqual(funding.map((payment) => times.find((time) => time.at === payment.at)?.markPrice?.toString() ?? lastCloseBefore(payment.at)));
    const last = klines[klines.length - 1] as [number, Decimal];
    expectBooksToAgree(run, kept, parseBotId('btc-only'), new Map<InstrumentId, Decimal>([[BTC, last[1]]]), Decimal.parse(fleetConfig.paper.startingBalance), funding);
  });
});
