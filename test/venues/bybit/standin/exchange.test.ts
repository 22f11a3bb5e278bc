import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../core/clock.ts';
import { Decimal, dec } from '../../../../core/decimal.ts';
import { DEFAULT_INSTRUMENTS } from '../../../../supervisor/config/fleet-config.ts';
import { Exchange } from '../../../../venues/bybit/standin/exchange.ts';
import { listInstruments } from '../../../../venues/bybit/standin/instruments.ts';
import { Market } from '../../../../venues/bybit/standin/market.ts';
import { parseCreate } from '../../../../venues/bybit/standin/order-params.ts';
import type { BybitOrder } from '../../../../venues/bybit/standin/order-book.ts';
import type { PrivateBatch } from '../../../../venues/bybit/standin/report-applier.ts';
import { BybitError } from '../../../../venues/bybit/standin/wire.ts';

/** How the paper engine's reports become Bybit's order statuses, executions and positions, without the network. */

let clock: ManualClock;
let exchange: Exchange;
let market: Market;
let uid: number;
let batches: PrivateBatch[];

function build(participation = '1', masterBalance = '1000000', fundingRate = '0', start = Date.UTC(2026, 0, 5, 12, 0)): void {
  clock = new ManualClock(start);
  const instruments = listInstruments(DEFAULT_INSTRUMENTS.filter((entry) => entry.id === 'BTCUSDT.BYBIT'));
  exchange = new Exchange({
    instruments,
    clock,
    paper: { seed: 1, fees: { makerRate: dec('0.0002'), takerRate: dec('0.00055') }, slippage: { baseBps: Decimal.ZERO, jitterBps: Decimal.ZERO }, partialFills: { participation: dec(participation) } },
    leverage: dec('10'),
    masterBalance: dec(masterBalance),
    funding: { rate: dec(fundingRate), intervalHours: 8 },
    firstUid: 100,
    now: clock.now(),
  });
  market = new Market(exchange, instruments);
  uid = exchange.accounts.master.uid;
  batches = [];
  exchange.onPrivateBatch((_uid, batch) => batches.push(batch));
}

function price(open: string, high = open, low = open, close = open, volume = '1000000'): void {
  clock.advance(60_000);
  market.push('BTCUSDT', { open, high, low, close, volume }, clock.now());
}

function place(params: Record<string, unknown>): BybitOrder {
  return exchange.placeOrder(uid, parseCreate({ category: 'linear', symbol: 'BTCUSDT', ...params }));
}

function statuses(order: BybitOrder): string[] {
  return order.statusHistory.map((entry) => entry.status);
}

beforeEach(() => build());

