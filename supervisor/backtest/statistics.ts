import { Decimal } from '../../core/decimal.ts';
import type { InstrumentKind } from '../../core/instrument.ts';
import { followsUsEquitySession } from '../../core/market-session.ts';
import { TIMEFRAME_MS } from '../../core/strategy.ts';
import type { EquityCurve } from './engine.ts';
import type { Trade } from './trades.ts';

/** Crypto trades every day of the year, so its daily figures are annualized with 365 days. */
export const CRYPTO_DAYS_PER_YEAR = 365;
/**
 * US equities trade in about 252 sessions a year, and a day without a session is no return period (an equity-only
 * bot has no candle, so no equity sample, on it): their daily figures are annualized with 252 days.
 */
export const US_EQUITY_SESSIONS_PER_YEAR = 252;

/** The days a year of daily returns: 252 when every instrument follows the US equity session, else 365. */
export function annualizationDays(instruments: readonly { kind: InstrumentKind }[]): number {
  return instruments.length > 0 && instruments.every((instrument) => followsUsEquitySession(instrument)) ? US_EQUITY_SESSIONS_PER_YEAR : CRYPTO_DAYS_PER_YEAR;
}
const DAY_MS = TIMEFRAME_MS['1d'];

/** Ratios are floats for reading, rounded so reports compare equal across runs and machines. */
export function ratio(value: number, places = 6): number | null {
  if (!Number.isFinite(value)) return null;
  const factor = 10 ** places;
  return Math.round(value * factor) / factor;
}

export interface TradeStatistics {
  trades: number;
  wins: number;
  losses: number;
  winRate: number | null;
  grossProfit: Decimal;
  grossLoss: Decimal;
  /** Gross profit of the winners over the gross loss of the losers; null without a loser. */
  profitFactor: number | null;
  averageWin: Decimal | null;
  /** Negative: the mean loss of the losers. */
  averageLoss: Decimal | null;
  /** Mean net PnL per trade. */
  expectancy: Decimal | null;
  /** Average win over the size of the average loss. */
  rewardToRisk: number | null;
  /** The win rate at which this reward to risk breaks even: 1 / (1 + R). */
  breakEvenWinRate: number | null;
  netPnl: Decimal;
  fees: Decimal;
  funding: Decimal;
}

/** Statistics of closed trades by their net PnL (fees and funding included); a trade at exactly zero is neither win nor loss. */
export function tradeStatistics(trades: readonly Trade[]): TradeStatistics {
  const closed = trades.filter((trade) => trade.closedAt !== null);
  let wins = 0;
  let losses = 0;
  let grossProfit = Decimal.ZERO;
  let grossLoss = Decimal.ZERO;
  let netPnl = Decimal.ZERO;
  let fees = Decimal.ZERO;
  let funding = Decimal.ZERO;
  for (const trade of closed) {
    netPnl = netPnl.add(trade.netPnl);
    fees = fees.add(trade.fees);
    funding = funding.add(trade.funding);
    if (trade.netPnl.isPositive()) {
      wins++;
      grossProfit = grossProfit.add(trade.netPnl);
    } else if (trade.netPnl.isNegative()) {
      losses++;
      grossLoss = grossLoss.add(trade.netPnl.neg());
    }
  }
  const count = closed.length;
  const averageWin = wins === 0 ? null : grossProfit.div(Decimal.fromInteger(wins));
  const averageLoss = losses === 0 ? null : grossLoss.div(Decimal.fromInteger(losses)).neg();
  const rewardToRisk = averageWin === null || averageLoss === null ? null : averageWin.toNumber() / -averageLoss.toNumber();
  return {
    trades: count,
    wins,
    losses,
    winRate: count === 0 ? null : ratio(wins / count),
    grossProfit,
    grossLoss,
    profitFactor: grossLoss.isZero() ? null : ratio(grossProfit.toNumber() / grossLoss.toNumber()),
    averageWin,
    averageLoss,
    expectancy: count === 0 ? null : netPnl.div(Decimal.fromInteger(count)),
    rewardToRisk: rewardToRisk === null ? null : ratio(rewardToRisk),
    breakEvenWinRate: rewardToRisk === null ? null : ratio(1 / (1 + rewardToRisk)),
    netPnl,
    fees,
    funding,
  };
}

