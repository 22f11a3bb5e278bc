import { FIRST_YEAR, LAST_YEAR, nextSession, sessionOf } from '../../core/us-equity-calendar.ts';

/**
 * The bundled US equity session as a generator walks through time, minute by minute: whether a minute is in the
 * session, and that session's open and close. Time only moves forward, so each answer holds until the next change
 * and the calendar is asked once per change, not once per minute. Outside the calendar's years the session is closed.
 */

export interface SessionMinute {
  open: boolean;
  /** The running session's open and close; 0 when closed. */
  sessionOpen: number;
  sessionClose: number;
}

const CLOSED: SessionMinute = { open: false, sessionOpen: 0, sessionClose: 0 };
const COVERED_FROM = Date.UTC(FIRST_YEAR, 0, 2);
const COVERED_TO = Date.UTC(LAST_YEAR, 11, 31);

export class SessionCursor {
  #current: SessionMinute = CLOSED;
  /** The answer holds for t in [#from, #until). */
  #from = Number.POSITIVE_INFINITY;
  #until = Number.NEGATIVE_INFINITY;

  at(t: number): SessionMinute {
    if (t >= this.#from && t < this.#until) return this.#current;
    if (t < COVERED_FROM || t >= COVERED_TO) {
      this.#current = CLOSED;
      this.#from = t < COVERED_FROM ? Number.NEGATIVE_INFINITY : COVERED_TO;
      this.#until = t < COVERED_FROM ? COVERED_FROM : Number.POSITIVE_INFINITY;
      return CLOSED;
    }
    const session = sessionOf(t);
    if (session !== null) {
      this.#current = { open: true, sessionOpen: session.open, sessionClose: session.close };
      this.#from = session.open;
      this.#until = session.close;
    } else {
      this.#current = CLOSED;
      this.#from = t;
      try {
        this.#until = nextSession(t).open;
      } catch {
        // Past the calendar's last session.
        this.#until = COVERED_TO;
      }
    }
    return this.#current;
  }
}