describe('order statuses', () => {
  it('fills a resting limit over several candles when participation caps it: New, PartiallyFilled, Filled', () => {
    build('0.5');
    price('60000');
    const order = place({ side: 'Buy', orderType: 'Limit', qty: '0.4', price: '59000', orderLinkId: 'e1' });
    price('59500', '59500', '58900', '59000', '0.5');
    expect(order).toMatchObject({ status: 'PartiallyFilled', cumExecQty: dec('0.25'), leavesQty: dec('0.15') });
    price('59000', '59100', '58800', '59000', '1');
    expect(statuses(order)).toEqual(['New', 'PartiallyFilled', 'Filled']);
    expect(order.cumExecValue.toString()).toBe('23600');
  });

  it('deactivates a conditional order cancelled before it triggers, and says the owner cancelled it', () => {
    price('60000');
    place({ side: 'Buy', orderType: 'Market', qty: '0.1', orderLinkId: 'e1' });
    const stop = place({ side: 'Sell', orderType: 'Market', qty: '0.1', triggerPrice: '59000', triggerDirection: 2, reduceOnly: true, orderLinkId: 's1' });
    exchange.cancelOrder(uid, { symbol: 'BTCUSDT', orderId: undefined, orderLinkId: 's1' });
    expect(stop).toMatchObject({ status: 'Deactivated', cancelType: 'CancelByUser' });
    expect(statuses(stop)).toEqual(['Untriggered', 'Deactivated']);
  });

  it('cancels a reduce-only order whose position is closed by another order, as CancelByReduceOnly', () => {
    price('60000');
    place({ side: 'Buy', orderType: 'Market', qty: '0.1', orderLinkId: 'e1' });
    const takeProfit = place({ side: 'Sell', orderType: 'Limit', qty: '0.1', price: '62000', reduceOnly: true, orderLinkId: 't1' });
    const stop = place({ side: 'Sell', orderType: 'Market', qty: '0.1', triggerPrice: '59000', triggerDirection: 2, reduceOnly: true, orderLinkId: 's1' });
    place({ side: 'Sell', orderType: 'Market', qty: '0.1', reduceOnly: true, orderLinkId: 'c1' });
    expect(takeProfit).toMatchObject({ status: 'Cancelled', cancelType: 'CancelByReduceOnly' });
    expect(stop).toMatchObject({ status: 'Deactivated', cancelType: 'CancelByReduceOnly' });
  });

  it('cancels an IOC limit that cannot fill on arrival, with EC_NoImmediateQtyToFill', () => {
    price('60000');
    const order = place({ side: 'Buy', orderType: 'Limit', qty: '0.1', price: '59000', timeInForce: 'IOC', orderLinkId: 'e1' });
    expect(order).toMatchObject({ status: 'Cancelled', rejectReason: 'EC_NoImmediateQtyToFill', timeInForce: 'IOC' });
  });

  it('fills a market order placed before any price at the next open, or rejects it there when the margin does not fit', () => {
    build('1', '1000');
    const fits = place({ side: 'Buy', orderType: 'Market', qty: '0.1', orderLinkId: 'e1' });
    const tooBig = place({ side: 'Buy', orderType: 'Market', qty: '1', orderLinkId: 'e2' });
    expect([fits.status, tooBig.status]).toEqual(['New', 'New']);
    price('60000');
    expect(fits.status).toBe('Filled');
    expect(tooBig).toMatchObject({ status: 'Rejected', rejectReason: 'EC_Others' });
  });

  it('cuts a reduce-only order amended above its position back to the position', () => {
    price('60000');
    place({ side: 'Buy', orderType: 'Market', qty: '0.1', orderLinkId: 'e1' });
    const takeProfit = place({ side: 'Sell', orderType: 'Limit', qty: '0.1', price: '62000', reduceOnly: true, orderLinkId: 't1' });
    exchange.amendOrder(uid, { symbol: 'BTCUSDT', orderId: undefined, orderLinkId: 't1', qty: dec('0.3'), price: undefined, triggerPrice: undefined });
    expect(takeProfit.qty.toString()).toBe('0.1');
  });
});

describe('executions, positions and the wallet', () => {
  it('tells what each fill closed and what that realized, and nets the position as the engine does', () => {
    price('60000');
    place({ side: 'Buy', orderType: 'Market', qty: '0.2', orderLinkId: 'e1' });
    price('61000');
    place({ side: 'Sell', orderType: 'Market', qty: '0.3', orderLinkId: 'x1' });
    const page = exchange.book.executions(uid, () => true, 10, undefined);
    const close = page.list[0];
    expect(close).toMatchObject({ orderLinkId: 'x1', closedSize: dec('0.2'), execPnl: dec('200') });
    const position = exchange.position(uid, 'BTCUSDT');
    expect(position.quantity.toString()).toBe('-0.1');
    expect(position.averagePrice.toString()).toBe('61000');
    // Fees: 0.2 × 60000 × 0.00055 = 6.6 and 0.3 × 61000 × 0.00055 = 10.065; the short opened at the flip realized nothing yet.
    expect(position.currentRealized.toString()).toBe('-3.355');
    expect(position.cumulativeRealized.toString()).toBe(dec('200').sub(dec('6.6')).sub(dec('10.065')).toString());
  });

  it('pushes one batch per engine call: the order states, the execution, the position and the wallet', () => {
    price('60000');
    batches.length = 0;
    place({ side: 'Buy', orderType: 'Market', qty: '0.1', orderLinkId: 'e1' });
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch?.order.map((entry) => entry['orderStatus'])).toEqual(['New', 'Filled']);
    expect(batch?.execution).toHaveLength(1);
    expect(batch?.position).toMatchObject([{ symbol: 'BTCUSDT', size: '0.1', entryPrice: '60000' }]);
    expect(batch?.wallet).toHaveLength(1);
  });

  it('moves capital out only from free margin', () => {
    price('60000');
    place({ side: 'Buy', orderType: 'Market', qty: '100', orderLinkId: 'e1' });
    const free = exchange.wallet(uid).freeMargin;
    expect(exchange.moveCash(uid, free.add(dec('1')).neg())).toMatch(/exceeds its free margin/);
    expect(exchange.moveCash(uid, free.neg())).toBeNull();
    expect(() => place({ side: 'Buy', orderType: 'Market', qty: '0.01', orderLinkId: 'e2' })).toThrow(BybitError);
  });
});

