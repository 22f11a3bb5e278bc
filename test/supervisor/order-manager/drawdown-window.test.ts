import { describe, expect, it } from 'vitest';
import { formatWindowLength, parseWindowLength } from '../../../supervisor/order-manager/drawdown-window.ts';

describe('drawdown window lengths', () => {
  it('test_format_when_a_length_is_whole_in_a_unit_then_the_largest_such_unit_is_used', () => {
    expect([86_400_000, 30 * 86_400_000, 7_200_000, 5_400_000, 45_000, 1_500].map(formatWindowLength)).toEqual(['1d', '30d', '2h', '90m', '45s', '1500ms']);
  });

  it('test_parse_when_given_any_unit_then_the_same_length_and_refuses_anything_else', () => {
    expect(['30d', '720h', '43200m', ' 1d ', '1500ms'].map(parseWindowLength)).toEqual([2_592_000_000, 2_592_000_000, 2_592_000_000, 86_400_000, 1_500]);
    for (const bad of ['', '0d', '-1d', '1.5d', '1w', '30 days', 'd', '99999999999999d']) expect(parseWindowLength(bad)).toBeNull();
  });
});
