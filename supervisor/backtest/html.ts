import { chart, escapeHtml as escape } from './chart.ts';
import type { BacktestReport, PeriodStatistics } from './report.ts';

/** Trades per collapsible page: enough to scroll through, few enough that a page opens at once. */
export const TRADES_PER_PAGE = 250;
/** Rows beyond this are left out of the page (they are all in report.json); a browser chokes on 100,000-row tables. */
export const MAX_TRADE_ROWS = 10_000;

/** A negative figure carries the same minus sign (U+2212) as a negative amount, so a column's signs line up. */
const signed = (text: string): string => (text.startsWith('-') ? `−${text.slice(1)}` : text);
const percent = (value: number | null): string => (value === null ? '–' : signed(`${(value * 100).toFixed(2)}%`));
const number = (value: number | null, places = 2): string => (value === null ? '–' : signed(value.toFixed(places)));
/** Amounts arrive as exact decimal strings; shown to the cent without going through a float. */
function money(value: string | null): string {
  if (value === null) return '–';
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (match === null) return escape(value);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const cents = BigInt(whole + fraction.padEnd(2, '0').slice(0, 2)) + (Number(fraction[2] ?? '0') >= 5 ? 1n : 0n);
  const text = cents.toString().padStart(3, '0');
  const shown = `${text.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${text.slice(-2)}`;
  return `${sign !== '' && cents !== 0n ? '−' : ''}${shown}`;
}

