import { randomUUID } from 'node:crypto';
import type { RestClientV5 } from 'bybit-api';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { candle, provision, rest, startStandin, trade, type Credentials, type Running } from './harness.ts';

/** The real SDK, bybit-api's RestClientV5 with its baseUrl pointed at the stand-in, against Bybit's V5 order path. */

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
  vi.restoreAllMocks();
  await running.standin.stop();
});

async function byLinkId(orderLinkId: string): Promise<Record<string, unknown>> {
  const reply = await client.getActiveOrders({ category: 'linear', orderLinkId });
  expect(reply.retCode).toBe(0);
  expect(reply.result.list).toHaveLength(1);
  return reply.result.list[0] as unknown as Record<string, unknown>;
}

describe('orders through bybit-api', () => {
  it('places a market entry, a resting limit and a conditional reduce-only stop, each found by its orderLinkId', async () => {
    const entry = await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'bot_e1' });
    expect(entry).toMatchObject({ retCode: 0, result: { orderLinkId: 'bot_e1' } });
    expect(entry.result.orderId).toMatch(/^[0-9a-f-]{36}$/);
    const limit = await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Limit', qty: '0.01', price: '61000', timeInForce: 'GTC', orderLinkId: 'bot_t1', reduceOnly: true });
    const stop = await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', qty: '0.01', triggerPrice: '59000', triggerDirection: 2, triggerBy: 'LastPrice', reduceOnly: true, closeOnTrigger: true, orderLinkId: 'bot_s1' });
    expect([limit.retCode, stop.retCode]).toEqual([0, 0]);

    expect(await byLinkId('bot_e1')).toMatchObject({ orderStatus: 'Filled', cumExecQty: '0.01', avgPrice: '60000', leavesQty: '0', orderType: 'Market', timeInForce: 'IOC' });
    expect(await byLinkId('bot_t1')).toMatchObject({ orderStatus: 'New', price: '61000', qty: '0.01', reduceOnly: true, stopOrderType: '' });
    expect(await byLinkId('bot_s1')).toMatchObject({ orderStatus: 'Untriggered', triggerPrice: '59000', triggerDirection: 2, stopOrderType: 'Stop', reduceOnly: true, closeOnTrigger: true, lastPriceOnCreated: '60000' });

    const open = await client.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' });
    expect(open.result.list.map((order) => order.orderLinkId)).toEqual(['bot_s1', 'bot_t1']);
    const history = await client.getHistoricOrders({ category: 'linear', symbol: 'BTCUSDT' });
    expect(history.result.list.map((order) => [order.orderLinkId, order.orderStatus])).toEqual([
      ['bot_s1', 'Untriggered'],
      ['bot_t1', 'New'],
      ['bot_e1', 'Filled'],
    ]);
  });

  it('triggers the stop on a falling candle: Untriggered, then Triggered and Filled, and the position is flat', async () => {
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.02', orderLinkId: 'bot_e1' });
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', qty: '0.02', triggerPrice: '59000', triggerDirection: 2, reduceOnly: true, orderLinkId: 'bot_s1' });
    candle(running, 'BTCUSDT', '60000', '60100', '58800', '58900');

    expect(await byLinkId('bot_s1')).toMatchObject({ orderStatus: 'Filled', avgPrice: '59000', cumExecQty: '0.02' });
    const position = await client.getPositionInfo({ category: 'linear', symbol: 'BTCUSDT' });
    expect(position.result.list[0]).toMatchObject({ size: '0', side: '' });
    const fills = await client.getExecutionList({ category: 'linear', orderLinkId: 'bot_s1' });
    expect(fills.result.list).toMatchObject([{ execPrice: '59000', execQty: '0.02', closedSize: '0.02', stopOrderType: 'Stop', isMaker: false, execType: 'Trade' }]);
    const [stop] = running.standin.exchange.book.orders(alice.uid, (order) => order.orderLinkId === 'bot_s1', 1, undefined).list;
    expect(stop?.statusHistory.map((entry) => entry.status)).toEqual(['Untriggered', 'Triggered', 'Filled']);
  });

  it('amends a resting limit and a stop in place, and refuses a trigger the price has already passed', async () => {
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.02', orderLinkId: 'bot_e1' });
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '58000', orderLinkId: 'bot_e2' });
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', qty: '0.02', triggerPrice: '59000', triggerDirection: 2, reduceOnly: true, orderLinkId: 'bot_s1' });

    expect(await client.amendOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot_e2', price: '58500', qty: '0.02' })).toMatchObject({ retCode: 0, result: { orderLinkId: 'bot_e2' } });
    expect(await byLinkId('bot_e2')).toMatchObject({ price: '58500', qty: '0.02', orderStatus: 'New' });
    expect((await client.amendOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot_s1', triggerPrice: '59500' })).retCode).toBe(0);
    expect(await byLinkId('bot_s1')).toMatchObject({ triggerPrice: '59500', orderStatus: 'Untriggered' });

    const passed = await client.amendOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot_s1', triggerPrice: '60500' });
    expect(passed.retCode).toBe(110093);
    const rising = await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', triggerPrice: '59000', triggerDirection: 1, orderLinkId: 'bot_e3' });
    expect(rising.retCode).toBe(110092);
    const unchanged = await client.amendOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot_e2', price: '58500' });
    expect(unchanged.retCode).toBe(10001);
    const both = await client.amendOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot_e2', orderId: 'x', price: '58400' });
    expect(both.retCode).toBe(10001);
  });

  it('cancels one order, batch-cancels others, and answers 110001 for an order that is gone or never was', async () => {
    for (const [orderLinkId, price] of [['bot_e1', '55000'], ['bot_e2', '55100'], ['bot_e3', '55200']] as const) {
      await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price, orderLinkId });
    }
    expect(await client.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot_e1' })).toMatchObject({ retCode: 0, result: { orderLinkId: 'bot_e1' } });
    expect(await byLinkId('bot_e1')).toMatchObject({ orderStatus: 'Cancelled', cancelType: 'CancelByUser', leavesQty: '0' });

    const batch = await client.batchCancelOrders('linear', [
      { symbol: 'BTCUSDT', orderLinkId: 'bot_e2' },
      { symbol: 'BTCUSDT', orderLinkId: 'bot_e3' },
      { symbol: 'BTCUSDT', orderLinkId: 'bot_e1' },
    ]);
    expect(batch.retCode).toBe(0);
    expect(batch.result.list.map((entry) => entry.orderLinkId)).toEqual(['bot_e2', 'bot_e3', 'bot_e1']);
    expect((batch.retExtInfo as { list: { code: number }[] }).list.map((entry) => entry.code)).toEqual([0, 0, 110001]);
    expect((await client.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).result.list).toEqual([]);
    expect((await client.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'never' })).retCode).toBe(110001);
  });

  it('refuses a reused orderLinkId with 110072, even after the first order ended', async () => {
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '55000', orderLinkId: 'bot_e1' });
    await client.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot_e1' });
    const again = await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '55000', orderLinkId: 'bot_e1' });
    expect(again).toMatchObject({ retCode: 110072, retMsg: 'OrderLinkedID is duplicate' });
    expect((await client.getHistoricOrders({ category: 'linear', orderLinkId: 'bot_e1' })).result.list).toHaveLength(1);
  });

  it('answers what Bybit answers for orders it refuses: 110007, 110017, 110094 and 10001', async () => {
    expect((await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '100', orderLinkId: 'a' })).retCode).toBe(110007);
    expect((await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', qty: '0.01', reduceOnly: true, orderLinkId: 'b' })).retCode).toBe(110017);
    expect((await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.001', price: '1000', orderLinkId: 'c' })).retCode).toBe(110094);
    const step = await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.0015', price: '50000', orderLinkId: 'd' });
    expect(step).toMatchObject({ retCode: 10001, retMsg: expect.stringContaining('qtyStep') });
    const unlisted = await client.submitOrder({ category: 'linear', symbol: 'DOGEUSDT', side: 'Buy', orderType: 'Market', qty: '100', orderLinkId: 'e' });
    expect(unlisted.retCode).toBe(10001);
    // Refused orders were never placed: their IDs are free.
    expect((await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'a' })).retCode).toBe(0);
  });

  it('pages the execution list by cursor, newest first, every fill exactly once', async () => {
    for (let index = 1; index <= 7; index++) {
      await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: index % 2 === 1 ? 'Buy' : 'Sell', orderType: 'Market', qty: '0.01', orderLinkId: `bot_e${index}` });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.getExecutionList({ category: 'linear', symbol: 'BTCUSDT', limit: 3, ...(cursor === undefined ? {} : { cursor }) });
      expect(page.retCode).toBe(0);
      seen.push(...page.result.list.map((execution) => execution.orderLinkId));
      cursor = page.result.nextPageCursor === '' ? undefined : page.result.nextPageCursor;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(['bot_e7', 'bot_e6', 'bot_e5', 'bot_e4', 'bot_e3', 'bot_e2', 'bot_e1']);
  });

  it('reports the position and the wallet after fills, and marks them to the last price', async () => {
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.1', orderLinkId: 'bot_e1' });
    trade(running, 'BTCUSDT', '61000');
    const position = await client.getPositionInfo({ category: 'linear', symbol: 'BTCUSDT' });
    // 0.1 at 60000, taker fee 0.055%: 3.3.
    expect(position.result.list[0]).toMatchObject({ symbol: 'BTCUSDT', side: 'Buy', size: '0.1', avgPrice: '60000', markPrice: '61000', unrealisedPnl: '100', positionIdx: 0, cumRealisedPnl: '-3.3' });
    const wallet = await client.getWalletBalance({ accountType: 'UNIFIED' });
    expect(wallet.result.list[0]).toMatchObject({ accountType: 'UNIFIED', totalWalletBalance: '99996.7', totalEquity: '100096.7', totalPerpUPL: '100' });
    expect(wallet.result.list[0]?.coin[0]).toMatchObject({ coin: 'USDT', walletBalance: '99996.7', unrealisedPnl: '100' });
    const bySettle = await client.getPositionInfo({ category: 'linear', settleCoin: 'USDT' });
    expect(bySettle.result.list.map((entry) => entry.symbol)).toEqual(['BTCUSDT']);
  });

  it("keeps each key to its own UID: one sub-member cannot see or cancel another's order", async () => {
    await client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '55000', orderLinkId: 'bot_e1' });
    const bob = rest(running.standin, await provision(running.standin, 'bob0001'));
    expect((await bob.getActiveOrders({ category: 'linear', orderLinkId: 'bot_e1' })).result.list).toEqual([]);
    expect((await bob.cancelOrder({ category: 'linear', symbol: 'BTCUSDT', orderLinkId: 'bot_e1' })).retCode).toBe(110001);
    // The same orderLinkId is free on another UID.
    expect((await bob.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '55000', orderLinkId: 'bot_e1' })).retCode).toBe(0);
    expect((await byLinkId('bot_e1')).orderStatus).toBe('New');
  });
});

