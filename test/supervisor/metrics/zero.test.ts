import { describe, expect, it } from 'vitest';
import { DECISION_REASONS } from '../../../core/decision.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import { ORDER_STATUSES, REJECTION_REASONS } from '../../../core/order.ts';
import { RESIZE_REASONS, VENUE_ERROR_KINDS, VENUE_REQUEST_KINDS } from '../../../supervisor/metrics/labels.ts';
import { FleetMetrics } from '../../../supervisor/metrics/metrics.ts';
import type { Sample } from './fixture.ts';
import { ALPHA, BOTS, BRAVO, BTC, INSTRUMENTS, NOW, QQQ, SQQQ, feedEverything, makeMetrics, samples, valueOf } from './fixture.ts';

const key = (sample: Sample): string => `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;

async function counterSeries(metrics: FleetMetrics): Promise<Sample[]> {
  const counters = new Set((await metrics.registry.getMetricsAsJSON()).filter((metric) => ['counter', 'histogram'].includes(String(metric.type))).map((metric) => metric.name));
  return (await samples(metrics)).filter((sample) => counters.has(sample.name.replace(/_(bucket|sum|count)$/, '')) && sample.name.startsWith('flotilla_') && !sample.name.startsWith('flotilla_supervisor_'));
}

describe('series that start at zero', () => {
  it('when any kind of event happens, then it increases a counter series that was already there at 0', async () => {
    const { metrics } = makeMetrics();
    const before = new Set((await counterSeries(metrics)).map(key));
    feedEverything(metrics);
    const after = await counterSeries(metrics);
    // Every series an event touched existed before it: increase() sees the first event of each kind.
    const born = after.filter((sample) => !before.has(key(sample)) && !Object.values(sample.labels).includes('other')).map(key);
    expect(born).toEqual([]);
    expect(after.filter((sample) => sample.value > 0).length).toBeGreaterThan(10);
  });

  it('starts every decision a bot can get: an approval with none, a resize with each cap, a denial with every reason', async () => {
    const all = await samples(makeMetrics().metrics);
    const intents = (bot: string) => all.filter((sample) => sample.name === 'flotilla_intents_total' && sample.labels.bot === bot);
    expect(intents('alpha').map((sample) => `${sample.labels.outcome} ${sample.labels.reason}`).sort()).toEqual(
      ['APPROVED none', ...RESIZE_REASONS.map((reason) => `RESIZED ${reason}`), ...DECISION_REASONS.map((reason) => `DENIED ${reason}`)].sort(),
    );
    expect(intents('alpha').every((sample) => sample.value === 0)).toBe(true);
    expect(intents('bravo')).toHaveLength(intents('alpha').length);
    expect(valueOf(all, 'flotilla_decision_latency_seconds_count', { bot: 'bravo' })).toBe(0);
  });

  it('starts every order status and every venue rejection per bot, and every request and error kind per venue', async () => {
    const all = await samples(makeMetrics().metrics);
    for (const status of ORDER_STATUSES) expect(valueOf(all, 'flotilla_order_transitions_total', { bot: 'bravo', status })).toBe(0);
    for (const request of VENUE_REQUEST_KINDS) {
      for (const reason of REJECTION_REASONS) expect(valueOf(all, 'flotilla_venue_rejections_total', { bot: 'alpha', request, reason })).toBe(0);
      for (const venue of ['BYBIT', 'ALPACA']) {
        expect(valueOf(all, 'flotilla_venue_request_latency_seconds_count', { venue, request })).toBe(0);
        for (const error of VENUE_ERROR_KINDS) expect(valueOf(all, 'flotilla_venue_request_errors_total', { venue, request, error })).toBe(0);
      }
    }
  });

  it('starts each trading state change a scope can have, so a kill switch shows as an increase', async () => {
    const { metrics } = makeMetrics();
    const changes = (all: Sample[], scope: string) =>
      all.filter((sample) => sample.name === 'flotilla_trading_state_changes_total' && sample.labels.scope === scope).map((sample) => `${sample.labels.state} ${sample.labels.reason}`).sort();
    const all = await samples(metrics);
    const fleet = ['HALTED KILL_SWITCH', 'REDUCING DRAWDOWN_HALT', 'HALTED DRAWDOWN_HALT', 'HALTED OPERATOR_HALT', 'ACTIVE OPERATOR_RESUME'].sort();
    expect(changes(all, 'fleet')).toEqual(fleet);
    expect(changes(all, 'bot:alpha')).toEqual([...fleet, 'REDUCING HEARTBEAT_LOST', 'ACTIVE HEARTBEAT_RESTORED', 'HALTED BOT_RETIRED', 'REDUCING RECONCILIATION_MISMATCH', 'HALTED RECONCILIATION_MISMATCH'].sort());
    metrics.recordStateChange({ scope: 'fleet', state: 'HALTED', reason: 'KILL_SWITCH', detail: 'kill switch', changedAt: NOW, flattenPending: false });
    expect(valueOf(await samples(metrics), 'flotilla_trading_state_changes_total', { scope: 'fleet', state: 'HALTED', reason: 'KILL_SWITCH' })).toBe(1);
  });

  it('starts fills and candles only for what each bot trades, as its manifest says', async () => {
    const all = await samples(makeMetrics().metrics);
    const fills = all.filter((sample) => sample.name === 'flotilla_fills_total').map((sample) => `${sample.labels.bot} ${sample.labels.instrument} ${sample.labels.liquidity}`);
    expect(fills.sort()).toEqual([`alpha ${BTC} MAKER`, `alpha ${BTC} TAKER`, `bravo ${QQQ} MAKER`, `bravo ${QQQ} TAKER`, `bravo ${SQQQ} MAKER`, `bravo ${SQQQ} TAKER`].sort());
    expect(valueOf(all, 'flotilla_filled_notional_quote_total', { bot: 'bravo', instrument: SQQQ })).toBe(0);
    const candles = all.filter((sample) => sample.name === 'flotilla_candles_delivered_total').map((sample) => `${sample.labels.bot} ${sample.labels.instrument} ${sample.labels.timeframe}`);
    expect(candles.sort()).toEqual([`alpha ${BTC} 1m`, `alpha ${BTC} 5m`, `bravo ${QQQ} 15m`, `bravo ${SQQQ} 15m`].sort());
  });

  it('when a bot is given by id alone, then its per-instrument series are born on their first event', async () => {
    const metrics = new FleetMetrics({ bots: [ALPHA, BOTS[1]!], instruments: INSTRUMENTS, processMetrics: false });
    const all = await samples(metrics);
    expect(all.filter((sample) => sample.name === 'flotilla_fills_total' && sample.labels.bot === 'alpha')).toEqual([]);
    expect(valueOf(all, 'flotilla_fills_total', { bot: 'bravo', instrument: QQQ, liquidity: 'MAKER' })).toBe(0);
    expect(valueOf(all, 'flotilla_order_transitions_total', { bot: 'alpha', status: 'FILLED' })).toBe(0);
  });

  it('starts each declared strategy note, each protection repair and each refusal a metric can count', async () => {
    const all = await samples(makeMetrics().metrics);
    for (const value of ['ENVIRONMENT', 'DIRECTION', 'TRIGGER']) expect(valueOf(all, 'flotilla_strategy_notes_total', { bot: 'bravo', note: 'ENTRY_BLOCKED', value })).toBe(0);
    expect(all.filter((sample) => sample.name === 'flotilla_strategy_notes_total' && sample.labels.bot === 'alpha')).toEqual([]);
    expect(valueOf(all, 'flotilla_protection_repairs_total', { bot: 'alpha', repair: 'POSITION_REDUCED' })).toBe(0);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_market_data_lag_seconds', label: 'timeframe' })).toBe(0);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_venue_rate_limit_remaining', label: 'sub_account' })).toBe(0);
  });

  it('starts the state gauges an alert reads at 0, and leaves readings with no honest zero unset', async () => {
    const all = await samples(makeMetrics().metrics);
    expect(valueOf(all, 'flotilla_reconciliation_mismatches', { bot: 'alpha' })).toBe(0);
    expect(valueOf(all, 'flotilla_reconciliation_last_success_timestamp_seconds', { bot: 'bravo' })).toBe(0);
    expect(valueOf(all, 'flotilla_venue_connected', { venue: 'ALPACA' })).toBe(0);
    expect(valueOf(all, 'flotilla_unprotected_positions', { bot: 'bravo' })).toBe(0);
    expect(all.filter((sample) => sample.name.startsWith('flotilla_venue_rate_limit_'))).toEqual([]);
    expect(all.filter((sample) => sample.name === 'flotilla_bot_heartbeat_age_seconds')).toEqual([]);
  });
});

describe('venue connection, rate limits and reconciliation', () => {
  it('sets a venue\'s connection gauge as its stream connects and drops', async () => {
    const { metrics } = makeMetrics();
    metrics.recordVenueConnection('BYBIT', true);
    expect(valueOf(await samples(metrics), 'flotilla_venue_connected', { venue: 'BYBIT' })).toBe(1);
    metrics.recordVenueConnection('BYBIT', false);
    metrics.recordVenueConnection('KRAKEN', true);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_connected', { venue: 'BYBIT' })).toBe(0);
    expect(valueOf(all, 'flotilla_venue_connected', { venue: 'KRAKEN' })).toBeUndefined();
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_venue_connected', label: 'venue' })).toBe(1);
  });

  it('records a sub-account\'s rate-limit headroom on its own venue only', async () => {
    const { metrics } = makeMetrics();
    metrics.recordVenueRateLimit('BYBIT', parseSubAccountId('alpha-sub'), 7, 20);
    // bravo's sub-account is on Alpaca; a stranger's is no label at all.
    metrics.recordVenueRateLimit('BYBIT', parseSubAccountId('bravo-sub'), 1, 20);
    metrics.recordVenueRateLimit('BYBIT', parseSubAccountId('someone-else'), 1, 20);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_rate_limit_remaining', { venue: 'BYBIT', sub_account: 'alpha-sub' })).toBe(7);
    expect(valueOf(all, 'flotilla_venue_rate_limit_capacity', { venue: 'BYBIT', sub_account: 'alpha-sub' })).toBe(20);
    expect(all.filter((sample) => sample.name === 'flotilla_venue_rate_limit_remaining')).toHaveLength(1);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_venue_rate_limit_remaining', label: 'venue' })).toBe(1);
    expect(valueOf(all, 'flotilla_metrics_refused_labels_total', { metric: 'flotilla_venue_rate_limit_remaining', label: 'sub_account' })).toBe(1);
  });

  it('records a completed reconciliation\'s mismatches and its time in real seconds, whatever the market clock', async () => {
    const { metrics, clock } = makeMetrics();
    clock.advance(2_500);
    metrics.recordReconciliation(BRAVO, 2);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_reconciliation_mismatches', { bot: 'bravo' })).toBe(2);
    expect(valueOf(all, 'flotilla_reconciliation_last_success_timestamp_seconds', { bot: 'bravo' })).toBe((NOW + 2_500) / 1000);
    expect(valueOf(all, 'flotilla_reconciliation_last_success_timestamp_seconds', { bot: 'alpha' })).toBe(0);
  });
});
