import { table } from '../cli/format.ts';
import type { BacktestReport, PeriodStatistics } from './report.ts';
import type { RankFigure, SweepRow } from './sweep.ts';
import { figureOf } from './sweep.ts';

/** The backtest's reports as terminal text: the summary, the split side by side, and a sweep's ranked table. */

const pct = (value: number | null): string => (value === null ? '-' : `${(value * 100).toFixed(2)}%`);
const num = (value: number | null): string => (value === null ? '-' : value.toFixed(2));
/** An exact decimal string to the cent, rounded half up, without a float. */
export const cents = (value: string | null): string => {
  if (value === null) return '-';
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  const rounded = (BigInt(whole + fraction.padEnd(3, '0').slice(0, 3)) + 5n) / 10n;
  const text = rounded.toString().padStart(3, '0');
  return `${negative && rounded !== 0n ? '-' : ''}${text.slice(0, -2)}.${text.slice(-2)}`;
};
const reasons = (counts: Record<string, number>): string => Object.entries(counts).map(([reason, count]) => `${reason} ${count}`).join(', ');

function periodRows(periods: ReadonlyArray<PeriodStatistics>): string[][] {
  const row = (name: string, cell: (period: PeriodStatistics) => string): string[] => [name, ...periods.map(cell)];
  return [
    row('Period', (p) => `${(p.from ?? '-').slice(0, 16)} to ${(p.to ?? '-').slice(0, 16)}`),
    row('Net PnL', (p) => `${cents(p.netPnl)} (${pct(p.returnFraction)})`),
    row('Closed trades opened in it', (p) => String(p.trades)),
    row('Win rate', (p) => pct(p.winRate)),
    row('Break-even win rate', (p) => pct(p.breakEvenWinRate)),
    row('Profit factor', (p) => num(p.profitFactor)),
    row('Expectancy per trade', (p) => cents(p.expectancy)),
    row('Max drawdown', (p) => pct(p.maxDrawdown)),
    row('Sharpe', (p) => num(p.sharpe)),
    row('Sortino', (p) => num(p.sortino)),
    row('Fees', (p) => cents(p.fees)),
    row('Funding', (p) => cents(p.funding)),
  ];
}

