import type { Decimal } from '../../core/decimal.ts';
import type { BotId } from '../../core/ids.ts';
import { unrealizedPnl } from '../../ledger/position.ts';
import type { OrderRecord, PositionRecord } from '../../ledger/types.ts';
import type { OrderInfo, PositionInfo } from '../control/fleet-control.ts';

/** How orders and positions look outside the supervisor: to the operator's API and, as a subset, to a bot. */
export function orderInfo(order: OrderRecord): OrderInfo {
  return {
    botId: order.botId,
    clientOrderId: order.clientOrderId,
    instrumentId: order.instrumentId,
    role: order.role,
    side: order.side,
    type: order.type,
    quantity: order.quantity.toString(),
    filledQuantity: order.filledQuantity.toString(),
    limitPrice: order.limitPrice?.toString() ?? null,
    triggerPrice: order.triggerPrice?.toString() ?? null,
    status: order.status,
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
    detail: order.detail,
  };
}

export function positionInfo(botId: BotId, position: PositionRecord, mark: Decimal | undefined): PositionInfo {
  return {
    botId,
    instrumentId: position.instrumentId,
    quantity: position.quantity.toString(),
    averageEntryPrice: position.averageEntryPrice.toString(),
    markPrice: mark?.toString() ?? null,
    unrealizedPnl: mark === undefined ? '0' : unrealizedPnl(position, mark).toString(),
    realizedPnl: position.realizedPnl.toString(),
    fees: position.fees.toString(),
  };
}
