import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import type { Decision } from '../../core/decision.ts';
import { InvalidInputError, InvariantViolation } from '../../core/errors.ts';
import type { BotId, ClientOrderId, ExposureKey, InstrumentId, IntentId } from '../../core/ids.ts';
import { instrumentVenue, parseClientOrderId } from '../../core/ids.ts';
import type { BotCommand, Intent } from '../../core/intent.ts';
import { oppositeSide } from '../../core/intent.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport, OrderStatus, SubmitOrder } from '../../core/order.ts';
import { isOpenStatus } from '../../core/order.ts';
import { stricterState } from '../../core/trading-state.ts';
import type { TradingState } from '../../core/trading-state.ts';
import type { Venue } from '../../core/venue.ts';
import type { EquitySnapshot, FundingPayment, Ledger, OrderRecord, PositionRecord } from '../../ledger/types.ts';
import type { Scope, ScopeState, StateChangeReason, SupervisorStore } from '../store/supervisor-store.ts';
import { botScope } from '../store/supervisor-store.ts';
import { bookFunding, type FundingReport } from './funding.ts';
import type { BotRiskConfig, DrawdownPolicy, OrderManagerConfig } from './config.ts';
import type { DecisionContext, OrderPlan, PipelineResult } from './decide.ts';
import { runPipeline } from './decide.ts';
import { bundledSessions, type SessionOf } from '../../core/market-session.ts';
import { DrawdownMonitor } from './drawdown-monitor.ts';
import type { BindingReading, WindowReading } from './drawdown-monitor.ts';
import { continueFlatten, pullKillSwitch } from './kill-switch.ts';
import type { KillReport, KillSwitchPort } from './kill-switch.ts';
import { Portfolio } from './portfolio.ts';
import { SlidingWindowRateLimiter } from './rate-limiter.ts';
import { TradingStates } from './trading-states.ts';
import type { ProtectionRepair, UnprotectedPosition } from './protection.ts';
import type { RepairPlan } from './protection.ts';
import { ProtectionKeeper } from './protection-keeper.ts';
import type { CommandResult } from './order-commands.ts';
import { OrderCommands } from './order-commands.ts';
import type { ReplacementFailure } from './stop-replacements.ts';
import { StopReplacements } from './stop-replacements.ts';
import type { AmendFailure } from './stop-amendments.ts';
import { StopAmendments } from './stop-amendments.ts';

export type OrderManagerEvent =
  | { type: 'DECISION_MADE'; decision: Decision }
  | { type: 'REPORT_APPLIED'; botId: BotId; report: ExecutionReport; order: OrderRecord; position: PositionRecord | null }
  | { type: 'STATE_CHANGED'; state: ScopeState }
  | { type: 'VENUE_REQUEST_FAILED'; botId: BotId; clientOrderId: ClientOrderId; request: 'SUBMIT' | 'CANCEL' | 'AMEND'; error: string }
  /**
   * A stop move did not take effect and the old stop is still working, as it was: its replacement ended without
   * being accepted, or (replacement null) the amend of its trigger was refused or never took effect.
   */
  | { type: 'STOP_MOVE_FAILED'; botId: BotId; replaced: ClientOrderId; replacement: ClientOrderId | null; status: OrderStatus; detail: string }
  /** The bot's positions were measured against their stops; `unprotected` is empty when every one is covered. */
  | { type: 'PROTECTION_CHECKED'; botId: BotId; unprotected: UnprotectedPosition[] }
  /** A funding payment the venue settled, booked in the bot's ledger. */
  | { type: 'FUNDING_BOOKED'; botId: BotId; payment: FundingPayment }
  /** An unprotected position was repaired by rule: a stop placed, or the uncovered part closed. */
  | { type: 'PROTECTION_REPAIRED'; botId: BotId; instrumentId: InstrumentId; repair: ProtectionRepair; clientOrderId: ClientOrderId; detail: string };

export type { CommandResult } from './order-commands.ts';

export interface KillScope {
  botId?: BotId;
}


export interface OrderManagerDependencies {
  config: OrderManagerConfig;
  store: SupervisorStore;
  ledgers: ReadonlyMap<BotId, Ledger>;
  /** Venue adapters by the venue part of instrument IDs ("BYBIT", "ALPACA", "PAPER"). */
  venues: ReadonlyMap<string, Venue>;
  clock: Clock;
  logger: Logger;
  /**
   * Whether a bot may trade only once its sub-account has been reconciled with its venue (the fleet: at every
   * start and after every reconnect). A backtest's venue starts empty in the same process: nothing to reconcile.
   */
  requireReconciliation?: boolean;
  /** When each instrument trades: the bundled US equity calendar for equities unless given (a live venue's clock). */
  sessions?: SessionOf;
}

/** Approvals per ledger copied back into the store at start: far more than a crash can leave uncommitted there. */
const RECOVERED_DECISIONS = 100;

const denial = (detail: string): PipelineResult => ({ outcome: 'DENIED', reason: 'INVALID_INTENT', detail, requestedQuantity: null, plan: null });


/**
 * The only component that sends orders. Every intent is decided against trading state, cross-bot exposure,
 * locks and risk; every decision is recorded; every approved order is written to its bot's ledger before it
 * is sent; every execution report goes back through the ledger. Startup and crash recovery are one path:
 * the constructor rebuilds all state from the stores.
 */
