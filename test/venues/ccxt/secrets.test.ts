import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseSubAccountId, type SubAccountId } from '../../../core/ids.ts';
import type { Logger } from '../../../core/logger.ts';
import { order, orderId } from '../bybit/fixtures.ts';
import { setupCcxt, type CcxtSetup } from './fixtures.ts';

/**
 * ccxt keeps the key in its client and signs every request with it; its errors carry the URL and the reply body,
 * and its verbose log (never turned on here) the signed headers. Error paths are provoked with recognisable fake
 * credentials and with a real key signed by a wrong secret; neither the keys nor the secrets appear in a log line,
 * a thrown message, a report, or anything printed to the console.
 */

const FAKE_KEY = 'FAKEKEY-sentinel-ccxt-7f3a';
const FAKE_SECRET = 'FAKESECRET-sentinel-ccxt-9c1e';

function capture(lines: string[]): Logger {
  const write = (level: string) => (fields: object, message: string) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`);
  const logger: Logger = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: () => logger };
  return logger;
}

function text(value: unknown): string {
  if (value instanceof Error) return `${value.name} ${value.message} ${value.stack ?? ''}`;
  return JSON.stringify(value) ?? String(value);
}

let setup: CcxtSetup | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await setup?.close();
  setup = undefined;
});

describe('credentials on the ccxt adapter’s error paths', () => {
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
    setup = await setupCcxt({ logger: capture(lines), timeouts: { settleMs: 1_000, requestMs: 300, connectMs: 500 } });
    const s = setup;
    const alpha = s.accounts[0] as SubAccountId;
    const real = s.credentials.get(alpha)!;
    const ghost = parseSubAccountId('ghost');
    const forged = parseSubAccountId('forged');
    await keep(() => s.venue.openAccount(ghost, { key: FAKE_KEY, secret: FAKE_SECRET }));
    await keep(() => s.venue.openAccount(forged, { key: real.key, secret: FAKE_SECRET }));

    // Refused for the key (10003), for the signature (10004), timed out, and a reset: each reported or thrown.
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 1), side: 'BUY', type: 'MARKET', quantity: '0.01', account: ghost })));
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'MARKET', quantity: '0.01', account: forged })));
    await keep(() => s.venue.balance(forged));
    await keep(() => s.venue.positions(ghost));
    s.running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/create', uid: real.uid });
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 3), side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '50000', account: alpha })));
    s.running.standin.faults.add({ kind: 'http-5xx', route: 'POST /v5/order/create', uid: real.uid });
    await keep(() => s.venue.submitOrder(order({ id: orderId('ENTRY', 4), side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '50000', account: alpha })));
    await keep(() => s.venue.cancelOrder(forged, order({ id: orderId('ENTRY', 2), side: 'BUY', type: 'MARKET', quantity: '0.01', account: forged }).instrumentId, orderId('ENTRY', 2)));

    const reports = s.recorder.reports.map((report) => text(report));
    expect(reports.some((report) => report.includes('10003') || report.includes('10004'))).toBe(true);
    expect(thrown.length).toBeGreaterThan(0);
    const everything = [...lines, ...thrown, ...reports, ...printed].join('\n');
    for (const secret of [FAKE_KEY, FAKE_SECRET, real.key, real.secret]) expect(everything).not.toContain(secret);
  });
});
