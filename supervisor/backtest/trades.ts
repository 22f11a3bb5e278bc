import { Decimal } from '../../core/decimal.ts';
import type { ClientOrderId, InstrumentId, IntentId } from '../../core/ids.ts';
import type { Fill } from '../../core/order.ts';
import type { FundingPayment } from '../../ledger/types.ts';

/** A round trip on one instrument: from flat, through any adds and partial closes, back to flat. */
export interface Trade {
  instrumentId: InstrumentId;
  side: 'LONG' | 'SHORT';
  openedAt: number;
  /** Null while the position is still open at the end of the backtest. */
  closedAt: number | null;
  /** Everything bought (long) or sold (short) into the position, adds included. */
  entryQuantity: Decimal;
  averageEntryPrice: Decimal;
  exitQuantity: Decimal;
  /** Zero while nothing has been closed. */
  averageExitPrice: Decimal;
  /** Before fees and funding. */
  grossPnl: Decimal;
  fees: Decimal;
  /** Funding received (positive) or paid (negative) while the trip was open. */
  funding: Decimal;
  /** Gross PnL minus fees plus funding. */
  netPnl: Decimal;
  /** The regime the strategy noted for the entry, or null. */
  regime: string | null;
  fills: number;
}

interface OpenTrip {
  trade: Trade;
  /** Signed quantity held and its signed cost (quantity × price summed), as in any netted position. */
  quantity: Decimal;
  cost: Decimal;
  entryNotional: Decimal;
  exitNotional: Decimal;
}

export interface TradeLookup {
  /** The intent an order came from, for the entry's regime. */
  intentOf(clientOrderId: ClientOrderId): IntentId | undefined;
  regimeOf(intentId: IntentId): string | undefined;
}

function trip(fill: Fill, quantity: Decimal, price: Decimal, fee: Decimal, lookup: TradeLookup): OpenTrip {
  const long = fill.side === 'BUY';
  const intentId = lookup.intentOf(fill.clientOrderId);
  const signed = long ? quantity : quantity.neg();
  return {
    trade: {
      instrumentId: fill.instrumentId,
      side: long ? 'LONG' : 'SHORT',
      openedAt: fill.at,
      closedAt: null,
      entryQuantity: quantity,
      averageEntryPrice: price,
      exitQuantity: Decimal.ZERO,
      averageExitPrice: Decimal.ZERO,
      grossPnl: Decimal.ZERO,
      fees: fee,
      funding: Decimal.ZERO,
      netPnl: fee.neg(),
      regime: intentId === undefined ? null : (lookup.regimeOf(intentId) ?? null),
      fills: 1,
    },
    quantity: signed,
    cost: signed.mul(price),
    entryNotional: quantity.mul(price),
    exitNotional: Decimal.ZERO,
  };
}

const net = (trade: Trade): Decimal => trade.grossPnl.sub(trade.fees).add(trade.funding);

/**
 * Splits a fill list (in ledger order) into round trips per instrument. A fill that crosses zero closes one trip
 * and opens the next, its fee split in proportion to the two parts. PnL is average-cost: a partial close takes
 * its proportional share of the cost. A funding payment belongs to the trip open on its instrument at its time:
 * after the fills of that same moment, as the backtest books it.
 */
export function roundTrips(fills: readonly Fill[], lookup: TradeLookup, funding: readonly FundingPayment[] = []): Trade[] {
  const open = new Map<InstrumentId, OpenTrip>();
  const trades: Trade[] = [];
  let nextPayment = 0;
  const fund = (before: number): void => {
    while (nextPayment < funding.length && (funding[nextPayment] as FundingPayment).at < before) {
      const payment = funding[nextPayment++] as FundingPayment;
      const holding = open.get(payment.instrumentId);
      if (holding === undefined) continue;
      holding.trade.funding = holding.trade.funding.add(payment.amount);
      holding.trade.netPnl = net(holding.trade);
    }
  };
  for (const fill of fills) {
    fund(fill.at);
    const current = open.get(fill.instrumentId);
    if (current === undefined) {
      const next = trip(fill, fill.quantity, fill.price, fill.fee, lookup);
      open.set(fill.instrumentId, next);
      trades.push(next.trade);
      continue;
    }
    const trade = current.trade;
    trade.fills++;
    const buying = fill.side === 'BUY';
    const adding = current.quantity.isPositive() === buying;
    if (adding) {
      const signed = buying ? fill.quantity : fill.quantity.neg();
      current.quantity = current.quantity.add(signed);
      current.cost = current.cost.add(signed.mul(fill.price));
      current.entryNotional = current.entryNotional.add(fill.quantity.mul(fill.price));
      trade.entryQuantity = trade.entryQuantity.add(fill.quantity);
      trade.averageEntryPrice = current.entryNotional.div(trade.entryQuantity);
      trade.fees = trade.fees.add(fill.fee);
      trade.netPnl = net(trade);
      continue;
    }
    const held = current.quantity.abs();
    const closing = Decimal.min(fill.quantity, held);
    const opening = fill.quantity.sub(closing);
    const closingFee = opening.isZero() ? fill.fee : fill.fee.mulDiv(closing, fill.quantity);
    const removed = closing.eq(held) ? current.cost : current.cost.mulDiv(closing, held);
    const closingSigned = current.quantity.isPositive() ? closing : closing.neg();
    trade.grossPnl = trade.grossPnl.add(closingSigned.mul(fill.price)).sub(removed);
    trade.fees = trade.fees.add(closingFee);
    trade.netPnl = net(trade);
    current.exitNotional = current.exitNotional.add(closing.mul(fill.price));
    trade.exitQuantity = trade.exitQuantity.add(closing);
    trade.averageExitPrice = current.exitNotional.div(trade.exitQuantity);
    current.quantity = current.quantity.sub(closingSigned);
    current.cost = current.cost.sub(removed);
    if (!current.quantity.isZero()) continue;
    trade.closedAt = fill.at;
    open.delete(fill.instrumentId);
    if (opening.isPositive()) {
      const next = trip(fill, opening, fill.price, fill.fee.sub(closingFee), lookup);
      open.set(fill.instrumentId, next);
      trades.push(next.trade);
    }
  }
  fund(Number.POSITIVE_INFINITY);
  return trades;
}
