import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decimal } from '../../../core/decimal.ts';
import { parseBotId } from '../../../core/ids.ts';
import { runBacktest } from '../../../supervisor/backtest/backtest.ts';
import { renderHtml, TRADES_PER_PAGE } from '../../../supervisor/backtest/html.ts';
import type { BacktestReport } from '../../../supervisor/backtest/report.ts';
import { findProjectRoot } from '../../../supervisor/cli/new-bot.command.ts';
import { loadFleetConfig } from '../../../supervisor/config/fleet-config.ts';
import { decodePng } from './png.ts';
import { writeBot } from './scripted-bot.ts';

/**
 * The HTML report as a trader sees it: opened in Debian's headless Chromium (driven by playwright-core, which
 * downloads no browser of its own) at laptop sizes, read through the DOM and a screenshot. CI installs chromium
 * (.ci/run); elsewhere a machine without it skips these tests and says so.
 */

const CHROMIUM = process.env['FLOTILLA_CHROMIUM'] ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env['CI'] === 'true') throw new Error(`${CHROMIUM} is missing; CI installs Debian's chromium for the report tests (.ci/run)`);
if (!available) console.warn(`html.test.ts: skipped, no browser at ${CHROMIUM} (apt-get install -y chromium, or set FLOTILLA_CHROMIUM)`);

const ROOT = findProjectRoot();
/** The laptop screens the page must fit without sideways scrolling. */
const LAPTOPS = [
  { width: 1280, height: 800 },
  { width: 1366, height: 768 },
];
const EQUITY_BLUE: [number, number, number] = [0x1f, 0x6f, 0xeb];
const DRAWDOWN_RED: [number, number, number] = [0xd1, 0x24, 0x2f];

let dir = '';
let botsDir = '';
let report: BacktestReport;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!available) return;
  mkdirSync(join(ROOT, '.test-bots'), { recursive: true });
  botsDir = mkdtempSync(join(ROOT, '.test-bots', 'html-'));
  dir = mkdtempSync(join(tmpdir(), 'flotilla-bt-html-'));
  writeBot(botsDir, { id: 'scripted', timeframes: ['5m', '1h'] });
  const run = await runBacktest({
    botId: parseBotId('scripted'),
    botsDir,
    fleetConfig: loadFleetConfig(null),
    market: { kind: 'synthetic', days: 4, seed: 42 },
    split: { kind: 'fraction', fraction: 0.75, label: '0.75' },
    funding: { kind: 'constant', rate: Decimal.parse('0.0001'), intervalHours: 8 },
  });
  // The trades three times over: enough for several pages, as a month of a scalper has.
  report = { ...run.report, trades: [...run.report.trades, ...run.report.trades, ...run.report.trades] };
  writeFileSync(join(dir, 'report.html'), renderHtml(report));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // As root in a sandboxed machine with no network: no sandbox of Chromium's own, no GPU, no calls home.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: LAPTOPS[0] });
  await page.goto(pathToFileURL(join(dir, 'report.html')).href);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
  if (botsDir !== '') rmSync(botsDir, { recursive: true, force: true });
});

const widthsOf = (value: unknown): number => value as number;

/** How close a pixel is to a colour, summed over the channels. */
const distance = (a: readonly number[], b: readonly number[]): number => Math.abs((a[0] ?? 0) - (b[0] ?? 0)) + Math.abs((a[1] ?? 0) - (b[1] ?? 0)) + Math.abs((a[2] ?? 0) - (b[2] ?? 0));

describe.skipIf(!available)('the HTML report as text', () => {
  it('test_negative_figures_when_shown_then_they_carry_the_same_minus_sign_as_negative_amounts', () => {
    const losing = { ...report, summary: { ...report.summary, netPnl: '-12014.98', returnFraction: -0.1202, sharpe: -9.33, sortino: -8.5 } };
    const html = renderHtml(losing);
    expect(html).toContain('−12,014.98 (−12.02%)');
    expect(html).toContain('−9.33 / −8.50');
  });
});

