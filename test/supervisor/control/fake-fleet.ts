import { ControlError } from '../../../supervisor/control/fleet-control.ts';
import type {
  BotActivityInfo,
  BotListing,
  BotStatus,
  DecisionInfo,
  DrawdownInfo,
  FleetControl,
  FleetStatus,
  KillResult,
  OrderInfo,
  PnlInfo,
  PositionInfo,
  ProcessInfo,
  ScopeStateInfo,
} from '../../../supervisor/control/fleet-control.ts';

/**
 * A stand-in for the fleet behind the control API: fixed data, a record of every call, and two bots, "trend"
 * (running, so starting it is a CONFLICT) and "grid" (stopped). Any other bot id is UNKNOWN_BOT.
 */

export const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);
/** The market clock runs ahead of the wall clock (x300): ages of state changes must be taken from it, not from NOW. */
export const MARKET_NOW = NOW + 30 * 86_400_000;
export const KNOWN_BOTS = ['trend', 'grid'];

/** A scope with one window: the binding one is the only one. */
function oneWindow(fields: { current: string; peak: string; threshold: string }): DrawdownInfo {
  const window = { window: '1d', windowMs: 86_400_000, action: 'HALTED' as const, ...fields };
  return { ...window, windows: [window] };
}

const drawdown: DrawdownInfo = oneWindow({ current: '0.012', peak: '10400', threshold: '0.1' });
const active: ScopeStateInfo = { state: 'ACTIVE', reason: null, detail: '', changedAt: MARKET_NOW - 3_600_000, flattenPending: false };

export const POSITIONS: PositionInfo[] = [
  {
    botId: 'trend',
    instrumentId: 'BTCUSDT.BYBIT',
    quantity: '0.02',
    averageEntryPrice: '50000',
    markPrice: '51000',
    unrealizedPnl: '20',
    realizedPnl: '0',
    fees: '0.55',
  },
];

const trend: BotStatus = {
  botId: 'trend',
  name: 'Trend follower',
  process: { status: 'online', pid: 4242, restarts: 1, memoryBytes: 52_428_800, cpuPercent: 1.5, uptimeMs: 7_200_000 },
  state: active,
  effectiveState: 'ACTIVE',
  equity: '5020.45',
  drawdown: oneWindow({ current: '0.0034', threshold: '0.08', peak: '5037.5' }),
  openPositions: POSITIONS,
  openOrders: 2,
  lastHeartbeatAt: NOW - 4_000,
  connected: true,
  killSwitchEngaged: false,
  notes: {},
  botCodeErrors: 0,
  unprotectedPositions: [],
  reconciliation: { state: 'RECONCILED', at: MARKET_NOW - 60_000, detail: '0 fill(s) applied, positions agree' },
  riskInUse: { openRisk: '20', fraction: '0.003984', target: '0.01' },
};

const grid: BotStatus = {
  botId: 'grid',
  name: 'Grid trader',
  process: { status: 'stopped', pid: null, restarts: 0, memoryBytes: null, cpuPercent: null, uptimeMs: null },
  state: { state: 'HALTED', reason: 'DRAWDOWN_HALT', detail: 'drawdown 8.1% reached the 8% threshold', changedAt: MARKET_NOW - 600_000, flattenPending: false },
  effectiveState: 'HALTED',
  equity: '4590',
  drawdown: oneWindow({ current: '0.081', threshold: '0.08', peak: '4995' }),
  openPositions: [],
  openOrders: 0,
  lastHeartbeatAt: null,
  connected: false,
  killSwitchEngaged: false,
  notes: { SIGNAL_MODEL: 'FALLBACK' },
  botCodeErrors: 2,
  unprotectedPositions: [],
  reconciliation: { state: 'RECONCILED', at: MARKET_NOW - 60_000, detail: '0 fill(s) applied, positions agree' },
  riskInUse: { openRisk: '0', fraction: '0', target: '0.02' },
};

