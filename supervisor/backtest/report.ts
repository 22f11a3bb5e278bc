import { Decimal } from '../../core/decimal.ts';
import type { InstrumentId } from '../../core/ids.ts';
import { instrumentSymbol, instrumentVenue } from '../../core/ids.ts';
import type { Timeframe } from '../../core/strategy.ts';
import { catalog, type FleetConfig } from '../config/fleet-config.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import type { EngineResult, EquityCurve } from './engine.ts';
import { REGIME_NOTE } from './engine.ts';
import { annualizationDays, drawdownStatistics, ratio, returnStatistics, timeInMarket, tradeStatistics } from './statistics.ts';
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
  /** The strategy parameters the run used, after the strategy's schema (and any sweep) had its say; the manifest's when absent. */
  parameters?: unknown;
  /** Where funding came from, one line; none when absent. */
  funding?: string | null;
  /** Where in-sample ends and out-of-sample starts, ms; no split when absent. */
  splitAt?: number | null;
  /** How the split was asked for (a date or a fraction), for the settings. */
  split?: string | null;
  /** Candles off the instrument's tick were accepted (--allow-off-tick). */
  allowOffTick?: boolean;
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
  funding: string;
  netPnl: string;
  regime: string | null;
  fills: number;
}

/** A fill as JSON, with the role and client order ID of its order, so every trade can be traced to the ledger. */
export interface FillRow {
  at: string;
  instrumentId: string;
  side: 'BUY' | 'SELL';
  quantity: string;
  price: string;
  fee: string;
  liquidity: 'MAKER' | 'TAKER';
  role: string | null;
  clientOrderId: string;
  tradeId: string;
}

/** A funding payment as JSON: amount signed, positive received. */
export interface FundingRow {
  at: string;
  instrumentId: string;
  amount: string;
  rate: string;
  positionQuantity: string;
  markPrice: string;
}

export interface GroupStatistics {
  trades: number;
  wins: number;
  winRate: number | null;
  profitFactor: number | null;
  expectancy: string | null;
  netPnl: string;
}

export interface InstrumentStatistics extends GroupStatistics {
  losses: number;
  /** Closed and still open round trips. */
  openTrades: number;
  breakEvenWinRate: number | null;
  /** Gross realized PnL as the ledger holds it, fees and funding over the whole run, open trips included. */
  realizedPnl: string;
  fees: string;
  funding: string;
  fills: number;
}

/** One period of a split run, from its own starting equity: what the trader compares in-sample with out-of-sample. */
export interface PeriodStatistics {
  from: string | null;
  to: string | null;
  days: number;
  startingEquity: string;
  endingEquity: string;
  /** The change in equity over the period, unrealized PnL at its ends included. */
  netPnl: string;
  returnFraction: number | null;
  /** Closed round trips opened in the period, whenever they closed. */
  trades: number;
  wins: number;
  losses: number;
  winRate: number | null;
  profitFactor: number | null;
  expectancy: string | null;
  rewardToRisk: number | null;
  breakEvenWinRate: number | null;
  maxDrawdown: number;
  sharpe: number | null;
  sortino: number | null;
  fees: string;
  funding: string;
  fills: number;
}

