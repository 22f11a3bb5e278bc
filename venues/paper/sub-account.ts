import { Decimal } from '../../core/decimal.ts';
import type { ClientOrderId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import type { Side } from '../../core/intent.ts';
import type { VenuePosition } from '../../core/venue.ts';
import { leavesQuantity, type PaperOrder } from './paper-order.ts';

interface PaperPosition {
  /** Signed: positive long, negative short. */
  quantity: Decimal;
  averagePrice: Decimal;
}

export type MarkPrice = (instrumentId: InstrumentId) => Decimal | null;

/**
 * One bot's account at the paper venue: cash (capital + realized PnL − fees), netted positions and orders.
 * Nothing here can reach another sub-account; the engine hands each order the account it belongs to.
 */
export class SubAccount {
  readonly id: SubAccountId;
  readonly leverage: Decimal;
  cash: Decimal;
  /** Every order this account ever had held or accepted, so a client order ID is never reused. */
  readonly orders = new Map<ClientOrderId, PaperOrder>();
  /** Open orders (waiting or working), in arrival order. */
  readonly open = new Set<PaperOrder>();
  readonly #positions = new Map<InstrumentId, PaperPosition>();

  constructor(id: SubAccountId, balance: Decimal, leverage: Decimal) {
    this.id = id;
    this.cash = balance;
    this.leverage = leverage;
  }

  /** Sets cash and positions from the books of record (the bots' ledgers) when the venue starts afresh. */
  restore(cash: Decimal, positions: readonly VenuePosition[]): void {
    if (this.orders.size > 0) throw new Error(`sub-account ${this.id} already has orders; restore only a fresh account`);
    this.cash = cash;
    this.#positions.clear();
    for (const position of positions) {
      if (!position.quantity.isZero()) this.#positions.set(position.instrumentId, { quantity: position.quantity, averagePrice: position.averagePrice });
    }
  }

  positionQuantity(instrumentId: InstrumentId): Decimal {
    return this.#positions.get(instrumentId)?.quantity ?? Decimal.ZERO;
  }

  positions(): VenuePosition[] {
    return [...this.#positions].map(([instrumentId, position]) => ({ instrumentId, quantity: position.quantity, averagePrice: position.averagePrice }));
  }

  /** Nets a fill into the position; closing quantity realizes PnL against the average price. Leverage plays no part. */
  applyFill(instrumentId: InstrumentId, side: Side, quantity: Decimal, price: Decimal, fee: Decimal): void {
    const signed = side === 'BUY' ? quantity : quantity.neg();
    const position = this.#positions.get(instrumentId);
    this.cash = this.cash.sub(fee);
    if (position === undefined) {
      this.#positions.set(instrumentId, { quantity: signed, averagePrice: price });
      return;
    }
    const held = position.quantity;
    const next = held.add(signed);
    if (held.sign() === signed.sign()) {
      position.averagePrice = held.abs().mul(position.averagePrice).add(quantity.mul(price)).div(next.abs());
      position.quantity = next;
      return;
    }
    const closing = Decimal.min(quantity, held.abs());
    const perUnit = held.isPositive() ? price.sub(position.averagePrice) : position.averagePrice.sub(price);
    this.cash = this.cash.add(closing.mul(perUnit));
    if (next.isZero()) {
      this.#positions.delete(instrumentId);
      return;
    }
    if (next.sign() !== held.sign()) position.averagePrice = price;
    position.quantity = next;
  }

  /** How much of a `side` order for `quantity` would open or increase exposure rather than close some. */
  openingQuantity(instrumentId: InstrumentId, side: Side, quantity: Decimal): Decimal {
    const held = this.positionQuantity(instrumentId);
    const opposite = side === 'BUY' ? (held.isNegative() ? held.abs() : Decimal.ZERO) : held.isPositive() ? held : Decimal.ZERO;
    return quantity.gt(opposite) ? quantity.sub(opposite) : Decimal.ZERO;
  }

  /**
   * Equity (cash + unrealized PnL) less the margin held by positions and by parentless, non-reduce-only open
   * orders; each order's reservation is offset by the opposite position, as venues price order cost.
   */
  /** Cash plus unrealized PnL, each position at its mark (its average price while it has none). */
  equity(markOf: MarkPrice): Decimal {
    let equity = this.cash;
    for (const [instrumentId, position] of this.#positions) {
      const mark = markOf(instrumentId) ?? position.averagePrice;
      equity = equity.add(position.quantity.mul(mark.sub(position.averagePrice)));
    }
    return equity;
  }

  freeMargin(markOf: MarkPrice): Decimal {
    const equity = this.equity(markOf);
    let notional = Decimal.ZERO;
    for (const [instrumentId, position] of this.#positions) {
      const mark = markOf(instrumentId) ?? position.averagePrice;
      notional = notional.add(position.quantity.abs().mul(mark));
    }
    for (const order of this.open) {
      const request = order.request;
      if (request.reduceOnly || order.parent !== null) continue;
      const price = request.limitPrice ?? request.triggerPrice ?? markOf(request.instrumentId);
      if (price === null) continue;
      notional = notional.add(this.openingQuantity(request.instrumentId, request.side, leavesQuantity(order)).mul(price));
    }
    return equity.sub(notional.div(this.leverage));
  }
}