export const STATUS: FleetStatus = {
  mode: 'paper',
  supervisor: { pid: 777, startedAt: NOW - 7_500_000, clockSpeed: 300, marketTime: MARKET_NOW },
  state: active,
  killSwitchEngaged: false,
  equity: '9610.45',
  drawdown,
  bots: [trend, grid],
};

const HOUR = 3_600_000;
const marketHour = Math.floor(MARKET_NOW / HOUR) * HOUR;
const quietHour = (hour: number) => ({ hour, actionable: 0, filled: 0, suppressed: 0, suppressedBy: {}, blockedBy: {}, flipFlops: 0, closed: 0, stoppedOut: 0, stopOutRatio: null, peakRiskInUse: null });

/** trend's last seven hours of market time: busy now, a stop-out an hour ago, quiet before. */
export const TREND_ACTIVITY: BotActivityInfo = {
  countedNotes: ['route', 'suppress', 'flip_flop', 'block'],
  hours: [
    { hour: marketHour, actionable: 3, filled: 2, suppressed: 12, suppressedBy: { NOT_FALLING: 2, BELOW_BREADTH: 10 }, blockedBy: { IN_FLIGHT_LOCK: 18 }, flipFlops: 4, closed: 2, stoppedOut: 1, stopOutRatio: '0.5', peakRiskInUse: '0.0082' },
    { hour: marketHour - HOUR, actionable: 1, filled: 1, suppressed: 0, suppressedBy: {}, blockedBy: { WOULD_HEDGE: 1 }, flipFlops: 0, closed: 1, stoppedOut: 1, stopOutRatio: '1', peakRiskInUse: '0.002' },
    ...[2, 3, 4, 5, 6].map((back) => quietHour(marketHour - back * HOUR)),
  ],
};

export const BOTS: BotListing[] = [
  { folder: 'trend', botId: 'trend', name: 'Trend follower', status: 'LOADED', reason: null, venue: 'BYBIT', instruments: ['BTCUSDT.BYBIT', 'ETHUSDT.BYBIT'], timeframes: ['1h', '4h'] },
  { folder: 'grid', botId: 'grid', name: 'Grid trader', status: 'LOADED', reason: null, venue: 'BYBIT', instruments: ['ETHUSDT.BYBIT'], timeframes: ['5m'] },
  { folder: 'broken', botId: null, name: null, status: 'LOAD_FAILED', reason: 'strategy.ts exports no Strategy', venue: null, instruments: [], timeframes: [] },
];

export const ORDERS: OrderInfo[] = [
  {
    botId: 'trend',
    clientOrderId: 'trend_0abcdefg_S2',
    instrumentId: 'BTCUSDT.BYBIT',
    role: 'STOP',
    side: 'SELL',
    type: 'STOP_MARKET',
    quantity: '0.02',
    filledQuantity: '0',
    limitPrice: null,
    triggerPrice: '49000',
    status: 'ACCEPTED',
    createdAt: NOW - 60_000,
    updatedAt: NOW - 59_000,
    detail: '',
  },
];

export const PNL: PnlInfo[] = [
  { botId: 'trend', capital: '5000', balance: '5000.45', equity: '5020.45', realizedPnl: '1', unrealizedPnl: '20', fees: '0.55' },
  { botId: 'grid', capital: '5000', balance: '4590', equity: '4590', realizedPnl: '-405', unrealizedPnl: '0', fees: '5' },
];

export const DECISIONS: DecisionInfo[] = [
  {
    botId: 'grid',
    intentId: 'grid-42',
    instrumentId: 'ETHUSDT.BYBIT',
    outcome: 'DENIED',
    reason: 'TRADING_HALTED',
    detail: 'bot grid is HALTED',
    requestedQuantity: '0.5',
    approvedQuantity: null,
    clientOrderId: null,
    decidedAt: NOW - 30_000,
    latencyUs: 85,
  },
];

export const KILL: KillResult = {
  scope: 'fleet',
  canceled: ['grid_0abcdefg_E7', 'trend_0abcdefg_E3'],
  closing: ['trend BTCUSDT.BYBIT 0.02'],
  protectiveCanceled: ['trend_0abcdefg_S2'],
};