describe.skipIf(!available)('the HTML report in a browser', () => {
  it('test_page_when_opened_on_a_laptop_screen_then_nothing_needs_sideways_scrolling', async () => {
    for (const size of LAPTOPS) {
      await page.setViewportSize(size);
      const widths = (await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })')) as { scroll: number; client: number };
      expect(widths.scroll, `at ${size.width}×${size.height}`).toBeLessThanOrEqual(widths.client);
    }
    // Every table, the widest (the trades) included, fits inside the page's column.
    const client = widthsOf(await page.evaluate('document.documentElement.clientWidth'));
    const rights = await page.$$eval('table', (tables) => tables.map((table) => table.getBoundingClientRect().right));
    expect(rights.filter((right) => right > client)).toEqual([]);
  });

  it('test_charts_when_read_then_axes_are_labelled_with_the_quote_currency_value_ticks_are_round_and_dates_run_along_time', async () => {
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => ({
        labels: [...svg.querySelectorAll('text.axis-label')].map((text) => text.textContent),
        values: [...svg.querySelectorAll('text.y-tick')].map((text) => text.textContent ?? ''),
        dates: [...svg.querySelectorAll('text.x-tick')].map((text) => text.textContent ?? ''),
      })),
    );
    expect(charts.map((chart) => chart.labels)).toEqual([
      ['Equity (USDT)', 'Date (UTC)'],
      ['Drawdown (%)', 'Date (UTC)'],
    ]);
    for (const chart of charts) {
      const values = chart.values.map((text) => Number(text.replace(/,/g, '')));
      expect(values.length).toBeGreaterThanOrEqual(3);
      const steps = values.slice(1).map((value, index) => Math.abs(value - (values[index] as number)));
      const step = steps[0] as number;
      for (const other of steps) expect(other).toBeCloseTo(step, 9);
      // A round step: 1, 2, 2.5 or 5 times a power of ten, and every tick a whole number of steps.
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      expect([1, 2, 2.5, 5].some((round) => Math.abs(mantissa - round) < 1e-9)).toBe(true);
      for (const value of values) expect(Math.abs(value / step - Math.round(value / step))).toBeLessThan(1e-6);
      expect(chart.dates.length).toBeGreaterThanOrEqual(3);
      for (const date of chart.dates) expect(date).toMatch(/^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$/);
      expect([...chart.dates].sort()).toEqual(chart.dates);
    }
  });

  it('test_trades_when_many_then_paged_with_only_the_first_page_open', async () => {
    const pages = await page.$$eval('details.page', (all) => all.map((details) => ({ open: details.hasAttribute('open'), summary: details.querySelector('summary')?.textContent, rows: details.querySelectorAll('tbody tr').length, height: details.getBoundingClientRect().height, shown: [...details.querySelectorAll('tbody tr')].filter((row) => row.checkVisibility()).length })));
    expect(pages).toHaveLength(Math.ceil(report.trades.length / TRADES_PER_PAGE));
    expect(pages.map((one) => one.open)).toEqual(pages.map((_, index) => index === 0));
    expect(pages[0]).toMatchObject({ summary: `Trades 1–${TRADES_PER_PAGE}`, rows: TRADES_PER_PAGE, shown: TRADES_PER_PAGE });
    expect(pages.slice(1).map((one) => one.shown)).toEqual(pages.slice(1).map(() => 0));
    // A closed page takes the height of its summary line only.
    for (const closed of pages.slice(1)) expect(closed.height).toBeLessThan(40);
    expect(pages[0]?.height).toBeGreaterThan(TRADES_PER_PAGE * 10);
    expect(pages.reduce((total, one) => total + one.rows, 0)).toBe(report.trades.length);
  });

  it('test_tables_when_read_then_per_instrument_rows_the_split_the_settings_and_denials_apart_from_resizes', async () => {
    const instruments = await page.$$eval('#instruments + table tbody tr', (rows) => rows.map((row) => row.querySelector('td')?.textContent));
    expect(instruments).toEqual(['BTCUSDT.BYBIT', 'ETHUSDT.BYBIT']);
    const split = await page.$$eval('#split + table thead th', (cells) => cells.map((cell) => cell.textContent));
    expect(split).toEqual(['', 'In-sample', 'Out-of-sample']);
    const settings = await page.$eval('#settings + div', (block) => block.textContent ?? '');
    for (const item of ['every', 'rewardRisk', 'risk.maxNotionalPerOrder', 'constant rate 0.0001 every 8 h', 'Maker / taker fee rate', '0.75']) expect(settings).toContain(item);
    // The scripted entries ask for more than the notional cap: resized, each one, and never listed as denied.
    const decisions = await page.$eval('#decisions + table', (table) => table.textContent ?? '');
    expect(decisions).toContain('RESIZED');
    expect(await page.$eval('#resizes + table', (table) => table.textContent ?? '')).toContain('NOTIONAL_EXCEEDS_MAX');
    const denied = await page.$$eval('#denials + table', (tables) => tables.map((table) => table.textContent ?? '').join(''));
    expect(denied).not.toContain('NOTIONAL_EXCEEDS_MAX');
  });

  it('test_screenshot_when_taken_then_it_is_the_laptop_size_on_white_with_the_equity_line_in_blue_and_the_drawdown_in_red', async () => {
    await page.setViewportSize(LAPTOPS[0] as { width: number; height: number });
    const image = decodePng(await page.screenshot());
    expect([image.width, image.height]).toEqual([1280, 800]);
    expect(image.pixel(2, 2)).toEqual([255, 255, 255]);
    for (const [title, colour] of [['Equity', EQUITY_BLUE], ['Drawdown', DRAWDOWN_RED]] as const) {
      const chart = page.locator(`svg.chart[aria-label="${title}"]`);
      await chart.scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      if (box === null) throw new Error(`no ${title} chart on the page`);
      const shot = decodePng(await chart.screenshot());
      expect(shot.width).toBeGreaterThan(900);
      let coloured = 0;
      for (let y = 0; y < shot.height; y++) for (let x = 0; x < shot.width; x++) if (distance(shot.pixel(x, y), colour) < 60) coloured++;
      // A line across the chart is hundreds of pixels of its colour; none would mean an empty or broken chart.
      expect(coloured, `${title} line pixels`).toBeGreaterThan(300);
    }
  });
});
