import { WebsocketClient } from 'bybit-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { candle, provision, rest, startStandin, trade, type Credentials, type Running } from './harness.ts';

/** The real SDK's WebsocketClient, with wsUrl pointed at the stand-in: auth, private topics for a fill, public klines, reconnect. */

interface Update {
  topic: string;
  data: Record<string, unknown>[] | Record<string, unknown>;
}

const quiet = { trace: () => {}, info: () => {}, error: () => {} };

/** Every update a client received, and a way to wait (without sleeping) for one that matches. */
class Updates {
  readonly all: Update[] = [];
  readonly #waiters: { match: (update: Update) => boolean; resolve: (update: Update) => void }[] = [];

  push(update: Update): void {
    this.all.push(update);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(update)) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(update);
    }
  }

  next(match: (update: Update) => boolean): Promise<Update> {
    const found = this.all.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }
}

function entries(update: Update): Record<string, unknown>[] {
  return Array.isArray(update.data) ? update.data : [update.data];
}

function first(update: Update): Record<string, unknown> {
  return entries(update)[0] as Record<string, unknown>;
}

/** The last entry: a push may carry several states of one order, oldest first. */
function latest(update: Update): Record<string, unknown> {
  const list = entries(update);
  return list[list.length - 1] as Record<string, unknown>;
}

/**
 * Subscribes and waits for the stand-in's confirmation: bybit-api's subscribeV5 promise can settle when the request
 * is sent, before the subscription exists on the server.
 */
function subscribe(ws: WebsocketClient, topics: string[], isPrivate = false): Promise<void> {
  const confirmed = new Promise<void>((resolve, reject) => {
    const onResponse = (response: { op?: string; success?: boolean; req_id?: string; ret_msg?: string }): void => {
      if (response.op !== 'subscribe' || response.req_id !== topics.join(',')) return;
      ws.off('response', onResponse);
      if (response.success === true) resolve();
      else reject(new Error(`subscribe refused: ${response.ret_msg}`));
    };
    ws.on('response', onResponse);
  });
  void ws.subscribeV5(topics, 'linear', isPrivate);
  return confirmed;
}

let running: Running;
let alice: Credentials;
const clients: WebsocketClient[] = [];

function connect(credentials?: Credentials): { ws: WebsocketClient; updates: Updates } {
  const ws = new WebsocketClient({ ...(credentials === undefined ? {} : { key: credentials.key, secret: credentials.secret }), wsUrl: running.standin.wsUrl }, quiet);
  const updates = new Updates();
  ws.on('update', (update) => updates.push(update as Update));
  clients.push(ws);
  return { ws, updates };
}

beforeEach(async () => {
  running = await startStandin();
  trade(running, 'BTCUSDT', '60000');
  alice = await provision(running.standin, 'alice01');
});

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.closeAll(true);
  await running.standin.stop();
});

