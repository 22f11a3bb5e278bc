/**
 * What the operator can ask of a running fleet. The control API serves exactly this over HTTP on 127.0.0.1,
 * and the `supervisor` CLI is a client of it. Amounts are decimal strings; times are ms since the epoch, on one of
 * two clocks: what the order manager records (state changes, decisions, orders) is in market time, which the paper
 * clock runs `clockSpeed` times faster than real time and which resumes where it stood after a restart; process
 * facts (the supervisor's start, heartbeats, uptimes) are in wall time. FleetStatus carries both clocks' now.
 */

export type ProcessStatus = 'online' | 'launching' | 'stopping' | 'stopped' | 'errored' | 'not-started';
export type TradingStateName = 'ACTIVE' | 'REDUCING' | 'HALTED';

export interface ProcessInfo {
  status: ProcessStatus;
  pid: number | null;
  restarts: number;
  memoryBytes: number | null;
  cpuPercent: number | null;
  uptimeMs: number | null;
}

/** One window of a drawdown policy and its reading. */
export interface DrawdownWindowInfo {
  /** The window's length as `--window` names it, e.g. "30d". */
  window: string;
  windowMs: number;
  /** Fraction, e.g. "0.034" for 3.4%. */
  current: string;
  peak: string;
  threshold: string;
  action: 'REDUCING' | 'HALTED';
}

/**
 * A scope's drawdown: the top-level fields are the binding window's (a breached one, else the one with the most of
 * its threshold used), and `windows` lists every window in configured order.
 */
export interface DrawdownInfo extends DrawdownWindowInfo {
  windows: DrawdownWindowInfo[];
}

export interface ScopeStateInfo {
  state: TradingStateName;
  reason: string | null;
  detail: string;
  /** Market time. */
  changedAt: number;
  flattenPending: boolean;
}

export interface PositionInfo {
  botId: string;
  instrumentId: string;
  quantity: string;
  averageEntryPrice: string;
  markPrice: string | null;
  unrealizedPnl: string;
  realizedPnl: string;
  fees: string;
}

export interface OrderInfo {
  botId: string;
  clientOrderId: string;
  instrumentId: string;
  role: string;
  side: string;
  type: string;
  quantity: string;
  filledQuantity: string;
  limitPrice: string | null;
  triggerPrice: string | null;
  status: string;
  createdAt: number;
  updatedAt: number;
  detail: string;
}

export interface BotStatus {
  botId: string;
  name: string;
  process: ProcessInfo;
  /** The bot's own state and the effective one (stricter of bot and fleet). */
  state: ScopeStateInfo;
  effectiveState: TradingStateName;
  equity: string;
  drawdown: DrawdownInfo;
  openPositions: PositionInfo[];
  openOrders: number;
  /** Wall time. */
  lastHeartbeatAt: number | null;
  connected: boolean;
  /** This bot's own kill switch (`kill --bot`): HALTED by it until resumed. The fleet's is FleetStatus.killSwitchEngaged. */
  killSwitchEngaged: boolean;
  /**
   * The latest value of each note the bot's strategy made, e.g. { "SIGNAL_MODEL": "FALLBACK", "REGIME/BTCUSDT.BYBIT":
   * "HIGH_VOLATILITY" } (a note about one instrument is keyed by it); after a reconnect or a supervisor restart the
   * bot replays them, so a state such as a model fallback is shown again.
   */
  notes: Record<string, string>;
  /** Strategy calls that threw or returned nonsense since the supervisor started. */
  botCodeErrors: number;
  /**
   * Open positions no working stop fully covers (an incident: the order manager repairs each by rule, and says how
   * in `decisions`); empty when every position is protected.
   */
  unprotectedPositions: UnprotectedPositionInfo[];
  reconciliation: ReconciliationInfo;
  riskInUse: RiskInUseInfo;
  /** Per hour of market time; only in the status of one bot (`GET /v1/status?bot=<id>`, `supervisor status <bot>`). */
  activity?: BotActivityInfo;
}

/** The bot's open risk now, against the most its manifest allows (risk.maxOpenRisk). */
export interface RiskInUseInfo {
  /** Quote currency: the loss if every position hit its worst stop, plus what its in-flight entries risk. */
  openRisk: string;
  /** openRisk / equity, a fraction (e.g. "0.0042"); "0" when the bot has no equity. */
  fraction: string;
  /** risk.maxOpenRisk, a fraction (e.g. "0.01"). */
  target: string;
}

/**
 * One hour of market time for one bot. The note figures count the strategy notes of the same name (`route`,
 * `suppress`, `flip_flop`, `block`: see BotActivityInfo.countedNotes); the order figures come from its ledger.
 */
export interface HourActivityInfo {
  /** The hour's start, market time. */
  hour: number;
  /** `route` notes: evaluations that sent an entry. */
  actionable: number;
  /** Entry orders whose first fill was in this hour. */
  filled: number;
  /** `suppress` notes, in all and by value (the first condition that failed). */
  suppressed: number;
  suppressedBy: Record<string, number>;
  /** `block` notes by value: order-manager denials the bot learned of. */
  blockedBy: Record<string, number>;
  /** `flip_flop` notes: a signal that changed sign. */
  flipFlops: number;
  /** Round trips closed (a position back to flat, or through it), and of those, closed by their protective stop. */
  closed: number;
  stoppedOut: number;
  /** stoppedOut / closed, a fraction; null when nothing closed. */
  stopOutRatio: string | null;
  /** The highest risk in use (open risk / equity) sampled in this hour; null when none was. */
  peakRiskInUse: string | null;
}

