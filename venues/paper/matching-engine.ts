import { bundledSessions, type SessionOf } from '../../core/market-session.ts';
import type { Candle } from '../../core/candle.ts';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { parseTradeId, parseVenueOrderId, type ClientOrderId, type InstrumentId, type SubAccountId, type VenueOrderId } from '../../core/ids.ts';
import type { ExecutionReport, RejectionReason, SubmitOrder } from '../../core/order.ts';
import type { OrderChanges, VenueOrder, VenuePosition } from '../../core/venue.ts';
import { CandlePath } from './candle-path.ts';
import { venueOrderOf } from './venue-order.ts';
import { validatePaperVenueConfig, type PaperAccountConfig, type PaperFeeConfig, type PaperVenueConfig } from './config.ts';
import {
  createPaperOrder,
  fillableQuantity,
  followsParent,
  isMarketableAt,
  isOpen,
  leavesQuantity,
  levelOf,
  type InstrumentBook,
  type PaperOrder,
} from './paper-order.ts';
import { feeFor, TakerSlippage } from './pricing.ts';
import { amendRejected, cancelRejected, orderAccepted, orderAmended, orderCanceled, orderFilled, orderRejected } from './reports.ts';
import { SubAccount, type MarkPrice } from './sub-account.ts';
import { amendProblem, orderProblem, parentProblem } from './validation.ts';

/** An order as the books of record (a bot's ledger) last knew it, to be put back on a restarted venue. */
export interface RestoredOrder {
  order: SubmitOrder;
  filledQuantity: Decimal;
  /** The ID the venue gave it before; a new one (and an ORDER_ACCEPTED) when null. */
  venueOrderId: VenueOrderId | null;
}

interface Queued {
  readonly order: PaperOrder;
  /** Distance along the candle's path at which the order became marketable. */
  readonly distance: bigint;
}

/** One candle's walk along its path: the orders in the order the path reaches them. */
interface CandleRun {
  readonly book: InstrumentBook;
  readonly sequence: number;
  /** The most one resting order may fill in this candle: participation × volume, down to the lot step. */
  readonly capacity: Decimal;
  readonly queue: Queued[];
  next: number;
  distance: bigint;
}

type Refusal = { ok: false; reason: RejectionReason; detail: string };
type Known = Refusal | { ok: true; account: SubAccount; book: InstrumentBook; parent: PaperOrder | null };
type Admission = Refusal | { ok: true; account: SubAccount; book: InstrumentBook; parent: PaperOrder | null; waits: boolean };

function byPathThenArrival(a: Queued, b: Queued): number {
  if (a.distance !== b.distance) return a.distance < b.distance ? -1 : 1;
  return a.order.arrival - b.order.arrival;
}

function checkCandle(candle: Candle): void {
  const { open, high, low, close, volume } = candle;
  if (!low.isPositive() || low.gt(open) || low.gt(close) || high.lt(open) || high.lt(close) || volume.isNegative()) {
    throw new InvalidInputError(
      `candle for ${candle.instrumentId} at ${candle.openTime} is inconsistent: O ${open.toString()} H ${high.toString()} L ${low.toString()} C ${close.toString()} V ${volume.toString()}`,
    );
  }
}

/**
 * A deterministic, synchronous simulated venue. Orders never match each other, only market data, so one
 * sub-account can never fill against, see or cancel another's orders. Every method returns the execution
 * reports it caused, in the order they happened. See README.md for the fill model.
 */
export class PaperMatchingEngine {
  readonly name: string;
  readonly #clock: Clock;
  readonly #fees: PaperFeeConfig;
  readonly #participation: Decimal;
  readonly #slippage: TakerSlippage;
  readonly #books = new Map<InstrumentId, InstrumentBook>();
  readonly #accounts = new Map<SubAccountId, SubAccount>();
  #arrivals = 0;
  readonly #session: string;
  #venueOrders = 0;
  #trades = 0;
  #runs = 0;
  /** The clock reading for the call in progress; every report of one call carries the same time. */
  #at = 0;
  readonly #sessions: SessionOf;
  readonly #markOf: MarkPrice = (instrumentId) => this.#books.get(instrumentId)?.lastPrice ?? null;

