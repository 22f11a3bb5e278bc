import type { Instrument, InstrumentKind } from './instrument.ts';
import { FIRST_YEAR, LAST_YEAR, isOpen as calendarIsOpen, nextOpen as calendarNextOpen } from './us-equity-calendar.ts';

/**
 * When an instrument may trade. Crypto trades around the clock; an instrument of kind EQUITY follows the US equity
 * session (the rule is the kind, so a catalog entry added as EQUITY follows it too, whatever its venue). The
 * session's answer comes from a MarketSession: the bundled calendar offline (paper, backtests, the stand-ins), and
 * a live venue's own clock where the adapter offers one (Alpaca's /v2/clock).
 */

export interface MarketSession {
  /** For messages: "the US equity session". */
  readonly name: string;
  /** Whether the session runs at t (ms since the epoch). A session that cannot be known answers false: fail closed. */
  isOpen(t: number): boolean;
  /** The first open after t, when known. */
  nextOpen(t: number): number | null;
}

/** Which session an instrument trades in; null when it trades around the clock. */
export type SessionOf = (instrument: Instrument) => MarketSession | null;

/** The rule: equities follow the US equity session; everything else trades around the clock. */
export function followsUsEquitySession(instrument: { kind: InstrumentKind }): boolean {
  return instrument.kind === 'EQUITY';
}

/** The instants the bundled calendar can answer for: New York's dates of its years (a day's margin at either end). */
const COVERED_FROM = Date.UTC(FIRST_YEAR, 0, 2);
const COVERED_TO = Date.UTC(LAST_YEAR, 11, 31);
const covered = (t: number): boolean => t >= COVERED_FROM && t < COVERED_TO;

/**
 * The bundled calendar (core/us-equity-calendar.ts): regular hours, early closes and holidays, 2020–2027. Outside the
 * years it covers the session is unknown, and so closed.
 */
export const US_EQUITY_CALENDAR: MarketSession = {
  name: 'US equity session',
  isOpen: (t) => covered(t) && calendarIsOpen(t),
  nextOpen: (t) => {
    if (!covered(t)) return null;
    try {
      return calendarNextOpen(t);
    } catch {
      // Past the last session the calendar holds.
      return null;
    }
  },
};

/** Equities on the bundled calendar, unless `equitySession` gives another source (a venue's clock). */
export function sessionsFor(equitySession: MarketSession = US_EQUITY_CALENDAR): SessionOf {
  return (instrument) => (followsUsEquitySession(instrument) ? equitySession : null);
}

/** The bundled rule: what every offline part uses. */
export const bundledSessions: SessionOf = sessionsFor();
