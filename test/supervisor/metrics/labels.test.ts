import { PROTECTION_REPAIRS } from '../../../supervisor/order-manager/protection.ts';
import { describe, expect, it } from 'vitest';
import { DECISION_REASONS } from '../../../core/decision.ts';
import type { DecisionReason } from '../../../core/decision.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import type { BotId, ExposureKey, InstrumentId } from '../../../core/ids.ts';
import { ORDER_ROLES } from '../../../core/ids.ts';
import { ORDER_STATUSES, REJECTION_REASONS } from '../../../core/order.ts';
import type { RejectionReason } from '../../../core/order.ts';
import { TIMEFRAMES } from '../../../core/strategy.ts';
import type { Timeframe } from '../../../core/strategy.ts';
import { TRADING_STATES } from '../../../core/trading-state.ts';
import { FLEET_MODES, LIQUIDITIES, NO_REASON, OTHER, VENUE_ERROR_KINDS, VENUE_REQUEST_KINDS } from '../../../supervisor/metrics/labels.ts';
import type { VenueErrorKind, VenueRequestKind } from '../../../supervisor/metrics/labels.ts';
import { FleetMetrics } from '../../../supervisor/metrics/metrics.ts';
import { STATE_CHANGE_REASONS } from '../../../supervisor/store/supervisor-store.ts';
import { ALPHA, BTC, INSTRUMENTS, NOW, botStatus, counted, decision, documentedMetrics, feedEverything, fleetStatus, makeMetrics, order, orderId, pnl, position, samples, valueOf, NOTES, BRAVO } from './fixture.ts';

const SECRET = 'sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';

/** Every value each label may take in this test's configuration. */
function allowedValues(): Record<string, ReadonlySet<string>> {
  const documented = new Set(documentedMetrics().filter((row) => row.section === 'flotilla').map((row) => row.name));
  const labelNames = new Set(documentedMetrics().flatMap((row) => row.labels));
  return {
    bot: new Set(['alpha', 'bravo']),
    instrument: new Set(INSTRUMENTS.map((instrument) => instrument.id)),
    key: new Set(INSTRUMENTS.map((instrument) => instrument.exposureKey)),
    venue: new Set(['BYBIT', 'ALPACA']),
    sub_account: new Set(['alpha-sub', 'bravo-sub']),
    timeframe: new Set(TIMEFRAMES),
    window: new Set(['1d', '30d']),
    outcome: new Set(['APPROVED', 'RESIZED', 'DENIED', OTHER]),
    reason: new Set([...DECISION_REASONS, ...REJECTION_REASONS, ...STATE_CHANGE_REASONS, NO_REASON, OTHER]),
    status: new Set([...ORDER_STATUSES, OTHER]),
    request: new Set([...VENUE_REQUEST_KINDS, OTHER]),
    liquidity: new Set([...LIQUIDITIES, OTHER]),
    exit: new Set([...ORDER_ROLES, OTHER]),
    repair: new Set([...PROTECTION_REPAIRS, OTHER]),
    error: new Set([...VENUE_ERROR_KINDS, OTHER]),
    state: new Set([...TRADING_STATES, OTHER]),
    scope: new Set(['fleet', 'bot:alpha', 'bot:bravo']),
    mode: new Set(FLEET_MODES),
    metric: documented,
    label: labelNames,
    le: new Set(),
    note: new Set([...NOTES.values()].flatMap((declared) => Object.keys(declared))),
    value: new Set([...NOTES.values()].flatMap((declared) => Object.values(declared).flat())),
  };
}

