import { Decimal } from '../core/decimal.ts';
import type { SubmitOrder } from '../core/order.ts';
import type { VenueOrder } from '../core/venue.ts';

/**
 * A bracket child an adapter holds back until its entry fills, as the adapter lists it: accepted, with no venue
 * order ID until it is sent. Every adapter that holds children lists them this one way.
 */
export function heldVenueOrder(order: SubmitOrder): VenueOrder {
  return {
    clientOrderId: order.clientOrderId,
    venueOrderId: null,
    instrumentId: order.instrumentId,
    side: order.side,
    type: order.type,
    status: 'ACCEPTED',
    quantity: order.quantity,
    filledQuantity: Decimal.ZERO,
    leavesQuantity: order.quantity,
    limitPrice: order.limitPrice,
    triggerPrice: order.triggerPrice,
    reduceOnly: order.reduceOnly,
    detail: 'held by the adapter until its entry fills',
  };
}