export interface FakeFleet extends FleetControl {
  /** Every call, as [method, argument]. */
  calls: Array<[string, unknown]>;
}

function known(botId: string | undefined): void {
  if (botId !== undefined && !KNOWN_BOTS.includes(botId)) throw new ControlError('UNKNOWN_BOT', `no bot "${botId}" in this fleet`);
}

function processInfo(status: ProcessInfo['status']): ProcessInfo {
  return { status, pid: status === 'online' ? 5151 : null, restarts: 0, memoryBytes: null, cpuPercent: null, uptimeMs: null };
}

/** Overrides replace single methods, e.g. one that throws, and still have their calls recorded. */
export function createFakeFleet(overrides: Partial<FleetControl> = {}): FakeFleet {
  const calls: Array<[string, unknown]> = [];
  const base: FleetControl = {
    status: async (options) => {
      known(options?.botId);
      if (options?.botId === undefined) return STATUS;
      const bot = STATUS.bots.find((candidate) => candidate.botId === options.botId) as BotStatus;
      return { ...STATUS, bots: [{ ...bot, activity: bot.botId === 'trend' ? TREND_ACTIVITY : { countedNotes: [], hours: TREND_ACTIVITY.hours.map((hour) => quietHour(hour.hour)) } }] };
    },
    bots: async () => BOTS,
    startBot: async (botId) => {
      known(botId);
      if (botId === 'trend') throw new ControlError('CONFLICT', 'bot "trend" is already running');
      return processInfo('online');
    },
    stopBot: async (botId) => {
      known(botId);
      return processInfo('stopped');
    },
    restartBot: async (botId) => {
      known(botId);
      return processInfo('online');
    },
    reconcile: async (options) => {
      known(options.botId);
      return [{ botId: options.botId ?? 'trend', state: 'RECONCILED', detail: '2 fill(s) applied, positions agree', fillsApplied: 2, foreignFills: 0, adopted: [], neverReceived: [], unsettled: [], settled: [], handedOver: [], foreignOrders: [], positionMismatches: [], ledgerBalance: '5000', venueBalance: '5000' }];
    },
    kill: async (options) => {
      known(options.botId);
      return { ...KILL, scope: options.botId ?? 'fleet', closing: options.flatten ? KILL.closing : [] };
    },
    halt: async (options) => {
      known(options.botId);
      return { state: 'HALTED', reason: 'OPERATOR_HALT', detail: options.reason, changedAt: MARKET_NOW, flattenPending: false };
    },
    resume: async (options) => {
      known(options.botId);
      const scope = options.botId === undefined ? drawdown : trend.drawdown;
      return { ...active, reason: 'OPERATOR_RESUME', detail: 'resumed by the operator', changedAt: MARKET_NOW, drawdown: { ...scope, current: '0', peak: options.botId === undefined ? '9610.45' : '5020.45' } };
    },
    drawdown: async (options) => {
      known(options.botId);
      return [{ scope: 'fleet', ...drawdown }, { scope: 'trend', ...trend.drawdown }].filter((row) => options.botId === undefined || row.scope === options.botId);
    },
    setDrawdown: async (options) => {
      known(options.botId);
      return { scope: options.botId ?? 'fleet', ...oneWindow({ current: drawdown.current, peak: drawdown.peak, threshold: (Number(options.thresholdPercent) / 100).toString() }) };
    },
    orders: async (options) => {
      known(options.botId);
      return ORDERS;
    },
    positions: async (options) => {
      known(options.botId);
      return POSITIONS;
    },
    pnl: async (options) => {
      known(options.botId);
      return PNL;
    },
    decisions: async (options) => {
      known(options.botId);
      return DECISIONS;
    },
  };
  const merged: FleetControl = { ...base, ...overrides };
  const fleet = { calls } as FakeFleet;
  for (const name of Object.keys(merged) as Array<keyof FleetControl>) {
    const method = merged[name] as (argument?: unknown) => Promise<unknown>;
    Object.assign(fleet, {
      [name]: (argument?: unknown) => {
        calls.push([name, argument]);
        return method(argument);
      },
    });
  }
  return fleet;
}
