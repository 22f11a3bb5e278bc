import { describe, expect, it } from 'vitest';
import { RollingRank } from '../../../bots/aggressive/rolling-rank.ts';

/** The obvious definition: the share of the last `size` values at or below the newest. */
function naiveRanks(values: readonly number[], size: number): number[] {
  return values.map((value, index) => {
    const window = values.slice(Math.max(0, index - size + 1), index + 1);
    return window.filter((other) => other <= value).length / window.length;
  });
}

describe('RollingRank', () => {
  it('test_push_when_values_stream_in_then_ranks_match_the_naive_definition_including_ties', () => {
    // Arrange: a seeded sequence with repeated values, so ties and evictions of duplicates are exercised.
    let state = 42;
    const values = Array.from({ length: 2_000 }, () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state % 37;
    });
    const rank = new RollingRank(50);
    // Act
    const ranks = values.map((value) => rank.push(value));
    // Assert
    expect(ranks).toEqual(naiveRanks(values, 50));
  });

  it('test_push_when_a_wide_window_drifts_up_and_down_then_long_shifts_match_the_naive_definition', () => {
    // Arrange: a slow wave, so the leaving and arriving values sit far apart in the sorted window, in both directions.
    const values = Array.from({ length: 3_000 }, (_, index) => Math.sin(index / 150) + (index % 7) / 100);
    const rank = new RollingRank(200);
    // Act
    const ranks = values.map((value) => rank.push(value));
    // Assert
    expect(ranks).toEqual(naiveRanks(values, 200));
  });

  it('test_full_when_fewer_than_size_values_then_false_after_size_then_true', () => {
    // Arrange
    const rank = new RollingRank(3);
    // Act / Assert
    rank.push(1);
    rank.push(2);
    expect(rank.full).toBe(false);
    rank.push(3);
    expect(rank.full).toBe(true);
    expect(rank.push(0)).toBeCloseTo(1 / 3, 12);
    expect(rank.push(10)).toBe(1);
  });

  it('test_constructor_when_size_is_not_a_positive_integer_then_range_error', () => {
    expect(() => new RollingRank(0)).toThrow(RangeError);
    expect(() => new RollingRank(2.5)).toThrow(RangeError);
  });
});