export class OrderManager {
  readonly #config: OrderManagerConfig;
  readonly #store: SupervisorStore;
  readonly #ledgers: ReadonlyMap<BotId, Ledger>;
  readonly #venues: ReadonlyMap<string, Venue>;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #portfolio: Portfolio;
  readonly #states: TradingStates;
  readonly #drawdowns: DrawdownMonitor;
  readonly #rateLimiter: SlidingWindowRateLimiter<BotId>;
  readonly #listeners: Array<(event: OrderManagerEvent) => void> = [];
  readonly #pending = new Set<Promise<void>>();
  readonly #unsubscribe: Array<() => void> = [];
  #decisionsSincePrune = 0;
  readonly #replacements: StopReplacements;
  readonly #amendments: StopAmendments;
  readonly #protection: ProtectionKeeper;
  readonly #commands: OrderCommands;
  /** Why each bot may not trade yet, until its sub-account is reconciled; absent once it is. */
  readonly #unreconciled = new Map<BotId, string>();
  readonly #requireReconciliation: boolean;
  readonly #sessions: SessionOf;
  #lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(dependencies: OrderManagerDependencies) {
    this.#config = dependencies.config;
    this.#store = dependencies.store;
    this.#drawdowns = new DrawdownMonitor(dependencies.config, dependencies.store);
    this.#ledgers = dependencies.ledgers;
    this.#venues = dependencies.venues;
    this.#clock = dependencies.clock;
    this.#logger = dependencies.logger.child({ component: 'order-manager' });
    this.#requireReconciliation = dependencies.requireReconciliation ?? false;
    this.#sessions = dependencies.sessions ?? bundledSessions;
    this.#replacements = new StopReplacements({
      ledger: (botId) => this.#ledger(botId),
      cancel: (order) => this.#cancel(order),
      failed: (failure) => this.#stopMoveFailed(failure),
    });
    this.#amendments = new StopAmendments({
      ledger: (botId) => this.#ledger(botId),
      venue: (order) => this.#venue(order.instrumentId),
      apply: (report) => this.applyReport(report),
      now: () => this.#clock.now(),
      track: (call) => {
        const pending: Promise<void> = call
          .catch((error: unknown) => this.#logger.error({ error: error instanceof Error ? error.message : String(error) }, 'settling a stop amend failed; reconciliation settles it'))
          .finally(() => this.#pending.delete(pending));
        this.#pending.add(pending);
      },
      requestFailed: (botId, clientOrderId, error) => {
        this.#logger.error({ botId, clientOrderId, request: 'AMEND', error }, 'stop amend failed at the venue; the stop is asked for by client order ID');
        this.#emit({ type: 'VENUE_REQUEST_FAILED', botId, clientOrderId, request: 'AMEND', error });
      },
      failed: (failure) => this.#amendFailed(failure),
      logger: this.#logger,
    });
    this.#protection = new ProtectionKeeper({
      ledger: (botId) => this.#ledgers.get(botId),
      botIds: () => this.#config.bots.keys(),
      mark: (instrumentId) => this.#portfolio.mark(instrumentId),
      instrument: (instrumentId) => this.#config.instruments.get(instrumentId),
      subAccount: (botId) => this.#config.bots.get(botId)?.subAccountId,
      now: () => this.#clock.now(),
      graceMs: () => this.#config.protectionGraceMs,
      later: (work) => {
        // Tracked with the venue requests, so idle() also waits for the check and whatever repair it sends.
        const run: Promise<void> = Promise.resolve()
          .then(work)
          .finally(() => this.#pending.delete(run));
        this.#pending.add(run);
      },
      send: (gap, plan) => this.#sendRepair(gap, plan),
      checked: (botId, unprotected) => this.#emit({ type: 'PROTECTION_CHECKED', botId, unprotected }),
    });
    this.#commands = new OrderCommands({
      ledger: (botId) => this.#ledgers.get(botId),
      instrument: (instrumentId) => this.#config.instruments.get(instrumentId),
      effectiveState: (botId) => this.effectiveState(botId),
      reconciliationBlock: (botId) => this.reconciliationBlock(botId),
      replacementOf: (clientOrderId) => this.#replacements.replacementOf(clientOrderId),
      amendmentOf: (clientOrderId) => this.#amendments.inFlight(clientOrderId)?.triggerPrice ?? null,
      amends: (instrumentId) => this.#venue(instrumentId).capabilities.amend,
      sendAmendment: (order, intentId, triggerPrice) => {
        this.#rateLimiter.record(order.botId, 1, this.#clock.now());
        this.#amendments.send(order, intentId, triggerPrice);
      },
      rateAllows: (botId, requests) => this.#rateLimiter.wouldAllow(botId, requests, this.#clock.now()),
      sendReplacement: (botId, replacement, replaced) => this.#sendReplacement(botId, replacement, replaced),
      cancel: (order) => this.#cancel(order),
    });
    this.#states = new TradingStates({ store: dependencies.store, clock: dependencies.clock, logger: this.#logger, changed: (state) => this.#emit({ type: 'STATE_CHANGED', state }) });
    const bots = this.#config.bots;
    this.#rateLimiter = new SlidingWindowRateLimiter<BotId>({
      maxRequests: (bot) => bots.get(bot)?.orderRateLimit.maxRequests ?? 0,
      windowMs: (bot) => bots.get(bot)?.orderRateLimit.windowMs ?? 1,
    });
    this.#portfolio = new Portfolio(this.#config, this.#ledgers, this.#clock);
    for (const instrument of this.#config.instruments.values()) {
      if (!this.#venues.has(instrumentVenue(instrument.id))) {
        throw new InvariantViolation(`no venue adapter for ${instrument.id}; configure a venue named ${instrumentVenue(instrument.id)}`);
      }
    }
    for (const botId of bots.keys()) {
      if (!this.#ledgers.has(botId)) throw new InvariantViolation(`bot ${botId} has no ledger`);
    }
    for (const venue of new Set(this.#venues.values())) this.#unsubscribe.push(venue.onExecutionReport((report) => this.applyReport(report)));
    this.#recover();
  }

  /** Rebuilds trading states, drawdown windows and the order index from the stores. */
  #recover(): void {
    if (this.#requireReconciliation) for (const botId of this.#ledgers.keys()) this.#unreconciled.set(botId, 'not reconciled with its venue since the supervisor started');
    this.#states.recover();
    this.#drawdowns.recover(this.#clock.now());
    for (const [botId, ledger] of this.#ledgers) this.#recoverBot(botId, ledger);
    this.#store.commit();
  }

  /** One bot's share of recovery: its open orders indexed, its stop moves and last entries, its decisions. */
  #recoverBot(botId: BotId, ledger: Ledger): void {
    this.#portfolio.recoverBot(botId, ledger);
    this.#replacements.recover(botId, ledger);
    this.#amendments.recover(botId, ledger);
    // An approval commits in the ledger with its orders; the store's copy commits a moment later, so a crash in
    // between leaves the store without it. The newest approvals of each ledger fill that gap.
    for (const { decision, intentJson } of ledger.recentDecisions(RECOVERED_DECISIONS)) this.#store.recordDecision(decision, intentJson);
  }

  // ------------------------------------------------------------------------------------------------------
  // The roster: bots adopted, changed and retired while the supervisor runs

  /**
   * Adopts a bot whose folder appeared: its risk settings and its ledger join the order manager, recovered exactly as
   * at a start. The bot trades once the caller has made its venue account ready (afterVenuesRestored for it).
   */
  addBot(config: BotRiskConfig, ledger: Ledger): void {
    if (this.#config.bots.has(config.id)) throw new InvariantViolation(`bot ${config.id} is already in the order manager`);
    if (ledger.botId !== config.id) throw new InvariantViolation(`ledger of ${ledger.botId} given for bot ${config.id}`);
    for (const other of this.#config.bots.values()) {
      if (other.subAccountId === config.subAccountId) throw new InvariantViolation(`sub-account ${config.subAccountId} is already bot ${other.id}'s`);
    }
    (this.#config.bots as Map<BotId, BotRiskConfig>).set(config.id, config);
    (this.#ledgers as Map<BotId, Ledger>).set(config.id, ledger);
    if (this.#requireReconciliation) this.#unreconciled.set(config.id, 'adopted; not reconciled with its venue yet');
    this.#recoverBot(config.id, ledger);
    this.#store.commit();
  }

  /** Takes a bot's changed risk settings (its manifest was edited); its orders and positions stay as they are. */
  updateBot(config: BotRiskConfig): void {
    const current = this.#config.bots.get(config.id);
    if (current === undefined) throw new InvariantViolation(`bot ${config.id} is not in the order manager`);
    if (current.subAccountId !== config.subAccountId) throw new InvariantViolation(`bot ${config.id} cannot move from sub-account ${current.subAccountId} to ${config.subAccountId} while it runs`);
    (this.#config.bots as Map<BotId, BotRiskConfig>).set(config.id, config);
  }

  /**
   * Lets go of a bot whose folder is gone. Only a bot with nothing open may go: one that still holds positions or
   * orders stays (retired: halted, its stops kept and protected) until it is flat, and this refuses.
   */
  removeBot(botId: BotId): void {
    const ledger = this.#ledger(botId);
    if (ledger.openPositions().length > 0 || ledger.openOrders().length > 0) {
      throw new InvariantViolation(`bot ${botId} still holds positions or orders; it is retired (halted), not removed`);
    }
    (this.#config.bots as Map<BotId, BotRiskConfig>).delete(botId);
    (this.#ledgers as Map<BotId, Ledger>).delete(botId);
    this.#portfolio.forgetBot(botId);
    this.#protection.forget(botId);
    this.#unreconciled.delete(botId);
  }

  // ------------------------------------------------------------------------------------------------------
  // Reconciliation: nothing trades before its sub-account agrees with its venue

  /** Lets the bot trade: its sub-account was just reconciled. */
  reconciled(botId: BotId): void {
    // The venue's triggers are the ledger's now: an amend still unanswered (a crash, a lost answer) is settled by them.
    this.#amendments.settleAll(botId);
    if (this.#unreconciled.delete(botId)) this.#logger.info({ botId }, 'reconciled with its venue; the bot may trade');
  }

  /** Stops the bot's new orders until its sub-account is reconciled again (a dropped stream, a failed reconciliation). */
  unreconciled(botId: BotId, why: string): void {
    if (!this.#requireReconciliation || !this.#config.bots.has(botId)) return;
    if (this.#unreconciled.get(botId) !== why) this.#logger.warn({ botId, why }, 'the bot may not trade until it is reconciled');
    this.#unreconciled.set(botId, why);
  }

  /** Why the bot may not trade yet, or null when it is reconciled. */
  reconciliationBlock(botId: BotId): string | null {
    return this.#unreconciled.get(botId) ?? null;
  }

  /**
   * What runs once the venues stand as they did (the paper venue restored, a live one reconciled) and before any bot
   * trades: stop moves the venue already answered are finished, and every position is checked for its stop.
   */
  afterVenuesRestored(): void {
    this.#replacements.settleAll();
    this.#amendments.settleAll();
    this.checkProtection();
  }

  // ------------------------------------------------------------------------------------------------------
  // Reading state

  onEvent(listener: (event: OrderManagerEvent) => void): void {
    this.#listeners.push(listener);
  }

  #emit(event: OrderManagerEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#logger.error({ err: error, event: event.type }, 'an order-manager listener threw; the event was still applied');
      }
    }
  }

  scopeState(scope: Scope): ScopeState {
    return this.#states.get(scope);
  }

  /** The state a bot trades under: the stricter of its own and the fleet's. */
  effectiveState(botId: BotId): TradingState {
    return this.#states.effective(botId);
  }

  mark(instrumentId: InstrumentId): Decimal | undefined {
    return this.#portfolio.mark(instrumentId);
  }

  equity(botId: BotId): Decimal {
    return this.#portfolio.equity(botId);
  }

  /** Balance plus unrealized PnL at the latest marks; cached until a fill or a mark changes it. */
  equitySnapshot(botId: BotId): EquitySnapshot {
    return this.#portfolio.equitySnapshot(botId);
  }

  fleetEquity(): Decimal {
    return this.#portfolio.fleetEquity();
  }

  /** The binding window's drawdown: a breached window, else the one nearest its threshold (drawdown-monitor.ts). */
  drawdown(scope: Scope): BindingReading | null {
    return this.#drawdowns.reading(scope);
  }

  /** Every window of the scope's drawdown policy with its reading. */
  drawdownWindows(scope: Scope): WindowReading[] {
    return this.#drawdowns.windows(scope);
  }

  drawdownPolicy(scope: Scope): DrawdownPolicy {
    return this.#drawdowns.policy(scope);
  }

  lockedKeys(): ExposureKey[] {
    return this.#portfolio.book.lockedKeys(this.#clock.now());
  }

  /** The bot's open risk (portfolio.ts) and the most its risk settings allow, as a fraction of equity; null for an unknown bot. */
  openRisk(botId: BotId): { openRisk: Decimal; maxOpenRisk: Decimal } | null {
    const bot = this.#botConfig(botId);
    return bot === undefined ? null : { openRisk: this.#portfolio.openRisk(botId), maxOpenRisk: bot.maxOpenRisk };
  }

  ledger(botId: BotId): Ledger {
    return this.#ledger(botId);
  }

  /** Resolves when every venue request started so far has returned. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  #ledger(botId: BotId): Ledger {
    const ledger = this.#ledgers.get(botId);
    if (ledger === undefined) throw new InvariantViolation(`bot ${botId} has no ledger`);
    return ledger;
  }

  #botConfig(botId: BotId): BotRiskConfig | undefined {
    return this.#config.bots.get(botId);
  }

  #context(bot: BotRiskConfig, now: number): DecisionContext {
    return {
      now,
      bot,
      state: this.effectiveState(bot.id),
      portfolio: this.#portfolio,
      rateAllows: (requests) => this.#rateLimiter.wouldAllow(bot.id, requests, now),
      slippageAllowance: this.#config.slippageAllowance,
      sessionOf: this.#sessions,
    };
  }

  // ------------------------------------------------------------------------------------------------------
  // Intents

  /**
   * Decides an intent, records the decision, and for an approval records and sends its orders. Idempotent on
   * (bot, intent ID): a replayed intent gets the recorded decision back and no further order.
   */
  submitIntent(intent: Intent): Decision {
    const started = this.#clock.monotonicNs();
    const now = this.#clock.now();
    const bot = this.#botConfig(intent.botId);
    const blocked = bot === undefined ? null : this.#unreconciled.get(bot.id);
    const result =
      bot === undefined
        ? denial(`bot ${intent.botId} is not configured`)
        : blocked !== undefined && blocked !== null
          ? { outcome: 'DENIED' as const, reason: 'NOT_RECONCILED' as const, detail: `bot ${bot.id} may not trade yet: ${blocked}`, requestedQuantity: null, plan: null }
          : this.#decide(intent, bot, now);

    let orders: SubmitOrder[] = [];
    if (result.plan !== null && bot !== undefined) orders = this.#ordersFor(intent, bot, result.plan);
    const decision: Decision = {
      intentId: intent.intentId,
      botId: intent.botId,
      instrumentId: intent.instrumentId,
      outcome: result.outcome,
      reason: result.reason,
      detail: result.detail,
      requestedQuantity: result.requestedQuantity,
      approvedQuantity: result.plan?.quantity ?? null,
      clientOrderId: orders[0]?.clientOrderId ?? null,
      decidedAt: now,
      latencyNs: 0,
    };
    decision.latencyNs = Number(this.#clock.monotonicNs() - started);
    const intentJson = JSON.stringify(intent);
    // Deciding has no side effects, so a replayed intent is caught here, by the unique (bot, intent) key,
    // without a lookup on every decision; its reserved IDs are simply never used.
    if (!this.#store.recordDecision(decision, intentJson)) {
      const recorded = this.#store.decisionFor(intent.botId, intent.intentId);
      if (recorded === null) throw new InvariantViolation(`decision for ${intent.botId}/${intent.intentId} conflicted but cannot be read`);
      return recorded;
    }
    // An intent whose decision the store has forgotten (pruned) but whose orders the ledger still holds.
    const earlier = bot === undefined ? [] : this.#ledger(bot.id).ordersForIntent(intent.intentId);
    if (earlier.length > 0) return this.#recoveredDecision(decision, earlier);
    this.#maybePruneDecisions();
    if (orders.length > 0 && bot !== undefined && result.plan !== null) {
      // The approval and its orders commit together, in the bot's ledger, before anyone hears of the decision and
      // before the venue is called: a crash can leave neither an order without its decision nor the reverse.
      const records = this.#ledger(bot.id).recordOrders(orders, now, { decision: { decision, intentJson } });
      for (const record of records) this.#track(record, result.plan.stopDistance.isZero() ? null : result.plan.stopLoss);
      this.#rateLimiter.record(bot.id, orders.length, now);
      this.#noteEntry(bot.id, result.plan, now);
      this.#emit({ type: 'DECISION_MADE', decision });
      // A venue may answer synchronously; listeners have the decision before any of its reports.
      for (const order of orders) this.#send(order);
    } else {
      this.#emit({ type: 'DECISION_MADE', decision });
    }
    return decision;
  }

  /**
   * Resolves once every decision made so far is durable. An approval already is when submitIntent returns (it
   * commits with its orders); a denial commits with the store's next group commit, at the end of the tick.
   */
  decisionsDurable(): Promise<void> {
    return this.#store.whenCommitted();
  }

  /** Rewrites a decision whose orders a crash left recorded, so the replay reports what was actually sent. */
  #recoveredDecision(decision: Decision, orders: OrderRecord[]): Decision {
    const main = orders[0];
    const recovered: Decision = {
      ...decision,
      outcome: 'APPROVED',
      reason: null,
      detail: `recovered after a restart: orders ${orders.map((order) => order.clientOrderId).join(', ')} were already recorded`,
      approvedQuantity: main?.quantity ?? null,
      clientOrderId: main?.clientOrderId ?? null,
    };
    this.#store.replaceDecision(recovered, JSON.stringify({ recovered: true }));
    return recovered;
  }

  /** Bad numbers in an intent (a price below one tick) are the bot's problem: a denial, never a crash. */
  #decide(intent: Intent, bot: BotRiskConfig, now: number): PipelineResult {
    try {
      return runPipeline(intent, this.#context(bot, now));
    } catch (error) {
      if (error instanceof InvalidInputError) return denial(error.message);
      throw error;
    }
  }

  #ordersFor(intent: Intent, bot: BotRiskConfig, plan: OrderPlan): SubmitOrder[] {
    const ledger = this.#ledger(bot.id);
    const base = {
      botId: bot.id,
      subAccountId: bot.subAccountId,
      intentId: intent.intentId,
      instrumentId: plan.instrument.id,
      quantity: plan.quantity,
      timeInForce: 'GTC' as const,
    };
    const main: SubmitOrder = {
      ...base,
      clientOrderId: ledger.allocateClientOrderId(plan.role),
      role: plan.role,
      side: intent.side,
      type: intent.orderType,
      limitPrice: plan.limitPrice,
      triggerPrice: plan.triggerPrice,
      reduceOnly: plan.role === 'CLOSE',
      parentClientOrderId: null,
      activatesOnParentFill: false,
    };
    const orders = [main];
    const exitSide = oppositeSide(intent.side);
    if (plan.stopLoss !== null) {
      orders.push({ ...base, clientOrderId: ledger.allocateClientOrderId('STOP'), role: 'STOP', side: exitSide, type: 'STOP_MARKET', limitPrice: null, triggerPrice: plan.stopLoss, reduceOnly: true, parentClientOrderId: main.clientOrderId, activatesOnParentFill: true });
    }
    if (plan.takeProfit !== null) {
      orders.push({ ...base, clientOrderId: ledger.allocateClientOrderId('TAKE_PROFIT'), role: 'TAKE_PROFIT', side: exitSide, type: 'LIMIT', limitPrice: plan.takeProfit, triggerPrice: null, reduceOnly: true, parentClientOrderId: main.clientOrderId, activatesOnParentFill: true });
    }
    return orders;
  }

  #maybePruneDecisions(): void {
    // Pruning every so often keeps the table bounded without a DELETE on every decision; a quiet fleet still
    // prunes by age once a market day.
    this.#decisionsSincePrune++;
    const now = this.#clock.now();
    if (this.#decisionsSincePrune >= 10_000 || now - this.#lastPruneAt >= 86_400_000) {
      this.#decisionsSincePrune = 0;
      this.#lastPruneAt = now;
      this.#store.pruneDecisions(this.#config.decisionRetention, now - this.#config.decisionRetentionMs);
    }
  }

  #track(order: OrderRecord, stopLoss: Decimal | null): void {
    this.#portfolio.track(order, stopLoss);
  }

  #venue(instrumentId: InstrumentId): Venue {
    const venue = this.#venues.get(instrumentVenue(instrumentId));
    if (venue === undefined) throw new InvariantViolation(`no venue adapter for ${instrumentId}`);
    return venue;
  }

  /** Sends without blocking the decision path; a failed send leaves the order PENDING_SUBMIT for reconciliation. */
  #send(order: SubmitOrder): void {
    this.#trackRequest(order.botId, order.clientOrderId, 'SUBMIT', this.#venue(order.instrumentId).submitOrder(order));
  }

  #cancel(order: OrderRecord): void {
    this.#rateLimiter.record(order.botId, 1, this.#clock.now());
    this.#trackRequest(order.botId, order.clientOrderId, 'CANCEL', this.#venue(order.instrumentId).cancelOrder(order.subAccountId, order.instrumentId, order.clientOrderId));
  }

  /**
   * Cancels by client order ID, one request per batch where the venue takes batches (orders of one sub-account, any
   * instrument), else one each: at Bybit's ten cancels a second per sub-account, a kill of fifty orders one by one
   * would take five seconds.
   */
  #cancelMany(orders: readonly OrderRecord[]): void {
    const now = this.#clock.now();
    const groups = new Map<string, OrderRecord[]>();
    for (const order of orders) {
      const key = `${instrumentVenue(order.instrumentId)} ${order.subAccountId}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [order]);
      else group.push(order);
    }
    for (const group of groups.values()) {
      const [first] = group;
      if (first === undefined) continue;
      const venue = this.#venue(first.instrumentId);
      if (group.length === 1 || venue.capabilities.maxBatchCancel <= 1) {
        for (const order of group) this.#cancel(order);
        continue;
      }
      for (const order of group) this.#rateLimiter.record(order.botId, 1, now);
      const call = venue.cancelOrders(first.subAccountId, group.map(({ instrumentId, clientOrderId }) => ({ instrumentId, clientOrderId })));
      this.#trackRequest(first.botId, first.clientOrderId, 'CANCEL', call, group.map((order) => order.clientOrderId));
    }
  }

  #trackRequest(botId: BotId, clientOrderId: ClientOrderId, request: 'SUBMIT' | 'CANCEL', call: Promise<void>, clientOrderIds: readonly ClientOrderId[] = [clientOrderId]): void {
    const pending: Promise<void> = call
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        this.#logger.error({ botId, clientOrderId, ...(clientOrderIds.length > 1 ? { clientOrderIds } : {}), request, error: message }, 'venue request failed; the order is left for reconciliation by client order ID');
        for (const id of clientOrderIds) this.#emit({ type: 'VENUE_REQUEST_FAILED', botId, clientOrderId: id, request, error: message });
      })
      .finally(() => this.#pending.delete(pending));
    this.#pending.add(pending);
  }

  // ------------------------------------------------------------------------------------------------------
  // Commands on existing orders

  /** Cancels one of the bot's own orders by client order ID; allowed in every trading state. */
  cancelOrder(botId: BotId, clientOrderId: ClientOrderId): CommandResult {
    return this.#commands.cancel(botId, clientOrderId);
  }

  /** Moves a protective stop by an amend in place or a safe replace (order-commands.ts, stop-amendments.ts, stop-replacements.ts). */
  moveStop(botId: BotId, clientOrderId: ClientOrderId, triggerPrice: Decimal, intentId: IntentId): CommandResult {
    return this.#commands.moveStop(botId, clientOrderId, triggerPrice, intentId);
  }

  #sendReplacement(botId: BotId, replacement: SubmitOrder, replaced: ClientOrderId): void {
    const now = this.#clock.now();
    const [record] = this.#ledger(botId).recordOrders([replacement], now, { replaces: new Map([[replacement.clientOrderId, replaced]]) });
    if (record !== undefined) this.#track(record, null);
    this.#replacements.add(botId, replacement.clientOrderId, replaced);
    this.#rateLimiter.record(botId, 1, now);
    this.#send(replacement);
  }

  #stopMoveFailed(failure: ReplacementFailure): void {
    this.#logger.warn({ ...failure }, 'a stop move failed at the venue; the old stop keeps protecting the position');
    this.#emit({ type: 'STOP_MOVE_FAILED', botId: failure.botId, replaced: failure.replaced, replacement: failure.replacement, status: failure.status, detail: failure.detail });
  }

  #amendFailed(failure: AmendFailure): void {
    this.#logger.warn({ ...failure }, 'a stop amend did not take effect; the stop keeps protecting the position at its old trigger');
    this.#emit({ type: 'STOP_MOVE_FAILED', botId: failure.botId, replaced: failure.stop, replacement: null, status: failure.status, detail: failure.detail });
  }

  /** The one entry point for a bot's commands. */
  execute(command: BotCommand): Decision | CommandResult {
    switch (command.type) {
      case 'SUBMIT_ORDER':
        return this.submitIntent(command.intent);
      case 'CANCEL_ORDER':
        return this.cancelOrder(command.botId, command.clientOrderId);
      case 'MOVE_STOP':
        return this.moveStop(command.botId, command.clientOrderId, command.triggerPrice, command.intentId);
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Reports and marks

  /** The single way venue news enters: through the bot's ledger, then the indexes, then listeners. */
  applyReport(report: ExecutionReport): void {
    // A funding settlement names no order, so it cannot be routed by client order ID; it is booked by sub-account.
    if (report.type === 'FUNDING_SETTLED') {
      this.#applyFunding(report);
      return;
    }
    const clientOrderId = report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
    let botId: BotId;
    try {
      botId = parseClientOrderId(clientOrderId).bot;
    } catch {
      // Not Flotilla's order: never touched, never booked.
      return;
    }
    const ledger = this.#ledgers.get(botId);
    if (ledger === undefined) return;
    const applied = ledger.applyReport(report);
    // Before the duplicate check: reconciliation may have recorded the amended trigger before the venue's answer came.
    if (applied.order !== null && this.#amendments.inFlight(applied.order.clientOrderId) !== null) this.#amendments.settle(applied.order, report);
    if (applied.order === null || applied.duplicate) return;
    const stop = this.#childStop(ledger, applied.order);
    this.#track(applied.order, stop);
    if (this.#replacements.isReplacement(applied.order.clientOrderId)) this.#replacements.settle(applied.order, report);
    if (applied.fill !== null) {
      this.#portfolio.equityChanged(botId);
      this.#afterEquityChange(botId);
      this.#continueFlatten(botId);
      if (applied.order.role === 'ENTRY') this.#portfolio.entryFilled(botId, applied.order);
      if (applied.order.role !== 'ENTRY' && (applied.position?.quantity.isZero() ?? false)) {
        const { instrumentId } = applied.order;
        // After the report batch, so a venue's own one-cancels-the-other lands first and no cancel goes out twice.
        queueMicrotask(() => this.#cancelOrphanedProtection(botId, instrumentId));
      }
    }
    // A fill changes what must be protected, a stop that ends changes what protects it, and a stop that starts
    // working may close a gap already found.
    if (applied.fill !== null || (applied.order.role === 'STOP' && (!isOpenStatus(applied.order.status) || this.#protection.hasGaps(botId)))) this.#protection.due(botId);
    this.#emit({ type: 'REPORT_APPLIED', botId, report, order: applied.order, position: applied.position });
  }

  /** A funding payment, booked once in the ledger of the bot on its sub-account (see funding.ts), moves that bot's equity. */
  #applyFunding(report: FundingReport): void {
    const booked = bookFunding(report, { bots: this.#config.bots.values(), ledgers: this.#ledgers, mark: (instrumentId) => this.mark(instrumentId), logger: this.#logger });
    if (booked === null) return;
    this.#portfolio.equityChanged(booked.botId);
    this.#afterEquityChange(booked.botId);
    this.#emit({ type: 'FUNDING_BOOKED', botId: booked.botId, payment: booked.payment });
  }

  // ------------------------------------------------------------------------------------------------------
  // Protection: every open position has a working stop (see protection.ts)

  /** Checks every bot's positions against their stops and repairs what it finds; the fleet also runs it on a timer. */
  checkProtection(): void {
    this.#protection.checkAll();
  }

  /** The unprotected positions found at the bot's last check. */
  unprotectedPositions(botId: BotId): readonly UnprotectedPosition[] {
    return this.#protection.unprotected(botId);
  }

  /** A repair goes the one order path: its decision and order recorded together, then sent. */
  #sendRepair(gap: UnprotectedPosition, plan: RepairPlan): void {
    const now = this.#clock.now();
    const ledger = this.#ledger(gap.botId);
    const order: SubmitOrder = { ...plan.order, clientOrderId: ledger.allocateClientOrderId(plan.order.role) };
    const decision: Decision = {
      intentId: order.intentId,
      botId: gap.botId,
      instrumentId: gap.instrumentId,
      outcome: 'APPROVED',
      reason: null,
      detail: plan.detail,
      requestedQuantity: order.quantity,
      approvedQuantity: order.quantity,
      clientOrderId: order.clientOrderId,
      decidedAt: now,
      latencyNs: 0,
    };
    const intentJson = JSON.stringify({ repair: plan.repair, cause: gap.cause, uncovered: gap.uncovered.toString() });
    this.#store.recordDecision(decision, intentJson);
    const [record] = ledger.recordOrders([order], now, { decision: { decision, intentJson } });
    if (record !== undefined) this.#track(record, null);
    // Protection is never refused for want of rate: it is counted, so entries wait instead.
    this.#rateLimiter.record(gap.botId, 1, now);
    this.#logger.warn({ botId: gap.botId, instrumentId: gap.instrumentId, repair: plan.repair, clientOrderId: order.clientOrderId }, plan.detail);
    this.#emit({ type: 'DECISION_MADE', decision });
    this.#emit({ type: 'PROTECTION_REPAIRED', botId: gap.botId, instrumentId: gap.instrumentId, repair: plan.repair, clientOrderId: order.clientOrderId, detail: plan.detail });
    this.#send(order);
  }

  // ------------------------------------------------------------------------------------------------------
  // Entries: what cooldowns and add distances are measured from

  #noteEntry(botId: BotId, plan: OrderPlan, now: number): void {
    if (plan.role === 'ENTRY') this.#portfolio.noteEntry(botId, { key: plan.instrument.exposureKey, at: now, instrumentId: plan.instrument.id, side: plan.side, price: plan.entryPrice });
  }


  /**
   * One-cancels-the-other, kept by the order manager too: once a stop, a take-profit or a close has left the
   * position flat, any protective order still open on it is cancelled by ID, whether or not the venue linked them.
   */
  #cancelOrphanedProtection(botId: BotId, instrumentId: InstrumentId): void {
    const ledger = this.#ledgers.get(botId);
    if (ledger === undefined || !(ledger.position(instrumentId)?.quantity.isZero() ?? true)) return;
    for (const order of ledger.openOrders()) {
      if (order.instrumentId !== instrumentId || (order.role !== 'STOP' && order.role !== 'TAKE_PROFIT')) continue;
      // A child still waiting for its unfilled entry is not orphaned: it protects a position yet to come.
      const parent = order.parentClientOrderId === null ? null : ledger.order(order.parentClientOrderId);
      if (parent !== null && isOpenStatus(parent.status)) continue;
      this.#cancel(order);
    }
  }

  #childStop(ledger: Ledger, order: OrderRecord): Decimal | null {
    if (order.role !== 'ENTRY') return null;
    for (const open of ledger.openOrders()) {
      if (open.role === 'STOP' && open.parentClientOrderId === order.clientOrderId) return open.triggerPrice;
    }
    return null;
  }

  /** Takes a new market price; equity and drawdowns of the bots holding it are re-evaluated. */
  updateMark(instrumentId: InstrumentId, price: Decimal): void {
    for (const botId of this.#portfolio.setMark(instrumentId, price)) {
      this.#afterEquityChange(botId);
      // A bot with an unprotected position is looked at again as time passes, so a repair is retried by rule.
      if (this.#protection.hasGaps(botId)) this.#protection.due(botId);
    }
  }

  #afterEquityChange(botId: BotId): void {
    const now = this.#clock.now();
    this.#observeDrawdown(botScope(botId), this.equity(botId), now);
    this.#observeDrawdown('fleet', this.fleetEquity(), now);
  }

  #observeDrawdown(scope: Scope, equity: Decimal, now: number): void {
    const { reading, policy, sampled } = this.#drawdowns.observe(scope, equity, now);
    // The bot's own ledger keeps its equity curve too, on the same cadence.
    if (sampled && scope !== 'fleet') this.#ledger(scope.slice(4) as BotId).recordEquitySnapshot(this.equitySnapshot(scope.slice(4) as BotId));
    const current = this.scopeState(scope);
    if (reading.drawdown.gte(policy.threshold) && stricterState(current.state, policy.action) !== current.state) {
      const percent = reading.drawdown.mul(Decimal.fromInteger(100)).toFixed(2);
      this.#states.set(scope, policy.action, 'DRAWDOWN_HALT', `drawdown ${percent}% from a peak of ${reading.peak.toString()} reached the threshold of ${policy.threshold.mul(Decimal.fromInteger(100)).toString()}% within ${policy.windowMs} ms`, current.flattenPending);
    }
  }

  // ------------------------------------------------------------------------------------------------------
  // Trading states, halts and the kill switch

  /** Sets a scope to HALTED or REDUCING; it stays there until an explicit resume. */
  halt(scope: Scope, state: 'HALTED' | 'REDUCING', reason: StateChangeReason, detail: string): ScopeState {
    this.#checkScope(scope);
    return this.#states.set(scope, state, reason, detail, this.scopeState(scope).flattenPending);
  }

  /** Clears a halt; the drawdown window starts again from the current equity. */
  resume(scope: Scope, detail = 'resumed by the operator'): ScopeState {
    this.#checkScope(scope);
    this.#drawdowns.reset(scope);
    return this.#states.set(scope, 'ACTIVE', 'OPERATOR_RESUME', detail, false);
  }

  /** A bot gone silent may not open anything new; see trading-states.ts. */
  heartbeatLost(botId: BotId, detail: string): void {
    this.#states.heartbeatLost(botId, detail);
  }

  heartbeatRestored(botId: BotId): void {
    this.#states.heartbeatRestored(botId);
  }

  /** Changes the threshold of one window (named by its length) at run time; persisted, so it outlives a restart. */
  setDrawdownThreshold(scope: Scope, windowMs: number, threshold: Decimal): DrawdownPolicy {
    this.#checkScope(scope);
    if (!threshold.isPositive() || threshold.gt(Decimal.ONE)) throw new InvariantViolation(`drawdown threshold must be a fraction in (0, 1], got ${threshold.toString()}`);
    return this.#drawdowns.setThreshold(scope, windowMs, threshold);
  }

  #checkScope(scope: Scope): void {
    if (scope !== 'fleet' && !this.#config.bots.has(scope.slice(4) as BotId)) throw new InvariantViolation(`unknown scope ${scope}`);
  }

  #botsIn(scope: Scope): BotId[] {
    return scope === 'fleet' ? [...this.#config.bots.keys()] : [scope.slice(4) as BotId];
  }

  /** The kill switch for the fleet or one bot; see kill-switch.ts. */
  kill(scope: KillScope = {}, flatten = false): KillReport {
    const key: Scope = scope.botId === undefined ? 'fleet' : botScope(scope.botId);
    this.#checkScope(key);
    const report = pullKillSwitch(this.#killSwitchPort, key, flatten);
    this.#logger.warn({ ...report }, 'kill switch pulled');
    return report;
  }

  #continueFlatten(botId: BotId): void {
    for (const scope of ['fleet', botScope(botId)] as const) {
      if (this.scopeState(scope).flattenPending) continueFlatten(this.#killSwitchPort, scope);
    }
  }

  readonly #killSwitchPort: KillSwitchPort = {
    botsIn: (scope) => this.#botsIn(scope),
    ledger: (botId) => this.#ledger(botId),
    subAccount: (botId) => this.#botConfig(botId)?.subAccountId,
    cancelMany: (orders) => this.#cancelMany(orders),
    submit: (botId, order) => {
      const now = this.#clock.now();
      this.#ledger(botId).recordOrders([order], now);
      this.#rateLimiter.record(botId, 1, now);
      this.#send(order);
    },
    scopeState: (scope) => this.scopeState(scope),
    setState: (scope, state, reason, detail, flattenPending) => {
      this.#states.set(scope, state, reason, detail, flattenPending);
    },
    now: () => this.#clock.now(),
  };

  /** Stops listening to the venues; the stores stay open for their owner to close. */
  close(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }

  recentDecisions(limit: number, deniedOnly = false): Decision[] {
    return this.#store.recentDecisions(limit, deniedOnly);
  }
}
