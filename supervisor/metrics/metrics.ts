import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { DECISION_REASONS } from '../../core/decision.ts';
import type { Decision } from '../../core/decision.ts';
import type { BotId, ExposureKey, InstrumentId, SubAccountId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { ORDER_STATUSES, REJECTION_REASONS } from '../../core/order.ts';
import type { ExecutionReport, Fill, OrderStatus, SubmitOrder } from '../../core/order.ts';
import type { Timeframe } from '../../core/strategy.ts';
import { TRADING_STATES } from '../../core/trading-state.ts';
import type { OrderRecord, PositionRecord } from '../../ledger/types.ts';
import { ORDER_ROLES } from '../../core/ids.ts';
import { closesRoundTrip } from '../control/activity.ts';
import type { FleetStatus } from '../control/fleet-control.ts';
import type { OrderManagerEvent } from '../order-manager/order-manager.ts';
import { PROTECTION_REPAIRS } from '../order-manager/protection.ts';
import { STATE_CHANGE_REASONS } from '../store/supervisor-store.ts';
import type { ScopeState } from '../store/supervisor-store.ts';
import { METRIC_NAMES as N, SUPERVISOR_PROCESS_PREFIX, defineMetrics } from './definitions.ts';
import type { FlotillaMetricSet } from './definitions.ts';
import { FleetStatusObserver, setEnum } from './fleet-status.ts';
import type { FleetExtras } from './fleet-status.ts';
import { DECISION_OUTCOMES, LIQUIDITIES, LabelGuard, VENUE_ERROR_KINDS, VENUE_REQUEST_KINDS } from './labels.ts';
import type { MetricsBot, VenueErrorKind, VenueRequestKind } from './labels.ts';
import { startAtZero, startBotAtZero } from './zero.ts';

/**
 * prom-client's three default gauges named `_total` (a suffix Prometheus keeps for counters, so `promtool check
 * metrics` flags them); each is the sum of its by-type gauge, e.g. sum(flotilla_supervisor_nodejs_active_handles).
 */
const REDUNDANT_PROCESS_TOTALS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export interface FleetMetricsOptions {
  /**
   * The configured bots; no other bot id ever becomes a label. Given as manifests (what each trades), their
   * per-instrument counters and their sub-accounts' rate-limit series exist from the start too.
   */
  bots: Iterable<BotId | MetricsBot>;
  /** The configured instruments; their ids, exposure keys and venues are the only other id labels. */
  instruments: Iterable<Instrument>;
  /** The clock BotStatus.lastHeartbeatAt is read on (real time in the fleet runtime), for heartbeat ages. */
  clock?: Clock;
  /** prom-client's Node process metrics for the supervisor, prefixed flotilla_supervisor_; on unless false. */
  processMetrics?: boolean;
  /** Each bot's declared strategy notes (name → values): the only note labels ever exported for it. */
  notes?: ReadonlyMap<BotId, Readonly<Record<string, readonly string[]>>>;
}

/** The supervisor's metrics, on a registry of its own so nothing else in the process can add to or collide with them. */
export class FleetMetrics {
  readonly registry = new Registry();
  readonly contentType: string = this.registry.contentType;
  readonly #metrics: FlotillaMetricSet;
  readonly #guard: LabelGuard;
  readonly #fleet: FleetStatusObserver;
  readonly #notes: ReadonlyMap<BotId, Readonly<Record<string, readonly string[]>>>;
  readonly #clock: Clock;
  /** Each configured sub-account's venue: a rate-limit reading for any other pair is refused. */
  readonly #subAccountVenues: ReadonlyMap<string, string>;

  constructor(options: FleetMetricsOptions) {
    this.#metrics = defineMetrics(this.registry);
    const bots = new Map<BotId, MetricsBot | null>([...options.bots].map((bot) => (typeof bot === 'string' ? [bot, null] : [bot.id, bot])));
    const subAccounts = [...bots.values()].flatMap((bot) => (bot === null ? [] : [bot.subAccount]));
    this.#guard = new LabelGuard(this.#metrics.refusedLabels, { bots: [...bots.keys()], instruments: [...options.instruments], subAccounts });
    this.#clock = options.clock ?? systemClock;
    this.#fleet = new FleetStatusObserver(this.#metrics, this.#guard, this.#clock);
    // A copy: adopting a bot later adds to it, never to the caller's map.
    this.#notes = new Map(options.notes ?? []);
    this.#subAccountVenues = new Map([...bots.values()].flatMap((bot) => (bot === null ? [] : [[bot.subAccount as string, bot.venue]])));
    if (options.processMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: SUPERVISOR_PROCESS_PREFIX });
      for (const name of REDUNDANT_PROCESS_TOTALS) this.registry.removeSingleMetric(SUPERVISOR_PROCESS_PREFIX + name);
    }
    startAtZero(this.#metrics, this.#guard, bots, this.#notes);
  }

  /**
   * A bot adopted while the supervisor runs: its id (and sub-account) become labels like a configured one's, and its
   * declared notes the only note labels it may export. Its series start at zero, so its first event shows as an increase.
   */
  addBot(bot: MetricsBot, notes: Readonly<Record<string, readonly string[]>>): void {
    this.#guard.allowBot(bot.id, bot.subAccount);
    (this.#notes as Map<BotId, Readonly<Record<string, readonly string[]>>>).set(bot.id, notes);
    (this.#subAccountVenues as Map<string, string>).set(bot.subAccount, bot.venue);
    startBotAtZero(this.#metrics, this.#guard, bot.id, bot, this.#notes);
  }

  /** A bot whose code changed may declare other notes. */
  setNotes(botId: BotId, notes: Readonly<Record<string, readonly string[]>>): void {
    (this.#notes as Map<BotId, Readonly<Record<string, readonly string[]>>>).set(botId, notes);
  }

  /** An order-manager event, as delivered to OrderManager.onEvent listeners. */
  recordOrderManagerEvent(event: OrderManagerEvent): void {
    switch (event.type) {
      case 'DECISION_MADE':
        this.recordDecision(event.decision);
        break;
      case 'REPORT_APPLIED':
        this.recordReport(event.botId, event.report, event.order, event.position);
        break;
      case 'STATE_CHANGED':
        this.recordStateChange(event.state);
        break;
      case 'VENUE_REQUEST_FAILED':
        // Already counted, with its latency and error kind, by recordVenueRequest (see measuredVenue).
        break;
      case 'PROTECTION_CHECKED': {
        const bot = this.#guard.id(N.unprotectedPositions, 'bot', event.botId);
        if (bot !== null) this.#metrics.unprotectedPositions.set({ bot }, event.unprotected.length);
        break;
      }
      case 'PROTECTION_REPAIRED': {
        const bot = this.#guard.id(N.protectionRepairs, 'bot', event.botId);
        if (bot !== null) this.#metrics.protectionRepairs.inc({ bot, repair: this.#guard.closed(N.protectionRepairs, 'repair', PROTECTION_REPAIRS, event.repair) });
        break;
      }
      case 'STOP_MOVE_FAILED': {
        const bot = this.#guard.id(N.stopMoveFailures, 'bot', event.botId);
        if (bot !== null) this.#metrics.stopMoveFailures.inc({ bot });
        break;
      }
    }
  }

  /** Actions a bot's strategy returned on warm-up candles, which its runtime dropped. */
  recordWarmUpActionsDropped(botId: BotId, count: number): void {
    const bot = this.#guard.id(N.warmUpActionsDropped, 'bot', botId);
    if (bot !== null) this.#metrics.warmUpActionsDropped.inc({ bot }, count);
  }

  recordDecision(decision: Decision): void {
    const bot = this.#guard.id(N.intents, 'bot', decision.botId);
    if (bot === null) return;
    const outcome = this.#guard.closed(N.intents, 'outcome', DECISION_OUTCOMES, decision.outcome);
    const reason = this.#guard.closed(N.intents, 'reason', DECISION_REASONS, decision.reason, true);
    this.#metrics.intents.inc({ bot, outcome, reason });
    if (Number.isFinite(decision.latencyNs) && decision.latencyNs >= 0) this.#metrics.decisionLatency.observe({ bot }, decision.latencyNs / 1e9);
  }

  /** An order written PENDING_SUBMIT to its bot's ledger and handed to its venue. */
  recordOrderSubmitted(order: SubmitOrder): void {
    this.#orderEntered(order.botId, 'PENDING_SUBMIT');
  }

  /** An execution report the ledger applied (not a duplicate), with the order and, after a fill, the position as they stand after it. */
  recordReport(botId: BotId, report: ExecutionReport, order: OrderRecord, position: PositionRecord | null = null): void {
    switch (report.type) {
      case 'ORDER_FILLED': {
        this.#roundTrip(botId, report.fill, order, report.cumulativeQuantity.eq(report.fill.quantity), position);
        const bot = this.#guard.id(N.fills, 'bot', botId);
        const instrument = this.#guard.id(N.fills, 'instrument', report.fill.instrumentId);
        if (bot !== null && instrument !== null) {
          const liquidity = this.#guard.closed(N.fills, 'liquidity', LIQUIDITIES, report.fill.liquidity);
          this.#metrics.fills.inc({ bot, instrument, liquidity });
          this.#metrics.filledNotional.inc({ bot, instrument }, report.fill.quantity.mul(report.fill.price).abs().toNumber());
        }
        // Only the first partial fill moves an order into PARTIALLY_FILLED; later ones leave it there.
        const firstFill = report.cumulativeQuantity.eq(report.fill.quantity);
        if (order.status === 'FILLED' || (order.status === 'PARTIALLY_FILLED' && firstFill)) this.#orderEntered(botId, order.status);
        return;
      }
      case 'ORDER_REJECTED':
      case 'CANCEL_REJECTED':
      case 'AMEND_REJECTED': {
        const bot = this.#guard.id(N.venueRejections, 'bot', botId);
        if (bot !== null) {
          const reason = this.#guard.closed(N.venueRejections, 'reason', REJECTION_REASONS, report.reason);
          const request = report.type === 'ORDER_REJECTED' ? 'SUBMIT' : report.type === 'CANCEL_REJECTED' ? 'CANCEL' : 'AMEND';
          this.#metrics.venueRejections.inc({ bot, request, reason });
        }
        // A refused cancel or amend leaves the order as it was.
        if (report.type === 'ORDER_REJECTED') this.#orderEntered(botId, order.status);
        return;
      }
      case 'ORDER_ACCEPTED':
      case 'ORDER_CANCELED':
      case 'ORDER_EXPIRED':
        this.#orderEntered(botId, order.status);
        return;
      case 'ORDER_AMENDED':
        // An amended order keeps its status: no transition.
        return;
    }
  }

  /** An entry's first fill, and a fill that closed a round trip (the same rules as the per-hour view, control/activity.ts). */
  #roundTrip(botId: BotId, fill: Fill, order: OrderRecord, firstFill: boolean, position: PositionRecord | null): void {
    const bot = this.#guard.id(N.entryOrdersFilled, 'bot', botId);
    if (bot === null) return;
    if (order.role === 'ENTRY' && firstFill) this.#metrics.entryOrdersFilled.inc({ bot });
    if (position === null) return;
    const after = position.quantity;
    const before = fill.side === 'BUY' ? after.sub(fill.quantity) : after.add(fill.quantity);
    if (closesRoundTrip(before, after)) this.#metrics.roundTripsClosed.inc({ bot, exit: this.#guard.closed(N.roundTripsClosed, 'exit', ORDER_ROLES, order.role) });
  }

  #orderEntered(botId: BotId, status: OrderStatus): void {
    const bot = this.#guard.id(N.orderTransitions, 'bot', botId);
    if (bot === null) return;
    this.#metrics.orderTransitions.inc({ bot, status: this.#guard.closed(N.orderTransitions, 'status', ORDER_STATUSES, status) });
  }

  /** A scope's trading state changed; its state gauge follows at once rather than at the next status poll. */
  recordStateChange(change: ScopeState): void {
    const scope = change.scope === 'fleet' ? 'fleet' : this.#guard.id(N.stateChanges, 'bot', change.scope.slice('bot:'.length));
    if (scope === null) return;
    const state = this.#guard.closed(N.stateChanges, 'state', TRADING_STATES, change.state);
    const reason = this.#guard.closed(N.stateChanges, 'reason', STATE_CHANGE_REASONS, change.reason, true);
    this.#metrics.stateChanges.inc({ scope: scope === 'fleet' ? 'fleet' : `bot:${scope}`, state, reason });
    const killed = change.state === 'HALTED' && change.reason === 'KILL_SWITCH' ? 1 : 0;
    if (scope === 'fleet') {
      for (const value of TRADING_STATES) this.#metrics.fleetState.set({ state: value }, value === state ? 1 : 0);
      this.#metrics.fleetKillSwitch.set(killed);
    } else {
      for (const value of TRADING_STATES) this.#metrics.botState.set({ bot: scope, state: value }, value === state ? 1 : 0);
      this.#metrics.botKillSwitch.set({ bot: scope }, killed);
    }
  }

  /** The fleet's status snapshot, from FleetControl.status(), plus what the snapshot does not carry. */
  observeFleet(status: FleetStatus, extras: FleetExtras): void {
    this.#fleet.observe(status, extras);
  }

  /** OrderManager.lockedKeys(), for callers that poll locks more often than the whole status. */
  observeLocks(lockedKeys: readonly ExposureKey[]): void {
    this.#fleet.observeLocks(lockedKeys);
  }

  /** One venue request's round trip; errorKind is null when it succeeded. */
  recordVenueRequest(venue: string, request: VenueRequestKind, seconds: number, errorKind: VenueErrorKind | null): void {
    const admitted = this.#guard.id(N.venueLatency, 'venue', venue);
    if (admitted === null) return;
    const kind = this.#guard.closed(N.venueLatency, 'request', VENUE_REQUEST_KINDS, request);
    if (Number.isFinite(seconds) && seconds >= 0) this.#metrics.venueLatency.observe({ venue: admitted, request: kind }, seconds);
    if (errorKind !== null) {
      const error = this.#guard.closed(N.venueErrors, 'error', VENUE_ERROR_KINDS, errorKind);
      this.#metrics.venueErrors.inc({ venue: admitted, request: kind, error });
    }
  }

  /** The venue's private stream connected (true) or dropped (false). */
  recordVenueConnection(venue: string, connected: boolean): void {
    const admitted = this.#guard.id(N.venueConnected, 'venue', venue);
    if (admitted !== null) this.#metrics.venueConnected.set({ venue: admitted }, connected ? 1 : 0);
  }

  /** What a venue last said about a sub-account's rate limit: requests left in the current window, of how many. */
  recordVenueRateLimit(venue: string, subAccountId: SubAccountId, remaining: number, capacity: number): void {
    const admittedVenue = this.#guard.id(N.rateLimitRemaining, 'venue', venue);
    const subAccount = this.#guard.id(N.rateLimitRemaining, 'sub_account', subAccountId);
    if (admittedVenue === null || subAccount === null) return;
    // A sub-account belongs to one venue; any other pairing is a caller's mistake, refused like a stray label.
    if (this.#subAccountVenues.get(subAccount) !== admittedVenue) {
      this.#guard.refuse(N.rateLimitRemaining, 'venue');
      return;
    }
    if (!Number.isFinite(remaining) || !Number.isFinite(capacity) || remaining < 0 || capacity <= 0) return;
    const labels = { venue: admittedVenue, sub_account: subAccount };
    this.#metrics.rateLimitRemaining.set(labels, remaining);
    this.#metrics.rateLimitCapacity.set(labels, capacity);
  }

  /** A reconciliation of the bot's sub-account completed; `mismatches` positions still differ from the venue's. */
  recordReconciliation(botId: BotId, mismatches: number): void {
    const bot = this.#guard.id(N.reconciliationMismatches, 'bot', botId);
    if (bot === null || !Number.isSafeInteger(mismatches) || mismatches < 0) return;
    this.#metrics.reconciliationMismatches.set({ bot }, mismatches);
    // Real time, as Prometheus' time() reads it, whatever the market clock's speed.
    this.#metrics.reconciliationLastSuccess.set({ bot }, this.#clock.now() / 1000);
  }

  /** A strategy callback of the bot threw; the bot's runtime caught it and reported it. */
  recordBotCodeError(botId: BotId): void {
    const bot = this.#guard.id(N.botCodeErrors, 'bot', botId);
    if (bot !== null) this.#metrics.botCodeErrors.inc({ bot });
  }

  /**
   * A strategy's note, newly made or replayed after a reconnect; only names and values its module declared are
   * exported, so the labels stay bounded.
   */
  recordStrategyNote(botId: BotId, note: string, value: string, origin: { replayed: boolean; instrumentId?: InstrumentId | null } = { replayed: false }): void {
    const bot = this.#guard.id(N.strategyNotes, 'bot', botId);
    const declared = this.#notes.get(botId)?.[note];
    if (bot === null || declared === undefined || !declared.includes(value)) return;
    const instrumentId = origin.instrumentId ?? null;
    // Empty for a note about the bot as a whole; the callers admit only instruments in the bot's manifest.
    const instrument = instrumentId === null ? '' : this.#guard.id(N.noteState, 'instrument', instrumentId);
    if (instrument === null) return;
    // A replay restores the current value after a reconnect or a supervisor restart; the note was counted when made.
    if (!origin.replayed) this.#metrics.strategyNotes.inc({ bot, note, value });
    setEnum(this.#metrics.noteState, { bot, note, instrument }, 'value', declared, value);
  }

  /** Time from a candle's close to its delivery. */
  recordMarketDataLag(instrumentId: InstrumentId, timeframe: Timeframe, seconds: number): void {
    const instrument = this.#guard.id(N.marketDataLag, 'instrument', instrumentId);
    const admitted = this.#guard.timeframe(N.marketDataLag, timeframe);
    if (instrument === null || admitted === null || !Number.isFinite(seconds)) return;
    this.#metrics.marketDataLag.set({ instrument, timeframe: admitted }, Math.max(0, seconds));
  }

  recordCandlesDelivered(botId: BotId, instrumentId: InstrumentId, timeframe: Timeframe, count = 1): void {
    const bot = this.#guard.id(N.candlesDelivered, 'bot', botId);
    const instrument = this.#guard.id(N.candlesDelivered, 'instrument', instrumentId);
    const admitted = this.#guard.timeframe(N.candlesDelivered, timeframe);
    if (bot === null || instrument === null || admitted === null || !Number.isSafeInteger(count) || count < 0) return;
    this.#metrics.candlesDelivered.inc({ bot, instrument, timeframe: admitted }, count);
  }

  /** The Prometheus text exposition of every series; heartbeat ages and process metrics are as of now. */
  metricsText(): Promise<string> {
    this.#fleet.refreshHeartbeatAges();
    return this.registry.metrics();
  }
}
