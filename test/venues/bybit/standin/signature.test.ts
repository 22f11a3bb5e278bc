import { createHmac } from 'node:crypto';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { raw, startStandin, trade, type RawRequest, type Running } from './harness.ts';

/**
 * Bybit's signature rules pinned down with a client written from them alone (node:crypto and fetch), against a
 * stand-in whose wall clock stands still, so the receive window's edges can be hit to the millisecond.
 */

const T = Date.UTC(2026, 5, 1, 9, 30);
let running: Running;
let wall: ManualClock;

beforeEach(async () => {
  wall = new ManualClock(T);
  running = await startStandin({ wallClock: wall });
  trade(running, 'BTCUSDT', '60000');
});

afterEach(async () => {
  await running.standin.stop();
});

function asMaster(request: Omit<RawRequest, 'credentials'>): ReturnType<typeof raw> {
  return raw(running.standin, { timestamp: T, ...request, credentials: running.standin.master });
}

describe('REST signatures as Bybit checks them', () => {
  it('hashes the query exactly as received, encoded (bybit-api) or not (ccxt)', async () => {
    const encoded = await asMaster({ method: 'GET', path: '/v5/account/wallet-balance', query: 'accountType=UNIFIED&coin=USDT%2CBTC' });
    expect(encoded.json?.retCode).toBe(0);
    const plain = await asMaster({ method: 'GET', path: '/v5/account/wallet-balance', query: 'accountType=UNIFIED&coin=USDT,BTC' });
    expect(plain.json?.retCode).toBe(0);
    // The same parameters signed in another order than they were sent do not verify.
    const reordered = await asMaster({ method: 'GET', path: '/v5/account/wallet-balance', query: 'accountType=UNIFIED&coin=USDT', sign: (_payload, timestamp, recvWindow) => hmac(`${timestamp}${running.standin.master.key}${recvWindow}coin=USDT&accountType=UNIFIED`) });
    expect(reordered.json?.retCode).toBe(10004);
  });

  it('hashes the POST body exactly as received, whitespace and key order included', async () => {
    const body = '{ "category" : "linear",  "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.01", "price": "50000", "orderLinkId": "raw_1" }';
    expect((await asMaster({ method: 'POST', path: '/v5/order/create', body })).json?.retCode).toBe(0);
    const compact = JSON.stringify(JSON.parse(body.replace('raw_1', 'raw_2')));
    const signedOther = await asMaster({ method: 'POST', path: '/v5/order/create', body: body.replace('raw_1', 'raw_2'), sign: (_payload, timestamp, recvWindow) => hmac(`${timestamp}${running.standin.master.key}${recvWindow}${compact}`) });
    expect(signedOther.json?.retCode).toBe(10004);
  });

  it('accepts serverTime − recvWindow ≤ timestamp < serverTime + 1000, and answers 10002 outside', async () => {
    const at = async (timestamp: number, recvWindow?: number | null): Promise<number | undefined> =>
      (await asMaster({ method: 'GET', path: '/v5/position/list', query: 'category=linear&symbol=BTCUSDT', timestamp, ...(recvWindow === undefined ? {} : { recvWindow }) })).json?.retCode;
    expect(await at(T - 5_000)).toBe(0);
    expect(await at(T - 5_001)).toBe(10002);
    expect(await at(T + 999)).toBe(0);
    expect(await at(T + 1_000)).toBe(10002);
    expect(await at(T - 10_000, 10_000)).toBe(0);
    expect(await at(T - 10_001, 10_000)).toBe(10002);
    // Without X-BAPI-RECV-WINDOW the window is 5000 ms, and the signature is made with 5000.
    expect(await at(T - 5_000, null)).toBe(0);
    expect(await at(T - 5_001, null)).toBe(10002);
    const stale = await asMaster({ method: 'GET', path: '/v5/position/list', query: 'category=linear&symbol=BTCUSDT', timestamp: T - 9_000 });
    expect(stale.json?.retMsg).toContain(`server_timestamp[${T}]`);
  });

  it('answers HTTP 401 without the auth headers, 10003 for an unknown key, and needs nothing for public routes', async () => {
    const missing = await raw(running.standin, { method: 'GET', path: '/v5/position/list', query: 'category=linear&symbol=BTCUSDT' });
    expect(missing.status).toBe(401);
    const unknown = await raw(running.standin, { method: 'GET', path: '/v5/position/list', query: 'category=linear&symbol=BTCUSDT', timestamp: T, credentials: { key: 'NOSUCHKEY000000000', secret: 'x' } });
    expect(unknown.json?.retCode).toBe(10003);
    const time = await raw(running.standin, { method: 'GET', path: '/v5/market/time' });
    expect(time.json).toMatchObject({ retCode: 0, result: { timeSecond: String(T / 1000), timeNano: `${T}000000` }, time: T });
  });

  it('refuses an IP-bound key from elsewhere (10010) and takes it from its bound address', async () => {
    const member = await asMaster({ method: 'POST', path: '/v5/user/create-sub-member', body: JSON.stringify({ username: 'boundip1', memberType: 1, isUta: true }) });
    const subuid = Number(member.json?.result['uid']);
    const create = (ips: string) => asMaster({ method: 'POST', path: '/v5/user/create-sub-api', body: JSON.stringify({ subuid, readOnly: 0, ips, permissions: { ContractTrade: ['Order', 'Position'] } }) });
    const elsewhere = (await create('10.1.2.3')).json?.result as { apiKey: string; secret: string };
    const here = (await create('10.1.2.3,127.0.0.1')).json?.result as { apiKey: string; secret: string };
    const query = { method: 'GET' as const, path: '/v5/position/list', query: 'category=linear&symbol=BTCUSDT', timestamp: T };
    expect((await raw(running.standin, { ...query, credentials: { key: elsewhere.apiKey, secret: elsewhere.secret } })).json?.retCode).toBe(10010);
    expect((await raw(running.standin, { ...query, credentials: { key: here.apiKey, secret: here.secret } })).json?.retCode).toBe(0);
  });

  it('refuses routes it does not serve with HTTP 404 and 10017, cancelling everything at once among them', async () => {
    const everything = await asMaster({ method: 'POST', path: '/v5/order/cancel-all', body: JSON.stringify({ category: 'linear', symbol: 'BTCUSDT' }) });
    expect(everything.status).toBe(404);
    expect(everything.json).toMatchObject({ retCode: 10017, retMsg: expect.stringContaining('is not served by the stand-in') });
    const unknown = await raw(running.standin, { method: 'GET', path: '/v5/spot-margin-trade/data' });
    expect(unknown.json?.retCode).toBe(10017);
  });

  it('refuses amounts sent as JSON numbers: money never travels as a float', async () => {
    const body = JSON.stringify({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: 0.01, price: '50000' });
    const reply = await asMaster({ method: 'POST', path: '/v5/order/create', body });
    expect(reply.json).toMatchObject({ retCode: 10001, retMsg: expect.stringContaining('qty must be a decimal string') });
  });
});