export interface BacktestReport {
  bot: { id: string; name: string };
  source: BacktestSource;
  period: { from: string | null; to: string | null };
  instruments: string[];
  /** The currency every amount is in, from the instruments' symbols (BTCUSDT: USDT); "quote currency" when they differ. */
  quoteCurrency: string;
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
    /** The manifest's risk settings the order manager enforced. */
    risk: BotManifest['risk'];
    fleetDrawdown: FleetConfig['fleetDrawdown'];
    /** The strategy's parameters as the run used them. */
    parameters: unknown;
    /** Where funding came from; null when none was applied. */
    funding: string | null;
    split: string | null;
    allowOffTick: boolean;
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
    /** Funding received minus funding paid, as the ledger holds it. */
    funding: string;
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
    fundingPayments: number;
  };
  /** In-sample and out-of-sample side by side; null without --split. */
  split: { at: string; inSample: PeriodStatistics; outOfSample: PeriodStatistics } | null;
  /** Every instrument the run traded on, in the manifest's order. */
  byInstrument: Record<string, InstrumentStatistics>;
  /** Closed trades grouped by the REGIME note of their entry; null when the strategy made none. */
  regimes: Record<string, GroupStatistics> | null;
  /** ENTRY_BLOCKED notes counted per value (the layer that blocked); null when the strategy made none. */
  entryBlocked: Record<string, number> | null;
  /** Every note the strategy made: name → value → count. */
  notes: Record<string, Record<string, number>>;
  /** Decisions per outcome; denied intents and resized ones each by reason, never mixed. */
  decisions: { outcomes: Record<string, number>; denials: Record<string, number>; resizes: Record<string, number> };
  botCodeErrors: { count: number; messages: string[] };
  stateChanges: Array<{ at: string; state: string; reason: string | null; detail: string }>;
  dataFindings: string[];
  positionsAtEnd: Array<{ instrumentId: string; quantity: string; averageEntryPrice: string }>;
  trades: TradeRow[];
  /** Every fill, in the order the ledger applied them. */
  fills: FillRow[];
  /** Every funding payment, in time order. */
  funding: FundingRow[];
  /** Downsampled for charts: [close time ms, equity]. */
  equityCurve: Array<[number, number]>;
}

/** Quote currencies a symbol can end in, longest first so FDUSD is not read as USD. */
const QUOTE_CURRENCIES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'USD', 'EUR', 'BTC', 'ETH'];
/** Venues whose symbols name no quote currency: US equities are quoted in dollars. */
const VENUE_QUOTES: Record<string, string> = { ALPACA: 'USD' };

/** The currency the run's amounts are in, told from its instruments; a mixed or unknown set says "quote currency". */
export function quoteCurrency(instruments: readonly InstrumentId[]): string {
  const quotes = new Set(
    instruments.map((id) => {
      const venue = instrumentVenue(id);
      const symbol = instrumentSymbol(id);
      return VENUE_QUOTES[venue] ?? QUOTE_CURRENCIES.find((quote) => symbol.endsWith(quote) && symbol.length > quote.length) ?? null;
    }),
  );
  const [only] = quotes;
  return quotes.size === 1 && only !== null && only !== undefined ? only : 'quote currency';
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
    funding: trade.funding.toString(),
    netPnl: trade.netPnl.toString(),
    regime: trade.regime,
    fills: trade.fills,
  };
}

function groupStatistics(trades: readonly Trade[]): GroupStatistics {
  const stats = tradeStatistics(trades);
  return { trades: stats.trades, wins: stats.wins, winRate: stats.winRate, profitFactor: stats.profitFactor, expectancy: text(stats.expectancy), netPnl: stats.netPnl.toString() };
}

function byInstrument(result: EngineResult, instruments: readonly InstrumentId[], trades: readonly Trade[]): Record<string, InstrumentStatistics> {
  const positions = new Map(result.positions.map((position) => [position.instrumentId, position]));
  const funding = new Map<InstrumentId, Decimal>();
  for (const payment of result.fundingPayments) funding.set(payment.instrumentId, (funding.get(payment.instrumentId) ?? Decimal.ZERO).add(payment.amount));
  const fills = new Map<InstrumentId, number>();
  for (const fill of result.fills) fills.set(fill.instrumentId, (fills.get(fill.instrumentId) ?? 0) + 1);
  const out: Record<string, InstrumentStatistics> = {};
  for (const instrumentId of instruments) {
    const own = trades.filter((trade) => trade.instrumentId === instrumentId);
    const stats = tradeStatistics(own);
    const position = positions.get(instrumentId);
    out[instrumentId] = {
      trades: stats.trades,
      openTrades: own.length - stats.trades,
      wins: stats.wins,
      losses: stats.losses,
      winRate: stats.winRate,
      profitFactor: stats.profitFactor,
      expectancy: text(stats.expectancy),
      breakEvenWinRate: stats.breakEvenWinRate,
      netPnl: stats.netPnl.toString(),
      realizedPnl: (position?.realizedPnl ?? Decimal.ZERO).toString(),
      fees: (position?.fees ?? Decimal.ZERO).toString(),
      funding: (funding.get(instrumentId) ?? Decimal.ZERO).toString(),
      fills: fills.get(instrumentId) ?? 0,
    };
  }
  return out;
}

