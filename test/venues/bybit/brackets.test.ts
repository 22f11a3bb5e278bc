import { afterEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import type { SubAccountId } from '../../../core/ids.ts';
import { silentLogger } from '../../../core/logger.ts';
import { BybitVenue } from '../../../venues/bybit/bybit-venue.ts';
import { DEFAULT_PAPER } from '../../../venues/bybit/standin/standin.ts';
import { BTC, btc, eth, FAST, order, orderId, Recorder, setupBybit, type BybitSetup } from './fixtures.ts';

/**
 * Bracket children held by the adapter: sent when the entry fills, for what filled, grown as it fills further;
 * cancelled unsent when the entry ends unfilled; and after a restart, sent again from what Bybit says of the entry.
 */

let setup: BybitSetup | undefined;
const extra: BybitVenue[] = [];
afterEach(async () => {
  for (const venue of extra.splice(0)) await venue.stop();
  await setup?.close();
  setup = undefined;
});

function atStandin(s: BybitSetup, uid: number, orderLinkId: string): { qty: string; status: string } | undefined {
  const found = s.running.standin.exchange.book.orders(uid, (o) => o.orderLinkId === orderLinkId, 1, undefined).list[0];
  return found === undefined ? undefined : { qty: found.qty.toString(), status: found.status };
}

describe('bracket children held for their entry', () => {
  it('sends the stop for what the entry filled, and grows it as the entry fills further', async () => {
    // Half of a candle's volume fills a resting order, so the entry fills in two steps.
    setup = await setupBybit({ standin: { paper: { ...DEFAULT_PAPER, slippageBaseBps: dec('0'), slippageJitterBps: dec('0'), participation: dec('0.5') } } });
    const s = setup;
    const alpha = s.accounts[0] as SubAccountId;
    const uid = s.credentials.get(alpha)?.uid as number;
    const entry = orderId('ENTRY', 1);
    const stop = orderId('STOP', 2);
    await s.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '0.02', limit: '59900', account: alpha }));
    await s.venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.02', trigger: '59000', account: alpha, parent: entry }));
    await s.recorder.next('ORDER_ACCEPTED', entry);
    expect(atStandin(s, uid, stop)).toBeUndefined();

    s.running.clock.advance(60_000);
    s.running.standin.pushCandle('BTCUSDT', { open: '59950', high: '59950', low: '59850', close: '59900', volume: '0.02' });
    await s.recorder.next('ORDER_ACCEPTED', stop);
    expect(atStandin(s, uid, stop)).toEqual({ qty: '0.01', status: 'Untriggered' });

    s.running.clock.advance(60_000);
    s.running.standin.pushCandle('BTCUSDT', { open: '59900', high: '59950', low: '59850', close: '59900', volume: '0.02' });
    await s.recorder.until(() => s.recorder.of(entry).filter((type) => type === 'ORDER_FILLED').length === 2, 'the second fill');
    await s.recorder.until(() => atStandin(s, uid, stop)?.qty === '0.02', 'the stop grown at Bybit');
    const grown = await s.recorder.next('ORDER_AMENDED', stop);
    expect(grown.type === 'ORDER_AMENDED' && grown.quantity.toString()).toBe('0.02');
    expect((await s.venue.positions(alpha))[0]?.quantity.toString()).toBe('0.02');
  });

  it('amends and cancels a held child without Bybit: it was never sent, and a submit of it again does not send it', async () => {
    setup = await setupBybit();
    const s = setup;
    const alpha = s.accounts[0] as SubAccountId;
    const uid = s.credentials.get(alpha)?.uid as number;
    const entry = orderId('ENTRY', 1);
    const stop = orderId('STOP', 2);
    await s.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59000', account: alpha }));
    await s.venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '58000', account: alpha, parent: entry }));
    await s.venue.amendOrder(alpha, BTC, stop, { triggerPrice: dec('58500') });
    const amended = await s.recorder.next('ORDER_AMENDED', stop);
    expect(amended.type === 'ORDER_AMENDED' && amended.triggerPrice?.toString()).toBe('58500');
    expect((await s.venue.openOrders(alpha)).map((open) => [open.clientOrderId, open.venueOrderId === null])).toEqual([
      [stop, true],
      [entry, false],
    ]);
    await s.venue.cancelOrder(alpha, BTC, stop);
    await s.recorder.next('ORDER_CANCELED', stop);
    // Submitted again (as reconciliation might): it stays cancelled, and is never placed.
    await s.venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '58500', account: alpha, parent: entry }));
    s.trade('58900');
    await s.recorder.next('ORDER_FILLED', entry);
    expect(atStandin(s, uid, stop)).toBeUndefined();
    expect(s.recorder.of(stop)).toEqual(['ORDER_AMENDED', 'ORDER_CANCELED', 'ORDER_CANCELED']);
  });

  it('after a restart, sends a child again from what Bybit says of its entry: at once when it has filled', async () => {
    setup = await setupBybit();
    const s = setup;
    const alpha = s.accounts[0] as SubAccountId;
    const uid = s.credentials.get(alpha)?.uid as number;
    const entry = orderId('ENTRY', 1);
    const stop = orderId('STOP', 2);
    const takeProfit = orderId('TAKE_PROFIT', 3);
    await s.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '59900', account: alpha }));
    await s.venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '59000', account: alpha, parent: entry }));
    await s.recorder.next('ORDER_ACCEPTED', entry);
    // The supervisor stops before the entry fills; the entry fills while nobody listens.
    await s.venue.stop();
    s.trade('59850');
    expect(atStandin(s, uid, stop)).toBeUndefined();

    const restarted = new BybitVenue({ name: 'BYBIT', environment: s.running.standin.url, credentials: new Map([[alpha, s.credentials.get(alpha)!]]), instruments: [btc, eth], clock: s.running.clock, logger: silentLogger, timeouts: FAST });
    extra.push(restarted);
    const recorder = new Recorder();
    restarted.onExecutionReport((report) => recorder.report(report));
    await restarted.start();
    // Reconciliation finds the child PENDING_SUBMIT and unknown to Bybit, and sends it again.
    expect(await restarted.queryOrder(alpha, BTC, stop)).toBeNull();
    await restarted.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '59000', account: alpha, parent: entry }));
    await recorder.next('ORDER_ACCEPTED', stop);
    expect(atStandin(s, uid, stop)).toEqual({ qty: '0.01', status: 'Untriggered' });

    // A child of an entry Bybit never had is refused, as the paper venue refuses it.
    await restarted.submitOrder(order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '0.01', limit: '61000', account: alpha, parent: orderId('ENTRY', 9) }));
    expect(await recorder.next('ORDER_REJECTED', takeProfit)).toMatchObject({ reason: 'UNKNOWN_ORDER' });
  });

  it("sends a child at once when its entry filled before the child arrived, and it holds one of an entry still open", async () => {
    setup = await setupBybit();
    const s = setup;
    const alpha = s.accounts[0] as SubAccountId;
    const entry = orderId('ENTRY', 1);
    const stop = orderId('STOP', 2);
    await s.venue.submitOrder(order({ id: entry, side: 'BUY', type: 'MARKET', quantity: '0.01', account: alpha }));
    await s.recorder.next('ORDER_FILLED', entry);
    await s.venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '59000', account: alpha, parent: entry }));
    await s.recorder.next('ORDER_ACCEPTED', stop);

    const open = orderId('ENTRY', 3);
    const child = orderId('STOP', 4);
    await s.venue.submitOrder(order({ id: open, side: 'BUY', type: 'LIMIT', quantity: '0.01', limit: '58000', account: alpha }));
    await s.recorder.next('ORDER_ACCEPTED', open);
    await s.venue.submitOrder(order({ id: child, side: 'SELL', type: 'STOP_MARKET', quantity: '0.01', trigger: '57000', account: alpha, parent: open }));
    expect(await s.venue.queryOrder(alpha, BTC, child)).toMatchObject({ status: 'ACCEPTED', venueOrderId: null });
    expect(s.recorder.of(child)).toEqual([]);
  });
});
