import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../core/clock.ts';
import { dec } from '../../../core/decimal.ts';
import { OutcomeUnknownError } from '../../../core/errors.ts';
import { formatLedgerEpoch, makeClientOrderId, parseBotId, parseExposureKey, parseInstrumentId, parseIntentId, parseSubAccountId, type ClientOrderId } from '../../../core/ids.ts';
import type { Instrument } from '../../../core/instrument.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../../../core/order.ts';
import type { VenueConnectionEvent } from '../../../core/venue.ts';
import { AlpacaVenue } from '../../../venues/alpaca/alpaca-venue.ts';
import { AlpacaStandin, type AccountKeys } from '../../../venues/alpaca/standin/standin.ts';
import { CATALOG, SESSION_TIME } from './standin/harness.ts';

/** The fault matrix of the Bybit adapter, against the Alpaca adapter on its stand-in: timeouts, resets, 5xx, stream drops, a reused client order ID. */

const QQQ: Instrument = { id: parseInstrumentId('QQQ.ALPACA'), kind: 'EQUITY', tickSize: dec('0.01'), lotStep: dec('1'), minQuantity: dec('1'), minNotional: dec('1'), exposureKey: parseExposureKey('NDX'), beta: dec('1') };
const account = parseSubAccountId('alpha');
const epoch = formatLedgerEpoch(Date.UTC(2026, 0, 1));
const id = (sequence: number): ClientOrderId => makeClientOrderId(parseBotId('alpha'), epoch, 'ENTRY', sequence);

function limit(clientOrderId: ClientOrderId, price = '470'): SubmitOrder {
  return { clientOrderId, botId: parseBotId('alpha'), subAccountId: account, intentId: parseIntentId(`i-${clientOrderId}`), instrumentId: QQQ.id, role: 'ENTRY', side: 'BUY', type: 'LIMIT', quantity: dec('2'), limitPrice: dec(price), triggerPrice: null, timeInForce: 'GTC', reduceOnly: false, parentClientOrderId: null, activatesOnParentFill: false };
}