/** The equity curve's samples in (after, until], and the equity the period starts from: the last sample at or before `after`. */
function curveBetween(curve: EquityCurve, startingEquity: number, after: number, until: number): { curve: EquityCurve; start: number } {
  let start = startingEquity;
  const times: number[] = [];
  const equity: number[] = [];
  for (let index = 0; index < curve.times.length; index++) {
    const at = curve.times[index] as number;
    if (at <= after) start = curve.equity[index] as number;
    else if (at <= until) {
      times.push(at);
      equity.push(curve.equity[index] as number);
    }
  }
  return { curve: { times, equity }, start };
}

/**
 * One side of a split: trades opened in [from, to), the equity curve over it from the exact equity it started and
 * ended with, and the fees and funding paid in it.
 */
function periodStatistics(result: EngineResult, trades: readonly Trade[], equity: { start: Decimal; end: Decimal }, from: number, to: number, last: boolean, daysPerYear: number): PeriodStatistics {
  const inPeriod = (at: number): boolean => at >= from && (last ? at <= to : at < to);
  const own = trades.filter((trade) => inPeriod(trade.openedAt));
  const stats = tradeStatistics(own);
  const { curve, start } = curveBetween(result.equityCurve, equity.start.toNumber(), from, to);
  const drawdown = drawdownStatistics(curve, start);
  const returns = returnStatistics(curve, start, daysPerYear);
  const fills = result.fills.filter((fill) => inPeriod(fill.at));
  const change = equity.end.sub(equity.start);
  return {
    from: iso(from),
    to: iso(to),
    days: returns.days,
    startingEquity: equity.start.toString(),
    endingEquity: equity.end.toString(),
    netPnl: change.toString(),
    returnFraction: equity.start.isPositive() ? ratio(change.toNumber() / equity.start.toNumber()) : null,
    trades: stats.trades,
    wins: stats.wins,
    losses: stats.losses,
    winRate: stats.winRate,
    profitFactor: stats.profitFactor,
    expectancy: text(stats.expectancy),
    rewardToRisk: stats.rewardToRisk,
    breakEvenWinRate: stats.breakEvenWinRate,
    maxDrawdown: drawdown.maxDrawdown,
    sharpe: returns.sharpe,
    sortino: returns.sortino,
    fees: Decimal.sum(fills.map((fill) => fill.fee)).toString(),
    funding: Decimal.sum(result.fundingPayments.filter((payment) => inPeriod(payment.at)).map((payment) => payment.amount)).toString(),
    fills: fills.length,
  };
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

/** Builds the report from the ledger's fills and funding, and the equity curve the engine sampled. */
export function buildReport(result: EngineResult, context: ReportContext): BacktestReport {
  const { manifest, fleetConfig } = context;
  const trades = roundTrips(
    result.fills,
    {
      intentOf: (clientOrderId) => result.orders.get(clientOrderId)?.intentId,
      regimeOf: (intentId) => result.entryRegimes.get(intentId),
    },
    result.fundingPayments,
  );
  const stats = tradeStatistics(trades);
  const startingEquity = result.startingBalance;
  const start = result.firstOpenTime;
  const end = result.lastCloseTime;
  const drawdown = drawdownStatistics(result.equityCurve, startingEquity.toNumber());
  const traded = new Set<string>(manifest.instruments);
  const daysPerYear = annualizationDays(catalog(fleetConfig).filter((instrument) => traded.has(instrument.id)));
  const returns = returnStatistics(result.equityCurve, startingEquity.toNumber(), daysPerYear);
  const realized = Decimal.sum(result.positions.map((position) => position.realizedPnl));
  const fees = Decimal.sum(result.positions.map((position) => position.fees));
  const funding = Decimal.sum(result.fundingPayments.map((payment) => payment.amount));
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
  let split: BacktestReport['split'] = null;
  const splitAt = context.splitAt ?? null;
  if (splitAt !== null && start !== null && end !== null) {
    const atSplit = result.splitEquity ?? startingEquity;
    const inSample = periodStatistics(result, trades, { start: startingEquity, end: atSplit }, start, splitAt, false, daysPerYear);
    const outOfSample = periodStatistics(result, trades, { start: atSplit, end: result.final.equity }, splitAt, end, true, daysPerYear);
    split = { at: iso(splitAt) as string, inSample, outOfSample };
  }

  return {
    bot: { id: manifest.id, name: manifest.name },
    source: context.source,
    period: { from: iso(start), to: iso(end) },
    instruments: [...manifest.instruments],
    quoteCurrency: quoteCurrency(manifest.instruments),
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
      annualizationDays: daysPerYear,
      risk: manifest.risk,
      fleetDrawdown: fleetConfig.fleetDrawdown,
      parameters: context.parameters ?? manifest.parameters,
      funding: context.funding ?? null,
      split: context.split ?? null,
      allowOffTick: context.allowOffTick ?? false,
    },
    summary: {
      startingEquity: startingEquity.toString(),
      finalEquity: result.final.equity.toString(),
      netPnl: netPnl.toString(),
      returnFraction: startingEquity.isZero() ? null : ratio(netPnl.toNumber() / startingEquity.toNumber()),
      realizedPnl: realized.toString(),
      unrealizedPnl: result.final.unrealizedPnl.toString(),
      fees: fees.toString(),
      funding: funding.toString(),
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
      fundingPayments: result.fundingPayments.length,
    },
    split,
    byInstrument: byInstrument(result, manifest.instruments, trades),
    regimes,
    entryBlocked: blocked === undefined ? null : record(blocked),
    notes: Object.fromEntries([...result.notes].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, values]) => [name, record(values)])),
    decisions: {
      outcomes: record(result.decisions.outcomes),
      denials: record(result.decisions.reasons.get('DENIED') ?? new Map()),
      resizes: record(result.decisions.reasons.get('RESIZED') ?? new Map()),
    },
    botCodeErrors: result.botCodeErrors,
    stateChanges: result.stateChanges.map((change) => ({ ...change, at: iso(change.at) as string })),
    dataFindings: context.dataFindings,
    positionsAtEnd: result.positions
      .filter((position) => !position.quantity.isZero())
      .map((position) => ({ instrumentId: position.instrumentId, quantity: position.quantity.toString(), averageEntryPrice: position.averageEntryPrice.toString() })),
    trades: trades.map(tradeRow),
    fills: result.fills.map((fill) => ({
      at: iso(fill.at) as string,
      instrumentId: fill.instrumentId,
      side: fill.side,
      quantity: fill.quantity.toString(),
      price: fill.price.toString(),
      fee: fill.fee.toString(),
      liquidity: fill.liquidity,
      role: result.orders.get(fill.clientOrderId)?.role ?? null,
      clientOrderId: fill.clientOrderId,
      tradeId: fill.tradeId,
    })),
    funding: result.fundingPayments.map((payment) => ({
      at: iso(payment.at) as string,
      instrumentId: payment.instrumentId,
      amount: payment.amount.toString(),
      rate: payment.rate.toString(),
      positionQuantity: payment.positionQuantity.toString(),
      markPrice: payment.markPrice.toString(),
    })),
    equityCurve: downsample(result.equityCurve),
  };
}