describe('funding', () => {
  const beforeFunding = Date.UTC(2026, 0, 5, 15, 57);

  it('settles funding on every open position when a candle closes on the funding time: a long pays, listed as a Funding execution', () => {
    build('1', '1000000', '0.0001', beforeFunding);
    const sub = exchange.createSubMember({ username: 'shortside1', memberType: 1, isUta: true, note: '' }).uid;
    exchange.moveCash(sub, dec('100000'));
    price('60000');
    place({ side: 'Buy', orderType: 'Market', qty: '0.2', orderLinkId: 'e1' });
    exchange.placeOrder(sub, parseCreate({ category: 'linear', symbol: 'BTCUSDT', side: 'Sell', orderType: 'Market', qty: '0.5', orderLinkId: 's1' }));
    price('60000');
    const cashBefore = [exchange.wallet(uid).cash, exchange.wallet(sub).cash];
    batches = [];
    price('60000', '61000', '60000', '61000'); // closes at 16:00 UTC, a funding time, marked at 61,000
    const funding = exchange.book.executions(uid, (execution) => execution.execType === 'Funding', 10, undefined).list;
    expect(funding).toHaveLength(1);
    expect(funding[0]).toMatchObject({ execType: 'Funding', side: 'Sell', orderLinkId: '', execQty: dec('0.2'), execPrice: dec('61000'), execFee: dec('1.22'), feeRate: dec('0.0001'), execTime: Date.UTC(2026, 0, 5, 16, 0) });
    expect(exchange.wallet(uid).cash.toString()).toBe(cashBefore[0]?.sub(dec('1.22')).toString());
    // The short side receives: 0.5 × 61,000 × 0.0001 = 3.05.
    const received = exchange.book.executions(sub, (execution) => execution.execType === 'Funding', 10, undefined).list[0];
    expect(received).toMatchObject({ side: 'Buy', execQty: dec('0.5'), execFee: dec('-3.05') });
    expect(exchange.wallet(sub).cash.toString()).toBe(cashBefore[1]?.add(dec('3.05')).toString());
    const pushed = batches.flatMap((batch) => batch.execution).filter((row) => row['execType'] === 'Funding');
    expect(pushed.map((row) => row['execFee']).sort()).toEqual(['-3.05', '1.22']);
  });

  it('settles nothing between funding times, on a flat account, or at a rate of 0', () => {
    build('1', '1000000', '0.0001', beforeFunding);
    price('60000');
    price('60000');
    price('60000'); // 16:00, but nothing is held
    place({ side: 'Buy', orderType: 'Market', qty: '0.2', orderLinkId: 'e1' });
    price('60000'); // 16:01: held, but not a funding time
    expect(exchange.book.executions(uid, (execution) => execution.execType === 'Funding', 10, undefined).list).toEqual([]);
    build('1', '1000000', '0', beforeFunding);
    price('60000');
    place({ side: 'Buy', orderType: 'Market', qty: '0.2', orderLinkId: 'e1' });
    price('60000');
    price('60000');
    expect(exchange.book.executions(uid, (execution) => execution.execType === 'Funding', 10, undefined).list).toEqual([]);
  });
});
