import { Decimal } from '../../core/decimal.ts';
import type { BotId } from '../../core/ids.ts';
import { isOpenStatus } from '../../core/order.ts';
import type { WireBotState } from '../../core/protocol.ts';
import type { OrderView, PositionView } from '../../core/strategy.ts';
import { unrealizedPnl } from '../../ledger/position.ts';
import type { Ledger, OrderRecord, PositionRecord } from '../../ledger/types.ts';
import { strategyDrawdown } from '../order-manager/drawdown-monitor.ts';
import type { OrderManager } from '../order-manager/order-manager.ts';
import { botScope } from '../store/supervisor-store.ts';

/**
 * What a strategy is shown of its own bot, built one way for both places a strategy runs: the bot channel sends it
 * over the wire (botStateWire), the backtest hands it over in process (backtest/state-view.ts caches these pieces).
 * A position's unrealized PnL is the ledger's formula; open orders are those still working.
 */

export function positionView(position: PositionRecord, mark: Decimal | undefined): PositionView {
  return Object.freeze({
    instrumentId: position.instrumentId,
    quantity: position.quantity,
    averageEntryPrice: position.averageEntryPrice,
    realizedPnl: position.realizedPnl,
    unrealizedPnl: mark === undefined ? Decimal.ZERO : unrealizedPnl(position, mark),
  });
}

export function orderView(order: OrderRecord): OrderView {
  return Object.freeze({
    clientOrderId: order.clientOrderId,
    instrumentId: order.instrumentId,
    role: order.role,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    filledQuantity: order.filledQuantity,
    limitPrice: order.limitPrice,
    triggerPrice: order.triggerPrice,
    status: order.status,
  });
}

export function positionViews(om: OrderManager, ledger: Ledger): PositionView[] {
  return ledger.openPositions().map((position) => positionView(position, om.mark(position.instrumentId)));
}

export function openOrderViews(ledger: Ledger): OrderView[] {
  return ledger
    .openOrders()
    .filter((order) => isOpenStatus(order.status))
    .map(orderView);
}

/** The binding window's drawdown and its threshold, as fractions. */
export function drawdownView(om: OrderManager, botId: BotId): { drawdown: Decimal; drawdownThreshold: Decimal } {
  const scope = botScope(botId);
  const { drawdown, threshold } = strategyDrawdown(om.drawdown(scope), om.drawdownPolicy(scope));
  return { drawdown, drawdownThreshold: threshold };
}

/** The bot's state for the channel: the same pieces, as decimal strings. */
export function botStateWire(om: OrderManager, botId: BotId): WireBotState {
  const ledger = om.ledger(botId);
  const { drawdown, drawdownThreshold } = drawdownView(om, botId);
  return {
    equity: om.equity(botId).toString(),
    drawdown: drawdown.toString(),
    drawdownThreshold: drawdownThreshold.toString(),
    tradingState: om.effectiveState(botId),
    positions: positionViews(om, ledger).map((position) => ({
      instrumentId: position.instrumentId,
      quantity: position.quantity.toString(),
      averageEntryPrice: position.averageEntryPrice.toString(),
      realizedPnl: position.realizedPnl.toString(),
      unrealizedPnl: position.unrealizedPnl.toString(),
    })),
    openOrders: openOrderViews(ledger).map((order) => ({
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
    })),
  };
}
