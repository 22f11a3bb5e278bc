import type { Clock } from '../../core/clock.ts';
import { systemClock } from '../../core/clock.ts';
import { InvalidInputError, TemporaryVenueError, VenueReplyError } from '../../core/errors.ts';
import { instrumentVenue } from '../../core/ids.ts';
import type { Venue } from '../../core/venue.ts';
import type { VenueErrorKind, VenueRequestKind } from './labels.ts';
import type { FleetMetrics } from './metrics.ts';

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * The code a venue adapter gives an error for a request the venue refused for its rate limit (Bybit's 10006, an
 * HTTP 429), whatever the error's class, so the refusal is counted as RATE_LIMITED without naming a venue here.
 */
export const RATE_LIMITED_CODE = 'RATE_LIMITED';

/** Names a venue failure by class and code only; the message (which may quote a request) never reaches a label. */
export function classifyVenueError(error: unknown): VenueErrorKind {
  if (error instanceof Error && 'code' in error && error.code === RATE_LIMITED_CODE) return 'RATE_LIMITED';
  if (error instanceof VenueReplyError) return 'INVALID_REPLY';
  if (error instanceof InvalidInputError) return 'INVALID_REQUEST';
  if (error instanceof TemporaryVenueError) return 'TEMPORARY';
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'TIMEOUT';
    const code = 'code' in error && typeof error.code === 'string' ? error.code : null;
    if (code !== null && TIMEOUT_CODES.has(code)) return 'TIMEOUT';
    if (code !== null && NETWORK_CODES.has(code)) return 'NETWORK';
  }
  return 'UNEXPECTED';
}

type RequestRecorder = Pick<FleetMetrics, 'recordVenueRequest' | 'recordOrderSubmitted'>;

/**
 * Times every submit, cancel and amend of one venue adapter and classifies its failures; all else passes through.
 * Wrap each adapter once even when it serves several venue names (paper mode): two wrappers would subscribe
 * the order manager to its reports twice. The venue label comes from each request's instrument id.
 */
export function measuredVenue(venue: Venue, metrics: RequestRecorder, clock: Clock = systemClock): Venue {
  async function timed(venueName: string, request: VenueRequestKind, call: () => Promise<void>): Promise<void> {
    const started = clock.monotonicNs();
    const seconds = (): number => Number(clock.monotonicNs() - started) / 1e9;
    try {
      await call();
    } catch (error) {
      metrics.recordVenueRequest(venueName, request, seconds(), classifyVenueError(error));
      throw error;
    }
    metrics.recordVenueRequest(venueName, request, seconds(), null);
  }
  return {
    name: venue.name,
    submitOrder: (order) => {
      metrics.recordOrderSubmitted(order);
      return timed(instrumentVenue(order.instrumentId), 'SUBMIT', () => venue.submitOrder(order));
    },
    cancelOrder: (subAccountId, instrumentId, clientOrderId) => timed(instrumentVenue(instrumentId), 'CANCEL', () => venue.cancelOrder(subAccountId, instrumentId, clientOrderId)),
    amendOrder: (subAccountId, instrumentId, clientOrderId, changes) =>
      timed(instrumentVenue(instrumentId), 'AMEND', () => venue.amendOrder(subAccountId, instrumentId, clientOrderId, changes)),
    cancelOrders: (subAccountId, orders) => timed(venue.name, 'CANCEL', () => venue.cancelOrders(subAccountId, orders)),
    capabilities: venue.capabilities,
    start: () => venue.start(),
    stop: () => venue.stop(),
    queryOrder: (subAccountId, instrumentId, clientOrderId) => venue.queryOrder(subAccountId, instrumentId, clientOrderId),
    openOrders: (subAccountId) => venue.openOrders(subAccountId),
    fillsSince: (subAccountId, cursor, limit) => venue.fillsSince(subAccountId, cursor, limit),
    positions: (subAccountId) => venue.positions(subAccountId),
    balance: (subAccountId) => venue.balance(subAccountId),
    equity: (subAccountId) => venue.equity(subAccountId),
    instruments: () => venue.instruments(),
    onExecutionReport: (listener) => venue.onExecutionReport(listener),
    onConnectionEvent: (listener) => venue.onConnectionEvent(listener),
  };
}
