import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import type { MarketSession } from '../../core/market-session.ts';
import { newYorkDate, newYorkOffsetHours } from '../../core/us-equity-calendar.ts';

/**
 * The US equity session as Alpaca tells it: its clock (GET /v2/clock: is_open, next_open, next_close and the venue's
 * time) and its calendar (GET /v2/calendar: each trading day's open and close for the next CALENDAR_DAYS days, so
 * early closes and holidays ahead are known), asked at start, the clock every `pollMs` after and the calendar again
 * when the venue's date moves on. Between two answers the venue's time is the local clock moved by the offset seen at
 * the last clock answer. Within the calendar's dates a day's [open, close) decides; beyond them (or without a calendar)
 * the close or open the last clock answer announced does. Until the first clock answer the session is unknown and
 * closed: fail closed.
 */

/** How far ahead the calendar is read: two weeks covers any run of holidays and a clock that stops answering for days. */
export const CALENDAR_DAYS = 14;

/** One trading day of GET /v2/calendar, its open and close as instants. */
export interface VenueCalendarDay {
  /** New York date, YYYY-MM-DD. */
  date: string;
  open: number;
  close: number;
}

/** GET /v2/calendar's day (date YYYY-MM-DD, open and close HH:MM in New York) as instants. */
export function calendarDay(date: string, open: string, close: string): VenueCalendarDay {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const offset = newYorkOffsetHours(year, month - 1, day);
  const at = (time: string): number => {
    const match = /^(\d{2}):?(\d{2})$/.exec(time);
    if (match === null) throw new Error(`GET /v2/calendar: ${JSON.stringify(time)} is not HH:MM`);
    return Date.UTC(year, month - 1, day, Number(match[1]), Number(match[2])) - offset * 3_600_000;
  };
  return { date, open: at(open), close: at(close) };
}

function dateText(t: number): string {
  const { year, month, day } = newYorkDate(t);
  return `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export interface VenueClockReading {
  timestamp: number;
  isOpen: boolean;
  nextOpen: number;
  nextClose: number;
}

export interface AlpacaSessionClockOptions {
  name: string;
  /** GET /v2/clock with any of the venue's key pairs. */
  read: () => Promise<VenueClockReading>;
  /** GET /v2/calendar from one New York date to another (both YYYY-MM-DD, inclusive). */
  readCalendar: (start: string, end: string) => Promise<VenueCalendarDay[]>;
  clock: Clock;
  pollMs: number;
  logger: Logger;
}

interface Reading extends VenueClockReading {
  /** Local time when the answer came. */
  localAt: number;
}

export class AlpacaSessionClock implements MarketSession {
  readonly name: string;
  readonly #options: AlpacaSessionClockOptions;
  #reading: Reading | null = null;
  /** The calendar's dates (inclusive) and its trading days; a date between them without a day is a holiday. */
  #calendar: { from: string; to: string; days: VenueCalendarDay[] } | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopped = false;
  #failing = false;

  constructor(options: AlpacaSessionClockOptions) {
    this.name = `${options.name} session`;
    this.#options = options;
  }

  isOpen(t: number): boolean {
    const reading = this.#reading;
    if (reading === null) return false;
    const venueNow = reading.timestamp + (t - reading.localAt);
    const calendar = this.#covering(venueNow);
    if (calendar !== null) return calendar.days.some((day) => day.open <= venueNow && venueNow < day.close);
    return reading.isOpen ? venueNow < reading.nextClose : venueNow >= reading.nextOpen;
  }

  nextOpen(t: number): number | null {
    const reading = this.#reading;
    if (reading === null) return null;
    const offset = reading.timestamp - reading.localAt;
    const venueNow = t + offset;
    const calendar = this.#covering(venueNow);
    const ahead = calendar?.days.find((day) => day.open > venueNow);
    if (ahead !== undefined) return ahead.open - offset;
    return reading.nextOpen > venueNow ? reading.nextOpen - offset : null;
  }

  #covering(venueNow: number): { from: string; to: string; days: VenueCalendarDay[] } | null {
    const calendar = this.#calendar;
    if (calendar === null) return null;
    const date = dateText(venueNow);
    return date >= calendar.from && date <= calendar.to ? calendar : null;
  }

  /** Asks once and then every pollMs, one request at a time, until stop(). */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#refresh();
    this.#schedule();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.#refresh().finally(() => this.#schedule());
    }, this.#options.pollMs);
    this.#timer.unref();
  }

  async #refresh(): Promise<void> {
    try {
      const reading = await this.#options.read();
      this.#reading = { ...reading, localAt: this.#options.clock.now() };
      if (this.#failing) this.#options.logger.info({}, 'the venue clock answers again');
      this.#failing = false;
      await this.#refreshCalendar(reading.timestamp);
    } catch (error) {
      // The last answer stands, moved on by the local clock; a fresh one comes with the next poll.
      if (!this.#failing) this.#options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'the venue clock did not answer; the session follows its last answer');
      this.#failing = true;
    }
  }

  /** Once per venue date: the calendar from today on. A failure keeps the last one (the clock still answers). */
  async #refreshCalendar(venueNow: number): Promise<void> {
    const from = dateText(venueNow);
    if (this.#calendar?.from === from) return;
    const to = dateText(venueNow + CALENDAR_DAYS * 86_400_000);
    try {
      const days = await this.#options.readCalendar(from, to);
      this.#calendar = { from, to, days: days.filter((day) => day.date >= from && day.date <= to).sort((a, b) => a.open - b.open) };
    } catch (error) {
      this.#options.logger.warn({ error: error instanceof Error ? error.message : String(error) }, 'the venue calendar did not answer; the clock\'s next open and close stand in for it');
    }
  }
}
