import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../core/protocol.ts';

describe('line splitting on the bot channel', () => {
  it('test_push_when_lines_arrive_cut_anywhere_then_each_whole_line_comes_out_once', () => {
    const lines = new LineSplitter();
    expect(lines.push('{"a":1}\n{"b"')).toEqual(['{"a":1}']);
    expect(lines.pending).toBe(4);
    expect(lines.push(Buffer.from(':2}\n\n{"c":3}\n'))).toEqual(['{"b":2}', '{"c":3}']);
    expect(lines.pending).toBe(0);
  });

  it('test_push_when_no_line_has_ended_then_nothing_and_the_part_is_kept', () => {
    const lines = new LineSplitter();
    expect(lines.push('x'.repeat(10))).toEqual([]);
    expect(lines.pending).toBe(10);
  });
});
