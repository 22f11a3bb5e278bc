import type { RestClientV5 } from 'bybit-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { provision, rest, startStandin, stream, trade, type Credentials, type Running, type StreamMessage } from './harness.ts';

/** Each scripted fault, seen from a client: what it gets back, and what the exchange did meanwhile. */

let running: Running;
let alice: Credentials;
let client: RestClientV5;

beforeEach(async () => {
  running = await startStandin();
  trade(running, 'BTCUSDT', '60000');
  alice = await provision(running.standin, 'alice01');
  client = rest(running.standin, alice);
});

afterEach(async () => {
  await running.standin.stop();
});

const limitOrder = (orderLinkId: string) => ({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '55000', orderLinkId }) as const;

async function statusOf(orderLinkId: string): Promise<string | undefined> {
  const reply = await client.getActiveOrders({ category: 'linear', orderLinkId });
  return reply.result.list[0]?.orderStatus;
}

/** What bybit-api threw: an HTTP error object, or an axios error (timeout, reset) without a response. */
async function failure(promise: Promise<unknown>): Promise<{ code?: unknown; message?: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: unknown; message?: unknown };
  }
  throw new Error('the request did not fail');
}

describe('REST faults', () => {
  it('accept-then-timeout: the order is placed, the answer never comes, and a query by orderLinkId finds it', async () => {
    const fault = running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/create' });
    const impatient = rest(running.standin, alice, 300);
    const error = await failure(impatient.submitOrder(limitOrder('bot_e1')));
    expect(String(error.message)).toMatch(/timeout/);
    await fault.spent;
    expect(await statusOf('bot_e1')).toBe('New');
    // The resubmit that reuses the ID learns that the order exists.
    expect((await client.submitOrder(limitOrder('bot_e1'))).retCode).toBe(110072);
  });

  it('accept-then-timeout with destroy: the connection resets after the order is placed', async () => {
    running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/create', destroy: true });
    const error = await failure(client.submitOrder(limitOrder('bot_e1')));
    expect(String(error.code ?? error.message)).toMatch(/ECONNRESET|socket hang up/);
    expect(await statusOf('bot_e1')).toBe('New');
  });

  it('http-5xx: the order is not placed, unless the fault says it was', async () => {
    running.standin.faults.add({ kind: 'http-5xx', route: 'POST /v5/order/create' });
    expect(await failure(client.submitOrder(limitOrder('bot_e1')))).toMatchObject({ code: 503 });
    expect(await statusOf('bot_e1')).toBeUndefined();
    running.standin.faults.add({ kind: 'http-5xx', route: 'POST /v5/order/create', status: 502, processed: true });
    expect(await failure(client.submitOrder(limitOrder('bot_e2')))).toMatchObject({ code: 502 });
    expect(await statusOf('bot_e2')).toBe('New');
  });

  it('rate-limit-burst: 10006 with the limit headers, or HTTP 429 and 403, and nothing placed', async () => {
    running.standin.faults.add({ kind: 'rate-limit-burst', route: 'POST /v5/order/create', count: 2 });
    for (const orderLinkId of ['bot_e1', 'bot_e2']) {
      const reply = await client.submitOrder(limitOrder(orderLinkId));
      expect(reply).toMatchObject({ retCode: 10006, rateLimitApi: { remainingRequests: 0, maxRequests: 10 } });
    }
    running.standin.faults.add({ kind: 'rate-limit-burst', route: 'POST /v5/order/create', status: 429 });
    expect(await failure(client.submitOrder(limitOrder('bot_e3')))).toMatchObject({ code: 429 });
    running.standin.faults.add({ kind: 'rate-limit-burst', route: '*', status: 403 });
    expect(await failure(client.getPositionInfo({ category: 'linear', symbol: 'BTCUSDT' }))).toMatchObject({ code: 403 });
    expect((await client.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list).toEqual([]);
    expect((await client.submitOrder(limitOrder('bot_e1'))).retCode).toBe(0);
  });

  it('slow: the order is placed at once and the answer comes late, after a patient client has waited and an impatient one has given up', async () => {
    running.standin.faults.add({ kind: 'slow', route: 'POST /v5/order/create', delayMs: 400, count: 2 });
    const impatient = rest(running.standin, alice, 150);
    expect(String((await failure(impatient.submitOrder(limitOrder('bot_e1')))).message)).toMatch(/timeout/);
    expect(await statusOf('bot_e1')).toBe('New');
    const started = Date.now();
    expect((await client.submitOrder(limitOrder('bot_e2'))).retCode).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });

  it('a fault that acts on the answer waits for a request the exchange carries out; a refused one is answered at once', async () => {
    expect((await client.submitOrder(limitOrder('bot_e1'))).retCode).toBe(0);
    const fault = running.standin.faults.add({ kind: 'slow', route: 'POST /v5/order/create', delayMs: 60_000 });
    // Refused (the orderLinkId is taken): answered now, and the fault is still armed.
    expect((await client.submitOrder(limitOrder('bot_e1'))).retCode).toBe(110072);
    expect(fault.fired).toBe(0);
    // Carried out: the order is placed and its answer held.
    const held = client.submitOrder(limitOrder('bot_e2'));
    await fault.spent;
    expect(await statusOf('bot_e2')).toBe('New');
    running.standin.faults.clear();
    void held.catch(() => {});
  });

  it('lets `skip` matches through and fires `count` times, for one UID only when told', async () => {
    const bob = rest(running.standin, await provision(running.standin, 'bob0001'));
    const fault = running.standin.faults.add({ kind: 'rate-limit-burst', route: 'POST /v5/order/create', uid: alice.uid, skip: 1, count: 2 });
    expect((await client.submitOrder(limitOrder('a1'))).retCode).toBe(0);
    expect((await bob.submitOrder(limitOrder('b1'))).retCode).toBe(0);
    expect((await client.submitOrder(limitOrder('a2'))).retCode).toBe(10006);
    expect((await client.submitOrder(limitOrder('a3'))).retCode).toBe(10006);
    expect((await client.submitOrder(limitOrder('a4'))).retCode).toBe(0);
    expect(fault.fired).toBe(2);
  });

  it('refuses a fault spec that makes no sense', () => {
    expect(() => running.standin.faults.add({ kind: 'http-5xx', status: 200 })).toThrow(/500, 502, 503 or 504/);
    expect(() => running.standin.faults.add({ kind: 'ws-duplicate', route: 'POST /v5/order/create' })).toThrow(/takes no route/);
    expect(() => running.standin.faults.add({ kind: 'slow', route: 'PUT /v5/order' } as never)).toThrow();
  });
});

describe('WebSocket faults, on the next fill', () => {
  const market = { category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01' } as const;
  const topicsOf = (messages: StreamMessage[]): string[] => messages.filter((message) => message.topic !== undefined).map((message) => message.topic as string);

  it('ws-drop-mid-fill: the fill is recorded but the socket drops before any of its pushes, and REST has it', async () => {
    const private1 = await stream(running.standin, ['order', 'execution', 'position', 'wallet'], alice);
    running.standin.faults.add({ kind: 'ws-drop-mid-fill', uid: alice.uid });
    expect((await client.submitOrder({ ...market, orderLinkId: 'bot_e1' })).retCode).toBe(0);
    await private1.closed;
    expect(topicsOf(private1.messages)).toEqual([]);
    const fills = await client.getExecutionList({ category: 'linear', symbol: 'BTCUSDT' });
    expect(fills.result.list.map((execution) => execution.orderLinkId)).toEqual(['bot_e1']);
    // A new connection gets the next fill's pushes again.
    const private2 = await stream(running.standin, ['execution'], alice);
    await client.submitOrder({ ...market, orderLinkId: 'bot_e2' });
    expect((await private2.next((message) => message.topic === 'execution')).data?.[0]?.['orderLinkId']).toBe('bot_e2');
    private2.socket.close();
  });

  it('ws-duplicate: every push of the fill arrives twice', async () => {
    const private1 = await stream(running.standin, ['order', 'execution', 'position', 'wallet'], alice);
    running.standin.faults.add({ kind: 'ws-duplicate' });
    await client.submitOrder({ ...market, orderLinkId: 'bot_e1' });
    await private1.next((message) => message.topic === 'wallet' && private1.messages.filter((other) => other.topic === 'wallet').length === 2);
    expect(topicsOf(private1.messages)).toEqual(['order', 'order', 'execution', 'execution', 'position', 'position', 'wallet', 'wallet']);
    const executions = private1.messages.filter((message) => message.topic === 'execution');
    expect(executions[0]?.data?.[0]?.['execId']).toBe(executions[1]?.data?.[0]?.['execId']);
    private1.socket.close();
  });

  it('ws-reorder: the fill’s pushes arrive last first, and the order’s states newest first', async () => {
    const private1 = await stream(running.standin, ['order', 'execution', 'position', 'wallet'], alice);
    running.standin.faults.add({ kind: 'ws-reorder' });
    await client.submitOrder({ ...market, orderLinkId: 'bot_e1' });
    await private1.next((message) => message.topic === 'order');
    expect(topicsOf(private1.messages)).toEqual(['wallet', 'position', 'execution', 'order']);
    const order = private1.messages.find((message) => message.topic === 'order');
    expect(order?.data?.map((entry) => entry['orderStatus'])).toEqual(['Filled', 'New']);
    private1.socket.close();
  });
});

describe('the admin endpoint', () => {
  async function admin(method: string, path: string, body?: unknown, token: string | null = running.standin.adminToken): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${running.standin.url}${path}`, {
      method,
      headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it('needs the admin token', async () => {
    expect((await admin('GET', '/standin/faults', undefined, null)).status).toBe(401);
    expect((await admin('GET', '/standin/faults', undefined, 'x'.repeat(64))).status).toBe(401);
  });

  it('arms, lists and clears faults for a test in another process, and pushes candles and drops sockets', async () => {
    expect(await admin('POST', '/standin/faults', { kind: 'http-5xx', route: 'POST /v5/order/create' })).toMatchObject({ status: 200, json: { id: 1 } });
    expect(await failure(client.submitOrder(limitOrder('bot_e1')))).toMatchObject({ code: 503 });
    expect((await admin('GET', '/standin/faults')).json).toMatchObject({ faults: [{ id: 1, fired: 1, spec: { kind: 'http-5xx' } }] });
    await admin('POST', '/standin/faults', { kind: 'http-5xx' });
    await admin('DELETE', '/standin/faults');
    expect((await client.submitOrder(limitOrder('bot_e1'))).retCode).toBe(0);
    expect((await admin('POST', '/standin/faults', { kind: 'boom' })).status).toBe(400);

    running.clock.advance(60_000);
    expect((await admin('POST', '/standin/candles', { symbol: 'BTCUSDT', open: '60000', high: '60000', low: '54000', close: '54500' })).status).toBe(200);
    expect(await statusOf('bot_e1')).toBe('Filled');

    const private1 = await stream(running.standin, ['order'], alice);
    expect((await admin('POST', '/standin/drop-private', { uid: alice.uid })).json).toEqual({ dropped: 1 });
    await private1.closed;
  });
});
