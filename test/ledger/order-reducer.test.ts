import { describe, expect, it } from 'vitest';
import { Decimal, dec } from '../../core/decimal.ts';
import { makeClientOrderId, parseBotId, parseInstrumentId, parseIntentId, parseSubAccountId, parseVenueOrderId } from '../../core/ids.ts';
import type { OrderStatus } from '../../core/order.ts';
import { reduceOrder } from '../../ledger/order-reducer.ts';
import type { OrderEvent, OrderState } from '../../ledger/order-reducer.ts';

function state(status: OrderStatus, options: { venueOrderId?: string | null; filled?: string } = {}): OrderState {
  return {
    filledNotional: Decimal.ZERO,
    record: {
      clientOrderId: makeClientOrderId(parseBotId('bot'), '0000abcd', 'ENTRY', 1),
      botId: parseBotId('bot'),
      subAccountId: parseSubAccountId('bot'),
      intentId: parseIntentId('intent-1'),
      instrumentId: parseInstrumentId('BTCUSDT.BYBIT'),
      role: 'ENTRY',
      side: 'BUY',
      type: 'LIMIT',
      quantity: dec('2'),
      limitPrice: dec('100'),
      triggerPrice: null,
      timeInForce: 'GTC',
      reduceOnly: false,
      parentClientOrderId: null,
      activatesOnParentFill: false,
      sequence: 1,
      createdAt: 1,
      status,
      venueOrderId: options.venueOrderId === undefined || options.venueOrderId === null ? null : parseVenueOrderId(options.venueOrderId),
      filledQuantity: dec(options.filled ?? '0'),
      averageFillPrice: null,
      updatedAt: 1,
      detail: '',
    },
  };
}

function event(type: OrderEvent['type'], options: { venueOrderId?: string; fill?: [quantity: string, price: string, leaves: string]; at?: number } = {}): OrderEvent {
  const fill = options.fill === undefined ? null : { quantity: dec(options.fill[0]), price: dec(options.fill[1]), leavesQuantity: dec(options.fill[2]) };
  return { type, venueOrderId: options.venueOrderId === undefined ? null : parseVenueOrderId(options.venueOrderId), detail: type === 'ORDER_CANCELED' ? 'canceled on request' : '', at: options.at ?? 5, fill };
}

describe('reduceOrder', () => {
  it('accepts a pending order and keeps the venue order ID', () => {
    const { next, duplicate } = reduceOrder(state('PENDING_SUBMIT'), event('ORDER_ACCEPTED', { venueOrderId: 'v-1' }));
    expect(duplicate).toBe(false);
    expect(next?.record).toMatchObject({ status: 'ACCEPTED', venueOrderId: 'v-1', updatedAt: 5 });
  });

  it('takes the venue order ID from a late acceptance without changing the status fills already set', () => {
    const { next, duplicate } = reduceOrder(state('FILLED', { filled: '2' }), event('ORDER_ACCEPTED', { venueOrderId: 'v-1' }));
    expect(duplicate).toBe(true);
    expect(next?.record).toMatchObject({ status: 'FILLED', venueOrderId: 'v-1' });
  });

  it('leaves a terminal order terminal when a cancel, rejection or expiry arrives late', () => {
    for (const type of ['ORDER_CANCELED', 'ORDER_REJECTED', 'ORDER_EXPIRED'] as const) {
      expect(reduceOrder(state('FILLED', { venueOrderId: 'v-1', filled: '2' }), event(type))).toEqual({ next: null, duplicate: true });
    }
  });

  it('moves through a partial fill to filled with a volume-weighted average price', () => {
    const partial = reduceOrder(state('ACCEPTED', { venueOrderId: 'v-1' }), event('ORDER_FILLED', { fill: ['1', '100', '1'] })).next;
    expect(partial?.record).toMatchObject({ status: 'PARTIALLY_FILLED', filledQuantity: dec('1'), averageFillPrice: dec('100') });
    const full = partial === null ? null : reduceOrder(partial, event('ORDER_FILLED', { fill: ['1', '103', '0'], at: 9 })).next;
    expect(full?.record).toMatchObject({ status: 'FILLED', filledQuantity: dec('2'), averageFillPrice: dec('101.5'), updatedAt: 9 });
  });

  it('counts a fill that arrives after a cancel without reopening the order', () => {
    const { next } = reduceOrder(state('CANCELED', { venueOrderId: 'v-1' }), event('ORDER_FILLED', { fill: ['1', '100', '0'] }));
    expect(next?.record).toMatchObject({ status: 'CANCELED', filledQuantity: dec('1') });
  });

  it('takes an amendment\'s quantity and prices on an open order and keeps its status and fills', () => {
    const amendment = { quantity: dec('1.5'), limitPrice: dec('98'), triggerPrice: null };
    const { next, duplicate } = reduceOrder(state('PARTIALLY_FILLED', { venueOrderId: 'v-1', filled: '1' }), { ...event('ORDER_AMENDED', { at: 7 }), detail: 'reduce-only: cut', amendment });
    expect(duplicate).toBe(false);
    expect(next?.record).toMatchObject({ status: 'PARTIALLY_FILLED', filledQuantity: dec('1'), quantity: dec('1.5'), limitPrice: dec('98'), triggerPrice: null, detail: 'reduce-only: cut', updatedAt: 7 });
  });

  it('ignores an amendment that changes nothing, or that reaches an order that has ended', () => {
    const same = { quantity: dec('2'), limitPrice: dec('100'), triggerPrice: null };
    expect(reduceOrder(state('ACCEPTED', { venueOrderId: 'v-1' }), { ...event('ORDER_AMENDED'), amendment: same })).toEqual({ next: null, duplicate: true });
    const smaller = { ...same, quantity: dec('1') };
    expect(reduceOrder(state('CANCELED', { venueOrderId: 'v-1' }), { ...event('ORDER_AMENDED'), amendment: smaller })).toEqual({ next: null, duplicate: true });
  });

  it('keeps an order as it was when an amend is rejected, noting why', () => {
    const { next } = reduceOrder(state('ACCEPTED', { venueOrderId: 'v-1' }), { ...event('AMEND_REJECTED'), detail: 'INVALID_ORDER: off tick' });
    expect(next?.record).toMatchObject({ status: 'ACCEPTED', quantity: dec('2'), limitPrice: dec('100'), detail: 'INVALID_ORDER: off tick' });
  });

  it('never moves updatedAt backwards for an event stamped earlier', () => {
    const { next } = reduceOrder(state('PENDING_SUBMIT'), event('ORDER_ACCEPTED', { venueOrderId: 'v-1', at: 0 }));
    expect(next?.record.updatedAt).toBe(1);
  });
});
