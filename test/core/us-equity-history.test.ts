import { describe, expect, it } from 'vitest';
import { sessionHistoryStart } from '../../core/us-equity-history.ts';
import { sessionOnDate } from '../../core/us-equity-calendar.ts';

/** How far back an equity's history reaches for a number of session candles, on the bundled calendar. */

const DAY = 86_400_000;
const MINUTE = 60_000;
const open = (date: string): number => (sessionOnDate(date) as { open: number }).open;
const close = (date: string): number => (sessionOnDate(date) as { close: number }).close;

describe('sessionHistoryStart', () => {
  it('test_minutes_when_asked_on_a_saturday_then_the_last_300_minutes_of_friday', () => {
    // Saturday 2025-06-07 12:00 UTC; Friday's session closed at 20:00 UTC (16:00 New York, daylight time).
    expect(sessionHistoryStart(Date.UTC(2025, 5, 7, 12), 300, '1m', 0)).toBe(close('2025-06-06') - 300 * MINUTE);
  });

  it('test_minutes_when_more_than_a_session_then_the_days_before_and_the_weekend_are_skipped', () => {
    // Monday 2025-06-09 08:00 UTC: 390 minutes on Friday, the other 110 at the end of Thursday.
    expect(sessionHistoryStart(Date.UTC(2025, 5, 9, 8), 500, '1m', 0)).toBe(close('2025-06-05') - 110 * MINUTE);
  });

  it('test_minutes_when_the_session_runs_then_only_closed_minutes_count', () => {
    const at = open('2025-06-10') + 30 * MINUTE + 20_000;
    expect(sessionHistoryStart(at, 30, '1m', 0)).toBe(open('2025-06-10'));
    expect(sessionHistoryStart(at, 31, '1m', 0)).toBe(close('2025-06-09') - MINUTE);
  });

  it('test_hours_when_asked_then_buckets_on_the_utc_grid_holding_session_minutes', () => {
    // Daylight time: 13:30–20:00 UTC holds the buckets of 13:00, 14:00, …, 19:00: seven a day.
    expect(sessionHistoryStart(Date.UTC(2025, 5, 7), 8, '1h', 0)).toBe(Date.UTC(2025, 5, 5, 19));
  });

  it('test_days_when_a_holiday_then_it_is_no_candle', () => {
    // Juneteenth 2025 (Thursday) is closed: three sessions back from Saturday are Friday, Wednesday, Tuesday.
    expect(sessionHistoryStart(Date.UTC(2025, 5, 21), 3, '1d', 0)).toBe(open('2025-06-17'));
  });

  it('test_bound_when_too_few_sessions_since_the_earliest_then_the_earliest', () => {
    const end = Date.UTC(2025, 5, 7);
    expect(sessionHistoryStart(end, 300, '1d', end - 100 * DAY)).toBe(end - 100 * DAY);
  });

  it('test_calendar_when_before_its_first_year_then_no_sessions_there', () => {
    expect(sessionHistoryStart(Date.UTC(2020, 0, 3), 5, '1d', 0)).toBe(0);
  });
});
