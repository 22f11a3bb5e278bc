import { Decimal } from '../../core/decimal.ts';
import type { Decision } from '../../core/decision.ts';
import type { BotId } from '../../core/ids.ts';
import { parseBotId } from '../../core/ids.ts';
import { isOpenStatus } from '../../core/order.ts';
import type { PositionRecord } from '../../ledger/types.ts';
import type {
  BotListing,
  BotStatus,
  DecisionInfo,
  DrawdownInfo,
  DrawdownWindowInfo,
  FleetControl,
  FleetStatus,
  KillResult,
  OrderInfo,
  PnlInfo,
  PositionInfo,
  ProcessInfo,
  ResumeResult,
  ScopeStateInfo,
} from '../control/fleet-control.ts';
import { ControlError } from '../control/fleet-control.ts';
import type { BotActivityInfo, RiskInUseInfo } from '../control/fleet-control.ts';
import { botActivity, firstActivityHour, fraction } from '../control/activity.ts';
import type { ReconcileResult, ReconciliationInfo } from '../control/fleet-control.ts';
import type { ReconciliationStatus } from '../reconciliation/service.ts';
import { formatWindowLength, parseWindowLength, WINDOW_LENGTH_RULE } from '../order-manager/drawdown-window.ts';
import type { ScopeState } from '../store/supervisor-store.ts';
import { botScope } from '../store/supervisor-store.ts';
import type { Scope } from '../store/supervisor-store.ts';
import { botApp, fleetEnvironment } from '../pm2/apps.ts';
import type { Pm2Client } from '../pm2/pm2-client.ts';
import { botAppName, processInfo } from '../pm2/pm2-client.ts';
import type { Clock } from '../../core/clock.ts';
import type { DiscoveredBot } from '../discovery/discover.ts';
import type { BotManifest } from '../discovery/manifest.ts';
import type { OrderManager } from '../order-manager/order-manager.ts';
import type { ReconciliationService } from '../reconciliation/service.ts';
import type { SupervisorStore } from '../store/supervisor-store.ts';
import type { BotSessions } from './bot-sessions.ts';
import { orderInfo, positionInfo } from './views.ts';

const HUNDRED = Decimal.fromInteger(100);

function stateInfo(state: ScopeState): ScopeStateInfo {
  return { state: state.state, reason: state.reason, detail: state.detail, changedAt: state.changedAt, flattenPending: state.flattenPending };
}

/** HALTED by the kill switch, until a resume; a flatten's completion keeps the reason. */
function isKilled(state: ScopeState): boolean {
  return state.state === 'HALTED' && state.reason === 'KILL_SWITCH';
}

function reconciliationInfo(status: ReconciliationStatus): ReconciliationInfo {
  return { state: status.state, at: status.at, detail: status.detail };
}

function decisionInfo(decision: Decision): DecisionInfo {
  return {
    botId: decision.botId,
    intentId: decision.intentId,
    instrumentId: decision.instrumentId,
    outcome: decision.outcome,
    reason: decision.reason,
    detail: decision.detail,
    requestedQuantity: decision.requestedQuantity?.toString() ?? null,
    approvedQuantity: decision.approvedQuantity?.toString() ?? null,
    clientOrderId: decision.clientOrderId,
    decidedAt: decision.decidedAt,
    latencyUs: Math.round(decision.latencyNs / 1000),
  };
}

/** What the control service reads of the fleet and acts on: the order manager, the stores, the sessions, the roster. */
export interface ControlHost {
  readonly config: { readonly mode: 'paper' | 'live'; readonly metrics: { readonly host: string; readonly port: number; readonly exposeBeyondLoopback: boolean } };
  readonly clock: Clock & { readonly speed: number };
  readonly startedAt: number;
  readonly metricsPort: number | null;
  readonly om: OrderManager;
  readonly store: SupervisorStore;
  readonly sessions: BotSessions;
  readonly reconciliation: ReconciliationService;
  readonly manifests: ReadonlyMap<BotId, BotManifest>;
  readonly discovered: readonly DiscoveredBot[];
  readonly strategyNotes: ReadonlyMap<BotId, Readonly<Record<string, readonly string[]>>>;
}

