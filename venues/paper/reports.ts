import type { Decimal } from '../../core/decimal.ts';
import type { ClientOrderId, SubAccountId, TradeId } from '../../core/ids.ts';
import type { ExecutionReport, RejectionReason, SubmitOrder } from '../../core/order.ts';
import type { PaperOrder } from './paper-order.ts';

export function orderRejected(order: SubmitOrder, reason: RejectionReason, detail: string, at: number): ExecutionReport {
  return { type: 'ORDER_REJECTED', subAccountId: order.subAccountId, clientOrderId: order.clientOrderId, reason, detail, at };
}

export function orderAccepted(order: PaperOrder, at: number): ExecutionReport {
  if (order.venueOrderId === null) throw new RangeError(`order ${order.request.clientOrderId} has no venue order ID yet`);
  return { type: 'ORDER_ACCEPTED', subAccountId: order.request.subAccountId, clientOrderId: order.request.clientOrderId, venueOrderId: order.venueOrderId, at };
}

export function orderCanceled(order: PaperOrder, detail: string, at: number): ExecutionReport {
  return { type: 'ORDER_CANCELED', subAccountId: order.request.subAccountId, clientOrderId: order.request.clientOrderId, detail, at };
}

export function cancelRejected(subAccountId: SubAccountId, clientOrderId: ClientOrderId, detail: string, at: number): ExecutionReport {
  return { type: 'CANCEL_REJECTED', subAccountId, clientOrderId, reason: 'UNKNOWN_ORDER', detail, at };
}

export function amendRejected(subAccountId: SubAccountId, clientOrderId: ClientOrderId, reason: RejectionReason, detail: string, at: number): ExecutionReport {
  return { type: 'AMEND_REJECTED', subAccountId, clientOrderId, reason, detail, at };
}

/** The order as it stands after an amendment: total quantity (filled part included), limit and trigger. */
export function orderAmended(order: PaperOrder, detail: string, at: number): ExecutionReport {
  const request = order.request;
  return {
    type: 'ORDER_AMENDED',
    subAccountId: request.subAccountId,
    clientOrderId: request.clientOrderId,
    quantity: request.quantity,
    limitPrice: request.limitPrice,
    triggerPrice: request.triggerPrice,
    detail,
    at,
  };
}

export interface FillFacts {
  tradeId: TradeId;
  quantity: Decimal;
  price: Decimal;
  fee: Decimal;
  liquidity: 'MAKER' | 'TAKER';
  at: number;
  leavesQuantity: Decimal;
}

export function orderFilled(order: PaperOrder, facts: FillFacts): ExecutionReport {
  const request = order.request;
  return {
    type: 'ORDER_FILLED',
    subAccountId: request.subAccountId,
    fill: {
      tradeId: facts.tradeId,
      clientOrderId: request.clientOrderId,
      instrumentId: request.instrumentId,
      side: request.side,
      quantity: facts.quantity,
      price: facts.price,
      fee: facts.fee,
      liquidity: facts.liquidity,
      at: facts.at,
    },
    cumulativeQuantity: order.filled,
    leavesQuantity: facts.leavesQuantity,
  };
}