export function renderReport(report: BacktestReport): string {
  const s = report.summary;
  const lines = [
    `Backtest of ${report.bot.id} (${report.bot.name}): ${report.period.from ?? '-'} to ${report.period.to ?? '-'}, ${report.candles} candles`,
    report.source.kind === 'synthetic' ? `Synthetic market, seed ${report.source.seed}, ${report.source.days} days` : `Data: ${report.source.files.join(', ')}`,
    `Instruments: ${report.instruments.join(', ')}`,
    ...(report.settings.funding === null ? [] : [`Funding: ${report.settings.funding}`]),
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
        ['Funding', report.settings.funding === null ? 'none (no --funding or --funding-rate)' : `${cents(s.funding)} (${s.fundingPayments} payments)`],
        ['Trades (closed/open)', `${s.trades}/${s.openTrades}`],
        ['Win rate', pct(s.winRate)],
        ['Profit factor', num(s.profitFactor)],
        ['Average win', cents(s.averageWin)],
        ['Average loss', cents(s.averageLoss)],
        ['Expectancy per trade', cents(s.expectancy)],
        ['Reward to risk', num(s.rewardToRisk)],
        ['Break-even win rate', pct(s.breakEvenWinRate)],
        ['Max drawdown', pct(s.maxDrawdown)],
        [`Sharpe (daily, x sqrt ${report.settings.annualizationDays})`, num(s.sharpe)],
        [`Sortino (daily, x sqrt ${report.settings.annualizationDays})`, num(s.sortino)],
        ['Time in market', pct(s.timeInMarket)],
        ['Strategy code errors', String(report.botCodeErrors.count)],
      ],
    ),
  ];
  if (report.split !== null) {
    lines.push('', `Split at ${report.split.at}:`, table([{ header: '' }, { header: 'IN-SAMPLE', align: 'right' }, { header: 'OUT-OF-SAMPLE', align: 'right' }], periodRows([report.split.inSample, report.split.outOfSample])));
  }
  const instruments = Object.entries(report.byInstrument);
  if (instruments.length > 1) {
    lines.push('', 'By instrument:', table(
      [{ header: 'INSTRUMENT' }, { header: 'TRADES', align: 'right' }, { header: 'WIN RATE', align: 'right' }, { header: 'PROFIT FACTOR', align: 'right' }, { header: 'FEES', align: 'right' }, { header: 'FUNDING', align: 'right' }, { header: 'NET PNL', align: 'right' }],
      instruments.map(([id, g]) => [id, String(g.trades), pct(g.winRate), num(g.profitFactor), cents(g.fees), cents(g.funding), cents(g.netPnl)]),
    ));
  }
  if (report.regimes !== null) {
    lines.push('', 'By regime at entry:', table(
      [{ header: 'REGIME' }, { header: 'TRADES', align: 'right' }, { header: 'WIN RATE', align: 'right' }, { header: 'PROFIT FACTOR', align: 'right' }, { header: 'NET PNL', align: 'right' }],
      Object.entries(report.regimes).map(([regime, g]) => [regime, String(g.trades), pct(g.winRate), num(g.profitFactor), cents(g.netPnl)]),
    ));
  }
  if (report.entryBlocked !== null) {
    lines.push('', 'Entries blocked, by layer:', table([{ header: 'LAYER' }, { header: 'COUNT', align: 'right' }], Object.entries(report.entryBlocked).map(([layer, count]) => [layer, String(count)])));
  }
  const { outcomes, denials, resizes } = report.decisions;
  if (Object.keys(denials).length > 0 || Object.keys(resizes).length > 0) {
    lines.push('', `Order manager: ${Object.entries(outcomes).map(([outcome, count]) => `${count} ${outcome}`).join(', ')}`);
    if (Object.keys(denials).length > 0) lines.push(`  denied: ${reasons(denials)}`);
    if (Object.keys(resizes).length > 0) lines.push(`  resized: ${reasons(resizes)}`);
  }
  for (const change of report.stateChanges) lines.push(`Trading state ${change.state} at ${change.at}: ${change.reason ?? ''} ${change.detail}`.trimEnd());
  for (const message of report.botCodeErrors.messages.slice(0, 5)) lines.push(`Strategy error: ${message}`);
  return lines.join('\n');
}

function figureText(period: PeriodStatistics, figure: RankFigure): string {
  const value = figureOf(period, figure);
  if (value === null) return '-';
  if (figure === 'return' || figure === 'win-rate' || figure === 'max-drawdown') return pct(value);
  if (figure === 'net-pnl') return cents(period.netPnl);
  if (figure === 'expectancy') return cents(period.expectancy);
  if (figure === 'trades') return String(value);
  return num(value);
}

/** One table, best in-sample first, out-of-sample beside each row. */
export function renderSweep(rows: readonly SweepRow[], keys: readonly string[], figure: RankFigure, split: { at: string; label: string }): string {
  const side = (period: PeriodStatistics, prefix: string): Array<[string, string]> => [
    [`${prefix} ${figure.toUpperCase()}`, figureText(period, figure)],
    [`${prefix} RETURN`, pct(period.returnFraction)],
    [`${prefix} TRADES`, String(period.trades)],
    [`${prefix} WIN/BE`, `${pct(period.winRate)}/${pct(period.breakEvenWinRate)}`],
    [`${prefix} PF`, num(period.profitFactor)],
    [`${prefix} MAXDD`, pct(period.maxDrawdown)],
  ];
  const columns = (row: SweepRow): Array<[string, string]> => [
    ...keys.map((key): [string, string] => [key, String(row.parameters[key])]),
    ...side(row.inSample, 'IS'),
    ...side(row.outOfSample, 'OOS'),
  ];
  const first = rows[0];
  if (first === undefined) return 'No runs.';
  const headers = [{ header: '#', align: 'right' as const }, ...columns(first).map(([header], index) => ({ header, align: index < keys.length ? ('left' as const) : ('right' as const) }))];
  return [
    `${rows.length} runs, ranked by in-sample ${figure}; in-sample until ${split.at} (--split ${split.label}), out-of-sample after it. WIN/BE: win rate / break-even win rate.`,
    '',
    table(headers, rows.map((row, index) => [String(index + 1), ...columns(row).map(([, cell]) => cell)])),
  ].join('\n');
}
