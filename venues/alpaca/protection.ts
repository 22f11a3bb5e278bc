import { Decimal } from '../../core/decimal.ts';
import type { ClientOrderId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../../core/order.ts';
import type { OrderChanges, VenueOrder } from '../../core/venue.ts';
import { heldVenueOrder } from '../held-order.ts';

/**
 * Bracket children (a protective stop, a take-profit) held by the adapter until their entry fills, then sent to
 * Alpaca for what has filled and grown (by replace) as the entry fills further. A stop and a take-profit of one entry
 * go as one `oco` order: Alpaca holds the shares of open closing orders, so two separate orders for the same shares
 * would be refused the second (403 insufficient qty). A lone stop (or take-profit) is a simple order. Every order
 * stays cancellable by its own Flotilla ID. A child that fills completely ends the bracket: its unpaired siblings and
 * the entry's unfilled rest are cancelled by ID (Alpaca ends an oco's other order itself). An entry that ends
 * unfilled takes its held children with it.
 *
 * Children of one entry arrive as separate submits; each is registered the moment it is submitted (before any
 * await), and nothing is sent while a registered sibling is still being looked up, so siblings submitted together
 * are paired, never sent one by one.
 */

export interface ProtectionPort {
  send(order: SubmitOrder, quantity: Decimal): Promise<void>;
  /** One oco for both: the take-profit the parent, the stop its leg. */
  sendPair(stop: SubmitOrder, takeProfit: SubmitOrder, quantity: Decimal): Promise<void>;
  resize(order: SubmitOrder, quantity: Decimal): Promise<void>;
  cancel(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Promise<void>;
  report(report: ExecutionReport): void;
  now(): number;
  logger: Logger;
}

interface Child {
  order: SubmitOrder;
  /** What Alpaca has been sent; null while held. */
  sent: Decimal | null;
  ended: boolean;
  /** False from the submit until the adapter has looked the entry up and handed the child over (hold). */
  confirmed: boolean;
  /** Sent in one oco with this sibling: Alpaca ends one when the other fills. */
  pairedWith: ClientOrderId | null;
}

interface Group {
  subAccountId: SubAccountId;
  parentId: ClientOrderId;
  instrumentId: InstrumentId;
  children: Child[];
  parentFilled: Decimal;
  parentEnded: boolean;
  /** Changes to one group run one after the other. */
  queue: Promise<void>;
}

export class Protection {
  readonly #port: ProtectionPort;
  readonly #groups = new Map<string, Group>();
  readonly #childOf = new Map<string, Group>();

  constructor(port: ProtectionPort) {
    this.#port = port;
  }

  /** Called synchronously on submit: a sibling on its way is waited for before anything of the bracket is sent. */
  expect(order: SubmitOrder): void {
    if (this.#child(order.subAccountId, order.clientOrderId) !== null) return;
    const parentId = order.parentClientOrderId as ClientOrderId;
    const key = `${order.subAccountId} ${parentId}`;
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = { subAccountId: order.subAccountId, parentId, instrumentId: order.instrumentId, children: [], parentFilled: Decimal.ZERO, parentEnded: false, queue: Promise.resolve() };
      this.#groups.set(key, group);
    }
    group.children.push({ order, sent: null, ended: false, confirmed: false, pairedWith: null });
    this.#childOf.set(`${order.subAccountId} ${order.clientOrderId}`, group);
  }

  /** A child expected but not held after all (already at Alpaca, its entry unknown, or the lookup failed). */
  forget(subAccountId: SubAccountId, clientOrderId: ClientOrderId): void {
    const group = this.#childOf.get(`${subAccountId} ${clientOrderId}`);
    const child = this.#child(subAccountId, clientOrderId);
    if (group === undefined || child === null || child.confirmed) return;
    group.children.splice(group.children.indexOf(child), 1);
    this.#childOf.delete(`${subAccountId} ${clientOrderId}`);
    void this.parentState(subAccountId, group.parentId, group.parentFilled, group.parentEnded);
  }

  async hold(order: SubmitOrder, parentFilled: Decimal, parentEnded: boolean): Promise<void> {
    this.expect(order);
    const child = this.#child(order.subAccountId, order.clientOrderId);
    if (child !== null) child.confirmed = true;
    await this.parentState(order.subAccountId, order.parentClientOrderId as ClientOrderId, parentFilled, parentEnded);
  }

  /** The entry's cumulative fill (from a fill, or as Alpaca lists it): sends or grows its children. */
  async parentTraded(subAccountId: SubAccountId, parentId: ClientOrderId, filled: Decimal, done: boolean): Promise<void> {
    if (!this.#groups.has(`${subAccountId} ${parentId}`)) return;
    await this.parentState(subAccountId, parentId, filled, done);
  }

  async parentState(subAccountId: SubAccountId, parentId: ClientOrderId, filled: Decimal, ended: boolean): Promise<void> {
    const group = this.#groups.get(`${subAccountId} ${parentId}`);
    if (group === undefined) return;
    if (filled.gt(group.parentFilled)) group.parentFilled = filled;
    group.parentEnded ||= ended;
    group.queue = group.queue.then(() => this.#follow(group)).catch((error: unknown) => {
      this.#port.logger.error({ subAccountId, clientOrderId: parentId, error: (error as Error).message }, 'protective orders could not follow their entry; the protection check repairs an unprotected position');
    });
    await group.queue;
  }

  observe(report: ExecutionReport): void {
    if (report.type === 'FUNDING_SETTLED') return;
    const id = report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
    const group = this.#groups.get(`${report.subAccountId} ${id}`);
    if (group !== undefined && (report.type === 'ORDER_CANCELED' || report.type === 'ORDER_EXPIRED' || report.type === 'ORDER_REJECTED')) {
      void this.parentState(report.subAccountId, id, group.parentFilled, true);
      return;
    }
    const childGroup = this.#childOf.get(`${report.subAccountId} ${id}`);
    const child = childGroup?.children.find((candidate) => candidate.order.clientOrderId === id);
    if (childGroup === undefined || child === undefined) return;
    if (report.type === 'ORDER_CANCELED' || report.type === 'ORDER_EXPIRED' || report.type === 'ORDER_REJECTED') child.ended = true;
    if (report.type === 'ORDER_FILLED' && report.leavesQuantity.isZero()) {
      child.ended = true;
      void this.#closeBracket(childGroup, id);
    }
  }

  cancelHeld(subAccountId: SubAccountId, clientOrderId: ClientOrderId): boolean {
    const child = this.#child(subAccountId, clientOrderId);
    if (child === null || child.sent !== null || child.ended) return false;
    child.ended = true;
    this.#port.report({ type: 'ORDER_CANCELED', subAccountId, clientOrderId, detail: 'cancelled while held for its entry; never sent to Alpaca', at: this.#port.now() });
    return true;
  }

  amendHeld(subAccountId: SubAccountId, clientOrderId: ClientOrderId, changes: OrderChanges): boolean {
    const child = this.#child(subAccountId, clientOrderId);
    if (child === null || child.sent !== null || child.ended) return false;
    const order = { ...child.order, quantity: changes.quantity ?? child.order.quantity, limitPrice: changes.limitPrice ?? child.order.limitPrice, triggerPrice: changes.triggerPrice ?? child.order.triggerPrice };
    child.order = order;
    this.#port.report({ type: 'ORDER_AMENDED', subAccountId, clientOrderId, quantity: order.quantity, limitPrice: order.limitPrice, triggerPrice: order.triggerPrice, detail: 'amended while held for its entry', at: this.#port.now() });
    return true;
  }

  isHeld(subAccountId: SubAccountId, clientOrderId: ClientOrderId): boolean {
    const child = this.#child(subAccountId, clientOrderId);
    return child !== null && child.confirmed && child.sent === null && !child.ended;
  }

  isChild(subAccountId: SubAccountId, clientOrderId: string): boolean {
    return this.#childOf.has(`${subAccountId} ${clientOrderId}`);
  }

  heldOrder(subAccountId: SubAccountId, clientOrderId: ClientOrderId): VenueOrder | null {
    const child = this.#child(subAccountId, clientOrderId);
    return child === null || !child.confirmed || child.sent !== null || child.ended ? null : heldVenueOrder(child.order);
  }

  heldOrders(subAccountId: SubAccountId): VenueOrder[] {
    const orders: VenueOrder[] = [];
    for (const group of this.#groups.values()) {
      if (group.subAccountId !== subAccountId) continue;
      for (const child of group.children) if (child.confirmed && child.sent === null && !child.ended) orders.push(heldVenueOrder(child.order));
    }
    return orders;
  }

  /** Entries with children still to send or grow: asked for after a reconnect. */
  parentsOf(subAccountId: SubAccountId): ClientOrderId[] {
    return [...this.#groups.values()].filter((group) => group.subAccountId === subAccountId && !group.parentEnded && group.children.some((child) => !child.ended)).map((group) => group.parentId);
  }

  #child(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Child | null {
    return this.#childOf.get(`${subAccountId} ${clientOrderId}`)?.children.find((child) => child.order.clientOrderId === clientOrderId) ?? null;
  }

  async #follow(group: Group): Promise<void> {
    // A sibling still being looked up may be the other half of an oco: wait for it (its hold runs this again).
    if (group.children.some((child) => !child.confirmed && !child.ended)) return;
    // The stop first: a position is never without its stop longer than it must be.
    const children = [...group.children].sort((a, b) => (a.order.role === 'STOP' ? 0 : 1) - (b.order.role === 'STOP' ? 0 : 1));
    const stop = children.find((child) => child.order.role === 'STOP' && !child.ended && child.sent === null);
    const takeProfit = children.find((child) => child.order.role === 'TAKE_PROFIT' && !child.ended && child.sent === null);
    if (stop !== undefined && takeProfit !== undefined && group.parentFilled.isPositive()) {
      const wanted = Decimal.min(group.parentFilled, stop.order.quantity);
      if (wanted.eq(Decimal.min(group.parentFilled, takeProfit.order.quantity))) {
        stop.sent = wanted;
        takeProfit.sent = wanted;
        stop.pairedWith = takeProfit.order.clientOrderId;
        takeProfit.pairedWith = stop.order.clientOrderId;
        await this.#port.sendPair(stop.order, takeProfit.order, wanted);
      }
    }
    for (const child of children) {
      if (child.ended) continue;
      if (group.parentFilled.isZero()) {
        if (group.parentEnded) {
          child.ended = true;
          this.#port.report({ type: 'ORDER_CANCELED', subAccountId: group.subAccountId, clientOrderId: child.order.clientOrderId, detail: `entry ${group.parentId} ended without a fill; never sent to Alpaca`, at: this.#port.now() });
        }
        continue;
      }
      const wanted = Decimal.min(group.parentFilled, child.order.quantity);
      if (child.sent === null) {
        child.sent = wanted;
        await this.#port.send(child.order, wanted);
      } else if (child.sent.lt(wanted)) {
        child.sent = wanted;
        await this.#port.resize(child.order, wanted);
      }
    }
  }

  async #closeBracket(group: Group, filledId: ClientOrderId): Promise<void> {
    for (const sibling of group.children) {
      if (sibling.ended || sibling.order.clientOrderId === filledId) continue;
      // The other order of an oco: Alpaca cancels it itself, and its `canceled` event reports it.
      if (sibling.pairedWith === filledId) continue;
      sibling.ended = true;
      if (sibling.sent === null) {
        this.#port.report({ type: 'ORDER_CANCELED', subAccountId: group.subAccountId, clientOrderId: sibling.order.clientOrderId, detail: `one-cancels-the-other: ${filledId} filled; never sent to Alpaca`, at: this.#port.now() });
      } else {
        await this.#port.cancel(group.subAccountId, sibling.order.clientOrderId).catch((error: unknown) => this.#port.logger.error({ clientOrderId: sibling.order.clientOrderId, error: (error as Error).message }, 'one-cancels-the-other: a sibling could not be cancelled; reconciliation sees it'));
      }
    }
    // An entry still working after its bracket has exited would open a position no stop protects.
    if (!group.parentEnded) await this.#port.cancel(group.subAccountId, group.parentId).catch(() => undefined);
  }
}
