import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import type { Decision, DecisionOutcome, DecisionReason } from '../../../core/decision.ts';
import type { BotId, ClientOrderId, InstrumentId } from '../../../core/ids.ts';
import { makeClientOrderId, parseBotId, parseExposureKey, parseInstrumentId, parseIntentId, parseSubAccountId, parseTradeId, parseVenueOrderId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import type { ExecutionReport, OrderStatus } from '../../../core/order.ts';
import type { Timeframe } from '../../../core/strategy.ts';
import type { OrderRecord } from '../../../ledger/types.ts';
import type { BotStatus, FleetStatus, OrderInfo, PnlInfo, PositionInfo } from '../../../supervisor/control/fleet-control.ts';
import type { MetricsBot } from '../../../supervisor/metrics/labels.ts';
import { FleetMetrics } from '../../../supervisor/metrics/metrics.ts';

export const ROOT = join(import.meta.dirname, '..', '..', '..');
export const ALPHA = parseBotId('alpha');
export const BRAVO = parseBotId('bravo');
export const BTC = parseInstrumentId('BTCUSDT.BYBIT');
export const QQQ = parseInstrumentId('QQQ.ALPACA');
export const SQQQ = parseInstrumentId('SQQQ.ALPACA');
export const NOW = Date.UTC(2026, 10, 2, 14, 30);

const instrument = (id: InstrumentId, key: string, beta: string): Instrument => ({
  id,
  kind: id.endsWith('.BYBIT') ? 'PERPETUAL' : 'EQUITY',
  tickSize: dec('0.01'),
  lotStep: dec('0.001'),
  minQuantity: dec('0.001'),
  minNotional: dec('1'),
  exposureKey: parseExposureKey(key),
  beta: dec(beta),
});

export const INSTRUMENTS: Instrument[] = [instrument(BTC, 'BTC', '1'), instrument(QQQ, 'NDX', '1'), instrument(SQQQ, 'NDX', '-3')];
export const BTC_KEY = parseExposureKey('BTC');
export const NDX_KEY = parseExposureKey('NDX');

/** The notes the test bots' strategies declare. */
export const NOTES = new Map([[BRAVO, { ENTRY_BLOCKED: ['ENVIRONMENT', 'DIRECTION', 'TRIGGER'] }]]);

/** The test bots' manifests, as far as the metrics need them: alpha trades BTC on Bybit, bravo the NDX pair on Alpaca. */
export const BOTS: MetricsBot[] = [
  { id: ALPHA, venue: 'BYBIT', subAccount: parseSubAccountId('alpha-sub'), instruments: [BTC], timeframes: ['1m', '5m'] },
  { id: BRAVO, venue: 'ALPACA', subAccount: parseSubAccountId('bravo-sub'), instruments: [QQQ, SQQQ], timeframes: ['15m'] },
];

export function makeMetrics(clock = new ManualClock(NOW)): { metrics: FleetMetrics; clock: ManualClock } {
  return { metrics: new FleetMetrics({ bots: BOTS, instruments: INSTRUMENTS, clock, notes: NOTES }), clock };
}

export function decision(botId: BotId, outcome: DecisionOutcome, reason: DecisionReason | null, latencyNs = 12_000): Decision {
  return {
    intentId: parseIntentId('intent-1'),
    botId,
    instrumentId: BTC,
    outcome,
    reason,
    detail: 'free text from the pipeline, e.g. notional 60000 exceeds 50000',
    requestedQuantity: dec('0.1'),
    approvedQuantity: outcome === 'DENIED' ? null : dec('0.1'),
    clientOrderId: null,
    decidedAt: NOW,
    latencyNs,
  };
}

let sequence = 0;
export function orderId(botId: BotId = ALPHA): ClientOrderId {
  sequence += 1;
  return makeClientOrderId(botId, '0000abcd', 'ENTRY', sequence);
}

export function order(botId: BotId, clientOrderId: ClientOrderId, status: OrderStatus, filled = '0'): OrderRecord {
  return {
    clientOrderId,
    botId,
    subAccountId: parseSubAccountId(`${botId}-sub`),
    intentId: parseIntentId('intent-1'),
    instrumentId: BTC,
    role: 'ENTRY',
    side: 'BUY',
    type: 'MARKET',
    quantity: dec('0.2'),
    limitPrice: null,
    triggerPrice: null,
    timeInForce: 'GTC',
    reduceOnly: false,
    parentClientOrderId: null,
    activatesOnParentFill: false,
    sequence: 1,
    createdAt: NOW,
    status,
    venueOrderId: null,
    filledQuantity: dec(filled),
    averageFillPrice: null,
    updatedAt: NOW,
    detail: '',
  };
}

export function filled(clientOrderId: ClientOrderId, quantity: string, cumulative: string, leaves: string, liquidity: 'MAKER' | 'TAKER' = 'TAKER'): ExecutionReport {
  return {
    type: 'ORDER_FILLED',
    subAccountId: parseSubAccountId('alpha-sub'),
    fill: { tradeId: parseTradeId(`t-${cumulative}`), clientOrderId, instrumentId: BTC, side: 'BUY', quantity: dec(quantity), price: dec('50000'), fee: dec('1'), liquidity, at: NOW },
    cumulativeQuantity: dec(cumulative),
    leavesQuantity: dec(leaves),
  };
}

export function accepted(clientOrderId: ClientOrderId): ExecutionReport {
  return { type: 'ORDER_ACCEPTED', subAccountId: parseSubAccountId('alpha-sub'), clientOrderId, venueOrderId: parseVenueOrderId('v-1'), at: NOW };
}

export function position(botId: string, instrumentId: string, quantity: string, markPrice: string | null, averageEntryPrice = '100'): PositionInfo {
  return { botId, instrumentId, quantity, averageEntryPrice, markPrice, unrealizedPnl: '0', realizedPnl: '0', fees: '0' };
}

/** A one-day window (the binding one, with the given reading) and a 30-day window at a quarter of its 20% threshold. */
const drawdown = (current: string, threshold: string) => {
  const day = { window: '1d', windowMs: 86_400_000, current, peak: '100000', threshold, action: 'HALTED' as const };
  return { ...day, windows: [day, { window: '30d', windowMs: 30 * 86_400_000, current: '0.05', peak: '105000', threshold: '0.2', action: 'HALTED' as const }] };
};

/** An open protective stop of the bot's, as FleetControl.orders lists it. */
export function stopOrder(botId: string, instrumentId: string, side: 'BUY' | 'SELL', triggerPrice: string, role = 'STOP'): OrderInfo {
  return {
    botId,
    clientOrderId: `${botId}_0000abcd_S${triggerPrice.replace('.', '')}`,
    instrumentId,
    role,
    side,
    type: 'STOP_MARKET',
    quantity: '0.2',
    filledQuantity: '0',
    limitPrice: null,
    triggerPrice,
    status: 'ACCEPTED',
    createdAt: NOW,
    updatedAt: NOW,
    detail: '',
  };
}

export function botStatus(botId: string, overrides: Partial<BotStatus> = {}): BotStatus {
  return {
    botId,
    name: botId,
    process: { status: 'online', pid: 4242, restarts: 0, memoryBytes: 52_428_800, cpuPercent: 3.5, uptimeMs: 60_000 },
    state: { state: 'ACTIVE', reason: null, detail: '', changedAt: 0, flattenPending: false },
    effectiveState: 'ACTIVE',
    equity: '100250.5',
    drawdown: drawdown('0.012', '0.1'),
    openPositions: [],
    openOrders: 2,
    lastHeartbeatAt: NOW - 1_500,
    connected: true,
    killSwitchEngaged: false,
    notes: {},
    botCodeErrors: 0,
    unprotectedPositions: [],
    reconciliation: { state: 'RECONCILED', at: NOW, detail: 'positions agree' },
    riskInUse: { openRisk: '420.5', fraction: '0.004195', target: '0.01' },
    ...overrides,
  };
}

export function fleetStatus(bots: BotStatus[], overrides: Partial<FleetStatus> = {}): FleetStatus {
  return {
    mode: 'paper',
    supervisor: { pid: 4000, startedAt: NOW - 3_600_000, clockSpeed: 1, marketTime: NOW },
    state: { state: 'ACTIVE', reason: null, detail: '', changedAt: 0, flattenPending: false },
    killSwitchEngaged: false,
    equity: '200500',
    drawdown: drawdown('0.004', '0.15'),
    bots,
    ...overrides,
  };
}

export function pnl(botId: string, realizedPnl = '250.5', unrealizedPnl = '-40', fees = '12.25'): PnlInfo {
  return { botId, capital: '100000', balance: '100238.25', equity: '100198.25', realizedPnl, unrealizedPnl, fees };
}

/** Feeds every kind of observation once, so every Flotilla metric has at least one sample. */
export function feedEverything(metrics: FleetMetrics): void {
  metrics.recordDecision(decision(ALPHA, 'APPROVED', null));
  metrics.recordDecision(decision(BRAVO, 'DENIED', 'IN_FLIGHT_LOCK', 4_000));
  const id = orderId();
  metrics.recordOrderSubmitted(order(ALPHA, id, 'PENDING_SUBMIT'));
  metrics.recordReport(ALPHA, accepted(id), order(ALPHA, id, 'ACCEPTED'));
  metrics.recordReport(ALPHA, filled(id, '0.2', '0.2', '0'), order(ALPHA, id, 'FILLED', '0.2'));
  metrics.recordReport(
    ALPHA,
    { type: 'ORDER_REJECTED', subAccountId: parseSubAccountId('alpha-sub'), clientOrderId: id, reason: 'INSUFFICIENT_BALANCE', detail: 'venue says: balance 12.5 < 30', at: NOW },
    order(ALPHA, id, 'REJECTED'),
  );
  metrics.recordStateChange({ scope: 'bot:alpha', state: 'HALTED', reason: 'KILL_SWITCH', detail: 'kill switch', changedAt: NOW, flattenPending: false });
  metrics.observeFleet(
    fleetStatus([botStatus(ALPHA, { openPositions: [position(ALPHA, BTC, '0.2', '50000'), position(ALPHA, SQQQ, '-10', '9')] }), botStatus(BRAVO)]),
    { lockedKeys: [BTC_KEY], pnl: [pnl(ALPHA), pnl(BRAVO)], openOrders: [stopOrder(ALPHA, BTC, 'SELL', '48000')] },
  );
  metrics.recordVenueConnection('BYBIT', true);
  metrics.recordVenueRateLimit('BYBIT', parseSubAccountId('alpha-sub'), 18, 20);
  metrics.recordReconciliation(ALPHA, 0);
  metrics.recordVenueRequest('BYBIT', 'SUBMIT', 0.042, null);
  metrics.recordVenueRequest('ALPACA', 'CANCEL', 1.5, 'TIMEOUT');
  metrics.recordBotCodeError(BRAVO);
  metrics.recordWarmUpActionsDropped(ALPHA, 3);
  metrics.recordOrderManagerEvent({ type: 'PROTECTION_CHECKED', botId: ALPHA, unprotected: [] });
  metrics.recordOrderManagerEvent({ type: 'PROTECTION_REPAIRED', botId: ALPHA, instrumentId: BTC, repair: 'STOP_PLACED', clientOrderId: orderId(), detail: 'placed a stop' });
  metrics.recordOrderManagerEvent({ type: 'STOP_MOVE_FAILED', botId: ALPHA, replaced: orderId(), replacement: orderId(), status: 'REJECTED', detail: 'refused' });
  metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'ENVIRONMENT');
  metrics.recordMarketDataLag(BTC, '1m', 0.35);
  metrics.recordCandlesDelivered(ALPHA, BTC, '1m', 3);
  // A timeframe outside TIMEFRAMES: refused, and the refusal is itself a metric.
  metrics.recordMarketDataLag(BTC, '2m' as Timeframe, 1);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the sample lines of the Prometheus text format (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name = '', value = ''] of (match[2] ?? '').matchAll(LABEL)) labels[name] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1] ?? '', labels, value: Number(match[3]) });
  }
  return samples;
}

