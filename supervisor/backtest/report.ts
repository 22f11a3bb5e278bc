import { Decimal } from '../../core/decimal.ts';
import type { Timeframe } from '../../core/strategy.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import type { EngineResult, EquityCurve } from './engine.ts';
import { REGIME_NOTE } from './engine.ts';
import { drawdownStatistics, ratio, returnStatistics, timeInMarket, tradeStatistics, TRADING_DAYS_PER_YEAR } from './statistics.ts';
import type { Trade } from './trades.ts';
import { roundTrips } from './trades.ts';

/** The note whose values name the filter (layer) that blocked an entry; counted per value. */
export const ENTRY_BLOCKED_NOTE = 'ENTRY_BLOCKED';
/** Enough points for a chart's width several times over; the JSON stays small whatever the length of the run. */
const CURVE_POINTS = 2_000;

export type BacktestSource =
  | { kind: 'synthetic'; seed: number; days: number }
  | { kind: 'data'; files: string[] };

export interface ReportContext {
  manifest: BotManifest;
  fleetConfig: FleetConfig;
  source: BacktestSource;
  baseTimeframes: Record<string, Timeframe>;
  /** What data validation found (gaps, dropped duplicates), one line each. */
  dataFindings: string[];
}

/** A trade as JSON: amounts are exact decimal strings, times ISO 8601. */
export interface TradeRow {
  instrumentId: string;
  side: 'LONG' | 'SHORT';
  openedAt: string;
  closedAt: string | null;
  entryQuantity: string;
  averageEntryPrice: string;
  exitQuantity: string;
  averageExitPrice: string;
  grossPnl: string;
  fees: string;
  netPnl: string;
  regime: string | null;
  fills: number;
}

export interface GroupStatistics {
  trades: number;
  wins: number;
  winRate: number | null;
  profitFactor: number | null;
  expectancy: string | null;
  netPnl: string;
}

