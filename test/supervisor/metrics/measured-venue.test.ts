import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { InvalidInputError, TemporaryVenueError, VenueReplyError } from '../../../core/errors.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import type { Venue } from '../../../core/venue.ts';
import { classifyVenueError, measuredVenue } from '../../../supervisor/metrics/measured-venue.ts';
import { ALPHA, QQQ, counted, makeMetrics, order, orderId, samples, valueOf } from './fixture.ts';

function fakeVenue(clock: ManualClock, behaviour: { submit?: () => void; cancel?: () => void; amend?: () => void }): Venue & { listeners: number } {
  const venue = {
    name: 'PAPER',
    listeners: 0,
    submitOrder: async () => {
      clock.advance(40);
      behaviour.submit?.();
    },
    cancelOrder: async () => {
      clock.advance(2_000);
      behaviour.cancel?.();
    },
    amendOrder: async () => {
      clock.advance(300);
      behaviour.amend?.();
    },
    capabilities: { amend: true, maxBatchCancel: 1 },
    onExecutionReport: () => {
      venue.listeners += 1;
      return () => {
        venue.listeners -= 1;
      };
    },
    openOrders: async () => [],
    positions: async () => [],
    balance: async () => {
      throw new Error('not used');
    },
    cancelOrders: async () => {},
    start: async () => {},
    stop: async () => {},
    queryOrder: async () => null,
    fillsSince: async () => ({ fills: [], cursor: null, complete: true }),
    equity: async () => {
      throw new Error('not used');
    },
    instruments: async () => [],
    onConnectionEvent: () => () => {},
  };
  return venue;
}

describe('the measured venue', () => {
  it('times each submit and cancel with the injected clock and labels it with the instrument\'s venue', async () => {
    const { metrics, clock } = makeMetrics();
    const venue = measuredVenue(fakeVenue(clock, {}), metrics, clock);
    const id = orderId();
    await venue.submitOrder(order(ALPHA, id, 'PENDING_SUBMIT'));
    await venue.cancelOrder(parseSubAccountId('alpha-sub'), QQQ, id);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_request_latency_seconds_sum', { venue: 'BYBIT', request: 'SUBMIT' })).toBeCloseTo(0.04, 9);
    expect(valueOf(all, 'flotilla_venue_request_latency_seconds_sum', { venue: 'ALPACA', request: 'CANCEL' })).toBeCloseTo(2, 9);
    expect(valueOf(all, 'flotilla_order_transitions_total', { bot: 'alpha', status: 'PENDING_SUBMIT' })).toBe(1);
    expect(counted(all, 'flotilla_venue_request_errors_total')).toEqual([]);
  });

  it('times an amend like a submit or cancel, and passes the venue\'s capabilities through', async () => {
    const { metrics, clock } = makeMetrics();
    const failure = new TemporaryVenueError('HTTP 503 from api.bybit.com');
    let fail = false;
    const venue = measuredVenue(fakeVenue(clock, { amend: () => { if (fail) throw failure; } }), metrics, clock);
    await venue.amendOrder(parseSubAccountId('alpha-sub'), QQQ, orderId(), { quantity: dec('2') });
    fail = true;
    await expect(venue.amendOrder(parseSubAccountId('alpha-sub'), QQQ, orderId(), { quantity: dec('2') })).rejects.toBe(failure);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_request_latency_seconds_sum', { venue: 'ALPACA', request: 'AMEND' })).toBeCloseTo(0.6, 9);
    expect(valueOf(all, 'flotilla_venue_request_errors_total', { venue: 'ALPACA', request: 'AMEND', error: 'TEMPORARY' })).toBe(1);
    expect(venue.capabilities).toEqual({ amend: true, maxBatchCancel: 1 });
  });

  it('when a request fails, then the error is counted by kind and rethrown unchanged', async () => {
    const { metrics, clock } = makeMetrics();
    const failure = new TemporaryVenueError('HTTP 503 from api.bybit.com');
    const venue = measuredVenue(fakeVenue(clock, { submit: () => { throw failure; } }), metrics, clock);
    await expect(venue.submitOrder(order(ALPHA, orderId(), 'PENDING_SUBMIT'))).rejects.toBe(failure);
    const all = await samples(metrics);
    expect(valueOf(all, 'flotilla_venue_request_errors_total', { venue: 'BYBIT', request: 'SUBMIT', error: 'TEMPORARY' })).toBe(1);
    expect(valueOf(all, 'flotilla_venue_request_latency_seconds_count', { venue: 'BYBIT', request: 'SUBMIT' })).toBe(1);
  });

  it('passes everything else straight through, including report subscriptions', async () => {
    const { metrics, clock } = makeMetrics();
    const inner = fakeVenue(clock, {});
    const venue = measuredVenue(inner, metrics, clock);
    expect(venue.name).toBe('PAPER');
    const stop = venue.onExecutionReport(() => {});
    expect(inner.listeners).toBe(1);
    stop();
    expect(inner.listeners).toBe(0);
    expect(await venue.openOrders(parseSubAccountId('alpha-sub'))).toEqual([]);
  });

  it('classifies errors by class and code, never by message', () => {
    const coded = (code: string) => Object.assign(new Error('connect failed to 10.0.0.1'), { code });
    expect(classifyVenueError(new TemporaryVenueError('x'))).toBe('TEMPORARY');
    expect(classifyVenueError(new VenueReplyError('x'))).toBe('INVALID_REPLY');
    expect(classifyVenueError(new InvalidInputError('x'))).toBe('INVALID_REQUEST');
    expect(classifyVenueError(new DOMException('timed out', 'TimeoutError'))).toBe('TIMEOUT');
    expect(classifyVenueError(coded('ETIMEDOUT'))).toBe('TIMEOUT');
    expect(classifyVenueError(coded('ECONNRESET'))).toBe('NETWORK');
    // A rate-limit refusal is named by the code its adapter gives it, whatever the error's class.
    expect(classifyVenueError(Object.assign(new TemporaryVenueError('retCode 10006: too many visits'), { code: 'RATE_LIMITED' }))).toBe('RATE_LIMITED');
    expect(classifyVenueError(coded('RATE_LIMITED'))).toBe('RATE_LIMITED');
    expect(classifyVenueError(new TemporaryVenueError('retCode 10006: too many visits'))).toBe('TEMPORARY');
    expect(classifyVenueError(new Error('timeout'))).toBe('UNEXPECTED');
    expect(classifyVenueError('a string')).toBe('UNEXPECTED');
    expect(classifyVenueError({ apiKey: 'k', secret: 's' })).toBe('UNEXPECTED');
  });
});