export interface DrawdownStatistics {
  /** Largest peak-to-trough fall of equity, as a fraction of the peak. */
  maxDrawdown: number;
  maxDrawdownAmount: number;
  peakAt: number | null;
  troughAt: number | null;
}

/** Over the equity sampled at every base candle's close, unrealized PnL included, from the starting equity. */
export function drawdownStatistics(curve: EquityCurve, startingEquity: number): DrawdownStatistics {
  let peak = startingEquity;
  let peakAt: number | null = curve.times[0] ?? null;
  let worst: DrawdownStatistics = { maxDrawdown: 0, maxDrawdownAmount: 0, peakAt: null, troughAt: null };
  for (let index = 0; index < curve.equity.length; index++) {
    const equity = curve.equity[index] as number;
    const at = curve.times[index] as number;
    if (equity > peak) {
      peak = equity;
      peakAt = at;
      continue;
    }
    const fall = peak > 0 ? (peak - equity) / peak : 0;
    if (fall > worst.maxDrawdown) worst = { maxDrawdown: fall, maxDrawdownAmount: peak - equity, peakAt, troughAt: at };
  }
  return { ...worst, maxDrawdown: ratio(worst.maxDrawdown) ?? 0, maxDrawdownAmount: ratio(worst.maxDrawdownAmount, 2) ?? 0 };
}

/**
 * Equity at each UTC day's end (the last sample at or before it), after the starting equity. A day without a sample
 * (no candle closed in it: a weekend for an equity-only bot) is no day here.
 */
export function dailyEquity(curve: EquityCurve, startingEquity: number): number[] {
  const values = [startingEquity];
  let day: number | null = null;
  let last = startingEquity;
  for (let index = 0; index < curve.times.length; index++) {
    const at = curve.times[index] as number;
    // A sample at exactly midnight closes the day before.
    const sampleDay = Math.floor((at - 1) / DAY_MS);
    if (day !== null && sampleDay !== day) values.push(last);
    day = sampleDay;
    last = curve.equity[index] as number;
  }
  if (day !== null) values.push(last);
  return values;
}

export interface ReturnStatistics {
  days: number;
  /** Mean daily return over its standard deviation, × √(days a year); null with fewer than two days or no variation. */
  sharpe: number | null;
  /** Mean daily return over the downside deviation (root mean square of the negative returns), × √(days a year). */
  sortino: number | null;
}

/** `daysPerYear`: see annualizationDays. */
export function returnStatistics(curve: EquityCurve, startingEquity: number, daysPerYear: number): ReturnStatistics {
  const equity = dailyEquity(curve, startingEquity);
  const returns: number[] = [];
  for (let index = 1; index < equity.length; index++) {
    const before = equity[index - 1] as number;
    if (before > 0) returns.push((equity[index] as number) / before - 1);
  }
  if (returns.length < 2) return { days: returns.length, sharpe: null, sortino: null };
  const mean = returns.reduce((sum, value) => sum + value, 0) / returns.length;
  const variance = returns.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (returns.length - 1);
  const downside = Math.sqrt(returns.reduce((sum, value) => sum + Math.min(value, 0) ** 2, 0) / returns.length);
  const annualize = Math.sqrt(daysPerYear);
  return {
    days: returns.length,
    sharpe: variance > 0 ? ratio((mean / Math.sqrt(variance)) * annualize, 4) : null,
    sortino: downside > 0 ? ratio((mean / downside) * annualize, 4) : null,
  };
}

/** The share of the period with any position open: the union of the trades' open intervals over the period. */
export function timeInMarket(trades: readonly Trade[], startMs: number, endMs: number): number {
  if (!(endMs > startMs)) return 0;
  const intervals = trades
    .map((trade) => [Math.max(startMs, trade.openedAt), Math.min(endMs, trade.closedAt ?? endMs)] as const)
    .filter(([from, to]) => to > from)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let from = Number.NEGATIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const [start, end] of intervals) {
    if (start > to) {
      if (to > from) covered += to - from;
      from = start;
      to = end;
    } else if (end > to) {
      to = end;
    }
  }
  if (to > from) covered += to - from;
  return ratio(covered / (endMs - startMs)) ?? 0;
}
