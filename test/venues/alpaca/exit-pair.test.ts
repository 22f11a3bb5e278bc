import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import type { AlpacaVenue } from '../../../venues/alpaca/alpaca-venue.ts';
import type { AccountKeys, AlpacaStandin } from '../../../venues/alpaca/standin/standin.ts';
import { ExitFixture, QQQ, SUB, id, order, raw, type Reports } from './exit-fixture.ts';

/**
 * A bracket's stop and take-profit on Alpaca, which holds the shares of open closing orders: sent as one oco (the
 * take-profit the parent, the stop its leg), moved, grown, ended by a fill of either, and found again by a restarted
 * adapter from Alpaca's nested listing. Against the stand-in on 127.0.0.1, which reserves shares as Alpaca does.
 */

describe('the exit pair on Alpaca (oco, shares reserved)', () => {
  let fixture: ExitFixture;
  let standin: AlpacaStandin;
  let keys: AccountKeys;
  let venue: AlpacaVenue;
  let reports: Reports;
  const bar = (price: string, volume?: string): void => fixture.bar(price, volume);
  const adapter = (): Promise<AlpacaVenue> => fixture.adapter();
  const bracket = (stopOnly = false): ReturnType<ExitFixture['bracket']> => fixture.bracket(stopOnly);

  beforeEach(async () => {
    fixture = await ExitFixture.start();
    ({ standin, keys, venue, reports } = fixture);
  });

  afterEach(async () => {
    await fixture.stop();
  });

  it('the stand-in refuses a second closing order for shares an open one holds: 403, code 40310000, "insufficient qty available"', async () => {
    expect((await raw(standin, keys, 'POST', '/v2/orders', { symbol: 'QQQ', qty: '10', side: 'buy', type: 'market', time_in_force: 'day' })).status).toBe(200);
    bar('480');
    expect((await raw(standin, keys, 'POST', '/v2/orders', { symbol: 'QQQ', qty: '10', side: 'sell', type: 'stop', stop_price: '470', time_in_force: 'gtc' })).status).toBe(200);
    const second = await raw(standin, keys, 'POST', '/v2/orders', { symbol: 'QQQ', qty: '10', side: 'sell', type: 'limit', limit_price: '500', time_in_force: 'gtc' });
    expect(second.status).toBe(403);
    expect(second.json).toMatchObject({ code: 40310000, message: 'insufficient qty available for order (requested: 10, available: 0)', available: '0', existing_qty: '10', held_for_orders: '10', symbol: 'QQQ' });
    expect(second.json['related_orders']).toHaveLength(1);
  });

  it('sends the stop and the take-profit as one oco: both accepted under their own IDs, the shares held once, the stop its leg', async () => {
    const { stop, takeProfit } = await bracket();
    expect(reports.of(takeProfit)).toEqual(['ORDER_ACCEPTED']);
    expect(reports.of(stop)).toEqual(['ORDER_ACCEPTED']);
    const listed = await raw(standin, keys, 'GET', '/v2/orders?status=open&nested=true');
    expect(listed.json).toHaveLength(1);
    expect(listed.json[0]).toMatchObject({ client_order_id: `${takeProfit}.oco.${stop}`, order_class: 'oco', type: 'limit', limit_price: '500', qty: '10' });
    expect((listed.json[0]?.['legs'] as Array<Record<string, unknown>>)[0]).toMatchObject({ type: 'stop', stop_price: '470', qty: '10', order_class: 'oco' });
    const open = await venue.openOrders(SUB);
    expect(open.map((listing) => [listing.clientOrderId, listing.type, (listing.triggerPrice ?? listing.limitPrice)?.toString()]).sort()).toEqual([
      [stop, 'STOP_MARKET', '470'],
      [takeProfit, 'LIMIT', '500'],
    ]);
  });

  it('moves the stop by replacing its leg (ORDER_AMENDED), the take-profit untouched, and a stop fill ends the take-profit', async () => {
    const { stop, takeProfit } = await bracket();
    await venue.amendOrder(SUB, QQQ.id, stop, { triggerPrice: dec('475') });
    await reports.next('ORDER_AMENDED', stop);
    expect((await venue.queryOrder(SUB, QQQ.id, stop))?.triggerPrice?.toString()).toBe('475');
    expect((await venue.queryOrder(SUB, QQQ.id, takeProfit))?.status).toBe('ACCEPTED');
    bar('474');
    await reports.next('ORDER_FILLED', stop);
    await reports.next('ORDER_CANCELED', takeProfit);
    expect(await venue.positions(SUB)).toEqual([]);
    expect(await venue.openOrders(SUB)).toEqual([]);
  });

  it('a take-profit fill ends the stop leg', async () => {
    const { stop, takeProfit } = await bracket();
    bar('501');
    await reports.next('ORDER_FILLED', takeProfit);
    await reports.next('ORDER_CANCELED', stop);
    expect(reports.of(stop)).toEqual(['ORDER_ACCEPTED', 'ORDER_CANCELED']);
  });

  it('grows both orders of the pair as the entry fills further, the stop first', async () => {
    const entry = id('ENTRY', 1);
    const stop = id('STOP', 2);
    const takeProfit = id('TAKE_PROFIT', 3);
    // Below the market, so it rests and fills from the bars, 4 then 6 (the bar's volume caps a resting order's fill).
    await venue.submitOrder(order({ id: entry, side: 'BUY', type: 'LIMIT', quantity: '10', limit: '479' }));
    await venue.submitOrder(order({ id: stop, side: 'SELL', type: 'STOP_MARKET', quantity: '10', trigger: '470', parent: entry, role: 'STOP' }));
    await venue.submitOrder(order({ id: takeProfit, side: 'SELL', type: 'LIMIT', quantity: '10', limit: '500', parent: entry, role: 'TAKE_PROFIT' }));
    bar('479', '4');
    await reports.next('ORDER_ACCEPTED', stop);
    expect((await venue.queryOrder(SUB, QQQ.id, stop))?.quantity.toString()).toBe('4');
    bar('479', '100');
    await reports.until(() => reports.of(takeProfit).includes('ORDER_AMENDED'), 'the take-profit grown');
    const amended = reports.all.filter((report) => report.type === 'ORDER_AMENDED');
    expect(amended.map((report) => 'clientOrderId' in report && report.clientOrderId)).toEqual([stop, takeProfit]);
    expect((await venue.queryOrder(SUB, QQQ.id, stop))?.quantity.toString()).toBe('10');
    expect((await venue.queryOrder(SUB, QQQ.id, takeProfit))?.quantity.toString()).toBe('10');
  });

  it('a restarted adapter finds the pair again from the nested listing: lists, moves and cancels the stop by its Flotilla ID', async () => {
    const { stop, takeProfit } = await bracket();
    await venue.stop();
    const restarted = await adapter();
    const found = await restarted.queryOrder(SUB, QQQ.id, stop);
    expect(found).toMatchObject({ clientOrderId: stop, status: 'ACCEPTED', type: 'STOP_MARKET' });
    expect(found?.triggerPrice?.toString()).toBe('470');
    expect((await restarted.openOrders(SUB)).map((listing) => listing.clientOrderId).sort()).toEqual([stop, takeProfit].sort());
    await restarted.amendOrder(SUB, QQQ.id, stop, { triggerPrice: dec('472') });
    await reports.until(() => reports.of(stop).filter((type) => type === 'ORDER_AMENDED').length === 1, 'the stop moved after the restart');
    await restarted.cancelOrder(SUB, QQQ.id, stop);
    await reports.until(() => reports.of(stop).includes('ORDER_CANCELED') && reports.of(takeProfit).includes('ORDER_CANCELED'), 'the pair cancelled');
    expect(await restarted.openOrders(SUB)).toEqual([]);
  });
});