export interface BotActivityInfo {
  /** Of the counted note names, those the bot's strategy declares: the note figures of the others are always 0. */
  countedNotes: string[];
  /** The current hour first, then each hour before it. */
  hours: HourActivityInfo[];
}

/** Where a bot stands with its venue: it trades only once RECONCILED. */
export interface ReconciliationInfo {
  state: 'PENDING' | 'RECONCILED' | 'FAILED';
  /** Market time of the last run, or null before the first. */
  at: number | null;
  /** Why it may not trade, or what the last run found. */
  detail: string;
}

/** What one run of reconciliation found for one bot (`supervisor reconcile`). */
export interface ReconcileResult {
  botId: string;
  state: 'PENDING' | 'RECONCILED' | 'FAILED';
  detail: string;
  fillsApplied: number;
  foreignFills: number;
  adopted: string[];
  neverReceived: string[];
  unsettled: string[];
  settled: string[];
  handedOver: string[];
  foreignOrders: Array<{ clientOrderId: string; instrumentId: string }>;
  positionMismatches: Array<{ instrumentId: string; ledger: string; venue: string }>;
  ledgerBalance: string | null;
  venueBalance: string | null;
}

export interface UnprotectedPositionInfo {
  instrumentId: string;
  quantity: string;
  /** The part no working or in-flight stop covers. */
  uncovered: string;
  /** NO_WORKING_STOP or STOP_SMALLER_THAN_POSITION. */
  cause: string;
}

export interface FleetStatus {
  mode: 'paper' | 'live';
  /** startedAt is wall time; marketTime is the market clock's now, against which market-time ages are measured. */
  supervisor: { pid: number; startedAt: number; clockSpeed: number; marketTime: number };
  state: ScopeStateInfo;
  killSwitchEngaged: boolean;
  /** "host:port" when the operator opted in to serving /metrics beyond loopback (metrics.exposeBeyondLoopback); absent otherwise. */
  metricsExposedOn?: string;
  equity: string;
  drawdown: DrawdownInfo;
  bots: BotStatus[];
}

export type BotLoadStatus = 'LOADED' | 'LOAD_FAILED' | 'DUPLICATE';

export interface BotListing {
  /** The folder under bots/. */
  folder: string;
  botId: string | null;
  name: string | null;
  status: BotLoadStatus;
  reason: string | null;
  venue: string | null;
  instruments: string[];
  timeframes: string[];
}

/** A resume also starts the scope's drawdown afresh: its peak is reset to the current equity (drawdown.peak). */
export interface ResumeResult extends ScopeStateInfo {
  drawdown: DrawdownInfo;
}

export interface KillResult {
  scope: string;
  canceled: string[];
  closing: string[];
  protectiveCanceled: string[];
}

export interface PnlInfo {
  botId: string;
  capital: string;
  balance: string;
  equity: string;
  realizedPnl: string;
  unrealizedPnl: string;
  fees: string;
}

export interface DecisionInfo {
  botId: string;
  intentId: string;
  instrumentId: string;
  outcome: 'APPROVED' | 'RESIZED' | 'DENIED';
  reason: string | null;
  detail: string;
  requestedQuantity: string | null;
  approvedQuantity: string | null;
  clientOrderId: string | null;
  decidedAt: number;
  latencyUs: number;
}

/** Error codes the control API answers with; the CLI maps them to exit codes. */
export const CONTROL_ERROR_CODES = ['BAD_REQUEST', 'UNAUTHORIZED', 'UNKNOWN_BOT', 'CONFLICT', 'INTERNAL'] as const;
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

/** Thrown by a FleetControl implementation; the server turns it into an error reply with this code. */
export class ControlError extends Error {
  override name = 'ControlError';
  readonly code: ControlErrorCode;
  constructor(code: ControlErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface FleetControl {
  /** With a bot, only that bot, with its per-hour activity. */
  status(options?: { botId?: string }): Promise<FleetStatus>;
  bots(): Promise<BotListing[]>;
  startBot(botId: string): Promise<ProcessInfo>;
  stopBot(botId: string): Promise<ProcessInfo>;
  restartBot(botId: string): Promise<ProcessInfo>;
  kill(options: { botId?: string; flatten: boolean }): Promise<KillResult>;
  /** Reconciles one bot, or every bot, with its venue now, and says what was found. */
  reconcile(options: { botId?: string }): Promise<ReconcileResult[]>;
  halt(options: { botId?: string; reason: string }): Promise<ScopeStateInfo>;
  resume(options: { botId?: string }): Promise<ResumeResult>;
  drawdown(options: { botId?: string }): Promise<Array<{ scope: string } & DrawdownInfo>>;
  /**
   * threshold is a percent string, e.g. "7.5"; window names one of the scope's windows by its length ("30d"), and
   * may be left out only when the scope has a single window.
   */
  setDrawdown(options: { botId?: string; window?: string; thresholdPercent: string }): Promise<{ scope: string } & DrawdownInfo>;
  orders(options: { botId?: string; openOnly: boolean; limit: number }): Promise<OrderInfo[]>;
  positions(options: { botId?: string }): Promise<PositionInfo[]>;
  pnl(options: { botId?: string }): Promise<PnlInfo[]>;
  decisions(options: { botId?: string; deniedOnly: boolean; limit: number }): Promise<DecisionInfo[]>;
}
