import { Decimal } from '../../../core/decimal.ts';
import { amount } from './wire.ts';
import { averagePrice, isConditional, type BybitExecution, type BybitOrder } from './order-book.ts';

/**
 * The JSON shapes Bybit V5 sends for orders, executions, positions and the wallet, on REST and on the private
 * WebSocket (which adds `category`, and says `entryPrice` where REST says `avgPrice`). Every amount is a string.
 */

export function orderWire(order: BybitOrder, webSocket = false): Record<string, unknown> {
  const average = averagePrice(order);
  const leavesValue = order.leavesQty.mul(order.price ?? order.triggerPrice ?? average ?? Decimal.ZERO);
  return {
    ...(webSocket ? { category: 'linear' } : {}),
    orderId: order.orderId,
    orderLinkId: order.orderLinkId,
    blockTradeId: '',
    symbol: order.symbol,
    price: order.price === null ? '0' : order.price.toString(),
    qty: order.qty.toString(),
    side: order.side,
    isLeverage: '',
    positionIdx: 0,
    orderStatus: order.status,
    createType: 'CreateByUser',
    cancelType: order.cancelType,
    rejectReason: order.rejectReason,
    avgPrice: amount(average),
    leavesQty: order.leavesQty.toString(),
    leavesValue: leavesValue.toString(),
    cumExecQty: order.cumExecQty.toString(),
    cumExecValue: order.cumExecValue.toString(),
    cumExecFee: order.cumExecFee.toString(),
    timeInForce: order.timeInForce,
    orderType: order.orderType,
    stopOrderType: isConditional(order) ? 'Stop' : '',
    orderIv: '',
    triggerPrice: order.triggerPrice === null ? '0' : order.triggerPrice.toString(),
    takeProfit: '0',
    stopLoss: '0',
    tpslMode: '',
    tpLimitPrice: '0',
    slLimitPrice: '0',
    tpTriggerBy: '',
    slTriggerBy: '',
    triggerDirection: order.triggerDirection,
    triggerBy: isConditional(order) ? 'LastPrice' : '',
    lastPriceOnCreated: amount(order.lastPriceOnCreated),
    reduceOnly: order.reduceOnly,
    closeOnTrigger: order.closeOnTrigger,
    placeType: '',
    smpType: 'None',
    smpGroup: 0,
    smpOrderId: '',
    createdTime: String(order.createdTime),
    updatedTime: String(order.updatedTime),
  };
}

export function executionWire(execution: BybitExecution, webSocket = false): Record<string, unknown> {
  return {
    ...(webSocket ? { category: 'linear' } : {}),
    symbol: execution.symbol,
    orderId: execution.orderId,
    orderLinkId: execution.orderLinkId,
    side: execution.side,
    orderPrice: execution.orderPrice === null ? '0' : execution.orderPrice.toString(),
    orderQty: execution.orderQty.toString(),
    leavesQty: execution.leavesQty.toString(),
    createType: 'CreateByUser',
    orderType: execution.orderType,
    stopOrderType: execution.stopOrderType,
    execFee: execution.execFee.toString(),
    feeCurrency: 'USDT',
    execId: execution.execId,
    execPrice: execution.execPrice.toString(),
    execQty: execution.execQty.toString(),
    execType: execution.execType,
    execValue: execution.execValue.toString(),
    execTime: String(execution.execTime),
    isMaker: execution.isMaker,
    feeRate: execution.feeRate.toString(),
    tradeIv: '',
    markIv: '',
    markPrice: execution.markPrice.toString(),
    indexPrice: execution.markPrice.toString(),
    underlyingPrice: '',
    blockTradeId: '',
    closedSize: execution.closedSize.toString(),
    seq: execution.sequence,
    extraFees: '',
    ...(webSocket ? { execPnl: execution.execPnl.toString(), isLeverage: '' } : {}),
  };
}

export interface PositionFacts {
  symbol: string;
  /** Signed: positive long, negative short, zero flat. */
  quantity: Decimal;
  averagePrice: Decimal;
  markPrice: Decimal | null;
  leverage: Decimal;
  /** Realized PnL after fees since the position opened, and over the account's life on this symbol. */
  currentRealized: Decimal;
  cumulativeRealized: Decimal;
  sequence: number;
  createdTime: number;
  updatedTime: number;
}

