import { register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import { METRIC_NAMES } from '../../../supervisor/metrics/definitions.ts';
import { ALPHA, BRAVO, BTC, accepted, counted, decision, documentedMetrics, family, feedEverything, filled, makeMetrics, order, orderId, samples, valueOf } from './fixture.ts';

describe('the exposition', () => {
  it('when every kind of observation is fed, then every documented Flotilla metric has a sample', async () => {
    const { metrics } = makeMetrics();
    feedEverything(metrics);
    const names = new Set((await samples(metrics)).map((sample) => family(sample.name)));
    const documented = documentedMetrics().filter((row) => row.section === 'flotilla');
    expect(documented.length).toBe(Object.keys(METRIC_NAMES).length);
    expect(documented.map((row) => row.name).filter((name) => !names.has(name))).toEqual([]);
  });

  it('exports each Flotilla metric with exactly its documented type and label names', async () => {
    const { metrics } = makeMetrics();
    feedEverything(metrics);
    const all = await samples(metrics);
    const types = new Map((await metrics.registry.getMetricsAsJSON()).map((metric) => [metric.name, String(metric.type)]));
    for (const row of documentedMetrics().filter((entry) => entry.section === 'flotilla')) {
      const labels = new Set(all.filter((sample) => family(sample.name) === row.name).flatMap((sample) => Object.keys(sample.labels)).filter((label) => label !== 'le'));
      expect({ name: row.name, labels: [...labels].sort(), type: types.get(row.name) }).toEqual({ name: row.name, labels: [...row.labels].sort(), type: row.type });
    }
  });

  it('keeps its metrics on its own registry and never on prom-client\'s global one', async () => {
    const before = globalRegistry.getMetricsAsArray().length;
    const { metrics } = makeMetrics();
    feedEverything(metrics);
    expect(globalRegistry.getMetricsAsArray().length).toBe(before);
    expect(metrics.registry).not.toBe(globalRegistry);
    // Two instances coexist, which a shared registry would refuse (duplicate names).
    expect(() => makeMetrics()).not.toThrow();
  });

  it('when decisions are recorded, then approvals count under reason "none" and latency lands in seconds', async () => {
    const { metrics } = makeMetrics();
    metrics.recordDecision(decision(ALPHA, 'APPROVED', null, 8_000));
    metrics.recordDecision(decision(ALPHA, 'RESIZED', 'RISK_PER_TRADE_EXCEEDED', 30_000));
    metrics.recordDecision(decision(BRAVO, 'DENIED', 'WOULD_HEDGE', 2_000_000));
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_intents_total', { bot: 'alpha', outcome: 'APPROVED', reason: 'none' })).toBe(1);
    expect(valueOf(all, 'flotilla_intents_total', { bot: 'alpha', outcome: 'RESIZED', reason: 'RISK_PER_TRADE_EXCEEDED' })).toBe(1);
    expect(valueOf(all, 'flotilla_intents_total', { bot: 'bravo', outcome: 'DENIED', reason: 'WOULD_HEDGE' })).toBe(1);
    expect(valueOf(all, 'flotilla_decision_latency_seconds_bucket', { bot: 'alpha', le: '0.00001' })).toBe(1);
    expect(valueOf(all, 'flotilla_decision_latency_seconds_bucket', { bot: 'alpha', le: '0.00005' })).toBe(2);
    expect(valueOf(all, 'flotilla_decision_latency_seconds_sum', { bot: 'alpha' })).toBeCloseTo(0.000038, 9);
    expect(valueOf(all, 'flotilla_decision_latency_seconds_bucket', { bot: 'bravo', le: '0.0025' })).toBe(1);
    expect(valueOf(all, 'flotilla_decision_latency_seconds_bucket', { bot: 'bravo', le: '0.001' })).toBe(0);
  });

  it('has decision latency buckets from 5 µs to 10 ms', async () => {
    const { metrics } = makeMetrics();
    metrics.recordDecision(decision(ALPHA, 'APPROVED', null));
    const bounds = (await samples(metrics)).filter((sample) => sample.name === 'flotilla_decision_latency_seconds_bucket').map((sample) => sample.labels.le);
    expect(bounds[0]).toBe('0.000005');
    expect(bounds.at(-2)).toBe('0.01');
    expect(bounds.at(-1)).toBe('+Inf');
  });

  it('counts an order entering PARTIALLY_FILLED once however many partial fills follow, then FILLED once', async () => {
    const { metrics } = makeMetrics();
    const id = orderId();
    metrics.recordOrderSubmitted(order(ALPHA, id, 'PENDING_SUBMIT'));
    metrics.recordReport(ALPHA, accepted(id), order(ALPHA, id, 'ACCEPTED'));
    metrics.recordReport(ALPHA, filled(id, '0.05', '0.05', '0.15', 'MAKER'), order(ALPHA, id, 'PARTIALLY_FILLED', '0.05'));
    metrics.recordReport(ALPHA, filled(id, '0.05', '0.1', '0.1', 'MAKER'), order(ALPHA, id, 'PARTIALLY_FILLED', '0.1'));
    metrics.recordReport(ALPHA, filled(id, '0.1', '0.2', '0', 'TAKER'), order(ALPHA, id, 'FILLED', '0.2'));
    const all = await samples(metrics);
    const transitions = (status: string) => valueOf(all, 'flotilla_order_transitions_total', { bot: 'alpha', status });
    expect([transitions('PENDING_SUBMIT'), transitions('ACCEPTED'), transitions('PARTIALLY_FILLED'), transitions('FILLED')]).toEqual([1, 1, 1, 1]);
    expect(valueOf(all, 'flotilla_fills_total', { bot: 'alpha', instrument: BTC, liquidity: 'MAKER' })).toBe(2);
    expect(valueOf(all, 'flotilla_fills_total', { bot: 'alpha', instrument: BTC, liquidity: 'TAKER' })).toBe(1);
    expect(valueOf(all, 'flotilla_filled_notional_quote_total', { bot: 'alpha', instrument: BTC })).toBe(10_000);
  });

  it('counts a refused cancel as a CANCEL rejection without moving the order to another status', async () => {
    const { metrics } = makeMetrics();
    const id = orderId();
    metrics.recordReport(
      ALPHA,
      { type: 'CANCEL_REJECTED', subAccountId: parseSubAccountId('alpha-sub'), clientOrderId: id, reason: 'UNKNOWN_ORDER', detail: 'order not found', at: 0 },
      order(ALPHA, id, 'ACCEPTED'),
    );
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_rejections_total', { bot: 'alpha', request: 'CANCEL', reason: 'UNKNOWN_ORDER' })).toBe(1);
    expect(counted(all, 'flotilla_order_transitions_total')).toEqual([]);
  });

  it('counts a refused amend as an AMEND rejection, and an amended order as no transition', async () => {
    const { metrics } = makeMetrics();
    const id = orderId();
    const sub = parseSubAccountId('alpha-sub');
    metrics.recordReport(ALPHA, { type: 'AMEND_REJECTED', subAccountId: sub, clientOrderId: id, reason: 'INVALID_ORDER', detail: 'off tick', at: 0 }, order(ALPHA, id, 'ACCEPTED'));
    metrics.recordReport(
      ALPHA,
      { type: 'ORDER_AMENDED', subAccountId: sub, clientOrderId: id, quantity: dec('1'), limitPrice: null, triggerPrice: dec('400'), detail: 'reduce-only: cut', at: 0 },
      order(ALPHA, id, 'ACCEPTED'),
    );
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_rejections_total', { bot: 'alpha', request: 'AMEND', reason: 'INVALID_ORDER' })).toBe(1);
    expect(counted(all, 'flotilla_order_transitions_total')).toEqual([]);
  });

  it('starts each configured bot\'s code-error and restart counters at zero', async () => {
    const { metrics } = makeMetrics();
    const all = await samples(metrics);
    for (const bot of ['alpha', 'bravo']) {
      expect(valueOf(all, 'flotilla_bot_code_errors_total', { bot })).toBe(0);
      expect(valueOf(all, 'flotilla_bot_restarts_total', { bot })).toBe(0);
    }
    metrics.recordBotCodeError(ALPHA);
    expect(valueOf(await samples(metrics), 'flotilla_bot_code_errors_total', { bot: 'alpha' })).toBe(1);
  });

  it('records venue requests as latency in seconds and failures by error kind', async () => {
    const { metrics } = makeMetrics();
    metrics.recordVenueRequest('BYBIT', 'SUBMIT', 0.042, null);
    metrics.recordVenueRequest('BYBIT', 'SUBMIT', 3, 'TEMPORARY');
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_request_latency_seconds_count', { venue: 'BYBIT', request: 'SUBMIT' })).toBe(2);
    expect(valueOf(all, 'flotilla_venue_request_latency_seconds_bucket', { venue: 'BYBIT', request: 'SUBMIT', le: '0.05' })).toBe(1);
    expect(valueOf(all, 'flotilla_venue_request_errors_total', { venue: 'BYBIT', request: 'SUBMIT', error: 'TEMPORARY' })).toBe(1);
  });

  it('records market-data lag per instrument and timeframe, and candles delivered per bot', async () => {
    const { metrics } = makeMetrics();
    metrics.recordMarketDataLag(BTC, '5m', 0.8);
    metrics.recordMarketDataLag(BTC, '5m', 0.25);
    metrics.recordCandlesDelivered(ALPHA, BTC, '5m');
    metrics.recordCandlesDelivered(ALPHA, BTC, '5m', 299);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_market_data_lag_seconds', { instrument: BTC, timeframe: '5m' })).toBe(0.25);
    expect(valueOf(all, 'flotilla_candles_delivered_total', { bot: 'alpha', instrument: BTC, timeframe: '5m' })).toBe(300);
  });
});
