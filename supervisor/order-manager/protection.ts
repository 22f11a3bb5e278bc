import { Decimal } from '../../core/decimal.ts';
import type { BotId, InstrumentId, SubAccountId } from '../../core/ids.ts';
import { instrumentSymbol, parseIntentId } from '../../core/ids.ts';
import type { Instrument } from '../../core/instrument.ts';
import { quantizeQuantity } from '../../core/instrument.ts';
import type { Side } from '../../core/intent.ts';
import type { SubmitOrder } from '../../core/order.ts';
import type { Ledger, OrderRecord, PositionRecord } from '../../ledger/types.ts';

/**
 * The invariant: every open position has a working protective stop for all of its quantity, except for the short
 * time between an entry's fill and its stop's acceptance. This module measures it and plans the repair; the order
 * manager sends what it plans, through the ledger like every other order.
 */

/** What a repair did, a closed set reused as a metric label. */
export const PROTECTION_REPAIRS = ['STOP_PLACED', 'POSITION_REDUCED'] as const;
export type ProtectionRepair = (typeof PROTECTION_REPAIRS)[number];

/** Why a position counted as unprotected, a closed set for the operator. */
export const UNPROTECTED_CAUSES = ['NO_WORKING_STOP', 'STOP_SMALLER_THAN_POSITION'] as const;
export type UnprotectedCause = (typeof UNPROTECTED_CAUSES)[number];

export interface UnprotectedPosition {
  botId: BotId;
  instrumentId: InstrumentId;
  position: Decimal;
  /** The quantity no working or in-flight stop covers. */
  uncovered: Decimal;
  cause: UnprotectedCause;
  /** The newest stop level known for the position, on its losing side of the mark; null when none is. */
  stopLevel: Decimal | null;
}

const isWorking = (order: OrderRecord): boolean => order.status === 'ACCEPTED' || order.status === 'PARTIALLY_FILLED';

const exitSide = (position: Decimal): Side => (position.isPositive() ? 'SELL' : 'BUY');

/**
 * How much of a position a stop protects now: what is left of it, and for a bracket child that follows its entry,
 * no more than the entry has filled (a child protects only the position its entry built).
 */
export function stopCoverage(stop: OrderRecord, parent: OrderRecord | null): Decimal {
  let target = stop.quantity;
  if (stop.activatesOnParentFill && parent !== null) target = Decimal.min(target, parent.filledQuantity);
  return Decimal.max(target.sub(stop.filledQuantity), Decimal.ZERO);
}

/** When a stop not yet accepted started to be owed: its sending, or for a child the latest fill of its entry. */
function owedSince(stop: OrderRecord, parent: OrderRecord | null): number {
  return parent !== null && stop.activatesOnParentFill ? Math.max(stop.createdAt, parent.updatedAt) : stop.createdAt;
}

/**
 * Measures one position against its stops. A stop the venue has not accepted yet counts for `graceMs` after it
 * became owed, which is the short time the invariant allows; after that the gap is an incident.
 */
export function checkPosition(ledger: Ledger, position: PositionRecord, mark: Decimal | undefined, now: number, graceMs: number): UnprotectedPosition | null {
  const held = position.quantity.abs();
  if (held.isZero()) return null;
  const side = exitSide(position.quantity);
  let working = Decimal.ZERO;
  let inFlight = Decimal.ZERO;
  for (const order of ledger.openOrders()) {
    if (order.role !== 'STOP' || order.instrumentId !== position.instrumentId || order.side !== side) continue;
    const parent = order.parentClientOrderId === null ? null : ledger.order(order.parentClientOrderId);
    const covers = stopCoverage(order, parent);
    if (isWorking(order)) working = working.add(covers);
    else if (order.status === 'PENDING_SUBMIT' && now - owedSince(order, parent) <= graceMs) inFlight = inFlight.add(covers);
  }
  const uncovered = held.sub(working).sub(inFlight);
  if (!uncovered.isPositive()) return null;
  return {
    botId: ledger.botId,
    instrumentId: position.instrumentId,
    position: position.quantity,
    uncovered,
    cause: working.isZero() ? 'NO_WORKING_STOP' : 'STOP_SMALLER_THAN_POSITION',
    stopLevel: lastStopLevel(ledger, position, mark),
  };
}

/** The newest stop level the ledger knows for this position that still lies on its losing side of the mark. */
function lastStopLevel(ledger: Ledger, position: PositionRecord, mark: Decimal | undefined): Decimal | null {
  const side = exitSide(position.quantity);
  const reference = mark ?? position.averageEntryPrice;
  // Orders are listed newest first; a position's stops are recent, so this stops early in practice.
  for (const order of ledger.recentOrders(Number.MAX_SAFE_INTEGER)) {
    if (order.role !== 'STOP' || order.instrumentId !== position.instrumentId || order.side !== side || order.triggerPrice === null) continue;
    const trigger = order.triggerPrice;
    const losingSide = position.quantity.isPositive() ? trigger.lt(reference) : trigger.gt(reference);
    return losingSide ? trigger : null;
  }
  return null;
}

export interface RepairPlan {
  repair: ProtectionRepair;
  order: Omit<SubmitOrder, 'clientOrderId'>;
  detail: string;
}

/**
 * The rule: a reduce-only stop for the uncovered quantity at the position's last stop level, when that level is
 * still on the losing side of the mark and no stop placed this way has failed yet; otherwise the uncovered quantity
 * is closed at market. A position is never left open and unprotected by choice.
 */
export function planRepair(found: UnprotectedPosition, instrument: Instrument, subAccountId: SubAccountId, attempt: number, now: number): RepairPlan | null {
  const quantity = quantizeQuantity(instrument, found.uncovered);
  if (!quantity.isPositive()) return null;
  const side = exitSide(found.position);
  const intentId = parseIntentId(`protect.${instrumentSymbol(found.instrumentId)}.${now.toString(36)}.${attempt}`);
  const base = {
    botId: found.botId,
    subAccountId,
    intentId,
    instrumentId: found.instrumentId,
    side,
    quantity,
    limitPrice: null,
    timeInForce: 'GTC' as const,
    reduceOnly: true,
    parentClientOrderId: null,
    activatesOnParentFill: false,
  };
  const why = found.cause === 'NO_WORKING_STOP' ? 'no working stop' : `stops cover ${found.position.abs().sub(found.uncovered).toString()} of ${found.position.abs().toString()}`;
  if (found.stopLevel !== null && attempt === 0) {
    return {
      repair: 'STOP_PLACED',
      order: { ...base, role: 'STOP', type: 'STOP_MARKET', triggerPrice: found.stopLevel },
      detail: `position ${found.position.toString()} ${found.instrumentId} was unprotected (${why}): placed a stop for ${quantity.toString()} at ${found.stopLevel.toString()}, its last stop level`,
    };
  }
  const because = found.stopLevel === null ? 'no stop level on its losing side of the mark is known' : 'the stop placed for it did not take';
  return {
    repair: 'POSITION_REDUCED',
    order: { ...base, role: 'CLOSE', type: 'MARKET', triggerPrice: null },
    detail: `position ${found.position.toString()} ${found.instrumentId} was unprotected (${why}) and ${because}: closing ${quantity.toString()} at market`,
  };
}
