import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiError } from '@alpacahq/alpaca-trade-api';
import { sdkFor, startStandin, type StandinSetup } from './harness.ts';

/** The stand-in's REST wire, checked by the real SDK (@alpacahq/alpaca-trade-api 4.x) pointed at it. */

describe('the Alpaca stand-in through the SDK', () => {
  let setup: StandinSetup;

  beforeEach(async () => {
    setup = await startStandin();
  });

  afterEach(async () => {
    await setup.standin.stop();
  });

  it('answers the account, the clock and the calendar from the bundled session calendar', async () => {
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    const account = await alpaca.trading.account.getAccount();
    expect([account.status, account.cash, account.equity, account.currency]).toEqual(['ACTIVE', '100000', '100000', 'USD']);
    const clock = (await alpaca.trading.clock.legacyClock()) as unknown as { isOpen: boolean; nextClose: Date };
    expect(clock.isOpen).toBe(true);
    expect(clock.nextClose?.toISOString()).toBe('2024-11-26T21:00:00.000Z');
    const days = await alpaca.trading.calendar.legacyCalendar({ start: new Date('2024-11-27'), end: new Date('2024-12-02') });
    expect(days.map((day) => [day.date.toISOString().slice(0, 10), day.close])).toEqual([
      ['2024-11-27', '16:00'],
      ['2024-11-29', '13:00'],
      ['2024-12-02', '16:00'],
    ]);
  });

  it('places, finds by client order ID, replaces and cancels an order; the old order is replaced', async () => {
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    const placed = await alpaca.trading.orders.limit({ symbol: 'QQQ', qty: '3', side: 'buy', limitPrice: '470.00', timeInForce: 'gtc', clientOrderId: 'bot_0000abcd_E1' });
    expect([placed.status, placed.qty, placed.limitPrice, placed.clientOrderId]).toEqual(['new', '3', '470', 'bot_0000abcd_E1']);
    const found = await alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId: 'bot_0000abcd_E1' });
    expect(found.id).toBe(placed.id);
    const replacement = await alpaca.trading.orders.patchOrderByOrderId({ orderId: placed.id as string, patchOrderRequest: { limitPrice: '471.50', qty: '4', clientOrderId: 'bot_0000abcd_E1.r1' } });
    expect([replacement.replaces, replacement.qty, replacement.limitPrice]).toEqual([placed.id, '4', '471.5']);
    const old = await alpaca.trading.orders.getOrderByOrderID({ orderId: placed.id as string });
    expect([old.status, old.replacedBy]).toEqual(['replaced', replacement.id]);
    await alpaca.trading.orders.deleteOrderByOrderID({ orderId: replacement.id as string });
    const canceled = await alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId: 'bot_0000abcd_E1.r1' });
    expect(canceled.status).toBe('canceled');
    expect(await alpaca.trading.orders.getAllOrders({ status: 'open' })).toEqual([]);
  });

  it('refuses a reused client_order_id with 422, even after the first order was cancelled', async () => {
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    const first = await alpaca.trading.orders.limit({ symbol: 'QQQ', qty: '1', side: 'buy', limitPrice: '400', timeInForce: 'gtc', clientOrderId: 'reused' });
    await alpaca.trading.orders.deleteOrderByOrderID({ orderId: first.id as string });
    const error = await alpaca.trading.orders.limit({ symbol: 'QQQ', qty: '1', side: 'buy', limitPrice: '400', timeInForce: 'gtc', clientOrderId: 'reused' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ApiError);
    expect([(error as ApiError).status, (error as ApiError).message]).toEqual([422, 'client_order_id must be unique']);
  });

  it('fills a market order: position, FILL activity, cash spent on the shares', async () => {
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    const order = await alpaca.trading.orders.market({ symbol: 'QQQ', qty: '10', side: 'buy', timeInForce: 'day', clientOrderId: 'm1' });
    const filled = await alpaca.trading.orders.getOrderByOrderID({ orderId: order.id as string });
    expect([filled.status, filled.filledQty, filled.filledAvgPrice]).toEqual(['filled', '10', '480']);
    const [position] = await alpaca.trading.positions.getAllOpenPositions();
    expect([position?.symbol, position?.qty, position?.avgEntryPrice, position?.side]).toEqual(['QQQ', '10', '480', 'long']);
    const activities = await alpaca.trading.accountActivities.getAccountActivities({ activityTypes: ['FILL'], direction: 'asc' });
    expect(activities.map((activity) => [activity.orderId, activity.qty, activity.price, activity.activityType])).toEqual([[order.id, '10', '480', 'FILL']]);
    const account = await alpaca.trading.account.getAccount();
    expect([account.cash, account.equity, account.longMarketValue]).toEqual(['95200', '100000', '4800']);
  });

  it('keeps each key pair to its own account, and refuses a wrong secret with 401', async () => {
    const alpha = sdkFor(setup.standin.url, setup.alpha);
    await alpha.trading.orders.market({ symbol: 'QQQ', qty: '1', side: 'buy', clientOrderId: 'mine' });
    const beta = sdkFor(setup.standin.url, setup.beta);
    expect(await beta.trading.positions.getAllOpenPositions()).toEqual([]);
    const notFound = await beta.trading.orders.getOrderByClientOrderId({ clientOrderId: 'mine' }).catch((caught: unknown) => caught);
    expect((notFound as ApiError).status).toBe(404);
    const wrong = sdkFor(setup.standin.url, { ...setup.alpha, secret: 'not-the-secret' });
    const refused = await wrong.trading.account.getAccount().catch((caught: unknown) => caught);
    expect((refused as ApiError).status).toBe(401);
  });

  it('serves stock bars with pagination on the data host', async () => {
    for (const close of ['481', '482', '483']) setup.standin.pushBar('QQQ', { open: '480', high: close, low: '479', close });
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    const page = (await alpaca.marketData.stocks.stockBars({ symbols: 'QQQ', timeframe: '1Min', start: new Date(setup.clock.now() - 3_600_000), end: new Date(setup.clock.now() + 3_600_000), limit: 3, feed: 'iex' } as never)) as unknown as { bars: Record<string, Array<{ c: number }>>; nextPageToken?: string | null };
    expect(page.bars['QQQ']?.map((bar) => bar.c)).toEqual([480, 481, 482]);
    expect(page.nextPageToken).toBeTruthy();
  });
});