export function positionWire(facts: PositionFacts, webSocket = false): Record<string, unknown> {
  const size = facts.quantity.abs();
  const flat = size.isZero();
  const mark = facts.markPrice ?? facts.averagePrice;
  const value = size.mul(flat ? Decimal.ZERO : facts.averagePrice);
  const unrealised = flat ? Decimal.ZERO : facts.quantity.mul(mark.sub(facts.averagePrice));
  const initialMargin = size.mul(mark).div(facts.leverage).round(8);
  const average = flat ? '0' : facts.averagePrice.toString();
  return {
    ...(webSocket ? { category: 'linear' } : {}),
    positionIdx: 0,
    riskId: 1,
    riskLimitValue: '2000000',
    symbol: facts.symbol,
    side: flat ? '' : facts.quantity.isPositive() ? 'Buy' : 'Sell',
    size: size.toString(),
    ...(webSocket ? { entryPrice: average } : { avgPrice: average }),
    positionValue: value.toString(),
    tradeMode: 0,
    autoAddMargin: 0,
    positionStatus: 'Normal',
    leverage: facts.leverage.toString(),
    markPrice: facts.markPrice === null ? '' : facts.markPrice.toString(),
    liqPrice: '',
    bustPrice: '',
    positionIM: initialMargin.toString(),
    positionMM: '0',
    positionBalance: initialMargin.toString(),
    takeProfit: '0',
    stopLoss: '0',
    trailingStop: '0',
    sessionAvgPrice: '',
    unrealisedPnl: unrealised.toString(),
    curRealisedPnl: facts.currentRealized.toString(),
    cumRealisedPnl: facts.cumulativeRealized.toString(),
    adlRankIndicator: flat ? 0 : 2,
    isReduceOnly: false,
    mmrSysUpdatedTime: '',
    leverageSysUpdatedTime: '',
    createdTime: String(facts.createdTime),
    updatedTime: String(facts.updatedTime),
    seq: facts.sequence,
  };
}

export interface WalletFacts {
  cash: Decimal;
  unrealisedPnl: Decimal;
  /** What a new order or a transfer out may use: equity less the margin held. */
  freeMargin: Decimal;
  positionMargin: Decimal;
  cumulativeRealized: Decimal;
  accountType: 'UNIFIED' | 'CONTRACT';
}

export function walletWire(facts: WalletFacts): Record<string, unknown> {
  const equity = facts.cash.add(facts.unrealisedPnl);
  const initialMargin = equity.sub(facts.freeMargin);
  const orderMargin = initialMargin.sub(facts.positionMargin);
  const available = Decimal.max(facts.freeMargin, Decimal.ZERO);
  return {
    accountType: facts.accountType,
    accountIMRate: equity.isPositive() ? initialMargin.div(equity).round(4).toString() : '0',
    accountMMRate: '0',
    accountLTV: '0',
    totalEquity: equity.toString(),
    totalWalletBalance: facts.cash.toString(),
    totalMarginBalance: equity.toString(),
    totalAvailableBalance: available.toString(),
    totalPerpUPL: facts.unrealisedPnl.toString(),
    totalInitialMargin: initialMargin.toString(),
    totalMaintenanceMargin: '0',
    coin: [
      {
        coin: 'USDT',
        equity: equity.toString(),
        usdValue: equity.toString(),
        walletBalance: facts.cash.toString(),
        free: '',
        locked: '0',
        spotHedgingQty: '0',
        borrowAmount: '0',
        availableToBorrow: '',
        availableToWithdraw: available.toString(),
        accruedInterest: '0',
        totalOrderIM: Decimal.max(orderMargin, Decimal.ZERO).toString(),
        totalPositionIM: facts.positionMargin.toString(),
        totalPositionMM: '0',
        unrealisedPnl: facts.unrealisedPnl.toString(),
        cumRealisedPnl: facts.cumulativeRealized.toString(),
        bonus: '0',
        marginCollateral: true,
        collateralSwitch: true,
      },
    ],
  };
}