/** The family a sample belongs to: histogram series carry _bucket, _sum and _count. */
export function family(sampleName: string): string {
  return sampleName.replace(/_(bucket|sum|count)$/, '');
}

export async function samples(metrics: FleetMetrics): Promise<Sample[]> {
  return parseExposition(await metrics.metricsText());
}

/** The samples of a metric that counted something: series started at zero are left out. */
export function counted(all: Sample[], name: string): Sample[] {
  return all.filter((sample) => sample.name === name && sample.value !== 0);
}

/** The single sample of a metric with exactly these labels (besides none other), or undefined. */
export function valueOf(all: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  return all.find((sample) => sample.name === name && Object.keys(sample.labels).length === wanted.length && wanted.every(([key, value]) => sample.labels[key] === value))?.value;
}

export interface DocumentedMetric {
  name: string;
  type: string;
  labels: string[];
  panels: Array<{ dashboard: string; title: string }>;
  linuxOnly: boolean;
  section: 'flotilla' | 'supervisor';
}

/** The metric tables of docs/metrics.md. */
export function documentedMetrics(): DocumentedMetric[] {
  const text = readFileSync(join(ROOT, 'docs', 'metrics.md'), 'utf8');
  const rows: DocumentedMetric[] = [];
  let section: 'flotilla' | 'supervisor' | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) section = line === '## Flotilla metrics' ? 'flotilla' : line === '## Supervisor process' ? 'supervisor' : null;
    if (section === null || !line.startsWith('| `flotilla_')) continue;
    const cells = line.split('|').map((cell) => cell.trim());
    const [, name = '', type = '', labels = '', meaning = '', panels = ''] = cells;
    rows.push({
      name: name.replaceAll('`', ''),
      type: type.replace(/ \(enum\)$/, ''),
      labels: [...labels.matchAll(/`([a-z_]+)`/g)].map((match) => match[1] ?? ''),
      panels:
        panels === '—'
          ? []
          : panels.split('; ').map((reference) => {
              const [dashboard = '', ...title] = reference.split(': ');
              return { dashboard, title: title.join(': ') };
            }),
      linuxOnly: meaning.includes('(Linux only)'),
      section,
    });
  }
  return rows;
}

export interface DashboardPanel {
  type: string;
  title: string;
  targets?: Array<{ expr?: string }>;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: DashboardPanel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string; datasource?: unknown }> };
}

export const DASHBOARD_FILES = ['flotilla-bot.json', 'flotilla-fleet.json', 'flotilla-order-manager.json', 'flotilla-venue.json'];

export function dashboards(): Dashboard[] {
  return DASHBOARD_FILES.map((file) => JSON.parse(readFileSync(join(ROOT, 'dashboards', file), 'utf8')) as Dashboard);
}
