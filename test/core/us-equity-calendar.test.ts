import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors.ts';
import { formatNewYork, isOpen, nextClose, nextOpen, sessionOf, sessionOnDate, sessionsBetween } from '../../core/us-equity-calendar.ts';

const at = (iso: string): number => Date.parse(iso);

describe('the bundled US equity calendar', () => {
  it('runs a regular day from 09:30 to 16:00 New York time, in standard and in daylight time', () => {
    expect(sessionOnDate('2024-01-10')).toEqual({ date: '2024-01-10', open: at('2024-01-10T14:30:00Z'), close: at('2024-01-10T21:00:00Z'), earlyClose: false });
    expect(sessionOnDate('2024-07-10')).toEqual({ date: '2024-07-10', open: at('2024-07-10T13:30:00Z'), close: at('2024-07-10T20:00:00Z'), earlyClose: false });
  });

  it('closes at 13:00 on the day after Thanksgiving and on Christmas Eve', () => {
    const blackFriday = sessionOnDate('2024-11-29');
    expect(blackFriday).toMatchObject({ earlyClose: true, close: at('2024-11-29T18:00:00Z') });
    expect(isOpen(at('2024-11-29T17:59:00Z'))).toBe(true);
    expect(isOpen(at('2024-11-29T18:00:00Z'))).toBe(false);
    expect(sessionOnDate('2025-12-24')).toMatchObject({ earlyClose: true, close: at('2025-12-24T18:00:00Z') });
    expect(sessionOnDate('2023-07-03')).toMatchObject({ earlyClose: true, close: at('2023-07-03T17:00:00Z') });
  });

  it('is closed on holidays, weekends and the national day of mourning of 2025-01-09', () => {
    for (const date of ['2025-01-09', '2024-12-25', '2024-11-28', '2025-04-18', '2022-06-20', '2021-12-24', '2026-07-03', '2027-03-26', '2024-11-30', '2024-12-01']) {
      expect(sessionOnDate(date), date).toBeNull();
    }
    expect(isOpen(at('2025-01-09T16:00:00Z'))).toBe(false);
    // New Year 2022 fell on a Saturday and was not observed on the Friday before.
    expect(sessionOnDate('2021-12-31')).not.toBeNull();
  });

  it('follows the DST switches: the open moves by an hour in UTC across the second Sunday of March and the first of November', () => {
    expect(sessionOnDate('2024-03-08')?.open).toBe(at('2024-03-08T14:30:00Z'));
    expect(sessionOnDate('2024-03-11')?.open).toBe(at('2024-03-11T13:30:00Z'));
    expect(sessionOnDate('2024-11-01')?.close).toBe(at('2024-11-01T20:00:00Z'));
    expect(sessionOnDate('2024-11-04')?.close).toBe(at('2024-11-04T21:00:00Z'));
    expect(nextOpen(at('2024-03-09T12:00:00Z'))).toBe(at('2024-03-11T13:30:00Z'));
  });

  it('answers the next open and close across a weekend and a closure', () => {
    // Wednesday 2025-01-08 after the close: Thursday is the day of mourning, so Friday opens next.
    const evening = at('2025-01-08T22:00:00Z');
    expect(nextOpen(evening)).toBe(at('2025-01-10T14:30:00Z'));
    expect(nextClose(evening)).toBe(at('2025-01-10T21:00:00Z'));
    // During a session: the close is today's, the open is the next day's.
    const noon = at('2024-11-29T17:00:00Z');
    expect(sessionOf(noon)?.date).toBe('2024-11-29');
    expect(nextClose(noon)).toBe(at('2024-11-29T18:00:00Z'));
    expect(nextOpen(noon)).toBe(at('2024-12-02T14:30:00Z'));
    expect(isOpen(at('2024-11-29T14:29:59Z'))).toBe(false);
    expect(isOpen(at('2024-11-29T14:30:00Z'))).toBe(true);
  });

  it('lists the sessions between two dates and writes times as Alpaca does', () => {
    expect(sessionsBetween('2024-12-23', '2024-12-27').map((session) => [session.date, session.earlyClose])).toEqual([
      ['2024-12-23', false],
      ['2024-12-24', true],
      ['2024-12-26', false],
      ['2024-12-27', false],
    ]);
    expect(formatNewYork(at('2024-11-29T18:00:00Z'))).toBe('2024-11-29T13:00:00-05:00');
    expect(formatNewYork(at('2024-07-10T13:30:00Z'))).toBe('2024-07-10T09:30:00-04:00');
  });

  it('refuses dates outside the years it covers, naming them', () => {
    expect(() => sessionOnDate('2019-06-03')).toThrow(InvalidInputError);
    expect(() => sessionOnDate('2028-06-05')).toThrow(/2020–2027/);
    expect(() => sessionOnDate('2024-02-30')).toThrow(/not a calendar date/);
  });
});