export interface BacktestReport {
  bot: { id: string; name: string };
  source: BacktestSource;
  period: { from: string | null; to: string | null };
  instruments: string[];
  timeframes: Timeframe[];
  /** Per instrument, the timeframe the paper venue matched against; the others were built from it. */
  baseTimeframes: Record<string, Timeframe>;
  candles: number;
  settings: {
    startingBalance: string;
    leverage: string;
    makerFeeRate: string;
    takerFeeRate: string;
    slippageBaseBps: string;
    slippageJitterBps: string;
    participation: string;
    paperSeed: number;
    annualizationDays: number;
  };
  summary: {
    startingEquity: string;
    finalEquity: string;
    netPnl: string;
    returnFraction: number | null;
    /** Gross realized PnL over the whole run, before fees, as the ledger holds it. */
    realizedPnl: string;
    unrealizedPnl: string;
    fees: string;
    trades: number;
    openTrades: number;
    wins: number;
    losses: number;
    winRate: number | null;
    profitFactor: number | null;
    averageWin: string | null;
    averageLoss: string | null;
    expectancy: string | null;
    rewardToRisk: number | null;
    breakEvenWinRate: number | null;
    maxDrawdown: number;
    maxDrawdownAmount: number;
    maxDrawdownPeakAt: string | null;
    maxDrawdownTroughAt: string | null;
    sharpe: number | null;
    sortino: number | null;
    days: number;
    timeInMarket: number;
    fills: number;
  };
  /** Closed trades grouped by the REGIME note of their entry; null when the strategy made none. */
  regimes: Record<string, GroupStatistics> | null;
  /** ENTRY_BLOCKED notes counted per value (the layer that blocked); null when the strategy made none. */
  entryBlocked: Record<string, number> | null;
  /** Every note the strategy made: name → value → count. */
  notes: Record<string, Record<string, number>>;
  decisions: { outcomes: Record<string, number>; denials: Record<string, number> };
  botCodeErrors: { count: number; messages: string[] };
  stateChanges: Array<{ at: string; state: string; reason: string | null; detail: string }>;
  dataFindings: string[];
  positionsAtEnd: Array<{ instrumentId: string; quantity: string; averageEntryPrice: string }>;
  trades: TradeRow[];
  /** Downsampled for charts: [close time ms, equity]. */
  equityCurve: Array<[number, number]>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const text = (value: Decimal | null): string | null => (value === null ? null : value.toString());
const record = (map: ReadonlyMap<string, number>): Record<string, number> => Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function tradeRow(trade: Trade): TradeRow {
  return {
    instrumentId: trade.instrumentId,
    side: trade.side,
    openedAt: iso(trade.openedAt) as string,
    closedAt: iso(trade.closedAt),
    entryQuantity: trade.entryQuantity.toString(),
    averageEntryPrice: trade.averageEntryPrice.toString(),
    exitQuantity: trade.exitQuantity.toString(),
    averageExitPrice: trade.averageExitPrice.toString(),
    grossPnl: trade.grossPnl.toString(),
    fees: trade.fees.toString(),
    netPnl: trade.netPnl.toString(),
    regime: trade.regime,
    fills: trade.fills,
  };
}

function groupStatistics(trades: readonly Trade[]): GroupStatistics {
  const stats = tradeStatistics(trades);
  return { trades: stats.trades, wins: stats.wins, winRate: stats.winRate, profitFactor: stats.profitFactor, expectancy: text(stats.expectancy), netPnl: stats.netPnl.toString() };
}

/** Keeps each bucket's lowest and highest point, in time order, so troughs and peaks survive the thinning. */
export function downsample(curve: EquityCurve, points: number = CURVE_POINTS): Array<[number, number]> {
  const length = curve.times.length;
  const pair = (index: number): [number, number] => [curve.times[index] as number, ratio(curve.equity[index] as number, 2) ?? 0];
  if (length <= points) return curve.times.map((_, index) => pair(index));
  const buckets = Math.max(1, Math.floor(points / 2));
  const size = Math.ceil(length / buckets);
  const out: Array<[number, number]> = [];
  for (let start = 0; start < length; start += size) {
    const end = Math.min(length, start + size);
    let low = start;
    let high = start;
    for (let index = start; index < end; index++) {
      if ((curve.equity[index] as number) < (curve.equity[low] as number)) low = index;
      if ((curve.equity[index] as number) > (curve.equity[high] as number)) high = index;
    }
    for (const index of low === high ? [low] : [Math.min(low, high), Math.max(low, high)]) out.push(pair(index));
  }
  return out;
}

/** Builds the report from the ledger's fills and the equity curve the engine sampled. */
export function buildReport(result: EngineResult, context: ReportContext): BacktestReport {
  const { manifest, fleetConfig } = context;
  const trades = roundTrips(result.fills, {
    intentOf: (clientOrderId) => result.orders.get(clientOrderId)?.intentId,
    regimeOf: (intentId) => result.entryRegimes.get(intentId),
  });
  const stats = tradeStatistics(trades);
  const startingEquity = result.startingBalance;
  const start = result.firstOpenTime;
  const end = result.lastCloseTime;
  const drawdown = drawdownStatistics(result.equityCurve, startingEquity.toNumber());
  const returns = returnStatistics(result.equityCurve, startingEquity.toNumber());
  const realized = Decimal.sum(result.positions.map((position) => position.realizedPnl));
  const fees = Decimal.sum(result.positions.map((position) => position.fees));
  const netPnl = result.final.equity.sub(startingEquity);

  let regimes: BacktestReport['regimes'] = null;
  if (result.notes.has(REGIME_NOTE)) {
    const byRegime = new Map<string, Trade[]>();
    for (const trade of trades) {
      const key = trade.regime ?? '(none)';
      byRegime.set(key, [...(byRegime.get(key) ?? []), trade]);
    }
    regimes = Object.fromEntries([...byRegime].sort(([a], [b]) => (a < b ? -1 : 1)).map(([regime, group]) => [regime, groupStatistics(group)]));
  }
  const blocked = result.notes.get(ENTRY_BLOCKED_NOTE);
  const p = fleetConfig.paper;

  return {
    bot: { id: manifest.id, name: manifest.name },
    source: context.source,
    period: { from: iso(start), to: iso(end) },
    instruments: [...manifest.instruments],
    timeframes: [...manifest.timeframes],
    baseTimeframes: context.baseTimeframes,
    candles: result.candles,
    settings: {
      startingBalance: p.startingBalance,
      leverage: p.leverage,
      makerFeeRate: p.makerFeeRate,
      takerFeeRate: p.takerFeeRate,
      slippageBaseBps: p.slippageBaseBps,
      slippageJitterBps: p.slippageJitterBps,
      participation: p.participation,
      paperSeed: p.seed,
      annualizationDays: TRADING_DAYS_PER_YEAR,
    },
    summary: {
      startingEquity: startingEquity.toString(),
      finalEquity: result.final.equity.toString(),
      netPnl: netPnl.toString(),
      returnFraction: startingEquity.isZero() ? null : ratio(netPnl.toNumber() / startingEquity.toNumber()),
      realizedPnl: realized.toString(),
      unrealizedPnl: result.final.unrealizedPnl.toString(),
      fees: fees.toString(),
      trades: stats.trades,
      openTrades: trades.length - stats.trades,
      wins: stats.wins,
      losses: stats.losses,
      winRate: stats.winRate,
      profitFactor: stats.profitFactor,
      averageWin: text(stats.averageWin),
      averageLoss: text(stats.averageLoss),
      expectancy: text(stats.expectancy),
      rewardToRisk: stats.rewardToRisk,
      breakEvenWinRate: stats.breakEvenWinRate,
      maxDrawdown: drawdown.maxDrawdown,
      maxDrawdownAmount: drawdown.maxDrawdownAmount,
      maxDrawdownPeakAt: iso(drawdown.peakAt),
      maxDrawdownTroughAt: iso(drawdown.troughAt),
      sharpe: returns.sharpe,
      sortino: returns.sortino,
      days: returns.days,
      timeInMarket: start === null || end === null ? 0 : timeInMarket(trades, start, end),
      fills: result.fills.length,
    },
    regimes,
    entryBlocked: blocked === undefined ? null : record(blocked),
    notes: Object.fromEntries([...result.notes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, values]) => [name, record(values)])),
    decisions: { outcomes: record(result.decisions.outcomes), denials: record(result.decisions.denials) },
    botCodeErrors: result.botCodeErrors,
    stateChanges: result.stateChanges.map((change) => ({ ...change, at: iso(change.at) as string })),
    dataFindings: context.dataFindings,
    positionsAtEnd: result.positions
      .filter((position) => !position.quantity.isZero())
      .map((position) => ({ instrumentId: position.instrumentId, quantity: position.quantity.toString(), averageEntryPrice: position.averageEntryPrice.toString() })),
    trades: trades.map(tradeRow),
    equityCurve: downsample(result.equityCurve),
  };
}
