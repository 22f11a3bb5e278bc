import { Decimal } from '../../core/decimal.ts';
import type { ClientOrderId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../../core/order.ts';
import type { OrderChanges } from '../../core/venue.ts';

/**
 * Bracket children that wait for their entry. Flotilla sends an entry with its stop and take-profit at once, the
 * children marked activatesOnParentFill; Bybit has no such orders, so the adapter holds them and sends each one
 * (reduce-only, for what the entry has filled) when the entry's first fill arrives, then grows it as the entry
 * fills further. A held child is reported ORDER_ACCEPTED only when Bybit accepts it; until then it is PENDING_SUBMIT
 * in the ledger, and the protection check counts it as in flight for its grace period after each entry fill.
 *
 * Held children live in this process only. After a supervisor restart the adapter holds none: reconciliation finds
 * such a child PENDING_SUBMIT and unknown to Bybit. Sending it again (submitOrder, idempotent) makes the adapter
 * ask Bybit for its entry and hold it again, or send it at once for what the entry has filled, or report it
 * cancelled when the entry ended unfilled. If it is left to expire instead, the protection check closes the gap
 * once the entry fills: a stop at the child's level after the grace period, or a close at market if that fails.
 *
 * When the entry ends without a fill, its held children are reported cancelled (they were never sent). When a
 * child has filled completely (the position it protected is closed), its siblings and the unfilled rest of the
 * entry are cancelled: nothing of the bracket may keep working.
 */

type ChildState = 'HELD' | 'SENDING' | 'SENT' | 'ENDED';

interface Child {
  order: SubmitOrder;
  state: ChildState;
  /** What Bybit holds of it (the entry's fill when it was sent or last grown). */
  sentQuantity: Decimal;
  /** Settles when a send or resize under way has finished. */
  busy: Promise<void>;
}

interface Bracket {
  subAccountId: SubAccountId;
  instrumentId: InstrumentId;
  parentId: ClientOrderId;
  filled: Decimal;
  parentEnded: boolean;
  children: Map<ClientOrderId, Child>;
  syncing: boolean;
  again: boolean;
}

/** What the brackets need of the adapter. */
export interface BracketPort {
  /** Sends a child to Bybit for `quantity`; true when Bybit holds it (it reports the outcome itself). */
  send(order: SubmitOrder, quantity: Decimal): Promise<boolean>;
  /** Grows a child Bybit holds to a new quantity (reported as ORDER_AMENDED). */
  resize(order: SubmitOrder, quantity: Decimal): Promise<void>;
  cancel(subAccountId: SubAccountId, instrumentId: InstrumentId, clientOrderId: ClientOrderId): Promise<void>;
  report(report: ExecutionReport): void;
  now(): number;
}

export class Brackets {
  readonly #port: BracketPort;
  readonly #logger: Logger;
  /** Per "sub parent". */
  readonly #brackets = new Map<string, Bracket>();
  /** Per "sub child": its bracket. */
  readonly #childOf = new Map<string, Bracket>();

  constructor(port: BracketPort, logger: Logger) {
    this.#port = port;
    this.#logger = logger;
  }

  /**
   * Takes a child to hold. `parentFilled` is what the entry has filled so far, `parentEnded` whether it has ended;
   * a child of an entry that has filled goes to Bybit at once.
   */
  hold(order: SubmitOrder, parentFilled: Decimal, parentEnded: boolean): void {
    const parentId = order.parentClientOrderId as ClientOrderId;
    const key = `${order.subAccountId} ${parentId}`;
    let bracket = this.#brackets.get(key);
    if (bracket === undefined) {
      bracket = { subAccountId: order.subAccountId, instrumentId: order.instrumentId, parentId, filled: parentFilled, parentEnded, children: new Map(), syncing: false, again: false };
      this.#brackets.set(key, bracket);
    }
    if (bracket.children.has(order.clientOrderId)) return;
    bracket.filled = Decimal.max(bracket.filled, parentFilled);
    bracket.parentEnded ||= parentEnded;
    bracket.children.set(order.clientOrderId, { order, state: 'HELD', sentQuantity: Decimal.ZERO, busy: Promise.resolve() });
    this.#childOf.set(`${order.subAccountId} ${order.clientOrderId}`, bracket);
    void this.#sync(bracket);
  }

  /** A child still held (not yet sent), or null. */
  held(subAccountId: SubAccountId, clientOrderId: ClientOrderId): SubmitOrder | null {
    const child = this.#child(subAccountId, clientOrderId);
    return child !== undefined && child.state === 'HELD' ? child.order : null;
  }

  /** Every child still held for a sub-account. */
  heldOf(subAccountId: SubAccountId): SubmitOrder[] {
    const held: SubmitOrder[] = [];
    for (const bracket of this.#brackets.values()) {
      if (bracket.subAccountId !== subAccountId) continue;
      for (const child of bracket.children.values()) if (child.state === 'HELD') held.push(child.order);
    }
    return held;
  }

  /**
   * What the adapter knows of a child: HELD (or being sent), AT_BYBIT (sent, Bybit has its state), UNSENT_ENDED
   * (cancelled before it was ever sent), or null for a child it does not know.
   */
  whereIs(subAccountId: SubAccountId, clientOrderId: ClientOrderId): 'HELD' | 'AT_BYBIT' | 'UNSENT_ENDED' | null {
    const child = this.#child(subAccountId, clientOrderId);
    if (child === undefined) return null;
    if (child.state === 'HELD' || child.state === 'SENDING') return 'HELD';
    return child.sentQuantity.isPositive() ? 'AT_BYBIT' : 'UNSENT_ENDED';
  }

  /** Settles once a send or resize of this child under way has finished. */
  settled(subAccountId: SubAccountId, clientOrderId: ClientOrderId): Promise<void> {
    return this.#child(subAccountId, clientOrderId)?.busy ?? Promise.resolve();
  }

  /** Cancels a held child: it was never sent, so there is nothing to cancel at Bybit. False when it is not held. */
  cancelHeld(subAccountId: SubAccountId, clientOrderId: ClientOrderId, detail: string): boolean {
    const child = this.#child(subAccountId, clientOrderId);
    if (child === undefined || child.state !== 'HELD') return false;
    this.#endHeld(subAccountId, child, detail);
    return true;
  }

  /** Changes a held child; the amended order is what will be sent. Null when it is not held. */
  amendHeld(subAccountId: SubAccountId, clientOrderId: ClientOrderId, changes: OrderChanges): SubmitOrder | null {
    const child = this.#child(subAccountId, clientOrderId);
    if (child === undefined || child.state !== 'HELD') return null;
    child.order = {
      ...child.order,
      quantity: changes.quantity ?? child.order.quantity,
      limitPrice: changes.limitPrice ?? child.order.limitPrice,
      triggerPrice: changes.triggerPrice ?? child.order.triggerPrice,
    };
    return child.order;
  }

  /** A report the adapter delivered: fills move brackets on, ends close them. */
  observe(report: ExecutionReport): void {
    if (report.type === 'FUNDING_SETTLED') return;
    const id = report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
    const parent = this.#brackets.get(`${report.subAccountId} ${id}`);
    if (parent !== undefined) {
      if (report.type === 'ORDER_FILLED') {
        parent.filled = Decimal.max(parent.filled, report.cumulativeQuantity);
        if (report.leavesQuantity.isZero()) parent.parentEnded = true;
        void this.#sync(parent);
      } else if (report.type === 'ORDER_CANCELED' || report.type === 'ORDER_REJECTED' || report.type === 'ORDER_EXPIRED') {
        parent.parentEnded = true;
        void this.#sync(parent);
      }
      return;
    }
    const bracket = this.#childOf.get(`${report.subAccountId} ${id}`);
    const child = bracket?.children.get(id as ClientOrderId);
    if (bracket === undefined || child === undefined) return;
    const ended = report.type === 'ORDER_CANCELED' || report.type === 'ORDER_REJECTED' || report.type === 'ORDER_EXPIRED' || (report.type === 'ORDER_FILLED' && report.leavesQuantity.isZero());
    if (!ended) return;
    child.state = 'ENDED';
    if (report.type === 'ORDER_FILLED') this.#closeBracket(bracket, id as ClientOrderId);
    this.#forgetIfDone(bracket);
  }

  /** A fill of an entry learned from the fill listing (reconciliation), not from the stream. */
  parentTraded(subAccountId: SubAccountId, parentId: string, cumulative: Decimal): void {
    const bracket = this.#brackets.get(`${subAccountId} ${parentId}`);
    if (bracket === undefined || !cumulative.gt(bracket.filled)) return;
    bracket.filled = cumulative;
    void this.#sync(bracket);
  }

  /** Brackets whose entry has not ended, for a refresh after the stream was down. */
  openParents(): Array<{ subAccountId: SubAccountId; instrumentId: InstrumentId; parentId: ClientOrderId }> {
    return [...this.#brackets.values()].filter((bracket) => !bracket.parentEnded).map(({ subAccountId, instrumentId, parentId }) => ({ subAccountId, instrumentId, parentId }));
  }

  /** What an entry is known to have filled, and whether it has ended (from Bybit's record of it). */
  parentState(subAccountId: SubAccountId, parentId: ClientOrderId, filled: Decimal, ended: boolean): void {
    const bracket = this.#brackets.get(`${subAccountId} ${parentId}`);
    if (bracket === undefined) return;
    bracket.filled = Decimal.max(bracket.filled, filled);
    bracket.parentEnded ||= ended;
    void this.#sync(bracket);
  }

  #child(subAccountId: SubAccountId, clientOrderId: string): Child | undefined {
    return this.#childOf.get(`${subAccountId} ${clientOrderId}`)?.children.get(clientOrderId as ClientOrderId);
  }

  #endHeld(subAccountId: SubAccountId, child: Child, detail: string): void {
    child.state = 'ENDED';
    this.#port.report({ type: 'ORDER_CANCELED', subAccountId, clientOrderId: child.order.clientOrderId, detail, at: this.#port.now() });
  }

  /** Brings every child in line with the entry, one step at a time, until nothing changes under it. */
  async #sync(bracket: Bracket): Promise<void> {
    if (bracket.syncing) {
      bracket.again = true;
      return;
    }
    bracket.syncing = true;
    try {
      do {
        bracket.again = false;
        for (const child of bracket.children.values()) await this.#syncChild(bracket, child);
      } while (bracket.again);
    } finally {
      bracket.syncing = false;
      this.#forgetIfDone(bracket);
    }
  }

  async #syncChild(bracket: Bracket, child: Child): Promise<void> {
    const target = Decimal.min(child.order.quantity, bracket.filled);
    if (child.state === 'HELD') {
      if (target.isPositive()) {
        child.state = 'SENDING';
        child.sentQuantity = target;
        const sending = this.#port.send(child.order, target).then(
          (holds) => {
            if (holds) {
              if (child.state === 'SENDING') child.state = 'SENT';
              return;
            }
            // Refused: Bybit holds nothing of it, and a submit of it again must not place it.
            child.state = 'ENDED';
            child.sentQuantity = Decimal.ZERO;
          },
          (error: unknown) => {
            // The outcome is unknown: treated as sent, so it is resized or cancelled by ID; reconciliation settles it.
            if (child.state === 'SENDING') child.state = 'SENT';
            this.#logger.error({ clientOrderId: child.order.clientOrderId, error: (error as Error).message }, 'a bracket child was sent and its outcome is unknown; reconciliation settles it');
          },
        );
        child.busy = sending;
        await sending;
      } else if (bracket.parentEnded) {
        this.#endHeld(bracket.subAccountId, child, `entry ${bracket.parentId} ended without a fill; the order was never sent to Bybit`);
      }
      return;
    }
    if (child.state === 'SENT' && target.gt(child.sentQuantity)) {
      const previous = child.sentQuantity;
      child.sentQuantity = target;
      const resizing = this.#port.resize(child.order, target).catch((error: unknown) => {
        child.sentQuantity = previous;
        this.#logger.warn({ clientOrderId: child.order.clientOrderId, error: (error as Error).message }, 'a bracket child could not be grown to its entry fill; the protection check covers the rest');
      });
      child.busy = resizing;
      await resizing;
    }
  }

  /** A child filled completely: the position it protected is closed; its siblings and the rest of the entry go. */
  #closeBracket(bracket: Bracket, filledChild: ClientOrderId): void {
    for (const [id, sibling] of bracket.children) {
      if (id === filledChild) continue;
      if (sibling.state === 'HELD') this.#endHeld(bracket.subAccountId, sibling, `one-cancels-the-other: ${filledChild} filled`);
      else if (sibling.state === 'SENT' || sibling.state === 'SENDING') void sibling.busy.then(() => this.#port.cancel(bracket.subAccountId, bracket.instrumentId, id)).catch(() => {});
    }
    if (!bracket.parentEnded) {
      bracket.parentEnded = true;
      void this.#port.cancel(bracket.subAccountId, bracket.instrumentId, bracket.parentId).catch(() => {});
    }
  }

  #forgetIfDone(bracket: Bracket): void {
    if (bracket.syncing || !bracket.parentEnded) return;
    for (const child of bracket.children.values()) if (child.state !== 'ENDED') return;
    this.#brackets.delete(`${bracket.subAccountId} ${bracket.parentId}`);
    for (const id of bracket.children.keys()) this.#childOf.delete(`${bracket.subAccountId} ${id}`);
  }
}
