import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientOrderId } from '../../../core/ids.ts';
import type { OrderType } from '../../../core/intent.ts';
import type { SubmitOrder } from '../../../core/order.ts';
import type { AlpacaVenue } from '../../../venues/alpaca/alpaca-venue.ts';
import type { AccountKeys, AlpacaStandin } from '../../../venues/alpaca/standin/standin.ts';
import { ExitFixture, QQQ, SUB, id, order, raw, type Reports } from './exit-fixture.ts';

/**
 * A close (an exit by signal) on Alpaca, which holds the shares of open closing orders: the shares its protection
 * holds are freed first (replaced down, or cancelled when the close is the whole position), the close goes under its
 * own client order ID, the freeing is reported after the close has filled, and a close refused or ended unfilled gets
 * its protection back. Against the stand-in on 127.0.0.1, which refuses a close for held shares as Alpaca does.
 */

describe('an exit on Alpaca while protective orders hold the shares', () => {
  let fixture: ExitFixture;
  let standin: AlpacaStandin;
  let keys: AccountKeys;
  let venue: AlpacaVenue;
  let reports: Reports;
  const bar = (price: string, volume?: string): void => fixture.bar(price, volume);
  const adapter = (): Promise<AlpacaVenue> => fixture.adapter();
  const bracket = (stopOnly = false): ReturnType<ExitFixture['bracket']> => fixture.bracket(stopOnly);
  const close = (quantity: string, sequence = 10, spec: { type?: OrderType; limit?: string } = {}): { id: ClientOrderId; order: SubmitOrder } => {
    const closeId = id('CLOSE', sequence);
    return { id: closeId, order: { ...order({ id: closeId, side: 'SELL', type: spec.type ?? 'MARKET', quantity, ...(spec.limit === undefined ? {} : { limit: spec.limit }), role: 'CLOSE' }), reduceOnly: true } };
  };
  const openAtStandin = async (): Promise<Array<Record<string, unknown>>> => (await raw(standin, keys, 'GET', '/v2/orders?status=open&nested=true')).json;
  /** The stand-in's open orders once there are `count` of them (protection is put back after the refusal is reported). */
  const listedOpen = async (count: number): Promise<Array<Record<string, unknown>>> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const rows = await openAtStandin();
      if (rows.length === count || Date.now() > deadline) return rows;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const at = (type: string, clientOrderId: string): number => reports.all.findIndex((report) => report.type === type && (report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : 'clientOrderId' in report ? report.clientOrderId : '') === clientOrderId);

  beforeEach(async () => {
    fixture = await ExitFixture.start();
    ({ standin, keys, venue, reports } = fixture);
  });

  afterEach(async () => {
    await fixture.stop();
  });

  it('exits a whole position an oco holds: the pair cancelled first, the close filled under its own ID, then the pair reported cancelled', async () => {
    const { stop, takeProfit } = await bracket();
    // A limit above the market rests, so what is reported while the close works can be seen.
    const exit = close('10', 10, { type: 'LIMIT', limit: '481' });
    await venue.submitOrder(exit.order);
    expect(reports.of(exit.id)).toEqual(['ORDER_ACCEPTED']);
    // Meanwhile the order manager still sees the pair: the working close is what replaces it.
    expect(reports.of(stop)).toEqual(['ORDER_ACCEPTED']);
    expect(reports.of(takeProfit)).toEqual(['ORDER_ACCEPTED']);
    expect((await openAtStandin()).map((row) => row['client_order_id'])).toEqual([exit.id]);
    bar('481');
    await reports.next('ORDER_CANCELED', stop);
    await reports.next('ORDER_CANCELED', takeProfit);
    expect(reports.of(exit.id)).toEqual(['ORDER_ACCEPTED', 'ORDER_FILLED']);
    expect(at('ORDER_FILLED', exit.id)).toBeLessThan(at('ORDER_CANCELED', stop));
    expect(at('ORDER_FILLED', exit.id)).toBeLessThan(at('ORDER_CANCELED', takeProfit));
    expect(await venue.positions(SUB)).toEqual([]);
    expect(await venue.openOrders(SUB)).toEqual([]);
  });

  it('exits part of a position: the pair replaced down (the take-profit first, the stop last) to what stays, reported after the close fills', async () => {
    const { stop, takeProfit } = await bracket();
    const exit = close('4');
    await venue.submitOrder(exit.order);
    await reports.next('ORDER_AMENDED', stop);
    await reports.next('ORDER_AMENDED', takeProfit);
    expect(at('ORDER_FILLED', exit.id)).toBeLessThan(at('ORDER_AMENDED', takeProfit));
    expect(at('ORDER_AMENDED', takeProfit)).toBeLessThan(at('ORDER_AMENDED', stop));
    expect(reports.of(exit.id)).toEqual(['ORDER_ACCEPTED', 'ORDER_FILLED']);
    const [pair] = await openAtStandin();
    expect(pair).toMatchObject({ order_class: 'oco', qty: '6', limit_price: '500' });
    expect((pair?.['legs'] as Array<Record<string, unknown>>)[0]).toMatchObject({ type: 'stop', qty: '6', stop_price: '470' });
    expect((await venue.positions(SUB)).map((position) => position.quantity.toString())).toEqual(['6']);
    expect((await venue.queryOrder(SUB, QQQ.id, stop))?.quantity.toString()).toBe('6');
    // The stop still protects the 6 left, and still ends the take-profit when it fills.
    bar('469');
    await reports.next('ORDER_FILLED', stop);
    await reports.next('ORDER_CANCELED', takeProfit);
  });

  it('exits with a lone stop: the whole position cancels the stop first, a part replaces it down', async () => {
    const { stop } = await bracket(true);
    const part = close('3', 10);
    await venue.submitOrder(part.order);
    await reports.next('ORDER_FILLED', part.id);
    await reports.next('ORDER_AMENDED', stop);
    expect((await venue.queryOrder(SUB, QQQ.id, stop))?.quantity.toString()).toBe('7');
    const rest = close('7', 11);
    await venue.submitOrder(rest.order);
    await reports.next('ORDER_FILLED', rest.id);
    await reports.next('ORDER_CANCELED', stop);
    expect(at('ORDER_FILLED', rest.id)).toBeLessThan(at('ORDER_CANCELED', stop));
    expect(await venue.positions(SUB)).toEqual([]);
  });

  it('a close Alpaca refuses for another reason gets the protection back: a cancelled pair sent again under the same IDs, a replaced one grown back', async () => {
    const { stop, takeProfit } = await bracket();
    // A limit price off the tick: refused (422) after the shares were freed.
    const whole = close('10', 10, { type: 'LIMIT', limit: '479.005' });
    await venue.submitOrder(whole.order);
    await reports.next('ORDER_REJECTED', whole.id);
    const restored = await listedOpen(1);
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({ order_class: 'oco', qty: '10', limit_price: '500' });
    expect(String(restored[0]?.['client_order_id'])).toMatch(new RegExp(`^${takeProfit}\\.oco\\.${stop}\\.s`));
    expect((await venue.queryOrder(SUB, QQQ.id, stop))).toMatchObject({ status: 'ACCEPTED', type: 'STOP_MARKET' });
    expect((await venue.queryOrder(SUB, QQQ.id, stop))?.quantity.toString()).toBe('10');
    const part = close('4', 11, { type: 'LIMIT', limit: '479.005' });
    await venue.submitOrder(part.order);
    await reports.next('ORDER_REJECTED', part.id);
    await reports.until(() => reports.of(takeProfit).includes('ORDER_AMENDED'), 'the take-profit grown back, after the stop');
    expect((await openAtStandin())[0]).toMatchObject({ qty: '10' });
    expect(reports.of(stop)).toEqual(['ORDER_ACCEPTED', 'ORDER_AMENDED']);
    expect((await venue.queryOrder(SUB, QQQ.id, stop))?.quantity.toString()).toBe('10');
    // The pair sent again is the pair: its stop fills under the stop's ID and ends the take-profit.
    bar('469');
    await reports.next('ORDER_FILLED', stop);
    await reports.next('ORDER_CANCELED', takeProfit);
    expect(await venue.positions(SUB)).toEqual([]);
  });

  it('a close that ends unfilled (an IOC limit beyond the market) sends a cancelled lone stop again under its own ID, found again after a restart', async () => {
    const { stop } = await bracket(true);
    const exit = close('10', 10, { type: 'LIMIT', limit: '481' });
    await venue.submitOrder({ ...exit.order, timeInForce: 'IOC' });
    await reports.until(() => reports.of(exit.id).some((type) => type === 'ORDER_CANCELED' || type === 'ORDER_EXPIRED'), 'the IOC close ended unfilled');
    const [resent] = await listedOpen(1);
    expect(resent).toMatchObject({ type: 'stop', qty: '10', stop_price: '470' });
    expect(String(resent?.['client_order_id'])).toMatch(new RegExp(`^${stop}\\.s`));
    expect(reports.of(stop)).toEqual(['ORDER_ACCEPTED']);
    await venue.stop();
    const restarted = await adapter();
    expect(await restarted.queryOrder(SUB, QQQ.id, stop)).toMatchObject({ clientOrderId: stop, status: 'ACCEPTED', type: 'STOP_MARKET' });
    bar('469');
    await reports.next('ORDER_FILLED', stop);
    expect(await restarted.positions(SUB)).toEqual([]);
  });

  it('an adapter rebuilt while the close works finds the close and the shrunk pair at Alpaca, and reports the close filled under its own ID', async () => {
    const { stop, takeProfit } = await bracket();
    const exit = close('4', 10, { type: 'LIMIT', limit: '481' });
    await venue.submitOrder(exit.order);
    await venue.stop();
    const restarted = await adapter();
    expect(await restarted.queryOrder(SUB, QQQ.id, exit.id)).toMatchObject({ clientOrderId: exit.id, status: 'ACCEPTED' });
    expect((await restarted.queryOrder(SUB, QQQ.id, stop))?.quantity.toString()).toBe('6');
    expect((await restarted.queryOrder(SUB, QQQ.id, takeProfit))?.quantity.toString()).toBe('6');
    bar('481');
    await reports.next('ORDER_FILLED', exit.id);
    expect((await restarted.positions(SUB)).map((position) => position.quantity.toString())).toEqual(['6']);
    expect((await restarted.openOrders(SUB)).map((listing) => listing.clientOrderId).sort()).toEqual([stop, takeProfit].sort());
  });

  it('an adapter rebuilt after a refused close finds the pair sent again by its Flotilla IDs', async () => {
    const { stop, takeProfit } = await bracket();
    const whole = close('10', 10, { type: 'LIMIT', limit: '479.005' });
    await venue.submitOrder(whole.order);
    await reports.next('ORDER_REJECTED', whole.id);
    const [resent] = await listedOpen(1);
    expect(String(resent?.['client_order_id'])).toMatch(new RegExp(`^${takeProfit}\\.oco\\.${stop}\\.s`));
    await venue.stop();
    const restarted = await adapter();
    expect(await restarted.queryOrder(SUB, QQQ.id, stop)).toMatchObject({ status: 'ACCEPTED', type: 'STOP_MARKET' });
    expect(await restarted.queryOrder(SUB, QQQ.id, takeProfit)).toMatchObject({ status: 'ACCEPTED', type: 'LIMIT' });
    bar('501');
    await reports.next('ORDER_FILLED', takeProfit);
    await reports.next('ORDER_CANCELED', stop);
  });
});
