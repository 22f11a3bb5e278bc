import { InvalidInputError } from './errors.ts';

/**
 * The US equity session, bundled: NYSE regular hours (09:30–16:00 America/New_York), its early closes (13:00) and
 * full-day closures for the years the synthetic market and backtests cover. Live trading asks the venue
 * (/v2/calendar, /v2/clock); this is the offline answer, and the stand-in's. Times are ms since the Unix epoch.
 */

export const FIRST_YEAR = 2020;
export const LAST_YEAR = 2027;

/** Days the exchange is closed, holidays observed on a weekday (NYSE publishes them a few years ahead). */
const CLOSED = new Set([
  // 2020
  '2020-01-01', '2020-01-20', '2020-02-17', '2020-04-10', '2020-05-25', '2020-07-03', '2020-09-07', '2020-11-26', '2020-12-25',
  // 2021 (New Year 2022 fell on a Saturday: NYSE does not observe it on the Friday before)
  '2021-01-01', '2021-01-18', '2021-02-15', '2021-04-02', '2021-05-31', '2021-07-05', '2021-09-06', '2021-11-25', '2021-12-24',
  // 2022 (Juneteenth from 2022)
  '2022-01-17', '2022-02-21', '2022-04-15', '2022-05-30', '2022-06-20', '2022-07-04', '2022-09-05', '2022-11-24', '2022-12-26',
  // 2023
  '2023-01-02', '2023-01-16', '2023-02-20', '2023-04-07', '2023-05-29', '2023-06-19', '2023-07-04', '2023-09-04', '2023-11-23', '2023-12-25',
  // 2024
  '2024-01-01', '2024-01-15', '2024-02-19', '2024-03-29', '2024-05-27', '2024-06-19', '2024-07-04', '2024-09-02', '2024-11-28', '2024-12-25',
  // 2025 (January 9: national day of mourning for President Carter)
  '2025-01-01', '2025-01-09', '2025-01-20', '2025-02-17', '2025-04-18', '2025-05-26', '2025-06-19', '2025-07-04', '2025-09-01', '2025-11-27', '2025-12-25',
  // 2026
  '2026-01-01', '2026-01-19', '2026-02-16', '2026-04-03', '2026-05-25', '2026-06-19', '2026-07-03', '2026-09-07', '2026-11-26', '2026-12-25',
  // 2027
  '2027-01-01', '2027-01-18', '2027-02-15', '2027-03-26', '2027-05-31', '2027-06-18', '2027-07-05', '2027-09-06', '2027-11-25', '2027-12-24',
]);

/** Days the regular session ends at 13:00: the day after Thanksgiving, and July 3 and December 24 on a trading weekday. */
const EARLY_CLOSE = new Set([
  '2020-11-27', '2020-12-24',
  '2021-11-26',
  '2022-11-25',
  '2023-07-03', '2023-11-24',
  '2024-07-03', '2024-11-29', '2024-12-24',
  '2025-07-03', '2025-11-28', '2025-12-24',
  '2026-11-27', '2026-12-24',
  '2027-11-26',
]);

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

/** One trading day's regular session. */
export interface Session {
  /** The New York calendar date, YYYY-MM-DD. */
  date: string;
  open: number;
  close: number;
  earlyClose: boolean;
}

function checkYear(year: number, what: string): void {
  if (year < FIRST_YEAR || year > LAST_YEAR) {
    throw new InvalidInputError(`${what} is in ${year}; the bundled US equity calendar covers ${FIRST_YEAR}–${LAST_YEAR} (extend core/us-equity-calendar.ts)`);
  }
}

/** The day of the month of the n-th Sunday of a month (UTC date arithmetic, month 0-based). */
function nthSunday(year: number, month: number, n: number): number {
  const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - first) % 7) + (n - 1) * 7;
}

/**
 * New York's offset from UTC in hours on a calendar date: −4 in daylight time (second Sunday of March to the first
 * Sunday of November, the rule since 2007), else −5. The switch happens at 02:00 on a Sunday, when no session runs,
 * so the date alone decides it for every session time.
 */
export function newYorkOffsetHours(year: number, month: number, day: number): number {
  const start = nthSunday(year, 2, 2);
  const end = nthSunday(year, 10, 1);
  const afterStart = month > 2 || (month === 2 && day >= start);
  const beforeEnd = month < 10 || (month === 10 && day < end);
  return afterStart && beforeEnd ? -4 : -5;
}

function formatDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The New York calendar date (year, 0-based month, day) at an instant. */
export function newYorkDate(t: number): { year: number; month: number; day: number } {
  // Try the later offset first: an instant is on the date whose local midnight precedes it.
  const utc = new Date(t);
  for (const hours of [-4, -5]) {
    const local = new Date(t + hours * HOUR_MS);
    const year = local.getUTCFullYear();
    const month = local.getUTCMonth();
    const day = local.getUTCDate();
    if (newYorkOffsetHours(year, month, day) === hours) return { year, month, day };
  }
  // Only the hour after a fall-back lands here; -5 is right then.
  const local = new Date(utc.getTime() - 5 * HOUR_MS);
  return { year: local.getUTCFullYear(), month: local.getUTCMonth(), day: local.getUTCDate() };
}

/** The session on a New York date (YYYY-MM-DD), or null when the exchange is closed that day. */
export function sessionOnDate(date: string): Session | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) throw new InvalidInputError(`a session date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  const day = Number(match[3]);
  const midnightUtc = Date.UTC(year, month, day);
  if (formatDate(new Date(midnightUtc).getUTCFullYear(), new Date(midnightUtc).getUTCMonth(), new Date(midnightUtc).getUTCDate()) !== date) {
    throw new InvalidInputError(`${date} is not a calendar date`);
  }
  checkYear(year, date);
  const weekday = new Date(midnightUtc).getUTCDay();
  if (weekday === 0 || weekday === 6 || CLOSED.has(date)) return null;
  const offset = newYorkOffsetHours(year, month, day);
  const localMidnight = midnightUtc - offset * HOUR_MS;
  const earlyClose = EARLY_CLOSE.has(date);
  return {
    date,
    open: localMidnight + 9 * HOUR_MS + 30 * MINUTE_MS,
    close: localMidnight + (earlyClose ? 13 : 16) * HOUR_MS,
    earlyClose,
  };
}

function dateAt(t: number): string {
  const { year, month, day } = newYorkDate(t);
  return formatDate(year, month, day);
}

function addDays(date: string, days: number): string {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS);
  return formatDate(next.getUTCFullYear(), next.getUTCMonth(), next.getUTCDate());
}

/** The session running at t (open ≤ t < close), or null. */
export function sessionOf(t: number): Session | null {
  const session = sessionOnDate(dateAt(t));
  return session !== null && session.open <= t && t < session.close ? session : null;
}

export function isOpen(t: number): boolean {
  return sessionOf(t) !== null;
}

/** The first session that opens after t (strictly); while a session runs, that is the next day's. */
export function nextSession(t: number): Session {
  let date = dateAt(t);
  // Ten days always hold a session: the longest closure on record here is a weekend plus two days.
  for (let step = 0; step < 10; step++, date = addDays(date, 1)) {
    const session = sessionOnDate(date);
    if (session !== null && session.open > t) return session;
  }
  throw new InvalidInputError(`no session within ten days after ${new Date(t).toISOString()}`);
}

export function nextOpen(t: number): number {
  return nextSession(t).open;
}

/** The close of the session running at t, or else of the next one. */
export function nextClose(t: number): number {
  return (sessionOf(t) ?? nextSession(t)).close;
}

/** The sessions whose dates fall from `from` to `to` (YYYY-MM-DD, both included), in order. */
export function sessionsBetween(from: string, to: string): Session[] {
  const sessions: Session[] = [];
  if (to < from) return sessions;
  for (let date = from; date <= to; date = addDays(date, 1)) {
    const session = sessionOnDate(date);
    if (session !== null) sessions.push(session);
  }
  return sessions;
}

/** An instant as New York local time with its offset, the way Alpaca writes clock times: 2024-11-29T13:00:00-05:00. */
export function formatNewYork(t: number): string {
  const { year, month, day } = newYorkDate(t);
  const offset = newYorkOffsetHours(year, month, day);
  const local = new Date(t + offset * HOUR_MS).toISOString().slice(0, 19);
  return `${local}${offset === -4 ? '-04:00' : '-05:00'}`;
}

/** HH:MM in New York of an instant. */
export function newYorkTimeOfDay(t: number): string {
  return formatNewYork(t).slice(11, 16);
}