  constructor(config: PaperVenueConfig, clock: Clock) {
    validatePaperVenueConfig(config);
    this.name = config.name;
    this.#session = config.session;
    this.#clock = clock;
    this.#fees = config.fees;
    this.#participation = config.partialFills.participation;
    this.#slippage = new TakerSlippage(config.slippage, config.seed);
    this.#sessions = config.sessions ?? bundledSessions;
    for (const instrument of config.instruments) {
      this.#books.set(instrument.id, { instrument, lastPrice: null, resting: new Set(), path: new CandlePath() });
    }
    for (const account of config.accounts) {
      this.#accounts.set(account.subAccountId, new SubAccount(account.subAccountId, account.balance, account.leverage));
    }
  }

  submit(order: SubmitOrder): ExecutionReport[] {
    this.#at = this.#clock.now();
    const admission = this.#admit(order);
    if (!admission.ok) return [orderRejected(order, admission.reason, admission.detail, this.#at)];
    const { account, book, parent, waits } = admission;
    const paper = createPaperOrder(order, ++this.#arrivals, account, book, parent);
    account.orders.set(order.clientOrderId, paper);
    account.open.add(paper);
    parent?.children.push(paper);
    const reports: ExecutionReport[] = [];
    // A child waiting for its parent's fill is held silently; it is accepted when it activates.
    if (!waits) this.#activate(paper, null, reports);
    if (order.reduceOnly && paper.state === 'WORKING') this.#fitReduceOnly(account, order.instrumentId, reports);
    return reports;
  }

  /**
   * Changes one open order in place, named by its client order ID within one sub-account. The amended order then
   * meets the last price as a new order would: a limit made marketable, or a stop whose new trigger the last price
   * has already crossed, fills at once as taker. A reduce-only order amended above its position is cut to fit.
   */
  amend(subAccountId: SubAccountId, clientOrderId: ClientOrderId, changes: OrderChanges, instrumentId?: InstrumentId): ExecutionReport[] {
    this.#at = this.#clock.now();
    const order = this.#accounts.get(subAccountId)?.orders.get(clientOrderId);
    if (order === undefined || (instrumentId !== undefined && order.request.instrumentId !== instrumentId)) {
      return [amendRejected(subAccountId, clientOrderId, 'UNKNOWN_ORDER', 'no such order in this sub-account', this.#at)];
    }
    if (!isOpen(order)) return [amendRejected(subAccountId, clientOrderId, 'UNKNOWN_ORDER', `order is already ${order.state}`, this.#at)];
    const problem = amendProblem(order, changes);
    if (problem !== null) return [amendRejected(subAccountId, clientOrderId, 'INVALID_ORDER', problem, this.#at)];
    const request = order.request;
    const amended: SubmitOrder = {
      ...request,
      quantity: changes.quantity ?? request.quantity,
      limitPrice: changes.limitPrice ?? request.limitPrice,
      triggerPrice: changes.triggerPrice ?? request.triggerPrice,
    };
    const marginProblem = this.#amendMarginProblem(order, amended);
    if (marginProblem !== null) return [amendRejected(subAccountId, clientOrderId, 'INSUFFICIENT_BALANCE', marginProblem, this.#at)];
    order.request = amended;
    order.level = levelOf(amended);
    const reports: ExecutionReport[] = [orderAmended(order, 'amended on request', this.#at)];
    if (order.state === 'WORKING') {
      this.#fillOnArrival(order, reports);
      if (amended.reduceOnly && isOpen(order)) this.#fitReduceOnly(order.account, amended.instrumentId, reports);
    }
    return reports;
  }

  /** Cancels one order, named by its client order ID within one sub-account; there is deliberately nothing broader. */
  cancel(subAccountId: SubAccountId, clientOrderId: ClientOrderId, instrumentId?: InstrumentId): ExecutionReport[] {
    this.#at = this.#clock.now();
    const order = this.#accounts.get(subAccountId)?.orders.get(clientOrderId);
    if (order === undefined || (instrumentId !== undefined && order.request.instrumentId !== instrumentId)) {
      return [cancelRejected(subAccountId, clientOrderId, 'no such order in this sub-account', this.#at)];
    }
    if (!isOpen(order)) return [cancelRejected(subAccountId, clientOrderId, `order is already ${order.state}`, this.#at)];
    const reports: ExecutionReport[] = [];
    this.#cancel(order, 'canceled on request', reports);
    return reports;
  }

  /** Sets the instrument's last price and walks its resting orders along the candle's path (see candle-path.ts). */
  onCandle(candle: Candle): ExecutionReport[] {
    const book = this.#books.get(candle.instrumentId);
    if (book === undefined) throw new InvalidInputError(`paper venue ${this.name} has no instrument ${candle.instrumentId}`);
    checkCandle(candle);
    const reports: ExecutionReport[] = [];
    if (book.resting.size > 0) this.#match(book, candle, reports);
    book.lastPrice = candle.close;
    return reports;
  }

  hasAccount(subAccountId: SubAccountId): boolean {
    return this.#accounts.has(subAccountId);
  }

  /**
   * The paper venue keeps no files: after a supervisor restart its accounts are rebuilt from the ledgers, which
   * are the books of record. Only a fresh account (no orders yet) may be restored.
   */
  restoreAccount(subAccountId: SubAccountId, cash: Decimal, positions: readonly VenuePosition[]): void {
    this.#account(subAccountId).restore(cash, positions);
  }

  /**
   * Opens a sub-account on a running venue, as an exchange does when a sub-member is created; its ID must be new.
   * It starts with `balance` as cash and no positions or orders.
   */
  openAccount(account: PaperAccountConfig): void {
    if (this.#accounts.has(account.subAccountId)) throw new InvalidInputError(`paper venue ${this.name} already has sub-account ${account.subAccountId}`);
    if (account.balance.isNegative()) throw new InvalidInputError(`sub-account ${account.subAccountId} balance must not be negative, got ${account.balance.toString()}`);
    if (!account.leverage.isPositive()) throw new InvalidInputError(`sub-account ${account.subAccountId} leverage must be positive, got ${account.leverage.toString()}`);
    this.#accounts.set(account.subAccountId, new SubAccount(account.subAccountId, account.balance, account.leverage));
  }

  /**
   * Moves capital into (positive) or out of (negative) a sub-account's cash, as an exchange's internal transfer
   * does. Capital leaves only from the free margin, so a transfer never leaves positions or resting orders
   * unbacked. Returns why it could not, or null when done.
   */
  transfer(subAccountId: SubAccountId, amount: Decimal): string | null {
    const account = this.#account(subAccountId);
    if (amount.isNegative()) {
      const free = account.freeMargin(this.#markOf);
      if (amount.abs().gt(free)) return `transfer of ${amount.abs().toString()} out of ${subAccountId} exceeds its free margin ${free.toString()}`;
    }
    account.cash = account.cash.add(amount);
    return null;
  }

  /**
   * Settles a funding payment into a sub-account's cash (positive received, negative paid). Unlike a transfer it is
   * never refused: an exchange charges funding on the position whatever the margin left.
   */
  settleFunding(subAccountId: SubAccountId, amount: Decimal): void {
    const account = this.#account(subAccountId);
    account.cash = account.cash.add(amount);
  }

  /** Equity less the margin positions and resting orders hold: what a new order or a transfer out may use. */
  freeMargin(subAccountId: SubAccountId): Decimal {
    return this.#account(subAccountId).freeMargin(this.#markOf);
  }

  /**
   * Puts an open order back as it stood, after restoreAccount: working with its filled quantity, matched by the
   * next candles along their path and never filled on arrival (the price it meets now is not news to it). A child
   * whose parent (restored before it) has not filled waits again. Only an order the venue had never acknowledged
   * (no venue order ID) gets an ORDER_ACCEPTED. A reduce-only order with no position left to reduce is canceled,
   * and one larger than its position is cut to fit (ORDER_AMENDED), as at any other time.
   */
  restoreOrder(restored: RestoredOrder): ExecutionReport[] {
    this.#at = this.#clock.now();
    const request = restored.order;
    const known = this.#knownParent(request);
    if (!known.ok) return [orderRejected(request, known.reason, known.detail, this.#at)];
    const { account, book, parent } = known;
    if (!restored.filledQuantity.lt(request.quantity)) {
      return [orderRejected(request, 'INVALID_ORDER', `restored with ${restored.filledQuantity.toString()} of ${request.quantity.toString()} filled: nothing left to work`, this.#at)];
    }
    const paper = createPaperOrder(request, ++this.#arrivals, account, book, parent);
    paper.filled = restored.filledQuantity;
    paper.triggered = request.type === 'STOP_MARKET' && paper.filled.isPositive();
    account.orders.set(request.clientOrderId, paper);
    account.open.add(paper);
    parent?.children.push(paper);
    const reports: ExecutionReport[] = [];
    if (parent !== null && request.activatesOnParentFill && parent.filled.isZero()) return reports;
    paper.state = 'WORKING';
    paper.venueOrderId = restored.venueOrderId ?? parseVenueOrderId(`${this.name}-${this.#session}-O${++this.#venueOrders}`);
    if (restored.venueOrderId === null) reports.push(orderAccepted(paper, this.#at));
    book.resting.add(paper);
    if (request.reduceOnly) this.#fitReduceOnly(account, request.instrumentId, reports);
    return reports;
  }

  /**
   * Makes an order that has ended known again after a restart, without working it: its client order ID stays
   * used, and an order naming it as parent (a replacement stop for a filled entry) finds it. Returns why it could
   * not (no such sub-account or instrument, ID already used), or null.
   */
  restoreEndedOrder(order: SubmitOrder, filledQuantity: Decimal): string | null {
    // Whatever it was linked to no longer matters: it works no more, it only has to be found.
    const known = this.#knownParent({ ...order, parentClientOrderId: null });
    if (!known.ok) return known.detail;
    const paper = createPaperOrder(order, ++this.#arrivals, known.account, known.book, null);
    paper.filled = filledQuantity;
    paper.state = filledQuantity.gte(order.quantity) ? 'FILLED' : 'CANCELED';
    known.account.orders.set(order.clientOrderId, paper);
    return null;
  }

  openOrders(subAccountId: SubAccountId): VenueOrder[] {
    return [...this.#account(subAccountId).open].map(venueOrderOf);
  }

  /** One order of the sub-account by its client order ID, open or ended; null when it was never admitted. */
  order(subAccountId: SubAccountId, clientOrderId: ClientOrderId): VenueOrder | null {
    const order = this.#accounts.get(subAccountId)?.orders.get(clientOrderId);
    return order === undefined ? null : venueOrderOf(order);
  }

  /** Cash plus unrealized PnL at the last prices. */
  equity(subAccountId: SubAccountId): Decimal {
    return this.#account(subAccountId).equity(this.#markOf);
  }

  positions(subAccountId: SubAccountId): VenuePosition[] {
    return this.#account(subAccountId).positions();
  }

  /** Cash: capital + realized PnL − fees, excluding unrealized PnL. */
  balance(subAccountId: SubAccountId): Decimal {
    return this.#account(subAccountId).cash;
  }

  lastPrice(instrumentId: InstrumentId): Decimal | null {
    return this.#markOf(instrumentId);
  }

  #account(subAccountId: SubAccountId): SubAccount {
    const account = this.#accounts.get(subAccountId);
    if (account === undefined) throw new InvalidInputError(`paper venue ${this.name} has no sub-account ${subAccountId}`);
    return account;
  }

  /** The sub-account, book and parent an order names, each checked to exist; shared by submit and restore. */
  #knownParent(order: SubmitOrder): Known {
    const account = this.#accounts.get(order.subAccountId);
    if (account === undefined) return { ok: false, reason: 'INVALID_ORDER', detail: `unknown sub-account ${order.subAccountId}` };
    if (account.orders.has(order.clientOrderId)) {
      return { ok: false, reason: 'DUPLICATE_CLIENT_ORDER_ID', detail: `client order ID ${order.clientOrderId} was already used in this sub-account` };
    }
    const book = this.#books.get(order.instrumentId);
    if (book === undefined) return { ok: false, reason: 'UNKNOWN_INSTRUMENT', detail: `paper venue ${this.name} does not list ${order.instrumentId}` };
    if (order.parentClientOrderId === null) return { ok: true, account, book, parent: null };
    const parent = account.orders.get(order.parentClientOrderId) ?? null;
    if (parent === null) return { ok: false, reason: 'UNKNOWN_ORDER', detail: `parent ${order.parentClientOrderId} is not an order of this sub-account` };
    return { ok: true, account, book, parent };
  }

  #admit(order: SubmitOrder): Admission {
    const known = this.#knownParent(order);
    if (!known.ok) return known;
    const { account, book, parent } = known;
    const held = account.positionQuantity(order.instrumentId);
    const closesPosition = order.reduceOnly && held.sign() === (order.side === 'BUY' ? -1 : 1) && order.quantity.gte(held.abs());
    const problem = orderProblem(order, book.instrument, book.lastPrice, closesPosition);
    if (problem !== null) return { ok: false, reason: 'INVALID_ORDER', detail: problem };
    if (parent !== null) {
      const problemWithParent = parentProblem(order, parent);
      if (problemWithParent !== null) return { ok: false, reason: 'INVALID_ORDER', detail: problemWithParent };
    }
    const waits = parent !== null && order.activatesOnParentFill && parent.filled.isZero();

    if (order.reduceOnly && !waits && account.openingQuantity(order.instrumentId, order.side, order.quantity).eq(order.quantity)) {
      return { ok: false, reason: 'REDUCE_ONLY_WOULD_INCREASE', detail: `no ${order.side === 'BUY' ? 'short' : 'long'} position in ${order.instrumentId} to reduce` };
    }
    const reference = order.limitPrice ?? order.triggerPrice ?? book.lastPrice;
    const marginProblem = reference === null ? null : this.#marginProblem(account, order, order.quantity, reference);
    if (marginProblem !== null) return { ok: false, reason: 'INSUFFICIENT_BALANCE', detail: marginProblem };
    return { ok: true, account, book, parent, waits };
  }

  /** Bracket children are protective and are not margin-checked; reduce-only orders only ever shrink exposure. */
  #marginProblem(account: SubAccount, order: SubmitOrder, quantity: Decimal, price: Decimal): string | null {
    if (order.reduceOnly || order.parentClientOrderId !== null) return null;
    const opening = account.openingQuantity(order.instrumentId, order.side, quantity);
    if (opening.isZero()) return null;
    const required = opening.mul(price).div(account.leverage);
    const free = account.freeMargin(this.#markOf);
    if (required.lte(free)) return null;
    return `margin ${required.toString()} (${opening.toString()} at ${price.toString()} / leverage ${account.leverage.toString()}) exceeds the free margin ${free.toString()}`;
  }

  /** An amended order's margin must fit in the free margin with its own current reservation given back. */
  #amendMarginProblem(order: PaperOrder, amended: SubmitOrder): string | null {
    const request = order.request;
    if (request.reduceOnly || order.parent !== null) return null;
    const account = order.account;
    const priceOf = (r: SubmitOrder): Decimal | null => r.limitPrice ?? r.triggerPrice ?? order.book.lastPrice;
    const newPrice = priceOf(amended);
    if (newPrice === null) return null;
    const newLeaves = amended.quantity.sub(order.filled);
    const opening = account.openingQuantity(request.instrumentId, request.side, newLeaves);
    if (opening.isZero()) return null;
    const oldPrice = priceOf(request);
    const held = oldPrice === null ? Decimal.ZERO : account.openingQuantity(request.instrumentId, request.side, leavesQuantity(order)).mul(oldPrice).div(account.leverage);
    const required = opening.mul(newPrice).div(account.leverage);
    const free = account.freeMargin(this.#markOf).add(held);
    if (required.lte(free)) return null;
    return `margin ${required.toString()} (${opening.toString()} at ${newPrice.toString()} / leverage ${account.leverage.toString()}) exceeds the free margin ${free.toString()}`;
  }

  /**
   * No working reduce-only order is larger than the position it protects. After the position on an instrument has
   * changed, each one whose remaining quantity exceeds what is left to reduce is cut to fit (ORDER_AMENDED), or
   * canceled when nothing is left. A bracket child following an entry still working also covers the rest of that
   * entry; a child still waiting for its entry protects a position yet to come and is left alone.
   */
  #fitReduceOnly(account: SubAccount, instrumentId: InstrumentId, reports: ExecutionReport[]): void {
    const held = account.positionQuantity(instrumentId);
    for (const order of account.open) {
      const request = order.request;
      if (order.state !== 'WORKING' || !request.reduceOnly || request.instrumentId !== instrumentId) continue;
      const opposite = held.sign() === (order.isBuy ? -1 : 1);
      const parent = order.parent;
      const toCome = followsParent(order) && parent !== null && isOpen(parent) ? leavesQuantity(parent) : Decimal.ZERO;
      const room = (opposite ? held.abs() : Decimal.ZERO).add(toCome);
      if (room.isZero()) {
        this.#cancel(order, 'reduce-only: no opposite position left to reduce', reports);
        continue;
      }
      if (leavesQuantity(order).lte(room)) continue;
      order.request = { ...request, quantity: order.filled.add(room) };
      reports.push(orderAmended(order, `reduce-only: cut to the ${room.toString()} it can still reduce`, this.#at));
    }
  }

  #activate(order: PaperOrder, run: CandleRun | null, reports: ExecutionReport[]): void {
    order.state = 'WORKING';
    order.venueOrderId = parseVenueOrderId(`${this.name}-${this.#session}-O${++this.#venueOrders}`);
    reports.push(orderAccepted(order, this.#at));
    order.book.resting.add(order);
    if (run === null) this.#fillOnArrival(order, reports);
    else this.#enqueue(order, run);
  }

  /** An order arriving outside a candle meets the last price: it fills at once as taker if marketable there. */
  #fillOnArrival(order: PaperOrder, reports: ExecutionReport[]): void {
    const request = order.request;
    const last = order.book.lastPrice;
    const immediateOrCancel = request.timeInForce === 'IOC' && request.type === 'LIMIT';
    // While its session is closed the last price is stale: the order waits for the open, as a broker queues it.
    const session = this.#sessions(order.book.instrument);
    if (session !== null && !session.isOpen(this.#at)) {
      if (immediateOrCancel) this.#cancel(order, `IOC: ${order.book.instrument.id} is outside its ${session.name}`, reports);
      return;
    }
    if (last === null || !isMarketableAt(order, last.units)) {
      // Without a price a market order waits for the next open; anything else rests until the path reaches it.
      if (immediateOrCancel) this.#cancel(order, 'IOC: not marketable on arrival', reports);
      return;
    }
    if (request.type === 'STOP_MARKET') order.triggered = true;
    let price = this.#slippage.takerPrice(order.book.instrument, last, request.side);
    if (request.limitPrice !== null) price = order.isBuy ? Decimal.min(price, request.limitPrice) : Decimal.max(price, request.limitPrice);
    this.#fill(order, fillableQuantity(order), price, 'TAKER', null, reports);
    if (immediateOrCancel && isOpen(order)) this.#cancel(order, 'IOC: unfilled remainder', reports);
  }

  #match(book: InstrumentBook, candle: Candle, reports: ExecutionReport[]): void {
    const low = candle.low.units;
    const high = candle.high.units;
    let run: CandleRun | null = null;
    for (const order of book.resting) {
      // The candle's range rules most orders out before any path arithmetic is done.
      if (!isMarketableAt(order, order.atOrBelow ? low : high)) continue;
      if (run === null) {
        book.path.set(candle);
        run = this.#startRun(book, candle);
      }
      const distance = this.#firstMarketable(order, book, 0n);
      if (distance < 0n) continue;
      run.queue.push({ order, distance });
      order.queuedInRun = run.sequence;
    }
    if (run === null) return;
    run.queue.sort(byPathThenArrival);
    this.#at = this.#clock.now();
    while (run.next < run.queue.length) {
      const queued = run.queue[run.next++];
      if (queued === undefined) break;
      queued.order.queuedInRun = 0;
      if (queued.order.state !== 'WORKING') continue;
      run.distance = queued.distance;
      this.#fillOnPath(queued.order, run, reports);
    }
  }

  #startRun(book: InstrumentBook, candle: Candle): CandleRun {
    const capacity = candle.volume.mul(this.#participation).quantize(book.instrument.lotStep, 'floor');
    return { book, sequence: ++this.#runs, capacity, queue: [], next: 0, distance: 0n };
  }

  /** Where on the path, at or after `from`, the order first becomes marketable; -1 if it never does. */
  #firstMarketable(order: PaperOrder, book: InstrumentBook, from: bigint): bigint {
    if (order.request.type === 'MARKET' || order.triggered) return from;
    return book.path.firstReach(order.level, order.atOrBelow, from);
  }

  /** Queues an order activated or grown mid-candle, so the rest of the path can still fill it. */
  #enqueue(order: PaperOrder, run: CandleRun): void {
    if (order.queuedInRun === run.sequence || !fillableQuantity(order).isPositive()) return;
    const distance = this.#firstMarketable(order, run.book, run.distance);
    if (distance < 0n) return;
    const queued: Queued = { order, distance };
    let index = run.next;
    while (index < run.queue.length) {
      const other = run.queue[index];
      if (other === undefined || byPathThenArrival(queued, other) < 0) break;
      index++;
    }
    run.queue.splice(index, 0, queued);
    order.queuedInRun = run.sequence;
  }

  #fillOnPath(order: PaperOrder, run: CandleRun, reports: ExecutionReport[]): void {
    const request = order.request;
    const instrument = run.book.instrument;
    const pathPrice = Decimal.fromUnits(run.book.path.priceAt(run.distance));
    if (request.type === 'MARKET') {
      // Only a market order that arrived before any price waits for a candle; it fills in full at the open.
      const quantity = fillableQuantity(order);
      const price = this.#slippage.takerPrice(instrument, pathPrice, request.side);
      const problem = this.#marginProblem(order.account, request, quantity, price);
      if (problem !== null) this.#cancel(order, `INSUFFICIENT_BALANCE at the open: ${problem}`, reports);
      else this.#fill(order, quantity, price, 'TAKER', run, reports);
      return;
    }
    if (request.type === 'STOP_MARKET') {
      // A triggered stop is a market order, as at a venue: it takes all it may fill at once, with no participation cap.
      order.triggered = true;
      const quantity = fillableQuantity(order);
      if (quantity.isPositive()) this.#fill(order, quantity, this.#slippage.takerPrice(instrument, pathPrice, request.side), 'TAKER', run, reports);
      return;
    }
    if (request.limitPrice === null) return;
    const limit = request.limitPrice;
    const price = order.isBuy ? Decimal.min(limit, pathPrice) : Decimal.max(limit, pathPrice);
    const used = order.budgetRun === run.sequence ? order.budgetUsed : Decimal.ZERO;
    const fillable = fillableQuantity(order);
    const quantity = Decimal.min(fillable, run.capacity.sub(used));
    if (!quantity.isPositive()) return;
    // A venue never makes a fill below its minimum notional; a capped one waits for a candle with more volume.
    if (quantity.lt(fillable) && this.#belowMinimumNotional(order, quantity, price)) return;
    const filled = this.#fill(order, quantity, price, 'MAKER', run, reports);
    order.budgetRun = run.sequence;
    order.budgetUsed = used.add(filled);
  }

  /** Below the minimum notional, unless it closes the whole position (a reduce-only order's last fill may be small). */
  #belowMinimumNotional(order: PaperOrder, quantity: Decimal, price: Decimal): boolean {
    const instrument = order.book.instrument;
    if (!quantity.mul(price).lt(instrument.minNotional)) return false;
    return !(order.request.reduceOnly && quantity.gte(order.account.positionQuantity(instrument.id).abs()));
  }

  /** Fills up to `wanted`, then lets the fill ripple: children activate or grow, OCO groups close. Returns what filled. */
  #fill(order: PaperOrder, wanted: Decimal, price: Decimal, liquidity: 'MAKER' | 'TAKER', run: CandleRun | null, reports: ExecutionReport[]): Decimal {
    const request = order.request;
    const account = order.account;
    let quantity = wanted;
    if (request.reduceOnly) {
      const held = account.positionQuantity(request.instrumentId);
      if (held.sign() !== (order.isBuy ? -1 : 1)) {
        this.#cancel(order, 'reduce-only: no opposite position left to reduce', reports);
        return Decimal.ZERO;
      }
      quantity = Decimal.min(quantity, held.abs());
    }
    if (!quantity.isPositive()) return Decimal.ZERO;

    const fee = feeFor(quantity, price, liquidity === 'MAKER' ? this.#fees.makerRate : this.#fees.takerRate);
    account.applyFill(request.instrumentId, request.side, quantity, price, fee);
    order.filled = order.filled.add(quantity);
    const leaves = leavesQuantity(order);
    const tradeId = parseTradeId(`${this.name}-${this.#session}-T${++this.#trades}`);
    reports.push(orderFilled(order, { tradeId, quantity, price, fee, liquidity, at: this.#at, leavesQuantity: leaves }));
    if (leaves.isZero()) this.#close(order, 'FILLED');

    if (order.children.length > 0) this.#onParentFill(order, run, reports);
    if (order.parent !== null) this.#oneCancelsOther(order, order.parent, reports);
    else if (request.reduceOnly && isOpen(order) && account.positionQuantity(request.instrumentId).isZero()) {
      this.#cancel(order, 'reduce-only: the position is closed', reports);
    }
    this.#fitReduceOnly(account, request.instrumentId, reports);
    return quantity;
  }

  #onParentFill(parent: PaperOrder, run: CandleRun | null, reports: ExecutionReport[]): void {
    for (const child of parent.children) {
      if (!followsParent(child) || !isOpen(child)) continue;
      if (child.state === 'WAITING') this.#activate(child, run, reports);
      else if (run !== null) this.#enqueue(child, run);
    }
    if (!isOpen(parent)) this.#onParentEnded(parent, reports);
  }

  /** Once a child has closed the position or is fully filled, the bracket is over: nothing of it may keep working. */
  #oneCancelsOther(child: PaperOrder, parent: PaperOrder, reports: ExecutionReport[]): void {
    const flat = child.account.positionQuantity(child.request.instrumentId).isZero();
    if (isOpen(child) && !flat) return;
    const id = child.request.clientOrderId;
    if (isOpen(child)) this.#cancel(child, 'bracket closed: the position is flat', reports);
    for (const sibling of parent.children) {
      if (sibling !== child && isOpen(sibling)) this.#cancel(sibling, `one-cancels-the-other: ${id} filled`, reports);
    }
    // An entry still working after its bracket has exited would open a position no stop protects.
    if (isOpen(parent)) this.#cancel(parent, `bracket closed by ${id}: the unfilled rest of the entry is canceled`, reports);
  }

  #onParentEnded(parent: PaperOrder, reports: ExecutionReport[]): void {
    for (const child of parent.children) {
      if (!followsParent(child) || !isOpen(child)) continue;
      if (child.state === 'WAITING') this.#cancel(child, `parent ${parent.request.clientOrderId} ended without a fill`, reports);
      else if (leavesQuantity(child).isZero()) this.#cancel(child, `parent ${parent.request.clientOrderId} ended: nothing left to work`, reports);
    }
  }

  #cancel(order: PaperOrder, detail: string, reports: ExecutionReport[]): void {
    this.#close(order, 'CANCELED');
    reports.push(orderCanceled(order, detail, this.#at));
    if (order.children.length > 0) this.#onParentEnded(order, reports);
  }

  #close(order: PaperOrder, state: 'FILLED' | 'CANCELED'): void {
    order.state = state;
    order.book.resting.delete(order);
    order.account.open.delete(order);
  }
}
