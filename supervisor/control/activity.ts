import { Decimal } from '../../core/decimal.ts';
import { parseClientOrderId } from '../../core/ids.ts';
import type { InstrumentId, OrderRole } from '../../core/ids.ts';
import type { Fill } from '../../core/order.ts';
import type { HourlyNoteCount, HourlyRiskPeak } from '../store/hourly-activity.ts';
import { HOUR_MS, hourOf } from '../store/hourly-activity.ts';
import type { BotActivityInfo, HourActivityInfo } from './fleet-control.ts';

/**
 * The per-hour figures of one bot (`supervisor status <bot>`), for any bot: the strategy notes are read by name, so a
 * bot that declares none of them shows zeros there and still has its fills, round trips and risk.
 */

/** The note names the per-hour figures count, each under its figure. */
export const ACTIVITY_NOTES = { actionable: 'route', suppressed: 'suppress', flipFlops: 'flip_flop', blocked: 'block' } as const;
/** Only these notes are counted per hour in the supervisor's store. */
export const COUNTED_NOTES: readonly string[] = Object.values(ACTIVITY_NOTES);

/** The current hour and the six before it. */
export const ACTIVITY_HOURS = 7;

/** A fraction to six places, without trailing zeros: "0.0042", "0.5", "1". */
export function fraction(value: Decimal): string {
  return Decimal.parse(value.toFixed(6)).toString();
}

/** Whether a fill that took a position from `before` to `after` closed a round trip: back to flat, or through it. */
export function closesRoundTrip(before: Decimal, after: Decimal): boolean {
  return !before.isZero() && (after.isZero() || after.isPositive() !== before.isPositive());
}

interface LedgerEvents {
  /** Market time of each entry order's first fill. */
  entriesFilled: number[];
  /** Each round trip closed: when, and the role of the order whose fill closed it. */
  closed: Array<{ at: number; exit: OrderRole }>;
}

/**
 * What the ledger's fills say happened, replayed in the order they were booked (the ledger derives its positions the
 * same way). The role is read from the client order ID, which carries it, so no order needs looking up.
 */
export function ledgerEvents(fills: Iterable<Fill>): LedgerEvents {
  const positions = new Map<InstrumentId, Decimal>();
  const seenEntries = new Set<string>();
  const events: LedgerEvents = { entriesFilled: [], closed: [] };
  for (const fill of fills) {
    const { role } = parseClientOrderId(fill.clientOrderId);
    const before = positions.get(fill.instrumentId) ?? Decimal.ZERO;
    const after = fill.side === 'BUY' ? before.add(fill.quantity) : before.sub(fill.quantity);
    positions.set(fill.instrumentId, after);
    if (role === 'ENTRY' && !seenEntries.has(fill.clientOrderId)) {
      seenEntries.add(fill.clientOrderId);
      events.entriesFilled.push(fill.at);
    }
    if (closesRoundTrip(before, after)) events.closed.push({ at: fill.at, exit: role });
  }
  return events;
}

export interface ActivitySources {
  /** Market time now: its hour is the first one shown. */
  now: number;
  hours?: number;
  /** The note names the bot's strategy declares. */
  declaredNotes: Iterable<string>;
  notes: readonly HourlyNoteCount[];
  riskPeaks: readonly HourlyRiskPeak[];
  fills: Iterable<Fill>;
}

function emptyHour(hour: number): HourActivityInfo {
  return { hour, actionable: 0, filled: 0, suppressed: 0, suppressedBy: {}, blockedBy: {}, flipFlops: 0, closed: 0, stoppedOut: 0, stopOutRatio: null, peakRiskInUse: null };
}

/** The first hour `botActivity` shows for `now`: what to read from the store. */
export function firstActivityHour(now: number, hours = ACTIVITY_HOURS): number {
  return hourOf(now) - (hours - 1) * HOUR_MS;
}

export function botActivity(sources: ActivitySources): BotActivityInfo {
  const count = sources.hours ?? ACTIVITY_HOURS;
  const current = hourOf(sources.now);
  const hours = Array.from({ length: count }, (_, index) => emptyHour(current - index * HOUR_MS));
  const byHour = new Map(hours.map((hour) => [hour.hour, hour]));
  for (const row of sources.notes) {
    const hour = byHour.get(row.hour);
    if (hour === undefined) continue;
    if (row.note === ACTIVITY_NOTES.actionable) hour.actionable += row.count;
    else if (row.note === ACTIVITY_NOTES.flipFlops) hour.flipFlops += row.count;
    else if (row.note === ACTIVITY_NOTES.suppressed) {
      hour.suppressed += row.count;
      hour.suppressedBy[row.value] = (hour.suppressedBy[row.value] ?? 0) + row.count;
    } else if (row.note === ACTIVITY_NOTES.blocked) hour.blockedBy[row.value] = (hour.blockedBy[row.value] ?? 0) + row.count;
  }
  for (const row of sources.riskPeaks) {
    const hour = byHour.get(row.hour);
    if (hour !== undefined) hour.peakRiskInUse = fraction(row.peak);
  }
  const events = ledgerEvents(sources.fills);
  for (const at of events.entriesFilled) {
    const hour = byHour.get(hourOf(at));
    if (hour !== undefined) hour.filled += 1;
  }
  for (const { at, exit } of events.closed) {
    const hour = byHour.get(hourOf(at));
    if (hour === undefined) continue;
    hour.closed += 1;
    if (exit === 'STOP') hour.stoppedOut += 1;
  }
  for (const hour of hours) {
    if (hour.closed > 0) hour.stopOutRatio = fraction(Decimal.fromInteger(hour.stoppedOut).div(Decimal.fromInteger(hour.closed)));
  }
  const declared = new Set(sources.declaredNotes);
  return { countedNotes: COUNTED_NOTES.filter((note) => declared.has(note)), hours };
}
