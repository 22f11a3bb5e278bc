import { afterEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { parseSubAccountId, type SubAccountId } from '../../../core/ids.ts';
import type { Logger } from '../../../core/logger.ts';
import { BybitVenue } from '../../../venues/bybit/bybit-venue.ts';
import { BTC, btc, FAST, order, orderId, Recorder, setupBybit, type BybitSetup } from './fixtures.ts';

/**
 * bybit-api's thrown objects carry the key and the secret. Every error path the adapter has is provoked here with
 * recognisable fake credentials (and real ones the stand-in issued), and none of them appears in a log line, a
 * thrown message, a report, or anything printed to the console.
 */

const FAKE_KEY = 'FAKEKEY-sentinel-7f3a';
const FAKE_SECRET = 'FAKESECRET-sentinel-9c1e';

function capture(lines: string[]): Logger {
  const write = (level: string) => (fields: object, message: string) => lines.push(`${level} ${message} ${JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`);
  const logger: Logger = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: () => logger };
  return logger;
}

function text(value: unknown): string {
  if (value instanceof Error) return `${value.name} ${value.message} ${value.stack ?? ''} ${JSON.stringify(value)}`;
  return JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner)) ?? String(value);
}

let setup: BybitSetup | undefined;
const venues: BybitVenue[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const venue of venues.splice(0)) await venue.stop();
  await setup?.close();
  setup = undefined;
});

describe('credentials on every error path', () => {
  it('never reach logs, thrown messages, reports or the console', async () => {
    const printed: string[] = [];
    for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args.map(text).join(' ')));
    const lines: string[] = [];
    const thrown: string[] = [];
    const keep = async (call: () => Promise<unknown>): Promise<void> => {
      try {
        await call();
      } catch (error) {
        thrown.push(text(error));
      }
    };
    setup = await setupBybit({ logger: capture(lines), start: false, timeouts: { settleMs: 1_500, requestMs: 300, connectMs: 500 } });
    const s = setup;
    const alpha = s.accounts[0] as SubAccountId;
    const real = s.credentials.get(alpha)!;
    const uid = real.uid;
    const ghost = parseSubAccountId('ghost');
    const forged = parseSubAccountId('forged');
    await s.venue.openAccount(ghost, { key: FAKE_KEY, secret: FAKE_SECRET });
    await s.venue.openAccount(forged, { key: real.key, secret: FAKE_SECRET });
    await s.venue.start();
    const faults = s.running.standin.faults;

    // Unknown key (10003), bad signature (10004): refused submits, failed reads, refused stream authentication.
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '0.01', account: ghost })));
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'MARKET', quantity: '0.01', account: forged })));
    await keep(() => s.venue.positions(ghost));
    await keep(() => s.venue.balance(forged));
    await keep(() => s.venue.fillsSince(ghost, null));
    // A timeout whose outcome cannot be learned, 5xx, 429, 403, 10006 and a skewed clock, on a good key.
    faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/create', uid });
    faults.add({ kind: 'http-5xx', route: 'GET /v5/order/realtime', uid, count: 1_000 });
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 3), side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: alpha })));
    faults.clear();
    faults.add({ kind: 'rate-limit-burst', route: 'POST /v5/order/create', uid, status: 429 });
    faults.add({ kind: 'rate-limit-burst', route: 'POST /v5/order/create', uid, status: 403 });
    faults.add({ kind: 'rate-limit-burst', route: 'POST /v5/order/create', uid, count: 1 });
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 4), side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: alpha })));
    faults.add({ kind: 'http-5xx', route: 'POST /v5/order/cancel', uid, status: 500 });
    await keep(() => s.venue.cancelOrder(alpha, BTC, orderId('ENTRY', 4)));
    await keep(() => s.venue.cancelOrder(alpha, BTC, orderId('ENTRY', 99)));
    faults.add({ kind: 'ws-drop-mid-fill', uid });
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 5), side: 'BUY', type: 'MARKET', quantity: '0.01', account: alpha })));
    await s.recorder.until(() => s.recorder.connections.some((event) => event.type === 'DISCONNECTED' && event.subAccountId === alpha), 'the dropped stream');
    // A venue that cannot be reached at all.
    const nowhere = new BybitVenue({ name: 'BYBIT', environment: 'http://127.0.0.1:1', credentials: new Map([[alpha, { key: FAKE_KEY, secret: FAKE_SECRET }]]), instruments: [btc], clock: new ManualClock(), logger: capture(lines), timeouts: { ...FAST, entryDeadlineMs: 500 } });
    venues.push(nowhere);
    await keep(() => nowhere.start());
    const offline = new Recorder();
    nowhere.onExecutionReport((report) => offline.report(report));
    await keep(() => nowhere.submitOrder(order({ id: orderId('ENTRY', 6), side: 'BUY', type: 'MARKET', quantity: '0.01', account: alpha })));
    await keep(() => nowhere.queryOrder(alpha, BTC, orderId('ENTRY', 6)));
    // Commands after stop.
    await s.venue.stop();
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 7), side: 'BUY', type: 'MARKET', quantity: '0.01', account: alpha })));

    // Each path happened.
    expect(s.recorder.reports.filter((report) => report.type === 'ORDER_REJECTED').map((report) => report.type === 'ORDER_REJECTED' && report.detail.slice(0, 10))).toEqual(['Bybit 1000', 'Bybit 1000']);
    expect(thrown.some((message) => message.includes('OutcomeUnknownError'))).toBe(true);
    expect(thrown.some((message) => message.includes('cannot reach Bybit'))).toBe(true);
    expect(thrown.length).toBeGreaterThanOrEqual(6);
    expect(lines.some((line) => line.includes('authentication'))).toBe(true);
    expect(lines.some((line) => line.includes('HTTP 429'))).toBe(true);

    const everything = [...lines, ...thrown, ...printed, ...s.recorder.reports.map(text), ...offline.reports.map(text)];
    for (const secret of [FAKE_KEY, FAKE_SECRET, real.key, real.secret, s.running.standin.master.secret]) {
      for (const line of everything) expect(line).not.toContain(secret);
    }
  });
});