describe('label values', () => {
  it('when everything is fed, then every Flotilla label value is in its closed set or the configuration', async () => {
    const { metrics } = makeMetrics();
    feedEverything(metrics);
    const allowed = allowedValues();
    const strays: string[] = [];
    for (const sample of await samples(metrics)) {
      if (sample.name.startsWith('flotilla_supervisor_')) continue;
      for (const [label, value] of Object.entries(sample.labels)) {
        if (label === 'le') continue;
        // A note about the bot as a whole (a model's status) has no instrument.
        if (sample.name === 'flotilla_bot_note_state' && label === 'instrument' && value === '') continue;
        if (!allowed[label]?.has(value)) strays.push(`${sample.name}{${label}="${value}"}`);
      }
    }
    expect(strays).toEqual([]);
  });

  it('exports only the strategy notes a bot declared: an undeclared name or value never becomes a label', async () => {
    const { metrics } = makeMetrics();
    metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'SECRET_SAUCE');
    metrics.recordStrategyNote(BRAVO, 'MOOD', 'ENVIRONMENT');
    metrics.recordStrategyNote(ALPHA, 'ENTRY_BLOCKED', 'ENVIRONMENT');
    metrics.recordStrategyNote(BRAVO, 'ENTRY_BLOCKED', 'TRIGGER');
    const text = await metrics.metricsText();
    expect(text).not.toContain('SECRET_SAUCE');
    expect(text).not.toContain('MOOD');
    expect(valueOf(await samples(metrics), 'flotilla_strategy_notes_total', { bot: 'bravo', note: 'ENTRY_BLOCKED', value: 'TRIGGER' })).toBe(1);
    expect(counted(await samples(metrics), 'flotilla_strategy_notes_total')).toHaveLength(1);
  });

  it('when a decision carries a reason outside DECISION_REASONS, then it is counted under "other" and the text is never exported', async () => {
    const { metrics } = makeMetrics();
    metrics.recordDecision(decision(ALPHA, 'DENIED', 'price looked scary to the strategy' as DecisionReason));
    const text = await metrics.metricsText();
    expect(text).not.toContain('scary');
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_intents_total', { bot: 'alpha', outcome: 'DENIED', reason: 'other' })).toBe(1);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_intents_total', label: 'reason' })).toBe(1);
  });

  it('maps an unknown rejection reason, request kind and error kind to "other"', async () => {
    const { metrics } = makeMetrics();
    const id = orderId();
    metrics.recordReport(
      ALPHA,
      { type: 'ORDER_REJECTED', subAccountId: order(ALPHA, id, 'REJECTED').subAccountId, clientOrderId: id, reason: 'retCode 10001: params error' as RejectionReason, detail: '', at: NOW },
      order(ALPHA, id, 'REJECTED'),
    );
    metrics.recordVenueRequest('BYBIT', 'REPLACE' as VenueRequestKind, 0.1, 'ECONNRESET at 10.0.0.1' as VenueErrorKind);
    const text = await metrics.metricsText();
    expect(text).not.toMatch(/retCode|REPLACE|ECONNRESET|10\.0\.0\.1/);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_rejections_total', { bot: 'alpha', request: 'SUBMIT', reason: 'other' })).toBe(1);
    expect(valueOf(all, 'flotilla_venue_request_errors_total', { venue: 'BYBIT', request: 'other', error: 'other' })).toBe(1);
  });

  it('when an id is not configured, then the observation is dropped and only the refusal is counted', async () => {
    const { metrics } = makeMetrics();
    metrics.recordDecision(decision('zulu' as BotId, 'APPROVED', null));
    metrics.recordBotCodeError('zulu' as BotId);
    metrics.recordMarketDataLag('DOGEUSDT.BYBIT' as InstrumentId, '1m', 1);
    metrics.recordVenueRequest('BINANCE', 'SUBMIT', 0.1, null);
    metrics.observeFleet(fleetStatus([botStatus('zulu'), botStatus(ALPHA, { openPositions: [position(ALPHA, 'ETHUSDT.BYBIT', '1', '3000')] })]), { lockedKeys: [], pnl: [pnl('zulu')] });
    const text = await metrics.metricsText();
    expect(text).not.toMatch(/zulu|DOGEUSDT|BINANCE|ETHUSDT/);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_intents_total', label: 'bot' })).toBe(1);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_market_data_lag_seconds', label: 'instrument' })).toBe(1);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_venue_request_latency_seconds', label: 'venue' })).toBe(1);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_position_quantity', label: 'instrument' })).toBe(1);
  });

  it('never lets a secret-looking value become a label, whichever way it comes in', async () => {
    const { metrics } = makeMetrics();
    metrics.recordDecision(decision(SECRET as BotId, 'APPROVED', null));
    metrics.recordBotCodeError(SECRET as BotId);
    metrics.recordCandlesDelivered(ALPHA, SECRET as InstrumentId, '1m');
    metrics.recordVenueRequest(SECRET, 'SUBMIT', 0.1, null);
    metrics.recordStateChange({ scope: `bot:${SECRET}`, state: 'HALTED', reason: 'OPERATOR_HALT', detail: SECRET, changedAt: NOW, flattenPending: false });
    metrics.observeFleet(fleetStatus([botStatus(SECRET), botStatus(ALPHA, { state: { state: 'HALTED', reason: SECRET, detail: SECRET, changedAt: NOW, flattenPending: false } })]), {
      lockedKeys: [SECRET as ExposureKey],
      pnl: [pnl(SECRET)],
    });
    expect(await metrics.metricsText()).not.toContain('sk-live');
  });

  it('refuses to start with a configured bot id that is not a valid bot id', () => {
    expect(() => new FleetMetrics({ bots: [SECRET as BotId], instruments: INSTRUMENTS, processMetrics: false })).toThrow(InvalidInputError);
    expect(() => new FleetMetrics({ bots: ['Alpha Bot' as BotId], instruments: INSTRUMENTS, processMetrics: false })).toThrow(InvalidInputError);
  });

  it('drops a lag or candle count for a timeframe outside TIMEFRAMES', async () => {
    const { metrics } = makeMetrics();
    metrics.recordCandlesDelivered(ALPHA, BTC, '7m' as Timeframe);
    const all = await samples(metrics);
    expect(counted(all, 'flotilla_candles_delivered_total')).toEqual([]);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_candles_delivered_total', label: 'timeframe' })).toBe(1);
  });
});