describe('the private stream through bybit-api', () => {
  it('authenticates and pushes order, execution, position and wallet for a fill, in Bybit shapes', async () => {
    const { ws, updates } = connect(alice);
    await subscribe(ws, ['order', 'execution', 'position', 'wallet'], true);

    const reply = await rest(running.standin, alice).submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'bot_e1' });
    const orderId = reply.result.orderId;
    const filled = await updates.next((update) => update.topic === 'order' && latest(update)['orderStatus'] === 'Filled');
    const execution = await updates.next((update) => update.topic === 'execution');
    const position = await updates.next((update) => update.topic === 'position');
    const wallet = await updates.next((update) => update.topic === 'wallet');

    expect(filled).toMatchObject({ id: expect.any(String), creationTime: expect.any(Number) });
    expect(latest(filled)).toMatchObject({ category: 'linear', orderId, orderLinkId: 'bot_e1', orderStatus: 'Filled', avgPrice: '60000', leavesQty: '0', cumExecQty: '0.01', cumExecFee: '0.33' });
    expect(first(execution)).toMatchObject({ category: 'linear', orderId, orderLinkId: 'bot_e1', execPrice: '60000', execQty: '0.01', execFee: '0.33', execType: 'Trade', isMaker: false, execPnl: '0', execId: expect.any(String) });
    expect(first(position)).toMatchObject({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', size: '0.01', entryPrice: '60000', positionIdx: 0, seq: expect.any(Number) });
    expect(first(wallet)).toMatchObject({ accountType: 'UNIFIED', totalWalletBalance: '99999.67' });
    // The order went New, then Filled, in that order, before the execution.
    const statuses = updates.all.filter((update) => update.topic === 'order').flatMap((update) => entries(update).map((entry) => entry['orderStatus']));
    expect(statuses).toEqual(['New', 'Filled']);
  });

  it("pushes only the key's own UID's events", async () => {
    const bob = await provision(running.standin, 'bob0001');
    const { ws, updates } = connect(alice);
    await subscribe(ws, ['execution'], true);
    await rest(running.standin, bob).submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'bob_e1' });
    await rest(running.standin, alice).submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'alice_e1' });
    await updates.next((update) => update.topic === 'execution');
    expect(updates.all.map((update) => first(update)['orderLinkId'])).toEqual(['alice_e1']);
  });

  it('reconnects after a dropped socket, authenticates and subscribes again, and pushes the next fill', async () => {
    const { ws, updates } = connect(alice);
    await subscribe(ws, ['execution'], true);
    const reconnected = new Promise<void>((resolve) => ws.on('reconnected', () => resolve()));
    // After a reconnect the client authenticates and subscribes again; the stand-in confirms both.
    const resubscribed = new Promise<void>((resolve) =>
      ws.on('response', (response: { op?: string; success?: boolean }) => {
        if (response.op === 'subscribe' && response.success === true) resolve();
      }),
    );
    expect(running.standin.dropPrivateConnections(alice.uid)).toBe(1);
    await reconnected;
    await resubscribed;

    await rest(running.standin, alice).submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'bot_e2' });
    const execution = await updates.next((update) => update.topic === 'execution');
    expect(first(execution)['orderLinkId']).toBe('bot_e2');
  });
});

describe('the public stream through bybit-api', () => {
  it('pushes 1m klines confirmed at once, and a 5m kline forming until its last minute confirms it', async () => {
    const { ws, updates } = connect();
    await subscribe(ws, ['kline.1.BTCUSDT', 'kline.5.BTCUSDT']);
    // The harness's first candle opened at 12:00; four more close the 12:00-12:05 bucket.
    candle(running, 'BTCUSDT', '60000', '60500', '59900', '60400');
    candle(running, 'BTCUSDT', '60400', '60400', '59000', '59100');
    candle(running, 'BTCUSDT', '59100', '59200', '59100', '59150');
    const last = updates.next((update) => update.topic === 'kline.5.BTCUSDT' && first(update)['confirm'] === true);
    candle(running, 'BTCUSDT', '59150', '59300', '59150', '59250');
    const closed = first(await last);

    const fives = updates.all.filter((update) => update.topic === 'kline.5.BTCUSDT').map((update) => first(update)['confirm']);
    expect(fives).toEqual([false, false, false, true]);
    expect(closed).toMatchObject({ interval: '5', start: Date.UTC(2026, 0, 5, 12, 0), end: Date.UTC(2026, 0, 5, 12, 5) - 1, open: '60000', high: '60500', low: '59000', close: '59250', confirm: true });
    const ones = updates.all.filter((update) => update.topic === 'kline.1.BTCUSDT');
    expect(ones).toHaveLength(4);
    expect(ones.every((update) => first(update)['confirm'] === true)).toBe(true);

    const history = await rest(running.standin, alice).getKline({ category: 'linear', symbol: 'BTCUSDT', interval: '1', limit: 3 });
    expect(history.result.list).toEqual([
      [String(Date.UTC(2026, 0, 5, 12, 4)), '59150', '59300', '59150', '59250', '1000000', '59250000000'],
      [String(Date.UTC(2026, 0, 5, 12, 3)), '59100', '59200', '59100', '59150', '1000000', '59150000000'],
      [String(Date.UTC(2026, 0, 5, 12, 2)), '60400', '60400', '59000', '59100', '1000000', '59100000000'],
    ]);
  });
});