describe('the Alpaca adapter under faults', () => {
  let standin: AlpacaStandin;
  let venue: AlpacaVenue;
  let keys: AccountKeys;
  let reports: ExecutionReport[];
  let connections: VenueConnectionEvent[];
  const until = async (check: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 8_000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(reports.map((report) => report.type))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const of = (clientOrderId: string): string[] => reports.filter((report) => report.type !== 'FUNDING_SETTLED' && (report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId) === clientOrderId).map((report) => report.type);

  beforeEach(async () => {
    const clock = new ManualClock(SESSION_TIME);
    standin = await AlpacaStandin.start({ instruments: CATALOG, clock });
    keys = standin.createAccount();
    standin.pushBar('QQQ', { open: '480', high: '480', low: '480', close: '480' });
    venue = new AlpacaVenue({ name: 'ALPACA', environment: standin.url, credentials: new Map([[account, keys]]), instruments: [QQQ], clock, logger: silentLogger, timeouts: { requestMs: 300, settleMs: 1_500, reconnectMinMs: 20, reconnectMaxMs: 100 } });
    reports = [];
    connections = [];
    venue.onExecutionReport((report) => reports.push(report));
    venue.onConnectionEvent((event) => connections.push(event));
    await venue.start();
  });

  afterEach(async () => {
    await venue.stop();
    await standin.stop();
  });

  it('settles a submit whose answer times out by asking by client order ID: accepted once, never sent twice', async () => {
    standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v2/orders' });
    await venue.submitOrder(limit(id(1)));
    expect(of(id(1))).toEqual(['ORDER_ACCEPTED']);
    expect((await venue.openOrders(account)).map((order) => order.clientOrderId)).toEqual([id(1)]);
  });

  it('settles a submit whose connection was reset after it was carried out', async () => {
    standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v2/orders', destroy: true });
    await venue.submitOrder(limit(id(1)));
    expect(of(id(1))).toEqual(['ORDER_ACCEPTED']);
  });

  it('leaves a submit refused with 5xx before Alpaca carried it out unknown (OutcomeUnknownError), and a later submit places it once', async () => {
    standin.faults.add({ kind: 'http-5xx', route: 'POST /v2/orders' });
    await expect(venue.submitOrder(limit(id(1)))).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(of(id(1))).toEqual([]);
    await venue.submitOrder(limit(id(1)));
    expect(of(id(1))).toEqual(['ORDER_ACCEPTED']);
  });

  it('reads a 5xx after Alpaca carried the submit out as accepted, by asking', async () => {
    standin.faults.add({ kind: 'http-5xx', route: 'POST /v2/orders', processed: true });
    await venue.submitOrder(limit(id(1)));
    expect(of(id(1))).toEqual(['ORDER_ACCEPTED']);
  });

  it('treats a reused client order ID (422) as "it exists" and reports the order it has', async () => {
    await venue.submitOrder(limit(id(1)));
    await venue.cancelOrder(account, QQQ.id, id(1));
    await until(() => of(id(1)).includes('ORDER_CANCELED'), 'the cancel');
    await venue.submitOrder(limit(id(1)));
    expect(of(id(1))).toEqual(['ORDER_ACCEPTED', 'ORDER_CANCELED']);
  });

  it('cancels through a timed-out or failed DELETE by asking what Alpaca holds', async () => {
    await venue.submitOrder(limit(id(1)));
    standin.faults.add({ kind: 'accept-then-timeout', route: 'DELETE /v2/orders/{id}' });
    await venue.cancelOrder(account, QQQ.id, id(1));
    await until(() => of(id(1)).includes('ORDER_CANCELED'), 'the cancel');
    await venue.submitOrder(limit(id(2)));
    standin.faults.add({ kind: 'http-5xx', route: 'DELETE /v2/orders/{id}', processed: true });
    await venue.cancelOrder(account, QQQ.id, id(2));
    expect(of(id(2))).toEqual(['ORDER_ACCEPTED', 'ORDER_CANCELED']);
  });

  it('reports a replace answered with 5xx after it landed as amended, and one refused before as not applied', async () => {
    await venue.submitOrder(limit(id(1)));
    standin.faults.add({ kind: 'http-5xx', route: 'PATCH /v2/orders/{id}', processed: true });
    await venue.amendOrder(account, QQQ.id, id(1), { limitPrice: dec('471') });
    expect(of(id(1))).toEqual(['ORDER_ACCEPTED', 'ORDER_AMENDED']);
    standin.faults.add({ kind: 'http-5xx', route: 'PATCH /v2/orders/{id}' });
    await expect(venue.amendOrder(account, QQQ.id, id(1), { limitPrice: dec('472') })).rejects.toThrow(/not applied/);
    expect((await venue.queryOrder(account, QQQ.id, id(1)))?.limitPrice?.toString()).toBe('471');
  });

  it('reconnects after the stream drops mid-fill and gap-fills the fill from REST, then says RESYNCED', async () => {
    await until(() => connections.some((event) => event.type === 'CONNECTED'), 'CONNECTED');
    standin.faults.add({ kind: 'stream-drop-mid-fill' });
    await venue.submitOrder({ ...limit(id(1)), type: 'MARKET', limitPrice: null });
    await until(() => connections.some((event) => event.type === 'RESYNCED'), 'RESYNCED');
    expect(connections.map((event) => event.type)).toEqual(['CONNECTED', 'DISCONNECTED', 'CONNECTED', 'RESYNCED']);
    await until(() => of(id(1)).includes('ORDER_FILLED'), 'the gap-filled fill');
    expect(of(id(1)).filter((type) => type === 'ORDER_FILLED')).toHaveLength(1);
  });

  it('books a fill seen on the stream and listed again by the gap-fill once: both name it by its order and cumulative quantity, not by IDs Alpaca does not tie together', async () => {
    await until(() => connections.some((event) => event.type === 'CONNECTED'), 'CONNECTED');
    await venue.submitOrder({ ...limit(id(1)), type: 'MARKET', limitPrice: null });
    await until(() => of(id(1)).includes('ORDER_FILLED'), 'the streamed fill');
    const streamed = reports.find((report) => report.type === 'ORDER_FILLED');
    // The stand-in's FILL activity IDs are "<time>::<uuid>" with a uuid other than the stream's execution_id, as nothing says Alpaca's agree.
    const listed = (await venue.fillsSince(account, null)).fills;
    expect(listed.map((fill) => fill.tradeId)).toEqual([streamed?.type === 'ORDER_FILLED' ? streamed.fill.tradeId : null]);
    expect(standin.dropTradingStreams(standin.accountOf(keys.key)?.id)).toBeGreaterThan(0);
    await until(() => connections.filter((event) => event.type === 'RESYNCED').length === 1, 'RESYNCED after the gap-fill');
    expect(of(id(1)).filter((type) => type === 'ORDER_FILLED')).toHaveLength(1);
  });

  it('never puts the key or the secret in an error, a log or a report', async () => {
    standin.faults.add({ kind: 'http-5xx', route: 'GET /v2/positions', status: 500 });
    const error = await venue.positions(account).catch((caught: unknown) => caught);
    const text = `${String(error)} ${JSON.stringify(error)} ${JSON.stringify(reports)}`;
    expect(text).toMatch(/HTTP 500/);
    expect(text).not.toContain(keys.key);
    expect(text).not.toContain(keys.secret);
  });
});