describe('authentication and limits through bybit-api', () => {
  it('answers 10002 to a request stamped outside the receive window', async () => {
    const realNow = Date.now.bind(Date);
    vi.spyOn(Date, 'now').mockImplementation(() => realNow() - 6_000);
    const stale = await client.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' });
    expect(stale.retCode).toBe(10002);
    vi.mocked(Date.now).mockImplementation(() => realNow() + 1_500);
    expect((await client.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).retCode).toBe(10002);
  });

  it('answers 10004 to a request signed with the wrong secret, and 10003 to an unknown key', async () => {
    const wrong = rest(running.standin, { key: alice.key, secret: 'not-the-secret-at-all-0000000000000' });
    expect((await wrong.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).retCode).toBe(10004);
    const unknown = rest(running.standin, { key: 'UNKNOWNKEY00000000', secret: alice.secret });
    expect((await unknown.getActiveOrders({ category: 'linear', symbol: 'BTCUSDT' })).retCode).toBe(10003);
  });

  it("answers 10006 with the limit headers once a UID sends more than 10 orders in a second, and counts per UID", async () => {
    const replies = await Promise.all(
      Array.from({ length: 14 }, (_, index) => client.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '50000', orderLinkId: `burst_${index}` })),
    );
    const refused = replies.filter((reply) => reply.retCode === 10006);
    expect(replies.filter((reply) => reply.retCode === 0)).toHaveLength(10);
    expect(refused).toHaveLength(4);
    expect(refused[0]?.rateLimitApi).toMatchObject({ maxRequests: 10, remainingRequests: 0 });
    expect(refused[0]?.rateLimitApi?.resetAtTimestamp).toBeGreaterThan(refused[0]?.time ?? Infinity);
    // Another UID has its own window.
    const bob = rest(running.standin, await provision(running.standin, 'bob0001'));
    expect((await bob.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Limit', qty: '0.01', price: '50000', orderLinkId: 'b1' })).retCode).toBe(0);
  });
});

