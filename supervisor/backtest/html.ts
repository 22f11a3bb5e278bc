import type { BacktestReport } from './report.ts';

/** Rows beyond this are left out of the page (they are all in report.json); a browser chokes on 100,000-row tables. */
const MAX_TRADE_ROWS = 1_000;
const WIDTH = 960;
const HEIGHT = 260;
const PAD = { left: 70, right: 12, top: 12, bottom: 26 };

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const percent = (value: number | null): string => (value === null ? '–' : `${(value * 100).toFixed(2)}%`);
const number = (value: number | null, places = 2): string => (value === null ? '–' : value.toFixed(places));
/** Amounts arrive as exact decimal strings; shown to the cent without going through a float. */
function money(value: string | null): string {
  if (value === null) return '–';
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value);
  if (match === null) return escape(value);
  const [, sign = '', whole = '0', fraction = ''] = match;
  const cents = BigInt(whole + fraction.padEnd(2, '0').slice(0, 2)) + (Number(fraction[2] ?? '0') >= 5 ? 1n : 0n);
  const text = cents.toString().padStart(3, '0');
  return `${sign}${text.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${text.slice(-2)}`;
}

interface Series {
  points: Array<[number, number]>;
  color: string;
  fill: boolean;
  format(value: number): string;
}

function chart(title: string, series: Series): string {
  const { points } = series;
  if (points.length < 2) return `<h2>${escape(title)}</h2><p>Not enough data for a chart.</p>`;
  const xs = points.map(([x]) => x);
  const ys = points.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (series.fill) y1 = Math.max(y1, 0);
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const sx = (x: number): number => PAD.left + ((x - x0) / Math.max(1, x1 - x0)) * plotW;
  const sy = (y: number): number => PAD.top + (1 - (y - y0) / (y1 - y0)) * plotH;
  const path = points.map(([x, y], index) => `${index === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
  const area = series.fill ? `<path d="${path}L${sx(x1).toFixed(1)},${sy(0).toFixed(1)}L${sx(x0).toFixed(1)},${sy(0).toFixed(1)}Z" fill="${series.color}" fill-opacity="0.25"/>` : '';
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((t) => {
    const y = y0 + (y1 - y0) * t;
    return `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${escape(series.format(y))}</text>`;
  });
  const dates = [0, 0.5, 1].map((t) => {
    const x = x0 + (x1 - x0) * t;
    const anchor = t === 0 ? 'start' : t === 1 ? 'end' : 'middle';
    return `<text x="${sx(x).toFixed(1)}" y="${HEIGHT - 6}" text-anchor="${anchor}">${new Date(x).toISOString().slice(0, 10)}</text>`;
  });
  return `<h2>${escape(title)}</h2><svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${escape(title)}">${ticks.join('')}${area}<path d="${path}" fill="none" stroke="${series.color}" stroke-width="1.5"/>${dates.join('')}</svg>`;
}

function drawdownPoints(curve: ReadonlyArray<[number, number]>): Array<[number, number]> {
  let peak = Number.NEGATIVE_INFINITY;
  return curve.map(([at, equity]) => {
    peak = Math.max(peak, equity);
    return [at, peak > 0 ? -((peak - equity) / peak) : 0];
  });
}

function table(headers: readonly string[], rows: readonly (readonly string[])[], numeric: ReadonlySet<number> = new Set()): string {
  const head = headers.map((header) => `<th>${escape(header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, index) => `<td${numeric.has(index) ? ' class="n"' : ''}>${cell}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function counts(title: string, values: Record<string, number> | null): string {
  if (values === null || Object.keys(values).length === 0) return '';
  return `<h2>${escape(title)}</h2>${table(['Value', 'Count'], Object.entries(values).map(([key, value]) => [escape(key), String(value)]), new Set([1]))}`;
}

/** One self-contained page: inline SVG charts, no script, no external asset. */
export function renderHtml(report: BacktestReport): string {
  const s = report.summary;
  const metrics: Array<[string, string]> = [
    ['Period', `${escape(report.period.from ?? '–')} → ${escape(report.period.to ?? '–')}`],
    ['Source', escape(report.source.kind === 'synthetic' ? `synthetic market, seed ${report.source.seed}, ${report.source.days} days` : report.source.files.join(', '))],
    ['Candles', report.candles.toLocaleString('en-US')],
    ['Starting equity', money(s.startingEquity)],
    ['Final equity', money(s.finalEquity)],
    ['Net PnL', `${money(s.netPnl)} (${percent(s.returnFraction)})`],
    ['Realized PnL (gross)', money(s.realizedPnl)],
    ['Unrealized PnL at the end', money(s.unrealizedPnl)],
    ['Fees', money(s.fees)],
    ['Trades (closed / open)', `${s.trades} / ${s.openTrades}`],
    ['Win rate', percent(s.winRate)],
    ['Profit factor', number(s.profitFactor)],
    ['Average win / loss', `${money(s.averageWin)} / ${money(s.averageLoss)}`],
    ['Expectancy per trade', money(s.expectancy)],
    ['Reward to risk', number(s.rewardToRisk)],
    ['Break-even win rate', percent(s.breakEvenWinRate)],
    ['Max drawdown', `${percent(s.maxDrawdown)} (${s.maxDrawdownAmount.toFixed(2)})`],
    ['Sharpe / Sortino (daily, ×√365)', `${number(s.sharpe)} / ${number(s.sortino)}`],
    ['Time in market', percent(s.timeInMarket)],
    ['Strategy code errors', String(report.botCodeErrors.count)],
  ];
  const regimes =
    report.regimes === null
      ? ''
      : `<h2>By regime at entry</h2>${table(
          ['Regime', 'Trades', 'Wins', 'Win rate', 'Profit factor', 'Expectancy', 'Net PnL'],
          Object.entries(report.regimes).map(([regime, g]) => [escape(regime), String(g.trades), String(g.wins), percent(g.winRate), number(g.profitFactor), money(g.expectancy), money(g.netPnl)]),
          new Set([1, 2, 3, 4, 5, 6]),
        )}`;
  const shown = report.trades.slice(0, MAX_TRADE_ROWS);
  const trades = table(
    ['Instrument', 'Side', 'Opened', 'Closed', 'Quantity', 'Entry', 'Exit', 'Fees', 'Net PnL', 'Regime'],
    shown.map((t) => [escape(t.instrumentId), t.side, escape(t.openedAt), escape(t.closedAt ?? 'open'), escape(t.entryQuantity), escape(t.averageEntryPrice), escape(t.averageExitPrice), money(t.fees), money(t.netPnl), escape(t.regime ?? '')]),
    new Set([4, 5, 6, 7, 8]),
  );
  const more = report.trades.length > shown.length ? `<p>${report.trades.length - shown.length} more trades are in report.json.</p>` : '';
  const notes = Object.entries(report.notes).map(([name, values]) => counts(`Notes: ${name}`, values)).join('');
  const findings = report.dataFindings.length === 0 ? '' : `<h2>Data</h2><ul>${report.dataFindings.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`;
  const errors = report.botCodeErrors.messages.length === 0 ? '' : `<h2>Strategy code errors</h2><ul>${report.botCodeErrors.messages.map((line) => `<li>${escape(line)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Backtest: ${escape(report.bot.id)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}table{border-collapse:collapse;margin:8px 0 16px}th,td{border-bottom:1px solid #e4e4e4;padding:3px 10px;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}svg text{font-size:11px;fill:#555}h2{margin-top:28px;font-size:17px}</style>
</head><body>
<h1>Backtest: ${escape(report.bot.name)} (${escape(report.bot.id)})</h1>
${table(['Metric', 'Value'], metrics.map(([name, value]) => [escape(name), value]))}
${chart('Equity', { points: report.equityCurve, color: '#1f6feb', fill: false, format: (v) => v.toFixed(0) })}
${chart('Drawdown', { points: drawdownPoints(report.equityCurve), color: '#d1242f', fill: true, format: (v) => `${(v * 100).toFixed(1)}%` })}
${regimes}
${counts('Entries blocked, by layer', report.entryBlocked)}
${counts('Decisions', report.decisions.outcomes)}
${counts('Denials', report.decisions.denials)}
${notes}
${findings}
${errors}
<h2>Trades</h2>
${trades}
${more}
</body></html>
`;
}
