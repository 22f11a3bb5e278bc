import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { OutcomeUnknownError } from '../../../core/errors.ts';
import type { SubAccountId } from '../../../core/ids.ts';
import { BTC, ETH, eth, order, orderId, setupBybit, type BybitSetup } from './fixtures.ts';
import { ordersAtStandin } from './ledger-check.ts';

/** Orders in Bybit's words: what is sent, what Bybit refuses and how that is reported, and what happens when nobody can tell. */

let setup: BybitSetup | undefined;
afterEach(async () => {
  await setup?.close();
  setup = undefined;
});

async function started(options: Parameters<typeof setupBybit>[0] = {}): Promise<{ setup: BybitSetup; alpha: SubAccountId; uid: number }> {
  setup = await setupBybit(options);
  const alpha = setup.accounts[0] as SubAccountId;
  return { setup, alpha, uid: setup.credentials.get(alpha)?.uid as number };
}

describe('orders as Bybit holds them', () => {
  it('sends a protective stop as a conditional reduce-only Market order falling to its trigger, closing on trigger', async () => {
    const { setup, alpha, uid } = await started();
    const entry = orderId('ENTRY', 1);
    await setup.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '0.01', account: alpha }));
    await setup.recorder.next('ORDER_FILLED', entry);
    const stop = orderId('STOP', 2);
    await setup.venue.submitOrder({ ...order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '59000', account: alpha, reduceOnly: true }), role: 'STOP' });
    await setup.recorder.next('ORDER_ACCEPTED', stop);
    const held = setup.running.standin.exchange.book.orders(uid, (o) => o.orderLinkId === stop, 1, undefined).list[0];
    expect(held).toMatchObject({ orderType: 'Market', side: 'Sell', triggerDirection: 2, reduceOnly: true, closeOnTrigger: true, status: 'Untriggered' });
    expect(held?.triggerPrice?.toString()).toBe('59000');
    expect(held?.qty.toString()).toBe('0.01');
  });

  it('reports a stop whose trigger the price has already crossed as ORDER_REJECTED with what Bybit said (110093)', async () => {
    const { setup, alpha } = await started();
    const entry = orderId('ENTRY', 1);
    await setup.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '0.01', account: alpha }));
    await setup.recorder.next('ORDER_FILLED', entry);
    const stop = orderId('STOP', 2);
    await setup.venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '60500', account: alpha, reduceOnly: true }));
    const rejected = await setup.recorder.next('ORDER_REJECTED', stop);
    expect(rejected).toMatchObject({ reason: 'INVALID_ORDER' });
    expect(rejected.type === 'ORDER_REJECTED' && rejected.detail).toMatch(/^Bybit 110093 \(.*\): the last price has already fallen past the trigger price of this falling stop$/);
  });

  it('names the refusal: a reduce-only order without a position (110017), an order beyond the margin (110007)', async () => {
    const { setup, alpha } = await started();
    const reduce = orderId('CLOSE', 1);
    await setup.venue.submitOrder(order({ id: reduce, side: 'SELL', type: 'MARKET', quantity: '0.01', account: alpha, reduceOnly: true }));
    expect(await setup.recorder.next('ORDER_REJECTED', reduce)).toMatchObject({ reason: 'REDUCE_ONLY_WOULD_INCREASE' });
    const huge = orderId('ENTRY', 2);
    await setup.venue.submitOrder(order({ id: huge, side: 'BUY', type: 'LIMIT', quantity: '100', limit: '59000', account: alpha }));
    expect(await setup.recorder.next('ORDER_REJECTED', huge)).toMatchObject({ reason: 'INSUFFICIENT_BALANCE' });
  });

  it('cancels more orders than one batch holds in batches of 20, each naming its own symbol', async () => {
    const { setup, alpha, uid } = await started();
    const ids = Array.from({ length: 23 }, (_, index) => orderId('ENTRY', index + 1));
    const ethIds = [orderId('ENTRY', 24), orderId('ENTRY', 25)];
    for (const [index, id] of ids.entries()) await setup.venue.submitOrder(order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.001', limit: String(50000 + index), account: alpha }));
    for (const [index, id] of ethIds.entries()) await setup.venue.submitOrder(order({ id, instrument: eth, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: String(2500 + index), account: alpha }));
    await setup.venue.cancelOrders(alpha, [...ids.map((clientOrderId) => ({ instrumentId: BTC, clientOrderId })), ...ethIds.map((clientOrderId) => ({ instrumentId: ETH, clientOrderId }))]);
    for (const id of [...ids, ...ethIds]) await setup.recorder.next('ORDER_CANCELED', id);
    expect(setup.venue.capabilities.maxBatchCancel).toBe(20);
    expect(setup.running.standin.exchange.book.orders(uid, (o) => o.status === 'Cancelled', 100, undefined).list).toHaveLength(25);
  });

  it('sends a cancel only once the submit of the same order has settled', async () => {
    const { setup, alpha, uid } = await started();
    // The create is refused once for rate (not carried out) and sent again later: a cancel sent meanwhile would find nothing.
    setup.running.standin.faults.add({ kind: 'rate-limit-burst', route: 'POST /v5/order/create', uid });
    const id = orderId('ENTRY', 1);
    const submitted = setup.venue.submitOrder(order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: alpha }));
    await setup.venue.cancelOrder(alpha, BTC, id);
    await submitted;
    expect(setup.recorder.of(id)).toEqual(['ORDER_ACCEPTED', 'ORDER_CANCELED']);
    expect(ordersAtStandin(setup.running.standin, uid, id)).toBe(1);
    expect(await setup.venue.openOrders(alpha)).toEqual([]);
  });

  it('throws OutcomeUnknownError when a submit was sent and Bybit cannot be asked what became of it; nothing else is sent', async () => {
    const { setup, alpha, uid } = await started({ timeouts: { settleMs: 1_500, requestMs: 300 } });
    setup.running.standin.faults.add({ kind: 'accept-then-timeout', route: 'POST /v5/order/create', uid, destroy: true });
    setup.running.standin.faults.add({ kind: 'http-5xx', route: 'GET /v5/order/realtime', uid, count: 1_000 });
    const id = orderId('ENTRY', 1);
    await expect(setup.venue.submitOrder(order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: alpha }))).rejects.toThrow(OutcomeUnknownError);
    expect(ordersAtStandin(setup.running.standin, uid, id)).toBe(1);
    expect(setup.recorder.of(id).filter((type) => type === 'ORDER_REJECTED')).toEqual([]);
  });

  it('rejects an entry that Bybit rate-limits past its deadline, unsent', async () => {
    const { setup, alpha, uid } = await started({ timeouts: { entryDeadlineMs: 300 } });
    setup.running.standin.faults.add({ kind: 'rate-limit-burst', route: 'POST /v5/order/create', uid, count: 1 });
    const id = orderId('ENTRY', 1);
    await setup.venue.submitOrder(order({ id, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: alpha }));
    const rejected = await setup.recorder.next('ORDER_REJECTED', id);
    expect(rejected).toMatchObject({ reason: 'VENUE_ERROR' });
    expect(rejected.type === 'ORDER_REJECTED' && rejected.detail).toMatch(/rate limit would hold the request past its deadline/);
    expect(ordersAtStandin(setup.running.standin, uid, id)).toBe(0);
  });

  it('reports a cut Bybit made to a reduce-only order as ORDER_AMENDED', async () => {
    const { setup, alpha } = await started();
    const entry = orderId('ENTRY', 1);
    await setup.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '0.02', account: alpha }));
    await setup.recorder.next('ORDER_FILLED', entry);
    const takeProfit = orderId('TAKE_PROFIT', 2);
    await setup.venue.submitOrder(order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '0.02', limit: '61000', account: alpha, reduceOnly: true }));
    await setup.recorder.next('ORDER_ACCEPTED', takeProfit);
    const close = orderId('CLOSE', 3);
    await setup.venue.submitOrder(order({ id: close, side: 'SELL', type: 'MARKET', quantity: '0.01', account: alpha, reduceOnly: true }));
    const cut = await setup.recorder.next('ORDER_AMENDED', takeProfit);
    expect(cut.type === 'ORDER_AMENDED' && cut.quantity.toString()).toBe('0.01');
    await setup.venue.amendOrder(alpha, BTC, takeProfit, { limitPrice: dec('61500') });
    await setup.recorder.until(() => setup?.recorder.of(takeProfit).filter((type) => type === 'ORDER_AMENDED').length === 2, 'the second amendment');
    const last = setup.recorder.reports.filter((report) => report.type === 'ORDER_AMENDED').at(-1);
    expect(last?.type === 'ORDER_AMENDED' && [last.quantity.toString(), last.limitPrice?.toString()]).toEqual(['0.01', '61500']);
  });
});
