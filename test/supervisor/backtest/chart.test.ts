import { describe, expect, it } from 'vitest';
import { formatTick, niceStep, niceTicks, timeTicks } from '../../../supervisor/backtest/chart.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('chart axes', () => {
  it.each([
    [12_034, 5, 2_500],
    [0.12, 5, 0.025],
    [7, 5, 2],
    [100, 5, 20],
    [3, 5, 1],
  ])('test_nice_step_when_the_range_is_%d_in_%d_parts_then_%d', (range, count, step) => {
    expect(niceStep(range, count)).toBeCloseTo(step, 12);
  });

  it('test_nice_ticks_when_equity_wanders_then_the_axis_runs_between_round_values_one_step_apart', () => {
    expect(niceTicks(87_965.72, 100_003.1)).toEqual({ from: 87_500, to: 102_500, step: 2_500, ticks: [87_500, 90_000, 92_500, 95_000, 97_500, 100_000, 102_500] });
    expect(niceTicks(-12.03, 0).ticks).toEqual([-12.5, -10, -7.5, -5, -2.5, 0]);
    expect(niceTicks(5, 5).ticks.length).toBeGreaterThan(1);
  });

  it('test_format_tick_when_the_step_needs_decimals_then_just_enough_and_thousands_separated', () => {
    expect(formatTick(102_500, 2_500)).toBe('102,500');
    expect(formatTick(-2.5, 2.5)).toBe('-2.5');
    expect(formatTick(0.025, 0.025)).toBe('0.025');
    expect(formatTick(0.2, 0.2)).toBe('0.2');
  });

  it('test_time_ticks_when_the_span_is_hours_days_or_a_year_then_round_moments_labelled_to_match', () => {
    const start = Date.UTC(2025, 0, 1, 0, 5);
    const hours = timeTicks(start, start + 6 * HOUR);
    expect(hours.ticks.map(hours.format)).toEqual(['01-01 01:00', '01-01 02:00', '01-01 03:00', '01-01 04:00', '01-01 05:00', '01-01 06:00']);
    const days = timeTicks(start, start + 10 * DAY);
    expect(days.ticks.map(days.format)).toEqual(['2025-01-02', '2025-01-04', '2025-01-06', '2025-01-08', '2025-01-10']);
    const year = timeTicks(start, start + 365 * DAY);
    expect(year.ticks.map(year.format)).toEqual(['2025-03', '2025-05', '2025-07', '2025-09', '2025-11', '2026-01']);
  });
});