describe('sub-accounts through bybit-api', () => {
  it('creates a sub-member, a trading key and moves capital with the master key; a transferId is used once', async () => {
    const master = rest(running.standin, running.standin.master);
    const members = await master.getSubUIDList();
    expect(members.result.subMembers).toMatchObject([{ uid: String(alice.uid), username: 'alice01', memberType: 1, accountMode: 3 }]);
    const info = await client.getQueryApiKey();
    expect(info.result).toMatchObject({ apiKey: alice.key, secret: '', readOnly: 0, userID: alice.uid, isMaster: false, uta: 1, permissions: { ContractTrade: ['Order', 'Position'] } });
    expect((await client.getWalletBalance({ accountType: 'UNIFIED' })).result.list[0]?.totalWalletBalance).toBe('100000');

    const transferId = randomUUID();
    const back = { transferId, coin: 'USDT', amount: '2500', fromMemberId: alice.uid, toMemberId: running.standin.master.uid, fromAccountType: 'UNIFIED', toAccountType: 'FUND' } as const;
    expect(await master.createUniversalTransfer(back)).toMatchObject({ retCode: 0, result: { transferId, status: 'SUCCESS' } });
    expect((await master.createUniversalTransfer(back)).retCode).toBe(131214);
    expect((await client.getWalletBalance({ accountType: 'UNIFIED' })).result.list[0]?.totalWalletBalance).toBe('97500');
    const tooMuch = await master.createUniversalTransfer({ ...back, transferId: randomUUID(), amount: '97500.0001' });
    expect(tooMuch.retCode).toBe(131212);
  });

  it('refuses sub-member, key and transfer work to a sub-member key (10005), and trading to a read-only key', async () => {
    expect((await client.createSubMember({ username: 'mallory1', memberType: 1, isUta: true })).retCode).toBe(10005);
    expect((await client.createUniversalTransfer({ transferId: randomUUID(), coin: 'USDT', amount: '1', fromMemberId: alice.uid, toMemberId: alice.uid + 1, fromAccountType: 'UNIFIED', toAccountType: 'UNIFIED' })).retCode).toBe(10005);
    const master = rest(running.standin, running.standin.master);
    const readOnly = await master.createSubUIDAPIKey({ subuid: alice.uid, readOnly: 1, permissions: { ContractTrade: ['Order', 'Position'] } });
    const reader = rest(running.standin, { key: readOnly.result.apiKey, secret: readOnly.result.secret });
    expect((await reader.submitOrder({ category: 'linear', symbol: 'BTCUSDT', side: 'Buy', orderType: 'Market', qty: '0.01' })).retCode).toBe(10005);
    expect((await reader.getPositionInfo({ category: 'linear', symbol: 'BTCUSDT' })).retCode).toBe(0);
  });

  it('pages the sub-members ("0" when there are no more)', async () => {
    const master = rest(running.standin, running.standin.master);
    await master.createSubMember({ username: 'bob0001', memberType: 1, isUta: true });
    await master.createSubMember({ username: 'carol001', memberType: 1, isUta: true });
    const first = await master.getSubUIDListUnlimited({ pageSize: '2' });
    expect(first.result.subMembers.map((member) => member.username)).toEqual(['alice01', 'bob0001']);
    const second = await master.getSubUIDListUnlimited({ pageSize: '2', nextCursor: first.result.nextCursor });
    expect(second.result).toMatchObject({ subMembers: [{ username: 'carol001' }], nextCursor: '0' });
  });

  it('makes a classic account when isUta is omitted, as Bybit does', async () => {
    const master = rest(running.standin, running.standin.master);
    const classic = await master.createSubMember({ username: 'classic1', memberType: 1 });
    expect(classic.retCode).toBe(0);
    const members = await master.getSubUIDList();
    expect(members.result.subMembers.find((member) => member.username === 'classic1')).toMatchObject({ accountMode: 1 });
  });
});