function drawdownPoints(curve: ReadonlyArray<[number, number]>): Array<[number, number]> {
  let peak = Number.NEGATIVE_INFINITY;
  return curve.map(([at, equity]) => {
    peak = Math.max(peak, equity);
    return [at, peak > 0 ? -((peak - equity) / peak) : 0];
  });
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], options: { numeric?: ReadonlySet<number>; className?: string } = {}): string {
  const numeric = options.numeric ?? new Set<number>();
  const head = headers.map((header, index) => `<th${numeric.has(index) ? ' class="n"' : ''}>${escape(header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, index) => `<td${numeric.has(index) ? ' class="n"' : ''}>${cell}</td>`).join('')}</tr>`).join('');
  return `<table${options.className === undefined ? '' : ` class="${options.className}"`}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function counts(title: string, values: Record<string, number> | null, id?: string): string {
  if (values === null || Object.keys(values).length === 0) return '';
  return `<h2${id === undefined ? '' : ` id="${id}"`}>${escape(title)}</h2>${table(['Value', 'Count'], Object.entries(values).map(([key, value]) => [escape(key), String(value)]), { numeric: new Set([1]) })}`;
}

function value(item: unknown): string {
  return escape(typeof item === 'string' ? item : JSON.stringify(item));
}

function splitTable(report: BacktestReport, quote: string): string {
  const split = report.split;
  if (split === null) return '';
  const rows: Array<[string, (p: PeriodStatistics) => string]> = [
    ['Period', (p) => `${escape((p.from ?? '–').slice(0, 16))} → ${escape((p.to ?? '–').slice(0, 16))}`],
    [`Net PnL (${quote})`, (p) => money(p.netPnl)],
    ['Return', (p) => percent(p.returnFraction)],
    ['Closed trades opened in it', (p) => String(p.trades)],
    ['Win rate', (p) => percent(p.winRate)],
    ['Break-even win rate', (p) => percent(p.breakEvenWinRate)],
    ['Profit factor', (p) => number(p.profitFactor)],
    [`Expectancy per trade (${quote})`, (p) => money(p.expectancy)],
    ['Max drawdown', (p) => percent(p.maxDrawdown)],
    ['Sharpe / Sortino', (p) => `${number(p.sharpe)} / ${number(p.sortino)}`],
    [`Fees (${quote})`, (p) => money(p.fees)],
    [`Funding (${quote})`, (p) => money(p.funding)],
  ];
  return `<h2 id="split">In-sample and out-of-sample, split at ${escape(split.at.slice(0, 16))}</h2>${table(
    ['', 'In-sample', 'Out-of-sample'],
    rows.map(([name, cell]) => [escape(name), cell(split.inSample), cell(split.outOfSample)]),
    { numeric: new Set([1, 2]) },
  )}`;
}

function tradePages(report: BacktestReport): string {
  const shown = report.trades.slice(0, MAX_TRADE_ROWS);
  if (shown.length === 0) return '<p>No trades.</p>';
  const pages: string[] = [];
  for (let start = 0; start < shown.length; start += TRADES_PER_PAGE) {
    const page = shown.slice(start, start + TRADES_PER_PAGE);
    const rows = page.map((t, index) => [
      String(start + index + 1),
      escape(t.instrumentId.replace(/\.[A-Z0-9]+$/, '')),
      t.side,
      escape(t.openedAt.slice(0, 16).replace('T', ' ')),
      escape(t.closedAt === null ? 'open' : t.closedAt.slice(0, 16).replace('T', ' ')),
      escape(t.entryQuantity),
      escape(t.averageEntryPrice),
      escape(t.averageExitPrice),
      money(t.fees),
      money(t.funding),
      money(t.netPnl),
      escape(t.regime ?? ''),
    ]);
    const body = table(['#', 'Instrument', 'Side', 'Opened', 'Closed', 'Quantity', 'Entry', 'Exit', 'Fees', 'Funding', 'Net PnL', 'Regime'], rows, { numeric: new Set([0, 5, 6, 7, 8, 9, 10]), className: 'trades' });
    pages.push(`<details class="page"${start === 0 ? ' open' : ''}><summary>Trades ${start + 1}–${start + page.length}</summary>${body}</details>`);
  }
  const more = report.trades.length > shown.length ? `<p>${report.trades.length - shown.length} more trades are in report.json.</p>` : '';
  return `${pages.join('')}${more}`;
}

function settings(report: BacktestReport): string {
  const s = report.settings;
  const rows: Array<[string, string]> = [
    ['Source', escape(report.source.kind === 'synthetic' ? `synthetic market, seed ${report.source.seed}, ${report.source.days} days` : report.source.files.join(', '))],
    ['Instruments', escape(report.instruments.join(', '))],
    ['Timeframes (base)', escape(`${report.timeframes.join(', ')} (${[...new Set(Object.values(report.baseTimeframes))].join(', ')})`)],
    ['Starting balance', money(s.startingBalance)],
    ['Leverage', escape(s.leverage)],
    ['Maker / taker fee rate', escape(`${s.makerFeeRate} / ${s.takerFeeRate}`)],
    ['Slippage (base + jitter, bps)', escape(`${s.slippageBaseBps} + ${s.slippageJitterBps}`)],
    ['Participation', escape(s.participation)],
    ['Paper seed', String(s.paperSeed)],
    ['Funding', escape(s.funding ?? 'none')],
    ['Split', escape(s.split ?? 'none')],
    ['Off-tick prices accepted', s.allowOffTick ? 'yes' : 'no'],
  ];
  const risk = Object.entries(s.risk).map(([key, item]): [string, string] => [escape(`risk.${key}`), value(item)]);
  const fleet: [string, string] = ['fleetDrawdown', value(s.fleetDrawdown)];
  const parameters = s.parameters !== null && typeof s.parameters === 'object' ? Object.entries(s.parameters as Record<string, unknown>).map(([key, item]): [string, string] => [escape(key), value(item)]) : [];
  return `<h2 id="settings">Settings</h2><div class="columns">${table(['Run', 'Value'], rows)}${table(['Risk', 'Value'], [...risk, fleet], { className: 'wrap' })}${parameters.length === 0 ? '' : table(['Parameter', 'Value'], parameters, { className: 'wrap' })}</div>`;
}

function instruments(report: BacktestReport, quote: string): string {
  const rows = Object.entries(report.byInstrument).map(([id, g]) => [
    escape(id),
    String(g.trades),
    String(g.openTrades),
    percent(g.winRate),
    percent(g.breakEvenWinRate),
    number(g.profitFactor),
    money(g.realizedPnl),
    money(g.fees),
    money(g.funding),
    money(g.netPnl),
  ]);
  return `<h2 id="instruments">By instrument</h2>${table(['Instrument', 'Closed', 'Open', 'Win rate', 'Break-even', 'Profit factor', `Realized (${quote})`, 'Fees', 'Funding', 'Net PnL of closed'], rows, { numeric: new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]) })}`;
}

const STYLE = [
  'body{font:14px/1.45 system-ui,sans-serif;margin:20px auto;max-width:1100px;padding:0 16px;color:#222}',
  'table{border-collapse:collapse;margin:8px 0 16px}',
  'th,td{border-bottom:1px solid #e4e4e4;padding:3px 8px;text-align:left;vertical-align:top}',
  'th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}',
  'table.trades{font-size:12px;width:100%}',
  'table.wrap td{overflow-wrap:anywhere;max-width:320px}',
  '.columns{display:flex;flex-wrap:wrap;gap:0 24px;align-items:flex-start}',
  'svg.chart{max-width:100%;height:auto}',
  'svg text{font-size:11px;fill:#555}',
  'svg text.axis-label{font-size:12px;fill:#333}',
  'h2{margin-top:28px;font-size:17px}',
  'details.page{margin:4px 0}',
  'summary{cursor:pointer;color:#0550ae}',
  'nav a{margin-right:12px}',
].join('');

/** One self-contained page: inline SVG charts, no script, no external asset; readable on a laptop without sideways scrolling. */
export function renderHtml(report: BacktestReport): string {
  const s = report.summary;
  const quote = report.quoteCurrency;
  const metrics: Array<[string, string]> = [
    ['Period', `${escape(report.period.from ?? '–')} → ${escape(report.period.to ?? '–')}`],
    ['Candles', report.candles.toLocaleString('en-US')],
    [`Starting equity (${quote})`, money(s.startingEquity)],
    [`Final equity (${quote})`, money(s.finalEquity)],
    [`Net PnL (${quote})`, `${money(s.netPnl)} (${percent(s.returnFraction)})`],
    [`Realized PnL, gross (${quote})`, money(s.realizedPnl)],
    [`Unrealized PnL at the end (${quote})`, money(s.unrealizedPnl)],
    [`Fees (${quote})`, money(s.fees)],
    [`Funding (${quote})`, report.settings.funding === null ? 'none: no funding rates were given' : `${money(s.funding)} (${s.fundingPayments} payments)`],
    ['Trades (closed / open)', `${s.trades} / ${s.openTrades}`],
    ['Fills', String(s.fills)],
    ['Win rate', percent(s.winRate)],
    ['Break-even win rate', percent(s.breakEvenWinRate)],
    ['Profit factor', number(s.profitFactor)],
    [`Average win / loss (${quote})`, `${money(s.averageWin)} / ${money(s.averageLoss)}`],
    [`Expectancy per trade (${quote})`, money(s.expectancy)],
    ['Reward to risk', number(s.rewardToRisk)],
    ['Max drawdown', `${percent(s.maxDrawdown)} (${money(s.maxDrawdownAmount.toFixed(2))} ${escape(quote)})`],
    [`Sharpe / Sortino (daily, ×√${report.settings.annualizationDays})`, `${number(s.sharpe)} / ${number(s.sortino)}`],
    ['Time in market', percent(s.timeInMarket)],
    ['Strategy code errors', String(report.botCodeErrors.count)],
  ];
  const splitAt = report.split === null ? undefined : { at: Date.parse(report.split.at), label: 'out-of-sample →' };
  const regimes =
    report.regimes === null
      ? ''
      : `<h2>By regime at entry</h2>${table(
          ['Regime', 'Trades', 'Wins', 'Win rate', 'Profit factor', `Expectancy (${quote})`, `Net PnL (${quote})`],
          Object.entries(report.regimes).map(([regime, g]) => [escape(regime), String(g.trades), String(g.wins), percent(g.winRate), number(g.profitFactor), money(g.expectancy), money(g.netPnl)]),
          { numeric: new Set([1, 2, 3, 4, 5, 6]) },
        )}`;
  const notes = Object.entries(report.notes).map(([name, values]) => counts(`Notes: ${name}`, values)).join('');
  const findings = report.dataFindings.length === 0 ? '' : `<h2>Data</h2><ul>${report.dataFindings.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`;
  const errors = report.botCodeErrors.messages.length === 0 ? '' : `<h2>Strategy code errors</h2><ul>${report.botCodeErrors.messages.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`;
  const states = report.stateChanges.length === 0 ? '' : `<h2>Trading-state changes</h2>${table(['At', 'State', 'Reason', 'Detail'], report.stateChanges.map((change) => [escape(change.at), escape(change.state), escape(change.reason ?? ''), escape(change.detail)]), { className: 'wrap' })}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Backtest: ${escape(report.bot.id)}</title>
<style>${STYLE}</style>
</head><body>
<h1>Backtest: ${escape(report.bot.name)} (${escape(report.bot.id)})</h1>
<nav><a href="#summary">Summary</a>${report.split === null ? '' : '<a href="#split">In/out of sample</a>'}<a href="#instruments">By instrument</a><a href="#decisions">Decisions</a><a href="#settings">Settings</a><a href="#trades">Trades</a></nav>
<h2 id="summary">Summary</h2>
${table(['Metric', 'Value'], metrics.map(([name, item]) => [escape(name), item]), { numeric: new Set([1]) })}
${splitTable(report, quote)}
${chart({ title: 'Equity', axisLabel: `Equity (${quote})`, points: report.equityCurve, color: '#1f6feb', fill: false, ...(splitAt === undefined ? {} : { marker: splitAt }) })}
${chart({ title: 'Drawdown', axisLabel: 'Drawdown (%)', points: drawdownPoints(report.equityCurve), color: '#d1242f', fill: true, scale: 100, ...(splitAt === undefined ? {} : { marker: splitAt }) })}
${instruments(report, quote)}
${regimes}
${counts('Entries blocked, by layer', report.entryBlocked)}
<h2 id="decisions">Order manager decisions</h2>
${table(['Outcome', 'Count'], Object.entries(report.decisions.outcomes).map(([key, count]) => [escape(key), String(count)]), { numeric: new Set([1]) })}
${counts('Denied, by reason', report.decisions.denials, 'denials')}
${counts('Resized, by reason (approved at a smaller size)', report.decisions.resizes, 'resizes')}
${states}
${notes}
${settings(report)}
${findings}
${errors}
<h2 id="trades">Trades</h2>
${tradePages(report)}
</body></html>
`;
}
