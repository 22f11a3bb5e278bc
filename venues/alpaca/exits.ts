import { Decimal } from '../../core/decimal.ts';
import { OutcomeUnknownError } from '../../core/errors.ts';
import { parseClientOrderId, type ClientOrderId, type SubAccountId } from '../../core/ids.ts';
import type { Logger } from '../../core/logger.ts';
import type { ExecutionReport, SubmitOrder } from '../../core/order.ts';
import { flotillaIdOf, isEnded, type AlpacaOrderRow } from './mapping.ts';

/**
 * A close (a reduce-only market order: an exit by signal, a drawdown reduction, a flatten, a protection repair) on
 * Alpaca, which holds the shares of open closing orders: a close for shares a stop, a take-profit or their oco holds is
 * refused (403 40310000). So before the close is sent, exactly the shares it needs are freed from the protective
 * orders holding them, the protection given up last and as little as possible: a lone take-profit first, then the
 * pairs, then lone stops; a holder that keeps some shares is replaced (PATCH) down, the take-profit before the stop
 * (a replace is atomic at Alpaca, so the shares left keep a live stop throughout); one that keeps none is cancelled
 * and its end confirmed by Alpaca. Then the close is sent under its own client order ID.
 *
 * While the close works, what the freeing did to the protective orders (their ORDER_AMENDED, ORDER_CANCELED) is held
 * back from the order manager: it sees the close fill first and then the protection shrink, never a position whose
 * stop has gone while its close is still working (its protection keeper would otherwise place a stop Alpaca refuses).
 * When the close fills, the held reports are delivered. When it is refused or ends with shares unfilled, protection
 * is put back for what is left: a replaced holder grown again (the stop first), a cancelled one sent again under the
 * same Flotilla IDs (a new Alpaca client_order_id, `<sent>.s<n>`); what cannot be put back is reported as it is,
 * and the keeper re-protects the position by rule. See README.md.
 */

export interface ExitPort {
  openOrders(subAccountId: SubAccountId): Promise<AlpacaOrderRow[]>;
  /** The signed position in the symbol. */
  position(subAccountId: SubAccountId, symbol: string): Promise<Decimal>;
  /** PATCH by Flotilla ID (ORDER_AMENDED reported); false when Alpaca refused it. */
  resize(subAccountId: SubAccountId, clientOrderId: ClientOrderId, quantity: Decimal): Promise<boolean>;
  /** DELETE by Alpaca order ID; true once Alpaca lists the order (and its oco) cancelled. */
  cancel(subAccountId: SubAccountId, row: AlpacaOrderRow): Promise<boolean>;
  /** The cancelled holder sent again for `quantity` under a new client_order_id; false when Alpaca refused it. */
  resend(subAccountId: SubAccountId, holder: Holder, quantity: Decimal): Promise<boolean>;
  place(order: SubmitOrder): Promise<void>;
  /** A report to the order manager (past the hold). */
  deliver(report: ExecutionReport): void;
  /** A held-back end that is undone: the order may end again later. */
  reopen(subAccountId: SubAccountId, clientOrderId: ClientOrderId): void;
  now(): number;
  logger: Logger;
}

/** A protective order (or oco) holding shares of the position. */
export interface Holder {
  row: AlpacaOrderRow;
  takeProfit: ClientOrderId | null;
  stop: ClientOrderId | null;
  held: Decimal;
}

interface Freed {
  holder: Holder;
  taken: Decimal;
  cancelled: boolean;
}

interface Pending {
  subAccountId: SubAccountId;
  close: ClientOrderId;
  quantity: Decimal;
  filled: Decimal;
  freed: Freed[];
}

const PROTECTIVE = new Set(['STOP', 'TAKE_PROFIT']);

/** The detail of an ORDER_AMENDED that resized a protective order for a close. */
export const FREED_DETAIL = 'resized to free shares for a close (or given them back)';

function idsOf(holder: Holder): ClientOrderId[] {
  return [holder.takeProfit, holder.stop].filter((id): id is ClientOrderId => id !== null);
}

/** What an open order is to an exit: a protective holder (oco or lone), or null for anything else. */
export function holderOf(row: AlpacaOrderRow): Omit<Holder, 'held'> | null {
  const flotilla = flotillaIdOf(row.clientOrderId);
  if (flotilla === null) return null;
  if (flotilla.stopLeg !== null) return { row, takeProfit: flotilla.id, stop: flotilla.stopLeg };
  const role = parseClientOrderId(flotilla.id).role;
  if (!PROTECTIVE.has(role)) return null;
  return { row, takeProfit: role === 'TAKE_PROFIT' ? flotilla.id : null, stop: role === 'STOP' ? flotilla.id : null };
}

