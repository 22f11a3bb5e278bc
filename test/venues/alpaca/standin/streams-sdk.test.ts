import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sdkFor, startStandin, type StandinSetup } from './harness.ts';

/** The stand-in's trade_updates and data streams, checked by the SDK's TradingStream and StockDataStream. */

interface Update {
  event: string;
  order: { client_order_id?: string; status?: string };
  executionId?: string;
  qty?: string;
  price?: string;
  positionQty?: string;
}

function collector<T>(): { items: T[]; add: (item: T) => void; until: (check: (items: T[]) => boolean) => Promise<void> } {
  const items: T[] = [];
  const waiters: Array<() => void> = [];
  return {
    items,
    add: (item) => {
      items.push(item);
      for (const wake of waiters.splice(0)) wake();
    },
    until: async (check) => {
      const deadline = Date.now() + 5_000;
      while (!check(items)) {
        if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(items)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
  };
}

describe('the Alpaca stand-in streams through the SDK', () => {
  let setup: StandinSetup;

  beforeEach(async () => {
    setup = await startStandin();
  });

  afterEach(async () => {
    await setup.standin.stop();
  });

  it('authenticates, listens, and delivers new and fill events with the execution, price, qty and position', async () => {
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    const stream = alpaca.trading.stream({ url: `${setup.standin.wsUrl}/stream`, maxReconnectAttempts: -1 });
    const updates = collector<Update>();
    stream.onTradeUpdate((update) => updates.add(update as unknown as Update));
    const listening = new Promise<void>((resolve) => stream.on('subscription', () => resolve()));
    stream.subscribeTradeUpdates();
    stream.connect();
    expect(await stream.waitForAuthentication(5_000)).toBe(true);
    await listening;
    await alpaca.trading.orders.market({ symbol: 'QQQ', qty: '2', side: 'buy', clientOrderId: 'streamed' });
    await updates.until((items) => items.some((update) => update.event === 'fill'));
    const fill = updates.items.find((update) => update.event === 'fill');
    expect(updates.items.map((update) => update.event)).toEqual(['new', 'fill']);
    expect([fill?.order.client_order_id, fill?.order.status, fill?.qty, fill?.price, fill?.positionQty]).toEqual(['streamed', 'filled', '2', '480', '2']);
    expect(fill?.executionId).toMatch(/^[0-9a-f-]{36}$/);
    stream.disconnect();
  });

  it('refuses a wrong secret for good: the SDK does not reconnect', async () => {
    const alpaca = sdkFor(setup.standin.url, { ...setup.alpha, secret: 'wrong' });
    const stream = alpaca.trading.stream({ url: `${setup.standin.wsUrl}/stream` });
    stream.subscribeTradeUpdates();
    stream.connect();
    const result = await stream.waitForAuthenticationResult(5_000);
    expect(result.authenticated).toBe(false);
    stream.disconnect();
  });

  it('reconnects after a drop, and nothing missed is replayed', async () => {
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    const stream = alpaca.trading.stream({ url: `${setup.standin.wsUrl}/stream`, maxReconnectAttempts: -1, initialReconnectMs: 20, reconnectJitter: 0 });
    const updates = collector<Update>();
    stream.onTradeUpdate((update) => updates.add(update as unknown as Update));
    stream.subscribeTradeUpdates();
    stream.connect();
    await stream.waitForAuthentication(5_000);
    const reconnected = new Promise<void>((resolve) => stream.onReconnected(() => resolve()));
    setup.standin.faults.add({ kind: 'stream-drop-mid-fill' });
    await alpaca.trading.orders.market({ symbol: 'QQQ', qty: '1', side: 'buy', clientOrderId: 'lost' });
    await reconnected;
    await alpaca.trading.orders.limit({ symbol: 'QQQ', qty: '1', side: 'buy', limitPrice: '400', timeInForce: 'gtc', clientOrderId: 'after' });
    await updates.until((items) => items.some((update) => update.order.client_order_id === 'after'));
    expect(updates.items.some((update) => update.event === 'fill')).toBe(false);
    stream.disconnect();
  });

  it('streams each closed 1m bar to a StockDataStream subscriber (msgpack)', async () => {
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    const stream = alpaca.marketData.stockStream({ url: `${setup.standin.wsUrl}/v2/iex` } as never);
    const bars = collector<{ symbol: string; close: number; timestamp: Date }>();
    stream.onBar((bar) => bars.add(bar as never));
    const subscribed = new Promise<void>((resolve) => stream.on('subscription', () => resolve()));
    stream.subscribeForBars(['QQQ']);
    stream.connect();
    expect(await stream.waitForAuthentication(5_000)).toBe(true);
    await subscribed;
    const candle = setup.standin.pushBar('QQQ', { open: '480', high: '482.5', low: '479.25', close: '481.75' });
    await bars.until((items) => items.length === 1);
    expect([bars.items[0]?.symbol, bars.items[0]?.close, bars.items[0]?.timestamp.getTime()]).toEqual(['QQQ', 481.75, candle.openTime]);
    stream.disconnect();
  });
});