describe('market data through bybit-api', () => {
  it('pages instruments-info by cursor, with the catalog’s tick, step and minimums', async () => {
    const first = await client.getInstrumentsInfo({ category: 'linear', limit: 1 });
    expect(first.result.list).toMatchObject([{ symbol: 'BTCUSDT', contractType: 'LinearPerpetual', status: 'Trading', priceFilter: { tickSize: '0.1' }, lotSizeFilter: { qtyStep: '0.001', minOrderQty: '0.001', minNotionalValue: '5' } }]);
    const second = await client.getInstrumentsInfo({ category: 'linear', limit: 1, cursor: first.result.nextPageCursor });
    expect(second.result.list.map((instrument) => instrument.symbol)).toEqual(['ETHUSDT']);
    expect(second.result.nextPageCursor).toBe('');
    expect((await client.getInstrumentsInfo({ category: 'spot' })).result.list).toEqual([]);
  });

  it('answers klines between start and end, and tickers at the last price', async () => {
    trade(running, 'BTCUSDT', '60100');
    trade(running, 'BTCUSDT', '60200');
    const t0 = Date.UTC(2026, 0, 5, 12, 0);
    const klines = await client.getKline({ category: 'linear', symbol: 'BTCUSDT', interval: '1', start: t0 + 60_000, end: t0 + 120_000 });
    expect(klines.result.list.map((row) => [Number(row[0]), row[4]])).toEqual([
      [t0 + 120_000, '60200'],
      [t0 + 60_000, '60100'],
    ]);
    expect((await client.getKline({ category: 'linear', symbol: 'BTCUSDT', interval: '7' as '1' })).retCode).toBe(10001);
    const ticker = await client.getTickers({ category: 'linear', symbol: 'BTCUSDT' });
    expect(ticker.result.list[0]).toMatchObject({ symbol: 'BTCUSDT', lastPrice: '60200', markPrice: '60200', highPrice24h: '60200', lowPrice24h: '60000', prevPrice24h: '60000' });
  });
});
