import { randomUUID } from 'node:crypto';
import type { Candle } from '../../../core/candle.ts';
import type { Clock } from '../../../core/clock.ts';
import { Decimal } from '../../../core/decimal.ts';
import { InvalidInputError } from '../../../core/errors.ts';
import { parseBotId, parseIntentId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../../core/ids.ts';
import type { ExecutionReport, RejectionReason, SubmitOrder } from '../../../core/order.ts';
import type { OrderChanges } from '../../../core/venue.ts';
import type { PaperVenueConfig } from '../../paper/config.ts';
import { PaperMatchingEngine } from '../../paper/matching-engine.ts';
import { Accounts, type Member } from './accounts.ts';
import type { ListedInstrument } from './instruments.ts';
import type { AmendRequest, CreateRequest, OrderName } from './order-params.ts';
import { OPEN_STATUSES, OrderBook, type BybitOrder } from './order-book.ts';
import { ReportApplier, type PrivateBatch } from './report-applier.ts';
import { type PositionFacts, type WalletFacts } from './wire-shapes.ts';
import { BybitError, parameterError } from './wire.ts';

/**
 * The trading core: every UID's paper sub-account lives in one PaperMatchingEngine (the project's one matching
 * engine); orders arrive here already read from the wire, are checked as Bybit checks them, submitted parentless,
 * and the engine's execution reports become Bybit's order, execution, position and wallet records and pushes.
 */

export interface ExchangeOptions {
  instruments: readonly ListedInstrument[];
  /** Market time: candles, order and execution times. */
  clock: Clock;
  paper: Pick<PaperVenueConfig, 'seed' | 'fees' | 'slippage' | 'partialFills'>;
  leverage: Decimal;
  masterBalance: Decimal;
  firstUid: number;
  /** Wall time, for the keys' creation times. */
  now: number;
  funding: FundingSettings;
}

/** Funding on every listed perpetual: `rate` per interval, settled when a 1m candle closes on a multiple of the interval (UTC). */
export interface FundingSettings {
  rate: Decimal;
  intervalHours: number;
}

const BOT = parseBotId('standin');
const INTENT = parseIntentId('standin');
const MAX_ACTIVE_ORDERS = 500;

function session(): string {
  return randomUUID().replaceAll('-', '').slice(0, 12);
}

const REJECTIONS: Record<RejectionReason, (detail: string) => BybitError> = {
  DUPLICATE_CLIENT_ORDER_ID: () => new BybitError('DUPLICATE_ORDER_LINK_ID'),
  INSUFFICIENT_BALANCE: (detail) => new BybitError('INSUFFICIENT_AVAILABLE_BALANCE', detail),
  REDUCE_ONLY_WOULD_INCREASE: (detail) => new BybitError('REDUCE_ONLY_NOT_SATISFIED', detail),
  UNKNOWN_ORDER: () => new BybitError('ORDER_NOT_FOUND'),
  INVALID_ORDER: (detail) => parameterError(detail),
  UNKNOWN_INSTRUMENT: (detail) => parameterError(detail),
  VENUE_ERROR: (detail) => parameterError(detail),
};

export class Exchange {
  readonly accounts: Accounts;
  readonly book = new OrderBook();
  readonly #engine: PaperMatchingEngine;
  readonly #clock: Clock;
  readonly #leverage: Decimal;
  readonly #funding: FundingSettings;
  readonly #bySymbol = new Map<string, ListedInstrument>();
  readonly #applier: ReportApplier;
  readonly #listeners = new Set<(uid: number, batch: PrivateBatch) => void>();

  constructor(options: ExchangeOptions) {
    this.#clock = options.clock;
    this.#leverage = options.leverage;
    if (!Number.isInteger(options.funding.intervalHours) || options.funding.intervalHours < 1 || 24 % options.funding.intervalHours !== 0) {
      throw new InvalidInputError(`funding intervalHours must be a whole divisor of 24 (1, 2, 4, 8, ...), got ${options.funding.intervalHours}`);
    }
    this.#funding = options.funding;
    for (const listed of options.instruments) this.#bySymbol.set(listed.symbol, listed);
    this.accounts = new Accounts(options.firstUid, options.now);
    this.#engine = new PaperMatchingEngine(
      {
        name: 'BYBIT',
        session: session(),
        instruments: options.instruments.map((listed) => listed.instrument),
        accounts: [{ subAccountId: this.accounts.master.subAccountId, balance: options.masterBalance, leverage: options.leverage }],
        ...options.paper,
      },
      options.clock,
    );
    this.#applier = new ReportApplier({
      book: this.book,
      engine: this.#engine,
      clock: options.clock,
      fees: options.paper.fees,
      leverage: options.leverage,
      instrumentOf: (symbol) => this.#listed(symbol),
      symbolOf: (instrumentId) => this.#symbolOf(instrumentId),
      accountTypeOf: (uid) => this.#accountType(uid),
    });
  }

  /** Private pushes, one batch per UID per engine call, in the order things happened. */
  onPrivateBatch(listener: (uid: number, batch: PrivateBatch) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  instruments(): ListedInstrument[] {
    return [...this.#bySymbol.values()];
  }

  instrument(symbol: string): ListedInstrument | undefined {
    return this.#bySymbol.get(symbol);
  }

  lastPrice(symbol: string): Decimal | null {
    const listed = this.#bySymbol.get(symbol);
    return listed === undefined ? null : this.#engine.lastPrice(listed.instrument.id);
  }

  createSubMember(params: Parameters<Accounts['createSubMember']>[0]): Member {
    const member = this.accounts.createSubMember(params);
    this.#engine.openAccount({ subAccountId: member.subAccountId, balance: Decimal.ZERO, leverage: this.#leverage });
    return member;
  }

  /** Capital in (positive) or out (negative) of a UID's cash; out only from free margin. */
  moveCash(uid: number, amount: Decimal): string | null {
    const member = this.#member(uid);
    const problem = this.#engine.transfer(member.subAccountId, amount);
    if (problem === null) this.#publish(uid, this.#applier.walletOnly(uid, member.subAccountId));
    return problem;
  }

  placeOrder(uid: number, request: CreateRequest): BybitOrder {
    const member = this.#member(uid);
    const listed = this.#listed(request.symbol);
    const { instrument } = listed;
    if (request.orderLinkId !== '' && this.book.hasLinkId(uid, request.orderLinkId)) throw new BybitError('DUPLICATE_ORDER_LINK_ID');
    if (this.book.openCount(uid, request.symbol) >= MAX_ACTIVE_ORDERS) throw new BybitError('TOO_MANY_ACTIVE_ORDERS');
    this.#checkQuantity(listed, request.qty);
    if (request.price !== null) this.#checkPrice(listed, request.price, 'price');
    if (request.triggerPrice !== null) this.#checkPrice(listed, request.triggerPrice, 'triggerPrice');
    const last = this.#engine.lastPrice(instrument.id);
    if (request.triggerPrice !== null) this.#checkTriggerSide(request.triggerDirection, request.triggerPrice, last);
    const reference = request.price ?? request.triggerPrice ?? last;
    if (reference !== null && !this.#closesPosition(member.subAccountId, instrument.id, request.side, request.reduceOnly, request.qty)) {
      this.#checkNotional(listed, request.qty, reference);
    }

    const now = this.#clock.now();
    const orderId = randomUUID();
    const engineId = (request.orderLinkId === '' ? `#${orderId}` : request.orderLinkId) as ClientOrderId;
    const submit: SubmitOrder = {
      clientOrderId: engineId,
      botId: BOT,
      subAccountId: member.subAccountId,
      intentId: INTENT,
      instrumentId: instrument.id,
      role: 'ENTRY',
      side: request.side === 'Buy' ? 'BUY' : 'SELL',
      type: request.triggerPrice !== null ? 'STOP_MARKET' : request.orderType === 'Limit' ? 'LIMIT' : 'MARKET',
      quantity: request.qty,
      limitPrice: request.price,
      triggerPrice: request.triggerPrice,
      // The engine's IOC is a limit's; a market order fills at once, or at the next open when there is no price yet.
      timeInForce: request.orderType === 'Limit' ? request.timeInForce : 'GTC',
      reduceOnly: request.reduceOnly,
      parentClientOrderId: null,
      activatesOnParentFill: false,
    };
    const reports = this.#engine.submit(submit);
    const first = reports[0];
    if (first?.type === 'ORDER_REJECTED') throw REJECTIONS[first.reason](first.detail);
    const order: BybitOrder = {
      sequence: this.book.nextSequence(),
      uid,
      orderId,
      orderLinkId: request.orderLinkId,
      engineId,
      symbol: request.symbol,
      side: request.side,
      orderType: request.orderType,
      timeInForce: request.timeInForce,
      reduceOnly: request.reduceOnly,
      closeOnTrigger: request.closeOnTrigger,
      triggerDirection: request.triggerDirection,
      lastPriceOnCreated: last,
      createdTime: now,
      price: request.price,
      qty: request.qty,
      triggerPrice: request.triggerPrice,
      status: 'New',
      statusHistory: [],
      cancelType: 'UNKNOWN',
      rejectReason: 'EC_NoError',
      cumExecQty: Decimal.ZERO,
      cumExecValue: Decimal.ZERO,
      cumExecFee: Decimal.ZERO,
      leavesQty: request.qty,
      updatedTime: now,
      cancelRequested: false,
    };
    this.book.addOrder(order);
    this.#apply(reports);
    return order;
  }

  amendOrder(uid: number, request: AmendRequest): BybitOrder {
    const member = this.#member(uid);
    const order = this.#openOrder(uid, request, 'replace');
    const listed = this.#listed(order.symbol);
    const changes: OrderChanges = {};
    if (request.qty !== undefined && !request.qty.eq(order.qty)) {
      this.#checkQuantity(listed, request.qty);
      changes.quantity = request.qty;
    }
    if (request.price !== undefined && (order.price === null || !request.price.eq(order.price))) {
      if (order.orderType !== 'Limit') throw parameterError('price can only be amended on a Limit order');
      this.#checkPrice(listed, request.price, 'price');
      changes.limitPrice = request.price;
    }
    if (request.triggerPrice !== undefined && (order.triggerPrice === null || !request.triggerPrice.eq(order.triggerPrice))) {
      if (order.triggerDirection === 0) throw parameterError('triggerPrice can only be amended on a conditional order');
      if (order.status !== 'Untriggered') throw parameterError('the order has triggered: its triggerPrice can no longer change');
      this.#checkPrice(listed, request.triggerPrice, 'triggerPrice');
      this.#checkTriggerSide(order.triggerDirection, request.triggerPrice, this.#engine.lastPrice(listed.instrument.id));
      changes.triggerPrice = request.triggerPrice;
    }
    if (Object.keys(changes).length === 0) throw parameterError('The order remains unchanged as the parameters entered match the existing ones.');
    const quantity = changes.quantity ?? order.qty;
    const reference = changes.limitPrice ?? changes.triggerPrice ?? order.price ?? order.triggerPrice ?? this.#engine.lastPrice(listed.instrument.id);
    if (reference !== null && !this.#closesPosition(member.subAccountId, listed.instrument.id, order.side, order.reduceOnly, quantity)) {
      this.#checkNotional(listed, quantity, reference);
    }
    const reports = this.#engine.amend(member.subAccountId, order.engineId, changes, listed.instrument.id);
    const first = reports[0];
    if (first?.type === 'AMEND_REJECTED') throw REJECTIONS[first.reason](first.detail);
    this.#apply(reports);
    return order;
  }

  cancelOrder(uid: number, name: OrderName): BybitOrder {
    const member = this.#member(uid);
    const order = this.#openOrder(uid, name, 'cancel');
    order.cancelRequested = true;
    const reports = this.#engine.cancel(member.subAccountId, order.engineId, this.#listed(order.symbol).instrument.id);
    const first = reports[0];
    if (first?.type === 'CANCEL_REJECTED') {
      order.cancelRequested = false;
      throw new BybitError('ORDER_NOT_FOUND', 'order not exists or too late to cancel');
    }
    this.#apply(reports);
    return order;
  }

  /** One closed 1m candle: the engine matches every UID's resting orders along its path. */
  onMinute(candle: Candle): void {
    this.#apply(this.#engine.onCandle(candle));
    const closeTime = candle.openTime + candle.durationMs;
    if (!this.#funding.rate.isZero() && closeTime % (this.#funding.intervalHours * 3_600_000) === 0) this.#settleFunding(candle.instrumentId, closeTime);
  }

  /** Every UID holding the instrument pays or receives funding at the candle's close, its mark. */
  #settleFunding(instrumentId: InstrumentId, at: number): void {
    const symbol = this.#symbolOf(instrumentId);
    for (const member of [this.accounts.master, ...this.accounts.subMembers()]) {
      const batch = this.#applier.settleFunding(member.uid, member.subAccountId, symbol, this.#funding.rate, at);
      if (batch !== null) this.#publish(member.uid, batch);
    }
  }

  positions(uid: number): PositionFacts[] {
    return this.#applier.positions(uid, this.#member(uid).subAccountId);
  }

  /** The position on one symbol, flat or not. */
  position(uid: number, symbol: string): PositionFacts {
    return this.#applier.position(uid, this.#member(uid).subAccountId, symbol);
  }

  wallet(uid: number): WalletFacts {
    return this.#applier.wallet(uid, this.#member(uid).subAccountId);
  }

  #apply(reports: readonly ExecutionReport[]): void {
    for (const [uid, batch] of this.#applier.apply(reports)) this.#publish(uid, batch);
  }

  #publish(uid: number, batch: PrivateBatch): void {
    for (const listener of this.#listeners) listener(uid, batch);
  }

  #member(uid: number): Member {
    const member = this.accounts.member(uid);
    if (member === undefined) throw new BybitError('INVALID_API_KEY', 'the key belongs to no member');
    return member;
  }

  #accountType(uid: number): 'UNIFIED' | 'CONTRACT' {
    return this.accounts.member(uid)?.isUta === false ? 'CONTRACT' : 'UNIFIED';
  }

  #listed(symbol: string): ListedInstrument {
    const listed = this.#bySymbol.get(symbol);
    if (listed === undefined) throw parameterError(`symbol ${JSON.stringify(symbol)} is not listed (the stand-in lists ${[...this.#bySymbol.keys()].join(', ')})`);
    return listed;
  }

  #symbolOf(instrumentId: InstrumentId): string {
    for (const listed of this.#bySymbol.values()) if (listed.instrument.id === instrumentId) return listed.symbol;
    throw new Error(`no listed instrument ${instrumentId}`);
  }

  #openOrder(uid: number, name: OrderName, verb: 'replace' | 'cancel'): BybitOrder {
    const order = this.book.find(uid, name.orderId, name.orderLinkId);
    if (order === undefined || order.symbol !== name.symbol) throw new BybitError('ORDER_NOT_FOUND');
    if (!OPEN_STATUSES.has(order.status)) throw new BybitError('ORDER_NOT_FOUND', `order not exists or too late to ${verb}`);
    return order;
  }

  #checkQuantity(listed: ListedInstrument, qty: Decimal): void {
    const { instrument } = listed;
    if (!qty.isPositive()) throw parameterError('qty must be positive');
    if (!qty.isMultipleOf(instrument.lotStep)) throw parameterError(`qty ${qty.toString()} is not a multiple of qtyStep ${instrument.lotStep.toString()}`);
    if (qty.lt(instrument.minQuantity)) throw parameterError(`qty ${qty.toString()} is below minOrderQty ${instrument.minQuantity.toString()}`);
    if (qty.gt(listed.maxOrderQty)) throw parameterError(`qty ${qty.toString()} is above maxOrderQty ${listed.maxOrderQty.toString()}`);
  }

  #checkPrice(listed: ListedInstrument, price: Decimal, name: string): void {
    const tick = listed.instrument.tickSize;
    if (!price.isPositive()) throw parameterError(`${name} must be positive`);
    if (!price.isMultipleOf(tick)) throw parameterError(`${name} ${price.toString()} is not a multiple of tickSize ${tick.toString()}`);
  }

  /** A conditional order whose trigger the last price has already passed is refused, as at Bybit (110092/110093). */
  #checkTriggerSide(direction: 0 | 1 | 2, trigger: Decimal, last: Decimal | null): void {
    if (last === null) return;
    if (direction === 1 && trigger.lte(last)) throw new BybitError('TRIGGER_NOT_RISING', `trigger_price[${trigger.toString()}] <= current[${last.toString()}]`);
    if (direction === 2 && trigger.gte(last)) throw new BybitError('TRIGGER_NOT_FALLING', `trigger_price[${trigger.toString()}] >= current[${last.toString()}]`);
  }

  #checkNotional(listed: ListedInstrument, qty: Decimal, price: Decimal): void {
    const minimum = listed.instrument.minNotional;
    if (qty.mul(price).lt(minimum)) throw new BybitError('NOTIONAL_BELOW_MINIMUM', `${qty.mul(price).toString()} is below ${minimum.toString()}USDT`);
  }

  /** A reduce-only order for the whole opposite position may be below the minimum notional: a position can always be closed. */
  #closesPosition(subAccountId: SubAccountId, instrumentId: InstrumentId, side: 'Buy' | 'Sell', reduceOnly: boolean, qty: Decimal): boolean {
    if (!reduceOnly) return false;
    const held = this.#engine.positions(subAccountId).find((position) => position.instrumentId === instrumentId)?.quantity ?? Decimal.ZERO;
    return held.sign() === (side === 'Buy' ? -1 : 1) && qty.gte(held.abs());
  }
}

