import { Decimal } from '../../core/decimal.ts';
import type { VenueOrder } from '../../core/venue.ts';
import { isOpen, leavesQuantity, type PaperOrder } from './paper-order.ts';

/**
 * A paper order as a venue reports it when asked. A bracket child still waiting for its entry is held by the venue,
 * so it is ACCEPTED here, with no venue order ID until it activates.
 */
export function venueOrderOf(order: PaperOrder): VenueOrder {
  const request = order.request;
  const open = isOpen(order);
  const status: VenueOrder['status'] =
    order.state === 'FILLED' ? 'FILLED' : order.state === 'CANCELED' ? 'CANCELED' : order.filled.isPositive() ? 'PARTIALLY_FILLED' : 'ACCEPTED';
  return {
    clientOrderId: request.clientOrderId,
    venueOrderId: order.venueOrderId,
    instrumentId: request.instrumentId,
    side: request.side,
    type: request.type,
    status,
    quantity: request.quantity,
    filledQuantity: order.filled,
    leavesQuantity: open ? leavesQuantity(order) : Decimal.ZERO,
    limitPrice: request.limitPrice,
    triggerPrice: request.triggerPrice,
    reduceOnly: request.reduceOnly,
    detail: '',
  };
}