/** The operator's view of and hand on the fleet, served by the control API. */
export class FleetControlService implements FleetControl {
  readonly #fleet: ControlHost;
  readonly #pm2: Pm2Client | null;

  constructor(fleet: ControlHost, pm2: Pm2Client | null) {
    this.#fleet = fleet;
    this.#pm2 = pm2;
  }

  #bot(botId: string | undefined): BotId | undefined {
    if (botId === undefined) return undefined;
    let id: BotId;
    try {
      id = parseBotId(botId);
    } catch (error) {
      throw new ControlError('BAD_REQUEST', (error as Error).message);
    }
    if (!this.#fleet.manifests.has(id)) throw new ControlError('UNKNOWN_BOT', `no loaded bot is called ${botId}; see "supervisor bots"`);
    return id;
  }

  #bots(botId: string | undefined): BotId[] {
    const one = this.#bot(botId);
    return one === undefined ? [...this.#fleet.manifests.keys()] : [one];
  }

  #drawdown(scope: Scope): DrawdownInfo {
    const om = this.#fleet.om;
    const equity = (): string => (scope === 'fleet' ? om.fleetEquity() : om.equity(scope.slice(4) as BotId)).toString();
    const windows = om.drawdownWindows(scope).map(({ window, reading }) => ({
      window: formatWindowLength(window.windowMs),
      windowMs: window.windowMs,
      current: reading?.drawdown.toFixed(6) ?? '0',
      peak: reading?.peak.toString() ?? equity(),
      threshold: window.threshold.toString(),
      action: window.action,
    }));
    const bindingMs = om.drawdown(scope)?.window.windowMs;
    const binding = windows.find((window) => window.windowMs === bindingMs) ?? (windows[0] as DrawdownWindowInfo);
    return { ...binding, windows };
  }

  #position(botId: BotId, position: PositionRecord): PositionInfo {
    return positionInfo(botId, position, this.#fleet.om.mark(position.instrumentId));
  }

  async #processes(): Promise<Map<string, ProcessInfo>> {
    if (this.#pm2 === null) return new Map();
    const list = await this.#pm2.list();
    return new Map(list.map((description) => [description.name ?? '', processInfo(description)]));
  }

  #riskInUse(botId: BotId): RiskInUseInfo {
    const risk = this.#fleet.om.openRisk(botId);
    const equity = this.#fleet.om.equity(botId);
    if (risk === null) return { openRisk: '0', fraction: '0', target: '0' };
    return { openRisk: risk.openRisk.toString(), fraction: equity.isPositive() ? fraction(risk.openRisk.div(equity)) : '0', target: risk.maxOpenRisk.toString() };
  }

  /** Notes and risk peaks from the supervisor's store, fills and round trips from the bot's ledger (control/activity.ts). */
  #activity(botId: BotId): BotActivityInfo {
    const fleet = this.#fleet;
    const now = fleet.clock.now();
    const since = firstActivityHour(now);
    return botActivity({
      now,
      declaredNotes: Object.keys(fleet.strategyNotes.get(botId) ?? {}),
      notes: fleet.store.hourly.notes(botId, since),
      riskPeaks: fleet.store.hourly.riskPeaks(botId, since),
      fills: fleet.om.ledger(botId).fills(),
    });
  }

  async status(options: { botId?: string } = {}): Promise<FleetStatus> {
    const fleet = this.#fleet;
    const one = this.#bot(options.botId);
    const processes = await this.#processes();
    const manifests = [...fleet.manifests.values()].filter((manifest) => one === undefined || manifest.id === one);
    const bots: BotStatus[] = manifests.map((manifest) => {
      const botId = manifest.id;
      const ledger = fleet.om.ledger(botId);
      const connected = fleet.sessions.isConnected(botId);
      const process = processes.get(botAppName(botId)) ?? processInfo(undefined);
      return {
        botId,
        name: manifest.name,
        process: this.#pm2 === null && connected ? { ...process, status: 'online', memoryBytes: fleet.sessions.rssBytes(botId) } : process,
        state: stateInfo(fleet.om.scopeState(botScope(botId))),
        effectiveState: fleet.om.effectiveState(botId),
        equity: fleet.om.equity(botId).toString(),
        drawdown: this.#drawdown(botScope(botId)),
        openPositions: ledger.openPositions().map((position) => this.#position(botId, position)),
        openOrders: ledger.openOrders().filter((order) => isOpenStatus(order.status)).length,
        lastHeartbeatAt: fleet.sessions.lastHeardAt(botId),
        connected,
        killSwitchEngaged: isKilled(fleet.om.scopeState(botScope(botId))),
        notes: fleet.sessions.notes(botId),
        botCodeErrors: fleet.sessions.botCodeErrors(botId),
        unprotectedPositions: fleet.om.unprotectedPositions(botId).map((gap) => ({
          instrumentId: gap.instrumentId,
          quantity: gap.position.toString(),
          uncovered: gap.uncovered.toString(),
          cause: gap.cause,
        })),
        reconciliation: reconciliationInfo(fleet.reconciliation.status(botId)),
        riskInUse: this.#riskInUse(botId),
        ...(one === undefined ? {} : { activity: this.#activity(botId) }),
      };
    });
    const fleetState = fleet.om.scopeState('fleet');
    return {
      mode: fleet.config.mode,
      supervisor: { pid: process.pid, startedAt: fleet.startedAt, clockSpeed: fleet.clock.speed, marketTime: fleet.clock.now() },
      state: stateInfo(fleetState),
      killSwitchEngaged: isKilled(fleetState),
      ...(fleet.config.metrics.exposeBeyondLoopback ? { metricsExposedOn: `${fleet.config.metrics.host}:${fleet.metricsPort ?? fleet.config.metrics.port}` } : {}),
      equity: fleet.om.fleetEquity().toString(),
      drawdown: this.#drawdown('fleet'),
      bots,
    };
  }

  async bots(): Promise<BotListing[]> {
    return this.#fleet.discovered.map((bot) => ({
      folder: bot.folder,
      botId: bot.manifest?.id ?? null,
      name: bot.manifest?.name ?? null,
      status: bot.status,
      reason: bot.reason,
      venue: bot.manifest?.venue ?? null,
      instruments: bot.manifest?.instruments ?? [],
      timeframes: bot.manifest?.timeframes ?? [],
    }));
  }

  #needPm2(): Pm2Client {
    if (this.#pm2 === null) throw new ControlError('CONFLICT', 'this supervisor does not run its bots under pm2');
    return this.#pm2;
  }

  async #processOf(botId: BotId): Promise<ProcessInfo> {
    return (await this.#processes()).get(botAppName(botId)) ?? processInfo(undefined);
  }

  /** Starts the pm2 app of every loaded bot that is not running yet; a new bot folder becomes a new app here. */
  async ensureBotsRunning(): Promise<void> {
    if (this.#pm2 === null) return;
    const processes = await this.#processes();
    for (const bot of this.#fleet.discovered) {
      if (bot.status !== 'LOADED' || processes.has(botAppName(bot.manifest.id))) continue;
      await this.#pm2.start(botApp(fleetEnvironment(), bot));
    }
  }

  /** Starts a changed bot's pm2 app afresh, so it runs the folder's new code with its launch settings of now. */
  async replaceBotApp(botId: BotId): Promise<void> {
    if (this.#pm2 === null) return;
    const bot = this.#fleet.discovered.find((candidate) => candidate.manifest?.id === botId && candidate.status === 'LOADED');
    if ((await this.#processes()).has(botAppName(botId))) await this.#pm2.delete(botAppName(botId));
    if (bot !== undefined && bot.status === 'LOADED') await this.#pm2.start(botApp(fleetEnvironment(), bot));
  }

  /** Removes the pm2 app of a bot whose folder is gone. */
  async removeBotApp(botId: BotId): Promise<void> {
    if (this.#pm2 === null) return;
    if ((await this.#processes()).has(botAppName(botId))) await this.#pm2.delete(botAppName(botId));
  }

  async startBot(botId: string): Promise<ProcessInfo> {
    const id = this.#bot(botId) as BotId;
    const pm2 = this.#needPm2();
    const bot = this.#fleet.discovered.find((candidate) => candidate.manifest?.id === id && candidate.status === 'LOADED');
    const current = await this.#processOf(id);
    if (current.status === 'not-started' && bot !== undefined) await pm2.start(botApp(fleetEnvironment(), bot));
    else await pm2.restart(botAppName(id));
    return this.#processOf(id);
  }

  async stopBot(botId: string): Promise<ProcessInfo> {
    const id = this.#bot(botId) as BotId;
    await this.#needPm2().stop(botAppName(id));
    return this.#processOf(id);
  }

  async restartBot(botId: string): Promise<ProcessInfo> {
    const id = this.#bot(botId) as BotId;
    await this.#needPm2().restart(botAppName(id));
    return this.#processOf(id);
  }

  async kill(options: { botId?: string; flatten: boolean }): Promise<KillResult> {
    const botId = this.#bot(options.botId);
    const report = this.#fleet.om.kill(botId === undefined ? {} : { botId }, options.flatten);
    // The cancels are on their way; answer once the venue has them, so "kill" means they are out.
    await this.#fleet.om.idle();
    return { scope: report.scope, canceled: report.canceled, closing: report.closing, protectiveCanceled: report.protectiveCanceled };
  }

  async reconcile(options: { botId?: string }): Promise<ReconcileResult[]> {
    const botId = this.#bot(options.botId);
    const bots = botId === undefined ? [...this.#fleet.manifests.keys()] : [botId];
    const results: ReconcileResult[] = [];
    for (const id of bots) {
      const status = await this.#fleet.reconciliation.reconcileBot(id);
      const findings = status.findings;
      results.push({
        botId: id,
        state: status.state,
        detail: status.detail,
        fillsApplied: findings?.fillsApplied ?? 0,
        foreignFills: findings?.foreignFills ?? 0,
        adopted: findings?.adopted ?? [],
        neverReceived: findings?.neverReceived ?? [],
        unsettled: findings?.unsettled ?? [],
        settled: findings?.settled ?? [],
        handedOver: findings?.handedOver ?? [],
        foreignOrders: findings?.foreignOrders.map((order) => ({ ...order })) ?? [],
        positionMismatches: findings?.positionMismatches.map((gap) => ({ instrumentId: gap.instrumentId, ledger: gap.ledger.toString(), venue: gap.venue.toString() })) ?? [],
        ledgerBalance: findings?.ledgerBalance.toString() ?? null,
        venueBalance: findings?.venueBalance.toString() ?? null,
      });
    }
    return results;
  }

  async halt(options: { botId?: string; reason: string }): Promise<ScopeStateInfo> {
    const botId = this.#bot(options.botId);
    return stateInfo(this.#fleet.om.halt(botId === undefined ? 'fleet' : botScope(botId), 'HALTED', 'OPERATOR_HALT', options.reason));
  }

  /** The order manager drops the scope's drawdown window on resume; the reply shows the peak it starts again from. */
  async resume(options: { botId?: string }): Promise<ResumeResult> {
    const botId = this.#bot(options.botId);
    const scope: Scope = botId === undefined ? 'fleet' : botScope(botId);
    return { ...stateInfo(this.#fleet.om.resume(scope)), drawdown: this.#drawdown(scope) };
  }

  async drawdown(options: { botId?: string }): Promise<Array<{ scope: string } & DrawdownInfo>> {
    const scopes: Scope[] = options.botId === undefined ? ['fleet', ...[...this.#fleet.manifests.keys()].map(botScope)] : [botScope(this.#bot(options.botId) as BotId)];
    return scopes.map((scope) => ({ scope, ...this.#drawdown(scope) }));
  }

  async setDrawdown(options: { botId?: string; window?: string; thresholdPercent: string }): Promise<{ scope: string } & DrawdownInfo> {
    const botId = this.#bot(options.botId);
    const scope: Scope = botId === undefined ? 'fleet' : botScope(botId);
    const windows = this.#fleet.om.drawdownPolicy(scope).map((window) => window.windowMs);
    const named = windows.map(formatWindowLength).join(', ');
    let windowMs: number;
    if (options.window === undefined) {
      if (windows.length > 1) throw new ControlError('BAD_REQUEST', `${scope} has ${windows.length} drawdown windows (${named}); say which to change, e.g. --window ${formatWindowLength(windows[windows.length - 1] as number)}`);
      windowMs = windows[0] as number;
    } else {
      const asked = parseWindowLength(options.window);
      if (asked === null) throw new ControlError('BAD_REQUEST', `window ${WINDOW_LENGTH_RULE}; got ${JSON.stringify(options.window)}`);
      if (!windows.includes(asked)) throw new ControlError('BAD_REQUEST', `${scope} has no ${formatWindowLength(asked)} drawdown window; its windows are ${named}`);
      windowMs = asked;
    }
    let fraction: Decimal;
    try {
      fraction = Decimal.parse(options.thresholdPercent, 'threshold percent').div(HUNDRED);
    } catch (error) {
      throw new ControlError('BAD_REQUEST', (error as Error).message);
    }
    if (!fraction.isPositive() || fraction.gt(Decimal.ONE)) throw new ControlError('BAD_REQUEST', `threshold must be above 0 and at most 100 percent, got ${options.thresholdPercent}`);
    this.#fleet.om.setDrawdownThreshold(scope, windowMs, fraction);
    return { scope, ...this.#drawdown(scope) };
  }

  async orders(options: { botId?: string; openOnly: boolean; limit: number }): Promise<OrderInfo[]> {
    const orders = this.#bots(options.botId).flatMap((botId) => {
      const ledger = this.#fleet.om.ledger(botId);
      return options.openOnly ? ledger.openOrders() : ledger.recentOrders(options.limit);
    });
    return orders.sort((a, b) => b.createdAt - a.createdAt || b.sequence - a.sequence).slice(0, options.limit).map(orderInfo);
  }

  async positions(options: { botId?: string }): Promise<PositionInfo[]> {
    return this.#bots(options.botId).flatMap((botId) => this.#fleet.om.ledger(botId).openPositions().map((position) => this.#position(botId, position)));
  }

  async pnl(options: { botId?: string }): Promise<PnlInfo[]> {
    return this.#bots(options.botId).map((botId) => {
      const ledger = this.#fleet.om.ledger(botId);
      const snapshot = this.#fleet.om.equitySnapshot(botId);
      const all = ledger.allPositions();
      return {
        botId,
        capital: ledger.capital().toString(),
        balance: snapshot.balance.toString(),
        equity: snapshot.equity.toString(),
        realizedPnl: Decimal.sum(all.map((position) => position.realizedPnl)).toString(),
        unrealizedPnl: snapshot.unrealizedPnl.toString(),
        fees: Decimal.sum(all.map((position) => position.fees)).toString(),
      };
    });
  }

  async decisions(options: { botId?: string; deniedOnly: boolean; limit: number }): Promise<DecisionInfo[]> {
    const botId = this.#bot(options.botId);
    // Straight from the store, which filters by bot before it limits (a busy bot no longer hides a quiet one's).
    return this.#fleet.store.recentDecisions(options.limit, options.deniedOnly, botId).map(decisionInfo);
  }
}