function hmac(message: string): string {
  return createHmac('sha256', running.standin.master.secret).update(message).digest('hex');
}

describe('WebSocket auth and heartbeat as Bybit does them', () => {
  function open(path: string): Promise<{ socket: WebSocket; next: () => Promise<Record<string, unknown>>; text: () => Promise<string> }> {
    const socket = new WebSocket(`ws://127.0.0.1:${running.standin.port}${path}`);
    const queue: string[] = [];
    const waiting: ((text: string) => void)[] = [];
    socket.on('message', (data) => {
      const text = data.toString();
      const waiter = waiting.shift();
      if (waiter === undefined) queue.push(text);
      else waiter(text);
    });
    const text = (): Promise<string> => {
      const queued = queue.shift();
      return queued !== undefined ? Promise.resolve(queued) : new Promise((resolve) => waiting.push(resolve));
    };
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve({ socket, text, next: async () => JSON.parse(await text()) as Record<string, unknown> }));
      socket.once('error', reject);
    });
  }

  function authArgs(expires: number | string, secret = running.standin.master.secret): unknown[] {
    return [running.standin.master.key, expires, createHmac('sha256', secret).update(`GET/realtime${expires}`).digest('hex')];
  }

  it('authenticates with expires as a number (bybit-api) or a string (ccxt), and refuses a past expiry or a bad signature', async () => {
    for (const expires of [T + 5_000, String(T + 5_000)]) {
      const { socket, next } = await open('/v5/private');
      socket.send(JSON.stringify({ op: 'auth', args: authArgs(expires), req_id: 'a' }));
      expect(await next()).toMatchObject({ success: true, ret_msg: '', op: 'auth', req_id: 'a', conn_id: expect.any(String) });
      socket.close();
    }
    const expired = await open('/v5/private');
    expired.socket.send(JSON.stringify({ op: 'auth', args: authArgs(T) }));
    expect(await expired.next()).toMatchObject({ success: false, op: 'auth' });
    const forged = await open('/v5/private');
    forged.socket.send(JSON.stringify({ op: 'auth', args: authArgs(T + 5_000, 'wrong') }));
    expect(await forged.next()).toMatchObject({ success: false, op: 'auth' });
    forged.socket.send(JSON.stringify({ op: 'subscribe', args: ['order'], req_id: 's' }));
    expect(await forged.next()).toMatchObject({ success: false, ret_msg: 'Request not authorized', op: 'subscribe', req_id: 's' });
    expired.socket.close();
    forged.socket.close();
  });

  it('answers pings with the compact pong each stream sends, which is how bybit-api recognises it', async () => {
    const privateStream = await open('/v5/private');
    privateStream.socket.send(JSON.stringify({ op: 'ping', req_id: 'p' }));
    const pong = await privateStream.text();
    expect(pong).toContain('"op":"pong"');
    expect(JSON.parse(pong)).toMatchObject({ op: 'pong', req_id: 'p', args: [String(T)] });
    const publicStream = await open('/v5/public/linear');
    publicStream.socket.send(JSON.stringify({ op: 'ping' }));
    expect(await publicStream.text()).toContain('"ret_msg":"pong"');
    publicStream.socket.send(JSON.stringify({ op: 'subscribe', args: ['kline.7.BTCUSDT'] }));
    expect(await publicStream.next()).toMatchObject({ success: false, op: 'subscribe' });
    privateStream.socket.close();
    publicStream.socket.close();
  });
});
