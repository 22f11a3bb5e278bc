import { Alpaca } from '@alpacahq/alpaca-trade-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sdkFor, startStandin, type StandinSetup } from './harness.ts';

/** The stand-in's scripted faults, as a client sees them. */

describe('the Alpaca stand-in faults', () => {
  let setup: StandinSetup;

  beforeEach(async () => {
    setup = await startStandin();
  });

  afterEach(async () => {
    await setup.standin.stop();
  });

  it('accept-then-timeout places the order and never answers; a query by client order ID finds it', async () => {
    const alpaca = new Alpaca({
      keyId: setup.alpha.key,
      secret: setup.alpha.secret,
      retry: false,
      rateLimit: false,
      timeoutMs: 300,
      middleware: [{ pre: async (context) => ({ url: context.url.replace(/^https:\/\/(paper-api|data)\.alpaca\.markets/, setup.standin.url), init: context.init }) }],
    });
    const fault = setup.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v2/orders' });
    const error = await alpaca.trading.orders.limit({ symbol: 'QQQ', qty: '1', side: 'buy', limitPrice: '470', timeInForce: 'gtc', clientOrderId: 'ambiguous' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    await fault.spent;
    const found = await alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId: 'ambiguous' });
    expect(found.status).toBe('new');
  });

  it('http-5xx refuses before processing unless told it was processed', async () => {
    const alpaca = sdkFor(setup.standin.url, setup.alpha);
    setup.standin.faults.add({ kind: 'http-5xx', route: 'POST /v2/orders', status: 502 });
    const refused = await alpaca.trading.orders.market({ symbol: 'QQQ', qty: '1', side: 'buy', clientOrderId: 'not-placed' }).catch((caught: unknown) => caught);
    expect((refused as { status?: number }).status).toBe(502);
    expect(await alpaca.trading.orders.getAllOrders({ status: 'all' })).toEqual([]);
    setup.standin.faults.add({ kind: 'http-5xx', route: 'DELETE /v2/orders/{id}', processed: true });
    const order = await alpaca.trading.orders.limit({ symbol: 'QQQ', qty: '1', side: 'buy', limitPrice: '470', timeInForce: 'gtc', clientOrderId: 'cancelled-anyway' });
    await alpaca.trading.orders.deleteOrderByOrderID({ orderId: order.id as string }).catch(() => undefined);
    expect((await alpaca.trading.orders.getOrderByClientOrderId({ clientOrderId: 'cancelled-anyway' })).status).toBe('canceled');
  });

  it('refuses a fault spec that makes no sense, naming the problem', () => {
    expect(() => setup.standin.faults.add({ kind: 'stream-drop-mid-fill', route: 'POST /v2/orders' })).toThrow(/stream fault/);
    expect(() => setup.standin.faults.add({ kind: 'slow', route: 'POST /v5/order/create' })).toThrow(/METHOD \/v2\/path/);
  });
});