/** The shares an open order (with its legs: an oco holds them once) holds. */
function heldBy(row: AlpacaOrderRow): Decimal {
  return [row, ...row.legs].filter((order) => !isEnded(order)).reduce((most, order) => Decimal.max(most, order.qty.sub(order.filledQty)), Decimal.ZERO);
}

export class Exits {
  readonly #port: ExitPort;
  /** "<sub-account> <Flotilla ID>" of protective orders an exit has touched → their reports held back meanwhile. */
  readonly #held = new Map<string, ExecutionReport[]>();
  readonly #pending = new Map<string, Pending>();
  /** One exit per symbol and account at a time: each frees shares from what the one before left. */
  readonly #queues = new Map<string, Promise<void>>();

  constructor(port: ExitPort) {
    this.#port = port;
  }

  async submit(order: SubmitOrder, symbol: string): Promise<void> {
    const key = `${order.subAccountId} ${symbol}`;
    const run = (this.#queues.get(key) ?? Promise.resolve()).then(() => this.#exit(order, symbol));
    this.#queues.set(key, run.catch(() => undefined));
    await run;
  }

  /** Called before a report is delivered: true when it is held back until the close it makes way for has ended. */
  hold(report: ExecutionReport): boolean {
    // Only what the freeing did: an amendment the order manager asked for meanwhile (a stop moved) goes through.
    if (report.type !== 'ORDER_CANCELED' && !(report.type === 'ORDER_AMENDED' && report.detail === FREED_DETAIL)) return false;
    const held = this.#held.get(`${report.subAccountId} ${report.clientOrderId}`);
    if (held === undefined) return false;
    held.push(report);
    return true;
  }

  /** Every delivered report: the end of a close decides what becomes of the protection it freed. */
  observe(report: ExecutionReport): void {
    if (report.type === 'FUNDING_SETTLED') return;
    const id = report.type === 'ORDER_FILLED' ? report.fill.clientOrderId : report.clientOrderId;
    const pending = this.#pending.get(`${report.subAccountId} ${id}`);
    if (pending === undefined) return;
    if (report.type === 'ORDER_FILLED') {
      pending.filled = pending.filled.add(report.fill.quantity);
      if (report.leavesQuantity.isZero()) this.#end(pending, Decimal.ZERO);
      return;
    }
    if (report.type === 'ORDER_CANCELED' || report.type === 'ORDER_EXPIRED' || report.type === 'ORDER_REJECTED') this.#end(pending, Decimal.max(pending.quantity.sub(pending.filled), Decimal.ZERO));
  }

  async #exit(order: SubmitOrder, symbol: string): Promise<void> {
    const { subAccountId } = order;
    const sell = order.side === 'SELL';
    const [rows, position] = await Promise.all([this.#port.openOrders(subAccountId), this.#port.position(subAccountId, symbol)]);
    const closing = sell ? position.isPositive() : position.isNegative();
    const mine = rows.filter((row) => row.symbol === symbol && row.side === order.side && !isEnded(row));
    const heldTotal = mine.reduce((sum, row) => sum.add(heldBy(row)), Decimal.ZERO);
    let need = order.quantity.sub(Decimal.max(position.abs().sub(heldTotal), Decimal.ZERO));
    const holders: Holder[] = [];
    for (const row of mine) {
      const holder = holderOf(row);
      if (holder !== null) holders.push({ ...holder, held: heldBy(row) });
    }
    const rank = (holder: Holder): number => (holder.stop === null ? 0 : holder.takeProfit !== null ? 1 : 2);
    holders.sort((a, b) => rank(a) - rank(b));
    const available = holders.reduce((sum, holder) => sum.add(holder.held), Decimal.ZERO);
    // Nothing to free, or more needed than protection holds (Alpaca refuses the close whatever is freed): protection
    // is left alone and the close goes as it is.
    if (!closing || !need.isPositive() || available.lt(need)) return this.#port.place(order);
    const pending: Pending = { subAccountId, close: order.clientOrderId, quantity: order.quantity, filled: Decimal.ZERO, freed: [] };
    let allFreed = true;
    for (const holder of holders) {
      if (!need.isPositive()) break;
      const taken = Decimal.min(need, holder.held);
      need = need.sub(taken);
      const freed: Freed = { holder, taken, cancelled: taken.eq(holder.held) };
      pending.freed.push(freed);
      for (const id of idsOf(holder)) this.#held.set(`${subAccountId} ${id}`, []);
      if (!(await this.#free(subAccountId, freed))) allFreed = false;
    }
    this.#pending.set(`${subAccountId} ${order.clientOrderId}`, pending);
    if (!allFreed) {
      // Perhaps a stop filled while it was being freed: Alpaca has no reduce-only, so a close for more than is left
      // would open a position the other way. Sent only if the position still covers it.
      const now = await this.#port.position(subAccountId, symbol).catch(() => Decimal.ZERO);
      if ((sell ? !now.isPositive() : !now.isNegative()) || order.quantity.gt(now.abs())) {
        this.#port.logger.warn({ subAccountId, clientOrderId: order.clientOrderId }, 'shares for a close could not be freed and the position no longer covers it; not sent');
        this.#port.deliver({ type: 'ORDER_REJECTED', subAccountId, clientOrderId: order.clientOrderId, reason: 'REDUCE_ONLY_WOULD_INCREASE', detail: `not sent: the position is ${now.toString()} now, less than the close of ${order.quantity.toString()} (Alpaca has no reduce-only)`, at: this.#port.now() });
        return;
      }
    }
    try {
      await this.#port.place(order);
    } catch (error) {
      // Sent but unanswered: the close may be working, so what the freeing did is reported as it is (the keeper
      // re-protects what is naked, and Alpaca refuses a stop for shares a working close holds). Never reached Alpaca:
      // protection is put back.
      const unknown = error instanceof OutcomeUnknownError;
      this.#end(pending, unknown ? Decimal.ZERO : pending.quantity);
      throw error;
    }
  }

  /** The take-profit before the stop, so the stop is the last to shrink. */
  async #free(subAccountId: SubAccountId, freed: Freed): Promise<boolean> {
    const { holder } = freed;
    if (freed.cancelled) return this.#port.cancel(subAccountId, holder.row);
    const keep = holder.held.sub(freed.taken);
    for (const id of idsOf(holder)) if (!(await this.#port.resize(subAccountId, id, keep))) return false;
    return true;
  }

  #end(pending: Pending, unfilled: Decimal): void {
    const key = `${pending.subAccountId} ${pending.close}`;
    if (this.#pending.get(key) !== pending) return;
    this.#pending.delete(key);
    void this.#restore(pending, unfilled).catch((error: unknown) => {
      this.#port.logger.error({ subAccountId: pending.subAccountId, clientOrderId: pending.close, error: (error as Error).message }, 'protection freed for a close could not be put back; the protection check repairs an unprotected position');
    });
  }

  /** Puts back protection for the unfilled part of the close (the holders freed last first); delivers the rest. */
  async #restore(pending: Pending, unfilled: Decimal): Promise<void> {
    const { subAccountId } = pending;
    let left = unfilled;
    for (const freed of [...pending.freed].reverse()) {
      const give = Decimal.min(left, freed.taken);
      left = left.sub(give);
      const ids = idsOf(freed.holder);
      if (!give.isPositive()) {
        this.#release(subAccountId, ids, true);
        continue;
      }
      const quantity = freed.holder.held.sub(freed.taken).add(give);
      if (freed.cancelled) {
        this.#release(subAccountId, ids, false);
        for (const id of ids) this.#port.reopen(subAccountId, id);
        if (await this.#port.resend(subAccountId, freed.holder, quantity)) continue;
        for (const id of ids) this.#port.deliver({ type: 'ORDER_CANCELED', subAccountId, clientOrderId: id, detail: 'cancelled to free shares for a close that did not fill; sending it again failed', at: this.#port.now() });
        continue;
      }
      // The stop first: the shares given back are protected as soon as Alpaca answers the first PATCH. An order that
      // cannot be grown again is reported as the freeing left it.
      for (const id of [freed.holder.stop, freed.holder.takeProfit]) {
        if (id === null) continue;
        const held = this.#release(subAccountId, [id], false);
        if (!(await this.#port.resize(subAccountId, id, quantity))) for (const report of held) this.#port.deliver(report);
      }
    }
  }

  /** Ends the hold on these orders' reports: delivered, or dropped (the change is being undone); returns them. */
  #release(subAccountId: SubAccountId, ids: readonly ClientOrderId[], deliver: boolean): ExecutionReport[] {
    const reports: ExecutionReport[] = [];
    for (const id of ids) {
      const key = `${subAccountId} ${id}`;
      reports.push(...(this.#held.get(key) ?? []));
      this.#held.delete(key);
    }
    if (deliver) for (const report of reports) this.#port.deliver(report);
    return reports;
  }
}
