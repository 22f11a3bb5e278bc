import { existsSync } from 'node:fs';
import { ManualClock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import type { BotCodeError } from '../../core/errors.ts';
import { InvalidInputError } from '../../core/errors.ts';
import type { ClientOrderId, InstrumentId, IntentId } from '../../core/ids.ts';
import { silentLogger } from '../../core/logger.ts';
import type { Fill } from '../../core/order.ts';
import type { StrategyModule, StrategyNote, Timeframe, TimeframeCandle } from '../../core/strategy.ts';
import type { EquitySnapshot, FundingPayment, Ledger, OrderRecord, PositionRecord } from '../../ledger/types.ts';
import { IN_MEMORY_LEDGER, openLedger } from '../../ledger/sqlite-ledger.ts';
import { buildPaperVenue, paperVenuesByName } from '../../venues/registry.ts';
import { StrategyHost } from '../../runtime/strategy-host.ts';
import type { FleetConfig } from '../config/fleet-config.ts';
import { orderManagerConfigFor } from '../config/fleet-config.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import { OrderManager } from '../order-manager/order-manager.ts';
import type { OrderManagerEvent } from '../order-manager/order-manager.ts';
import { ledgerPath, supervisorStorePath } from '../paths.ts';
import { SupervisorStore } from '../store/supervisor-store.ts';
import type { CandleFeed } from './candle-feed.ts';
import type { FundingEvent } from './funding.ts';
import { backtestFundingId, fundingAmount } from './funding.ts';
import { StateViews } from './state-view.ts';

/** The note a strategy makes to say which market regime it sees; trades are grouped by it. */
export const REGIME_NOTE = 'REGIME';
/** A paper session name fixed for backtests, so the same inputs give the same trade IDs. */
const BACKTEST_SESSION = 'bt';
const PROGRESS_EVERY = 8_192;
/** Lets group commits and timers run now and then; the loop itself never waits for them. */
const YIELD_EVERY = 65_536;
const KEPT_ERROR_MESSAGES = 20;
const EQUITY_SAMPLE_INTERVAL_MS = 3_600_000;

export interface EngineOptions {
  manifest: BotManifest;
  module: StrategyModule;
  parameters: unknown;
  fleetConfig: FleetConfig;
  feed: CandleFeed;
  /** Per instrument, the one timeframe whose candles the venue matches against: one price path, never two. */
  baseTimeframes: ReadonlyMap<InstrumentId, Timeframe>;
  /**
   * A folder to keep the ledger (`ledgers/<bot>.sqlite`) and the supervisor store (`supervisor.sqlite`) in as files,
   * laid out as under FLOTILLA_HOME; when absent both live in memory and are gone when the run ends.
   */
  keepLedger?: string;
  /** Funding times of the perpetuals the bot trades, in time order; a position held at one pays or receives. */
  funding?: readonly FundingEvent[];
  /** Where in-sample ends, ms: the exact equity there is kept (EngineResult.splitEquity). */
  splitAt?: number;
  onProgress?(done: number, total: number): void;
}

export interface EquityCurve {
  /** Close times of the base candles, ms. */
  times: number[];
  /** Equity (balance plus unrealized PnL at the marks) after each of those closes, for charts and statistics. */
  equity: number[];
}

export interface EngineResult {
  candles: number;
  firstOpenTime: number | null;
  lastCloseTime: number | null;
  startingBalance: Decimal;
  final: EquitySnapshot;
  /** Equity at the last base close at or before EngineOptions.splitAt; null without a split. */
  splitEquity: Decimal | null;
  fills: Fill[];
  /** The orders of the fills, for their role and the intent (and so the candle) they came from. */
  orders: ReadonlyMap<ClientOrderId, OrderRecord>;
  positions: PositionRecord[];
  /** Every funding payment booked, in time order. */
  fundingPayments: FundingPayment[];
  equityCurve: EquityCurve;
  /** Note name → value → count, over every note the strategy made. */
  notes: Map<string, Map<string, number>>;
  /** The regime noted for each entry intent (on its candle, else the last one noted for its instrument). */
  entryRegimes: Map<IntentId, string>;
  botCodeErrors: { count: number; messages: string[] };
  /** The order manager's decisions counted per outcome, and per outcome by reason (DENIED and RESIZED kept apart). */
  decisions: { outcomes: Map<string, number>; reasons: Map<string, Map<string, number>> };
  stateChanges: Array<{ at: number; state: string; reason: string | null; detail: string }>;
}

/** A kept ledger is the record of one run: a folder that already holds one is never written into. */
function keptFiles(dir: string, botId: string): { ledger: string; store: string } {
  const files = { ledger: ledgerPath(dir, botId), store: supervisorStorePath(dir) };
  for (const file of Object.values(files)) {
    if (existsSync(file)) throw new InvalidInputError(`--keep-ledger ${dir} already holds ${file}; a backtest never writes into an earlier run's ledger: pick a new folder or remove it`);
  }
  return files;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * Runs one bot through the production order path on a candle feed: its own strategy module in the StrategyHost,
 * the OrderManager with the bot's manifest risk, its SQLite ledger, and the paper matching engine, on a manual
 * clock that stands at each candle's close. The venue answers synchronously, so the loop only awaits when a
 * candle caused order traffic (to let the order manager's follow-up work run) and now and then to let commits land.
 */
export async function runEngine(options: EngineOptions): Promise<EngineResult> {
  const { manifest, fleetConfig, feed } = options;
  const botId = manifest.id;
  const files = options.keepLedger === undefined ? { ledger: IN_MEMORY_LEDGER, store: IN_MEMORY_LEDGER } : keptFiles(options.keepLedger, botId);
  const first = feed.next();
  const clock = new ManualClock(first?.openTime ?? 0);
  const paper = fleetConfig.paper;
  const startingBalance = Decimal.parse(paper.startingBalance);
  // The store is thrown away after the run, so equity need only be persisted hourly; drawdowns are tracked in memory on every mark as live.
  const omConfig = orderManagerConfigFor({ ...fleetConfig, equitySampleIntervalMs: Math.max(fleetConfig.equitySampleIntervalMs, EQUITY_SAMPLE_INTERVAL_MS) }, [manifest]);
  let store: SupervisorStore | null = null;
  let ledger: Ledger | null = null;
  try {
    // The same schema and statements as the fleet's files; in memory unless kept, because nothing of a run need outlive it.
    store = new SupervisorStore(files.store);
    // No order leaves the process, and a stopped run is thrown away, so orders need not be on disk before the venue sees them.
    ledger = openLedger({ path: files.ledger, botId, clock, ordersDurableBeforeSend: false });
    ledger.recordCapital(startingBalance, clock.now(), 'backtest deposit');
    // The same factory as the paper fleet's: one paper venue serves every venue name of the catalog.
    const venue = buildPaperVenue({ settings: paper, session: BACKTEST_SESSION, instruments: [...omConfig.instruments.values()], subAccounts: [manifest.subAccount], clock, logger: silentLogger });
    const om = new OrderManager({ config: omConfig, store, ledgers: new Map([[botId, ledger]]), venues: paperVenuesByName(venue, [...omConfig.instruments.values()]), clock, logger: silentLogger });
    const views = new StateViews(botId, om, ledger);

    const notes = new Map<string, Map<string, number>>();
    const lastRegime = new Map<InstrumentId, string>();
    const entryRegimes = new Map<IntentId, string>();
    const botCodeErrors = { count: 0, messages: [] as string[] };
    const decisions = { outcomes: new Map<string, number>(), reasons: new Map<string, Map<string, number>>() };
    const stateChanges: EngineResult['stateChanges'] = [];
    let busy = false;
    let current: TimeframeCandle | null = null;
    /** Regimes noted during the strategy call in progress, by instrument. */
    const callRegimes = new Map<InstrumentId, string>();

    om.onEvent((event: OrderManagerEvent) => {
      // A decision without orders (a denial) changes no order and queues no follow-up: the view and the loop go on as they were.
      const ordersMade = event.type !== 'DECISION_MADE' || event.decision.clientOrderId !== null;
      if (ordersMade) busy = true;
      switch (event.type) {
        case 'DECISION_MADE':
          count(decisions.outcomes, event.decision.outcome);
          if (event.decision.reason !== null) {
            let reasons = decisions.reasons.get(event.decision.outcome);
            if (reasons === undefined) {
              reasons = new Map();
              decisions.reasons.set(event.decision.outcome, reasons);
            }
            count(reasons, event.decision.reason);
          }
          if (ordersMade) views.ordersChanged();
          return;
        case 'REPORT_APPLIED':
          if (event.report.type === 'ORDER_FILLED') views.positionsChanged();
          else views.ordersChanged();
          return;
        case 'STATE_CHANGED':
          views.stateChanged();
          stateChanges.push({ at: event.state.changedAt, state: event.state.state, reason: event.state.reason, detail: event.state.detail });
          return;
        case 'VENUE_REQUEST_FAILED':
          return;
      }
    });

    const onNote = (note: StrategyNote): void => {
      let values = notes.get(note.name);
      if (values === undefined) {
        values = new Map();
        notes.set(note.name, values);
      }
      count(values, note.value);
      if (note.name === REGIME_NOTE) {
        const instrumentId = note.instrumentId ?? current?.instrumentId;
        if (instrumentId !== undefined) {
          callRegimes.set(instrumentId, note.value);
          lastRegime.set(instrumentId, note.value);
        }
      }
    };
    const onBotCodeError = (error: BotCodeError): void => {
      botCodeErrors.count++;
      if (botCodeErrors.messages.length < KEPT_ERROR_MESSAGES) botCodeErrors.messages.push(error.message);
    };
    const host = new StrategyHost({ botId, module: options.module, parameters: options.parameters, instruments: manifest.instruments, timeframes: manifest.timeframes, onBotCodeError, onNote });
    const subscribed = new Set<Timeframe>(manifest.timeframes);
    const base = options.baseTimeframes;

    const times: number[] = [];
    const equity: number[] = [];
    let lastEquity: Decimal | null = null;
    let lastEquityNumber = 0;
    const splitAt = options.splitAt ?? Number.NEGATIVE_INFINITY;
    let splitEquity: Decimal | null = options.splitAt === undefined ? null : startingBalance;
    const sample = (at: number): void => {
      const value = om.equity(botId);
      if (at <= splitAt) splitEquity = value;
      // The order manager caches equity until a fill or a held mark changes it, so an unchanged object needs no conversion.
      if (value !== lastEquity) {
        lastEquity = value;
        lastEquityNumber = value.toNumber();
      }
      times.push(at);
      equity.push(lastEquityNumber);
    };

    const funding = options.funding ?? [];
    let nextFunding = 0;
    const held = ledger;
    /**
     * Books the funding of every funding time up to `until` on the positions held then: after every candle closing at
     * or before it was handled, before any closing later. The order manager is handed the mark again (the last close
     * at or before the funding time), so its equity and drawdowns see the payment as they see a fill.
     */
    const fundUntil = (until: number): void => {
      while (nextFunding < funding.length && (funding[nextFunding] as FundingEvent).at <= until) {
        const event = funding[nextFunding++] as FundingEvent;
        if (firstOpenTime === null || event.at <= firstOpenTime) continue;
        const position = held.position(event.instrumentId);
        const mark = om.mark(event.instrumentId);
        if (position === null || position.quantity.isZero() || mark === undefined) continue;
        const markPrice = event.markPrice ?? mark;
        if (event.at > clock.now()) clock.set(event.at);
        held.recordFunding({
          fundingId: backtestFundingId(event.instrumentId, event.at),
          instrumentId: event.instrumentId,
          amount: fundingAmount(position.quantity, markPrice, event.rate),
          rate: event.rate,
          positionQuantity: position.quantity,
          markPrice,
          at: event.at,
        });
        om.updateMark(event.instrumentId, mark);
      }
    };

    const total = feed.total;
    let delivered = 0;
    let stepClose = Number.NEGATIVE_INFINITY;
    const firstOpenTime = first?.openTime ?? null;
    for (let candle = first; candle !== undefined; candle = feed.next()) {
      const close = candle.openTime + candle.durationMs;
      if (close !== stepClose) {
        if (stepClose !== Number.NEGATIVE_INFINITY) {
          fundUntil(stepClose);
          sample(stepClose);
          // A funding time in a gap of the data finds the position as the last candles before it left it.
          fundUntil(close - 1);
        }
        stepClose = close;
        clock.set(close);
      }
      current = candle;
      const instrumentId = candle.instrumentId;
      if (base.get(instrumentId) === candle.timeframe) {
        venue.pushCandle(candle);
        om.updateMark(instrumentId, candle.close);
        views.markChanged(instrumentId);
      }
      if (subscribed.has(candle.timeframe)) {
        const commands = host.onCandle(candle, views.view(close));
        for (const command of commands) {
          const result = om.execute(command);
          const denied = command.type === 'SUBMIT_ORDER' && 'intentId' in result && result.outcome === 'DENIED';
          // Only an entry that made orders can become a trade; the scalper's year has three denials to each approval.
          if (command.type === 'SUBMIT_ORDER' && !command.intent.reduceOnly && !denied) {
            const regime = callRegimes.get(command.intent.instrumentId) ?? lastRegime.get(command.intent.instrumentId);
            if (regime !== undefined) entryRegimes.set(command.intent.intentId, regime);
          }
          if (!denied) views.ordersChanged();
          // The live runtime tells the strategy of its denied entries (runtime/bot-main.ts); so does the backtest.
          if (denied && !command.intent.reduceOnly && result.reason !== null) {
            host.entryDenied({ instrumentId: result.instrumentId, reason: result.reason, decidedAt: result.decidedAt });
          }
        }
        if (callRegimes.size > 0) callRegimes.clear();
      }
      delivered++;
      if (busy) {
        // Lets the order manager's queued follow-ups (orphaned-protection cancels) run before the next candle.
        while (busy) {
          busy = false;
          await om.idle();
        }
      }
      if (delivered % PROGRESS_EVERY === 0) options.onProgress?.(delivered, total);
      if (delivered % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (stepClose !== Number.NEGATIVE_INFINITY) {
      fundUntil(stepClose);
      sample(stepClose);
    }
    await om.idle();
    options.onProgress?.(delivered, total);

    const fills = ledger.fills();
    const orders = new Map<ClientOrderId, OrderRecord>();
    for (const fill of fills) {
      if (orders.has(fill.clientOrderId)) continue;
      const order = ledger.order(fill.clientOrderId);
      if (order !== null) orders.set(fill.clientOrderId, order);
    }
    const result: EngineResult = {
      candles: delivered,
      firstOpenTime,
      lastCloseTime: stepClose === Number.NEGATIVE_INFINITY ? null : stepClose,
      startingBalance,
      final: om.equitySnapshot(botId),
      splitEquity,
      fills,
      orders,
      positions: ledger.allPositions(),
      fundingPayments: ledger.fundingPayments(),
      equityCurve: { times, equity },
      notes,
      entryRegimes,
      botCodeErrors,
      decisions,
      stateChanges,
    };
    om.close();
    return result;
  } finally {
    ledger?.close();
    store?.close();
  }
}
