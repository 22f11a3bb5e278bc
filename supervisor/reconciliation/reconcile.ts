import { Decimal } from '../../core/decimal.ts';
import type { BotId, ClientOrderId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { parseClientOrderId, parseTradeId } from '../../core/ids.ts';
import type { ExecutionReport } from '../../core/order.ts';
import { isOpenStatus } from '../../core/order.ts';
import type { FillCursor, Venue, VenueOrder } from '../../core/venue.ts';
import type { Ledger, OrderRecord } from '../../ledger/types.ts';

/**
 * Reconciliation of one sub-account against its venue, the same at every start and after every reconnect: fills
 * since the ledger's cursor, then every order the ledger has open, then the positions. Everything the venue says
 * goes through the one report path (the order manager's applyReport: ledger, indexes, listeners); nothing is ever
 * "fixed" by trading, and orders Flotilla did not make are reported and never touched.
 */

export interface ReconcileTarget {
  botId: BotId;
  subAccountId: SubAccountId;
  venue: Venue;
  ledger: Ledger;
}

export interface ReconcilePort {
  /** The one report path. */
  apply(report: ExecutionReport): void;
  now(): number;
  /**
   * How long after an order was written a venue that does not know it can be taken never to have received it: the
   * venue's receive window plus the request timeout, after which a request in flight can no longer arrive.
   */
  receiveWindowMs: number;
  /** Waits out the venue's fill settle span (capabilities.fillSettleMs) before a position mismatch is looked at again. */
  wait?(ms: number): Promise<void>;
}

export interface PositionMismatch {
  instrumentId: InstrumentId;
  ledger: Decimal;
  venue: Decimal;
}

export interface ReconcileFindings {
  botId: BotId;
  subAccountId: SubAccountId;
  /** Fills the venue listed that the ledger did not have, now applied. */
  fillsApplied: number;
  /** Fills the venue listed for orders that are not Flotilla's (or not this bot's): never booked. */
  foreignFills: number;
  /** Orders the ledger had PENDING_SUBMIT that the venue has: their outcome is known now. */
  adopted: ClientOrderId[];
  /** Orders the ledger had PENDING_SUBMIT that the venue never received, past its receive window. */
  neverReceived: ClientOrderId[];
  /** PENDING_SUBMIT orders the venue does not know yet, still inside the receive window: asked again later. */
  unsettled: ClientOrderId[];
  /** Orders open in the ledger that the venue says ended (or changed): brought up to date. */
  settled: ClientOrderId[];
  /** Bracket children the venue never held, handed to it again for their open entry. */
  handedOver: ClientOrderId[];
  /** Open orders on the sub-account that Flotilla did not make. */
  foreignOrders: Array<{ clientOrderId: string; instrumentId: InstrumentId }>;
  positionMismatches: PositionMismatch[];
  ledgerBalance: Decimal;
  venueBalance: Decimal;
  /** Where the ledger now stands in the venue's fill listing. */
  cursor: FillCursor | null;
}

/** Client order IDs this bot made; anything else on its sub-account is foreign. */
function ownedBy(botId: BotId, clientOrderId: string): ClientOrderId | null {
  try {
    const parts = parseClientOrderId(clientOrderId);
    return parts.bot === botId ? (clientOrderId as ClientOrderId) : null;
  } catch {
    return null;
  }
}

/**
 * The reports that bring a ledger order up to what the venue says of it, fills excepted (they come from the fill
 * listing): the venue's quantity and prices win. Also how a stop amend whose answer was lost is settled.
 */
export function venueOrderReports(order: OrderRecord, venue: VenueOrder, subAccountId: SubAccountId, at: number): ExecutionReport[] {
  const reports: ExecutionReport[] = [];
  const clientOrderId = order.clientOrderId;
  if (order.status === 'PENDING_SUBMIT' && venue.venueOrderId !== null) reports.push({ type: 'ORDER_ACCEPTED', subAccountId, clientOrderId, venueOrderId: venue.venueOrderId, at });
  const changed = !venue.quantity.eq(order.quantity) || !sameOrNull(venue.triggerPrice, order.triggerPrice) || !sameOrNull(venue.limitPrice, order.limitPrice);
  if (changed && (venue.status === 'ACCEPTED' || venue.status === 'PARTIALLY_FILLED')) {
    reports.push({ type: 'ORDER_AMENDED', subAccountId, clientOrderId, quantity: venue.quantity, limitPrice: venue.limitPrice, triggerPrice: venue.triggerPrice, detail: 'as the venue holds it at reconciliation', at });
  }
  const detail = venue.detail === '' ? 'ended at the venue; learned at reconciliation' : venue.detail;
  if (venue.status === 'CANCELED') reports.push({ type: 'ORDER_CANCELED', subAccountId, clientOrderId, detail, at });
  else if (venue.status === 'EXPIRED') reports.push({ type: 'ORDER_EXPIRED', subAccountId, clientOrderId, detail, at });
  else if (venue.status === 'REJECTED') reports.push({ type: 'ORDER_REJECTED', subAccountId, clientOrderId, reason: 'VENUE_ERROR', detail, at });
  return reports;
}

function sameOrNull(a: Decimal | null, b: Decimal | null): boolean {
  return a === null || b === null ? a === b : a.eq(b);
}

/** What asking the venue about one open order did. */
export type OrderSettlement = 'ADOPTED' | 'NEVER_RECEIVED' | 'UNSETTLED' | 'SETTLED' | 'UNCHANGED' | 'HANDED_OVER';

/**
 * Asks the venue about one order the ledger has open, by its client order ID, and applies what it says: a
 * PENDING_SUBMIT order the venue has is adopted; one it does not have is never-received once the receive window has
 * passed (before that its outcome is still unknown, and its lock holds); an order the venue ended or changed is
 * brought up to date. Never a resubmit.
 */
export async function settleOpenOrder(target: ReconcileTarget, order: OrderRecord, port: ReconcilePort, listed?: VenueOrder): Promise<OrderSettlement> {
  const { subAccountId, venue } = target;
  const now = port.now();
  // An order the venue just listed as open needs no question of its own; any other is asked for by its ID.
  const atVenue = listed ?? (await venue.queryOrder(subAccountId, order.instrumentId, order.clientOrderId));
  if (atVenue === null) {
    if (order.status === 'PENDING_SUBMIT' && order.activatesOnParentFill && order.parentClientOrderId !== null) {
      const parent = target.ledger.order(order.parentClientOrderId);
      if (parent !== null && (isOpenStatus(parent.status) || parent.filledQuantity.isPositive())) {
        // A bracket child the venue never held (an adapter keeps children until their entry fills, and a restart
        // loses what it kept): it is handed to the venue again under its same client order ID, which no venue places
        // twice, and the adapter sends it, holds it or ends it as its entry stands.
        await venue.submitOrder(order);
        return 'HANDED_OVER';
      }
    }
    if (order.status !== 'PENDING_SUBMIT') {
      // The venue no longer knows an order it had accepted: the ledger cannot know more, and the positions decide.
      port.apply({ type: 'ORDER_EXPIRED', subAccountId, clientOrderId: order.clientOrderId, detail: 'unknown to the venue at reconciliation', at: now });
      return 'SETTLED';
    }
    if (now - order.createdAt > port.receiveWindowMs) {
      port.apply({ type: 'ORDER_EXPIRED', subAccountId, clientOrderId: order.clientOrderId, detail: 'never reached the venue: not found by its client order ID after the receive window', at: now });
      return 'NEVER_RECEIVED';
    }
    return 'UNSETTLED';
  }
  const reports = venueOrderReports(order, atVenue, subAccountId, now);
  for (const report of reports) port.apply(report);
  if (order.status === 'PENDING_SUBMIT') return 'ADOPTED';
  return reports.length > 0 ? 'SETTLED' : 'UNCHANGED';
}

/**
 * Brings one sub-account's ledger up to its venue. Throws (and leaves the ledger as far as it got, which is always
 * consistent: every step is one report through the normal path) when the venue cannot be read; the caller keeps
 * the bot from trading until a later run completes.
 */
export async function reconcile(target: ReconcileTarget, port: ReconcilePort): Promise<ReconcileFindings> {
  const { botId, subAccountId, venue, ledger } = target;
  const findings: ReconcileFindings = {
    botId,
    subAccountId,
    fillsApplied: 0,
    foreignFills: 0,
    adopted: [],
    neverReceived: [],
    unsettled: [],
    settled: [],
    handedOver: [],
    foreignOrders: [],
    positionMismatches: [],
    ledgerBalance: Decimal.ZERO,
    venueBalance: Decimal.ZERO,
    cursor: ledger.fillCursor(venue.name),
  };

  // 1. Fills first: they are idempotent by trade ID, and an order's final state only makes sense after them.
  await applyFillsSince(target, port, findings);

  // 2. Every order the ledger has open: as the venue lists it open, else asked for by its client order ID (it ended,
  // or never arrived). One listing instead of a question per order keeps a restart within the venue's read limits.
  const openAtVenue = await venue.openOrders(subAccountId);
  const listed = new Map(openAtVenue.map((open) => [open.clientOrderId, open]));
  for (const order of ledger.openOrders()) {
    const outcome = await settleOpenOrder(target, order, port, listed.get(order.clientOrderId));
    if (outcome === 'ADOPTED') findings.adopted.push(order.clientOrderId);
    else if (outcome === 'NEVER_RECEIVED') findings.neverReceived.push(order.clientOrderId);
    else if (outcome === 'UNSETTLED') findings.unsettled.push(order.clientOrderId);
    else if (outcome === 'SETTLED') findings.settled.push(order.clientOrderId);
    else if (outcome === 'HANDED_OVER') findings.handedOver.push(order.clientOrderId);
  }

  // 3. What is open on the sub-account and not Flotilla's (or not in this ledger).
  for (const open of openAtVenue) {
    if (ownedBy(botId, open.clientOrderId) === null || ledger.order(open.clientOrderId as ClientOrderId) === null) {
      findings.foreignOrders.push({ clientOrderId: open.clientOrderId, instrumentId: open.instrumentId });
    }
  }

  // 4. Positions and cash, after everything above has been applied. A venue that may list a trade late gets a
  // second look after its settle span, so a fill still on its way is booked rather than halting the bot.
  findings.positionMismatches = await positionMismatches(target);
  const settleMs = venue.capabilities.fillSettleMs ?? 0;
  if (findings.positionMismatches.length > 0 && settleMs > 0 && port.wait !== undefined) {
    await port.wait(settleMs);
    await applyFillsSince(target, port, findings);
    findings.positionMismatches = await positionMismatches(target);
  }
  findings.ledgerBalance = ledger.balance();
  findings.venueBalance = await venue.balance(subAccountId);
  return findings;
}

/** Applies every fill the venue lists after the ledger's cursor, page by page, moving the cursor as it goes. */
async function applyFillsSince(target: ReconcileTarget, port: ReconcilePort, findings: ReconcileFindings): Promise<void> {
  const { botId, subAccountId, venue, ledger } = target;
  for (let page = await venue.fillsSince(subAccountId, findings.cursor); ; page = await venue.fillsSince(subAccountId, findings.cursor)) {
    for (const fill of page.fills) {
      const clientOrderId = ownedBy(botId, fill.clientOrderId);
      const order = clientOrderId === null ? null : ledger.order(clientOrderId);
      if (clientOrderId === null || order === null) {
        findings.foreignFills++;
        continue;
      }
      const cumulative = order.filledQuantity.add(fill.quantity);
      const leaves = Decimal.max(order.quantity.sub(cumulative), Decimal.ZERO);
      port.apply({
        type: 'ORDER_FILLED',
        subAccountId,
        fill: { ...fill, tradeId: parseTradeId(fill.tradeId), clientOrderId },
        cumulativeQuantity: cumulative,
        leavesQuantity: leaves,
      });
      // A fill the ledger already had (same trade ID) leaves the order as it was; reading the order is a lookup,
      // where counting the ledger's fills would read them all once per fill.
      if (!(ledger.order(clientOrderId)?.filledQuantity.eq(order.filledQuantity) ?? true)) findings.fillsApplied++;
    }
    findings.cursor = page.cursor;
    if (page.cursor !== null) ledger.setFillCursor(venue.name, page.cursor);
    if (page.complete || page.fills.length === 0) break;
  }
}

async function positionMismatches(target: ReconcileTarget): Promise<PositionMismatch[]> {
  const { subAccountId, venue, ledger } = target;
  const mismatches: PositionMismatch[] = [];
  const venuePositions = new Map((await venue.positions(subAccountId)).map((position) => [position.instrumentId, position.quantity]));
  const instruments = new Set<InstrumentId>([...venuePositions.keys(), ...ledger.openPositions().map((position) => position.instrumentId)]);
  for (const instrumentId of instruments) {
    const held = ledger.position(instrumentId)?.quantity ?? Decimal.ZERO;
    const there = venuePositions.get(instrumentId) ?? Decimal.ZERO;
    if (!held.eq(there)) mismatches.push({ instrumentId, ledger: held, venue: there });
  }
  return mismatches;
}
