import type { Decimal } from '../core/decimal.ts';
import { InvariantViolation } from '../core/errors.ts';
import type { VenueOrderId } from '../core/ids.ts';
import { isOpenStatus } from '../core/order.ts';
import type { Fill, OrderReport, OrderStatus } from '../core/order.ts';
import type { OrderRecord } from './types.ts';

/** An order in memory: the record handed out (as copies), plus the fill notional its average price comes from. */
export interface OrderState {
  record: OrderRecord;
  filledNotional: Decimal;
}

/** What an ORDER_AMENDED report says the order now is: its total quantity, the filled part included, and its prices. */
export interface Amendment {
  quantity: Decimal;
  limitPrice: Decimal | null;
  triggerPrice: Decimal | null;
}

/** A report as the order reducer sees it; live reports and recovery replay go through the same reducer. */
export interface OrderEvent {
  type: OrderReport['type'];
  venueOrderId: VenueOrderId | null;
  detail: string;
  at: number;
  fill: { quantity: Decimal; price: Decimal; leavesQuantity: Decimal } | null;
  /** Only for ORDER_AMENDED. */
  amendment?: Amendment | null;
}

const samePrice = (a: Decimal | null, b: Decimal | null): boolean => (a === null || b === null ? a === b : a.eq(b));

/** next is null when the event changes nothing and is not recorded. */
export interface Reduced {
  next: OrderState | null;
  duplicate: boolean;
}

/** The status lifecycle; a terminal order stays terminal, so late or repeated reports never reopen it. */
export function reduceOrder(state: OrderState, event: OrderEvent): Reduced {
  const record = state.record;
  const open = isOpenStatus(record.status);
  const updatedAt = Math.max(record.updatedAt, event.at);
  const withRecord = (changes: Partial<OrderRecord>): OrderState => ({ ...state, record: { ...record, ...changes, updatedAt } });
  switch (event.type) {
    case 'ORDER_ACCEPTED':
      if (record.status === 'PENDING_SUBMIT') return { next: withRecord({ status: 'ACCEPTED', venueOrderId: event.venueOrderId }), duplicate: false };
      // A late acceptance still tells us the venue's ID when fills arrived first.
      if (record.venueOrderId === null && event.venueOrderId !== null) return { next: withRecord({ venueOrderId: event.venueOrderId }), duplicate: true };
      return { next: null, duplicate: true };
    case 'ORDER_REJECTED':
    case 'ORDER_CANCELED':
    case 'ORDER_EXPIRED': {
      if (!open) return { next: null, duplicate: true };
      const status: OrderStatus = event.type === 'ORDER_REJECTED' ? 'REJECTED' : event.type === 'ORDER_CANCELED' ? 'CANCELED' : 'EXPIRED';
      return { next: withRecord({ status, detail: event.detail }), duplicate: false };
    }
    case 'CANCEL_REJECTED':
    case 'AMEND_REJECTED':
      return { next: withRecord({ detail: event.detail }), duplicate: false };
    case 'ORDER_AMENDED': {
      const amendment = event.amendment ?? null;
      if (amendment === null) throw new InvariantViolation(`amendment of ${record.clientOrderId} says nothing about the order`);
      // An order that has ended stays as it ended; an amendment that changes nothing was already applied.
      if (!open) return { next: null, duplicate: true };
      const unchanged = amendment.quantity.eq(record.quantity) && samePrice(amendment.limitPrice, record.limitPrice) && samePrice(amendment.triggerPrice, record.triggerPrice);
      if (unchanged) return { next: null, duplicate: true };
      const { quantity, limitPrice, triggerPrice } = amendment;
      return { next: withRecord({ quantity, limitPrice, triggerPrice, detail: event.detail }), duplicate: false };
    }
    case 'ORDER_FILLED': {
      if (event.fill === null) throw new InvariantViolation(`fill event for ${record.clientOrderId} has no fill`);
      const filledQuantity = record.filledQuantity.add(event.fill.quantity);
      const filledNotional = state.filledNotional.add(event.fill.quantity.mul(event.fill.price));
      const status: OrderStatus = !open ? record.status : event.fill.leavesQuantity.isZero() ? 'FILLED' : 'PARTIALLY_FILLED';
      return {
        next: { filledNotional, record: { ...record, status, filledQuantity, averageFillPrice: filledNotional.div(filledQuantity), updatedAt } },
        duplicate: false,
      };
    }
  }
}

export function fillEvent(fill: Fill, leavesQuantity: Decimal): OrderEvent {
  return { type: 'ORDER_FILLED', venueOrderId: null, detail: '', at: fill.at, fill: { quantity: fill.quantity, price: fill.price, leavesQuantity } };
}

export function reportDetail(report: Exclude<OrderReport, { type: 'ORDER_FILLED' }>): string {
  switch (report.type) {
    case 'ORDER_ACCEPTED':
      return '';
    case 'ORDER_REJECTED':
    case 'CANCEL_REJECTED':
    case 'AMEND_REJECTED':
      return report.detail === '' ? report.reason : `${report.reason}: ${report.detail}`;
    case 'ORDER_CANCELED':
    case 'ORDER_EXPIRED':
    case 'ORDER_AMENDED':
      return report.detail;
  }
}
