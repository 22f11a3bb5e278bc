import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ManualClock } from '../../../core/clock.ts';
import { parseSubAccountId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { ExecutionReport } from '../../../core/order.ts';
import { BybitVenue } from '../../../venues/bybit/bybit-venue.ts';
import { btc, FAST, Recorder } from './fixtures.ts';

/**
 * Funding is settled by Bybit as executions of execType Funding; the stand-in serves none, so a small server that
 * answers with Bybit's documented shapes (GET /v5/execution/list, the execution topic) stands in here. Funding is
 * reported as FUNDING_SETTLED, from the stream and from the gap-fill alike, once, and never as a fill.
 */

const T = Date.UTC(2026, 0, 5, 8, 0);
const ALPHA = parseSubAccountId('alpha');

/** A funding execution as Bybit lists it: the position paid 0.0112 USDT at a rate of 0.0001. */
const paid = { symbol: 'BTCUSDT', orderType: 'UNKNOWN', orderLinkId: '', orderId: '', side: 'Sell', leavesQty: '0', execTime: String(T), isMaker: false, execFee: '0.0112', feeRate: '0.0001', execId: 'f-1', markPrice: '16787.24', execPrice: '16787.24', orderQty: '0', orderPrice: '0', execValue: '112.0034', execType: 'Funding', execQty: '0.0067', closedSize: '', seq: 4688002127 };
/** The other way round: the sub-account received 0.05. */
const received = { ...paid, execId: 'f-2', execTime: String(T + 8 * 3_600_000), execFee: '-0.05', feeRate: '-0.0002', seq: 4688002200 };
/** A trade of someone else's order between them: a fill, not funding. */
const trade = { ...paid, execId: 't-1', execType: 'Trade', orderId: 'manual-1', orderType: 'Market', side: 'Buy', execTime: String(T + 3_600_000), execFee: '0.01', feeRate: '0.00055', orderQty: '0.0067', seq: 4688002150 };

let server: Server | undefined;
let sockets: WebSocketServer | undefined;
let venue: BybitVenue | undefined;

afterEach(async () => {
  await venue?.stop();
  sockets?.close();
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server?.closeAllConnections();
  venue = undefined;
  server = undefined;
});

async function fakeBybit(onSubscribed: (socket: WebSocket) => void): Promise<string> {
  server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    const result = path === '/v5/market/time' ? { timeSecond: String(Math.floor(Date.now() / 1000)), timeNano: String(BigInt(Date.now()) * 1_000_000n) } : { category: 'linear', list: [received, trade, paid], nextPageCursor: '' };
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: Date.now() }));
  });
  sockets = new WebSocketServer({ server });
  sockets.on('connection', (socket) => {
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as { op: string; req_id?: string };
      if (message.op === 'ping') socket.send(JSON.stringify({ op: 'pong' }));
      else if (message.op === 'auth') socket.send(JSON.stringify({ success: true, ret_msg: '', op: 'auth', req_id: message.req_id }));
      else if (message.op === 'subscribe') {
        socket.send(JSON.stringify({ success: true, ret_msg: '', op: 'subscribe', req_id: message.req_id }));
        onSubscribed(socket);
      }
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function fundings(reports: ExecutionReport[]): Array<[string, string, string | undefined, number]> {
  return reports.flatMap((report) => (report.type === 'FUNDING_SETTLED' ? [[report.fundingId, report.amount.toString(), report.rate?.toString(), report.at] as [string, string, string | undefined, number]] : []));
}

describe('funding', () => {
  it('is reported from the stream as FUNDING_SETTLED, signed as received, once, and never as a fill', async () => {
    const url = await fakeBybit((socket) => {
      const push = { id: 'p', topic: 'execution', creationTime: T, data: [{ category: 'linear', ...paid }] };
      socket.send(JSON.stringify(push));
      socket.send(JSON.stringify(push));
      // Behind the duplicate, so that once this is in, the duplicate has been read.
      socket.send(JSON.stringify({ ...push, data: [{ category: 'linear', ...received }] }));
    });
    venue = new BybitVenue({ name: 'BYBIT', environment: url, credentials: new Map([[ALPHA, { key: 'fake-key-0001', secret: 'fake-secret-0001' }]]), instruments: [btc], clock: new ManualClock(T), logger: silentLogger, timeouts: FAST });
    const recorder = new Recorder();
    venue.onExecutionReport((report) => recorder.report(report));
    await venue.start();
    await recorder.until(() => fundings(recorder.reports).some(([id]) => id === 'f-2'), 'the second funding report');
    expect(recorder.reports.find((report) => report.type === 'FUNDING_SETTLED')).toMatchObject({ subAccountId: ALPHA, instrumentId: btc.id });
    expect(fundings(recorder.reports)).toEqual([
      ['f-1', '-0.0112', '0.0001', T],
      ['f-2', '0.05', '-0.0002', T + 8 * 3_600_000],
    ]);
    expect(recorder.reports.some((report) => report.type === 'ORDER_FILLED')).toBe(false);
    // The position's sign comes from the payment and the rate (a long pays a positive rate), not from the row's side,
    // which here says Sell on a position that paid: both payments were on a long of 0.0067 valued at the mark.
    const positions = recorder.reports.flatMap((report) => (report.type === 'FUNDING_SETTLED' ? [[report.positionQuantity?.toString(), report.markPrice?.toString()]] : []));
    expect(positions).toEqual([
      ['0.0067', '16787.24'],
      ['0.0067', '16787.24'],
    ]);
  });

  it('is reported from the gap-fill too, while the page lists only the trades', async () => {
    const url = await fakeBybit(() => {});
    venue = new BybitVenue({ name: 'BYBIT', environment: url, credentials: new Map([[ALPHA, { key: 'fake-key-0001', secret: 'fake-secret-0001' }]]), instruments: [btc], clock: new ManualClock(T + 86_400_000), logger: silentLogger, timeouts: FAST });
    const recorder = new Recorder();
    venue.onExecutionReport((report) => recorder.report(report));
    await venue.start();
    const page = await venue.fillsSince(ALPHA, null);
    expect(page.fills.map((fill) => [fill.tradeId, fill.clientOrderId, fill.side])).toEqual([['t-1', '#manual-1', 'BUY']]);
    expect(fundings(recorder.reports)).toEqual([
      ['f-1', '-0.0112', '0.0001', T],
      ['f-2', '0.05', '-0.0002', T + 8 * 3_600_000],
    ]);
  });
});
