import ccxt from 'ccxt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { provision, startStandin, trade, type Credentials, type Running } from './harness.ts';

/**
 * A second, independent client: ccxt's bybit, configured with the stand-in's URLs and a sub-member's key and
 * nothing else. No options are set: the stand-in serves what ccxt asks for on its own (query-api and account/info
 * before the first private call, coin/query-info and every category's instruments-info in loadMarkets).
 */

let running: Running;
let alice: Credentials;

function bybitClient(credentials: Credentials): InstanceType<typeof ccxt.pro.bybit> {
  const url = running.standin.url;
  const ws = running.standin.wsUrl;
  return new ccxt.pro.bybit({
    apiKey: credentials.key,
    secret: credentials.secret,
    urls: {
      api: {
        spot: url,
        futures: url,
        v2: url,
        public: url,
        private: url,
        ws: {
          public: { spot: ws, inverse: ws, option: ws, linear: ws },
          private: { spot: { unified: ws, nonUnified: ws }, contract: ws, usdc: ws, trade: ws },
        },
      },
    },
  });
}

let exchange: InstanceType<typeof ccxt.pro.bybit>;

// One stand-in and one client for the file: loadMarkets is ccxt's slow part, and each test uses its own orderLinkIds.
beforeAll(async () => {
  running = await startStandin();
  trade(running, 'BTCUSDT', '60000');
  alice = await provision(running.standin, 'alice01');
  exchange = bybitClient(alice);
  await exchange.loadMarkets();
});

afterAll(async () => {
  await exchange.close();
  await running.standin.stop();
});

describe("ccxt's bybit against the stand-in", () => {
  it('places, queries and cancels an order by orderLinkId', async () => {
    const market = exchange.market('BTC/USDT:USDT');
    expect(market).toMatchObject({ id: 'BTCUSDT', linear: true, swap: true, precision: { amount: 0.001, price: 0.1 }, limits: { amount: { min: 0.001 }, cost: { min: 5 } } });

    const placed = await exchange.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 55000, { clientOrderId: 'ccxt_e1' });
    expect(placed.clientOrderId ?? placed.info['orderLinkId']).toBe('ccxt_e1');

    const open = await exchange.fetchOpenOrder(undefined as unknown as string, 'BTC/USDT:USDT', { orderLinkId: 'ccxt_e1' });
    expect(open).toMatchObject({ clientOrderId: 'ccxt_e1', status: 'open', side: 'buy', type: 'limit', price: 55000, amount: 0.01, remaining: 0.01, id: placed.id });

    const canceled = await exchange.cancelOrder(undefined as unknown as string, 'BTC/USDT:USDT', { orderLinkId: 'ccxt_e1' });
    expect(canceled.info['orderLinkId']).toBe('ccxt_e1');
    const closed = await exchange.fetchOrder(undefined as unknown as string, 'BTC/USDT:USDT', { orderLinkId: 'ccxt_e1', acknowledged: true });
    expect(closed).toMatchObject({ clientOrderId: 'ccxt_e1', status: 'canceled', filled: 0 });
  });

  it('maps the stand-in’s refusals to the ccxt errors Bybit’s codes map to', async () => {
    await exchange.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 55000, { clientOrderId: 'ccxt_e2' });
    // 110072 arrives as InvalidOrder (not DuplicateOrderId): the retCode is what tells them apart.
    await expect(exchange.createOrder('BTC/USDT:USDT', 'limit', 'buy', 0.01, 55000, { clientOrderId: 'ccxt_e2' })).rejects.toThrow(/110072/);
    await expect(exchange.createOrder('BTC/USDT:USDT', 'market', 'buy', 100)).rejects.toBeInstanceOf(ccxt.InsufficientFunds);
    await expect(exchange.cancelOrder(undefined as unknown as string, 'BTC/USDT:USDT', { orderLinkId: 'never' })).rejects.toBeInstanceOf(ccxt.OrderNotFound);
  });

  it('fetches fills, the position and the balance of a filled order', async () => {
    await exchange.createOrder('BTC/USDT:USDT', 'market', 'buy', 0.01, undefined, { clientOrderId: 'ccxt_e3' });
    const trades = await exchange.fetchMyTrades('BTC/USDT:USDT');
    expect(trades).toMatchObject([{ side: 'buy', price: 60000, amount: 0.01, fee: { cost: 0.33, currency: 'USDT' } }]);
    const [position] = await exchange.fetchPositions(['BTC/USDT:USDT']);
    expect(position).toMatchObject({ symbol: 'BTC/USDT:USDT', side: 'long', contracts: 0.01, entryPrice: 60000 });
    const balance = await exchange.fetchBalance();
    expect(balance['USDT']).toMatchObject({ total: 99999.67 });
  });
});
