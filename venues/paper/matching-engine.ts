import type { Candle } from '../../core/candle.ts';
import type { Clock } from '../../core/clock.ts';
import { Decimal } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { parseTradeId, parseVenueOrderId, type ClientOrderId, type InstrumentId, type SubAccountId } from '../../core/ids.ts';
import type { ExecutionReport, RejectionReason, SubmitOrder } from '../../core/order.ts';
import type { VenueOpenOrder, VenuePosition } from '../../core/venue.ts';
import { CandlePath } from './candle-path.ts';
import { validatePaperVenueConfig, type PaperFeeConfig, type PaperVenueConfig } from './config.ts';
import {
  createPaperOrder,
  fillableQuantity,
  followsParent,
  isMarketableAt,
  isOpen,
  leavesQuantity,
  type InstrumentBook,
  type PaperOrder,
} from './paper-order.ts';
import { feeFor, TakerSlippage } from './pricing.ts';
import { cancelRejected, orderAccepted, orderCanceled, orderFilled, orderRejected } from './reports.ts';
import { SubAccount, type MarkPrice } from './sub-account.ts';
import { orderProblem, parentProblem } from './validation.ts';

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

type Admission =
  | { ok: false; reason: RejectionReason; detail: string }
  | { ok: true; account: SubAccount; book: InstrumentBook; parent: PaperOrder | null; waits: boolean };

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
  readonly #markOf: MarkPrice = (instrumentId) => this.#books.get(instrumentId)?.lastPrice ?? null;

  constructor(config: PaperVenueConfig, clock: Clock) {
    validatePaperVenueConfig(config);
    this.name = config.name;
    this.#session = config.session;
    this.#clock = clock;
    this.#fees = config.fees;
    this.#participation = config.partialFills.participation;
    this.#slippage = new TakerSlippage(config.slippage, config.seed);
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

  /**
   * The paper venue keeps no files: after a supervisor restart its accounts are rebuilt from the ledgers, which
   * are the books of record. Only a fresh account (no orders yet) may be restored.
   */
  restoreAccount(subAccountId: SubAccountId, cash: Decimal, positions: readonly VenuePosition[]): void {
    this.#account(subAccountId).restore(cash, positions);
  }

  openOrders(subAccountId: SubAccountId): VenueOpenOrder[] {
    return [...this.#account(subAccountId).open].map((order) => ({
      clientOrderId: order.request.clientOrderId,
      instrumentId: order.request.instrumentId,
      leavesQuantity: leavesQuantity(order),
    }));
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

  #admit(order: SubmitOrder): Admission {
    const account = this.#accounts.get(order.subAccountId);
    if (account === undefined) return { ok: false, reason: 'INVALID_ORDER', detail: `unknown sub-account ${order.subAccountId}` };
    if (account.orders.has(order.clientOrderId)) {
      return { ok: false, reason: 'DUPLICATE_CLIENT_ORDER_ID', detail: `client order ID ${order.clientOrderId} was already used in this sub-account` };
    }
    const book = this.#books.get(order.instrumentId);
    if (book === undefined) return { ok: false, reason: 'UNKNOWN_INSTRUMENT', detail: `paper venue ${this.name} does not list ${order.instrumentId}` };
    const problem = orderProblem(order, book.instrument, book.lastPrice);
    if (problem !== null) return { ok: false, reason: 'INVALID_ORDER', detail: problem };

    let parent: PaperOrder | null = null;
    if (order.parentClientOrderId !== null) {
      parent = account.orders.get(order.parentClientOrderId) ?? null;
      if (parent === null) return { ok: false, reason: 'UNKNOWN_ORDER', detail: `parent ${order.parentClientOrderId} is not an order of this sub-account` };
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
    if (request.type === 'STOP_MARKET') order.triggered = true;
    const used = order.budgetRun === run.sequence ? order.budgetUsed : Decimal.ZERO;
    const quantity = Decimal.min(fillableQuantity(order), run.capacity.sub(used));
    if (!quantity.isPositive()) return;
    let filled: Decimal;
    if (request.type === 'LIMIT' && request.limitPrice !== null) {
      const limit = request.limitPrice;
      const price = order.isBuy ? Decimal.min(limit, pathPrice) : Decimal.max(limit, pathPrice);
      filled = this.#fill(order, quantity, price, 'MAKER', run, reports);
    } else {
      filled = this.#fill(order, quantity, this.#slippage.takerPrice(instrument, pathPrice, request.side), 'TAKER', run, reports);
    }
    order.budgetRun = run.sequence;
    order.budgetUsed = used.add(filled);
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
