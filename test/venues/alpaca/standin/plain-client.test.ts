import { decode, encode } from '@msgpack/msgpack';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startStandin, type StandinSetup } from './harness.ts';

/**
 * A second, independent client: plain fetch and WebSocket written from Alpaca's documented wire (headers
 * APCA-API-KEY-ID / APCA-API-SECRET-KEY, snake_case JSON, the stream handshakes), so the stand-in is not only
 * shaped to what one SDK happens to accept.
 */

describe('the Alpaca stand-in through a plain client', () => {
  let setup: StandinSetup;
  let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; json: any }>;

  beforeEach(async () => {
    setup = await startStandin();
    call = async (method, path, body) => {
      const response = await fetch(`${setup.standin.url}${path}`, {
        method,
        headers: { 'APCA-API-KEY-ID': setup.alpha.key, 'APCA-API-SECRET-KEY': setup.alpha.secret, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, json: text === '' ? null : JSON.parse(text) };
    };
  });

  afterEach(async () => {
    await setup.standin.stop();
  });

  it('speaks the order lifecycle in snake_case, with amounts as strings and the raw colon path', async () => {
    const placed = await call('POST', '/v2/orders', { symbol: 'FRAC', qty: '0.015', side: 'sell', type: 'stop', stop_price: '59000.0', time_in_force: 'gtc', client_order_id: 'plain-1' });
    expect(placed.status).toBe(200);
    expect(placed.json).toMatchObject({ client_order_id: 'plain-1', qty: '0.015', stop_price: '59000', type: 'stop', order_type: 'stop', status: 'new', filled_qty: '0', replaced_by: null });
    const found = await call('GET', '/v2/orders:by_client_order_id?client_order_id=plain-1');
    expect(found.json.id).toBe(placed.json.id);
    const replaced = await call('PATCH', `/v2/orders/${placed.json.id}`, { stop_price: '58500', client_order_id: 'plain-1.r1' });
    expect(replaced.json).toMatchObject({ replaces: placed.json.id, stop_price: '58500', client_order_id: 'plain-1.r1' });
    expect((await call('DELETE', `/v2/orders/${replaced.json.id}`)).status).toBe(204);
    const again = await call('DELETE', `/v2/orders/${replaced.json.id}`);
    expect([again.status, again.json.code]).toEqual([422, 42210000]);
    const open = await call('GET', '/v2/orders?status=open');
    expect(open.json).toEqual([]);
  });

  it('refuses amounts sent as JSON numbers, a stop on the wrong side, cancel-all, and a missing key', async () => {
    const numeric = await call('POST', '/v2/orders', { symbol: 'QQQ', qty: 1, side: 'buy', type: 'market', time_in_force: 'day' });
    expect([numeric.status, numeric.json.message]).toEqual([422, expect.stringContaining('decimal string')]);
    const wrongSide = await call('POST', '/v2/orders', { symbol: 'QQQ', qty: '1', side: 'sell', type: 'stop', stop_price: '490', time_in_force: 'gtc' });
    expect(wrongSide.status).toBe(422);
    const cancelAll = await call('DELETE', '/v2/orders');
    expect([cancelAll.status, cancelAll.json.message]).toEqual([405, expect.stringContaining('cancel each order by its ID')]);
    const anonymous = await fetch(`${setup.standin.url}/v2/account`);
    expect([anonymous.status, ((await anonymous.json()) as { code: number }).code]).toEqual([401, 40110000]);
  });

  it('pages FILL activities by ID in ascending order', async () => {
    for (const id of ['f1', 'f2', 'f3']) await call('POST', '/v2/orders', { symbol: 'QQQ', qty: '1', side: 'buy', type: 'market', time_in_force: 'day', client_order_id: id });
    const first = await call('GET', '/v2/account/activities/FILL?direction=asc&page_size=2');
    expect(first.json).toHaveLength(2);
    expect(first.json[0]).toMatchObject({ activity_type: 'FILL', type: 'fill', qty: '1', price: '480', side: 'buy', symbol: 'QQQ', leaves_qty: '0', cum_qty: '1', order_status: 'filled' });
    const second = await call('GET', `/v2/account/activities/FILL?direction=asc&page_size=2&page_token=${encodeURIComponent(first.json[1].id)}`);
    expect(second.json).toHaveLength(1);
    const order = await call('GET', `/v2/orders/${second.json[0].order_id}`);
    expect(order.json.client_order_id).toBe('f3');
  });

  it('runs the trade_updates handshake and pushes events, and the data stream handshake in msgpack', async () => {
    const trading = new WebSocket(`${setup.standin.wsUrl}/stream`);
    const messages: any[] = [];
    const next = (check: (message: any) => boolean): Promise<any> =>
      new Promise((resolve) => {
        const look = (): boolean => {
          const found = messages.find(check);
          if (found !== undefined) resolve(found);
          return found !== undefined;
        };
        if (!look()) trading.on('message', () => look());
      });
    trading.on('message', (raw) => messages.push(JSON.parse(String(raw))));
    await new Promise((resolve) => trading.once('open', resolve));
    trading.send(JSON.stringify({ action: 'authenticate', data: { key_id: setup.alpha.key, secret_key: setup.alpha.secret } }));
    expect(await next((message) => message.stream === 'authorization')).toMatchObject({ data: { status: 'authorized' } });
    trading.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
    expect(await next((message) => message.stream === 'listening')).toEqual({ stream: 'listening', data: { streams: ['trade_updates'] } });
    await call('POST', '/v2/orders', { symbol: 'QQQ', qty: '1', side: 'buy', type: 'limit', limit_price: '470', time_in_force: 'gtc', client_order_id: 'pushed' });
    const update = await next((message) => message.stream === 'trade_updates');
    expect(update.data).toMatchObject({ event: 'new', order: { client_order_id: 'pushed', status: 'new' } });
    trading.close();

    const data = new WebSocket(`${setup.standin.wsUrl}/v2/sip`);
    const frames: any[] = [];
    const arrived = (count: number): Promise<void> => new Promise((resolve) => (frames.length >= count ? resolve() : data.on('message', () => frames.length >= count && resolve())));
    data.on('message', (raw) => frames.push(...(decode(raw as Buffer) as any[])));
    await arrived(1);
    expect(frames[0]).toEqual({ T: 'success', msg: 'connected' });
    data.send(encode({ action: 'auth', key: setup.alpha.key, secret: setup.alpha.secret }));
    await arrived(2);
    expect(frames[1]).toEqual({ T: 'success', msg: 'authenticated' });
    data.send(encode({ action: 'subscribe', bars: ['QQQ'] }));
    await arrived(3);
    expect(frames[2]).toMatchObject({ T: 'subscription', bars: ['QQQ'] });
    setup.standin.pushBar('QQQ', { open: '480', high: '481', low: '479', close: '480.5' });
    await arrived(4);
    expect(frames[3]).toMatchObject({ T: 'b', S: 'QQQ', c: 480.5 });
    data.close();
  });
});
