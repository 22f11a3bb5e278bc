import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors.ts';
import { parseBotMessage } from '../../core/protocol.ts';

describe('note messages on the bot channel', () => {
  it('test_parse_note_when_replayed_is_absent_then_it_reads_as_newly_made', () => {
    // A bot from before the field never replays, so each of its notes was made once.
    expect(parseBotMessage('{"t":"note","name":"SIGNAL_MODEL","value":"FALLBACK","instrumentId":null}')).toEqual({ t: 'note', name: 'SIGNAL_MODEL', value: 'FALLBACK', instrumentId: null, replayed: false });
  });

  it('test_parse_note_when_replayed_then_it_says_so', () => {
    expect(parseBotMessage('{"t":"note","name":"SIGNAL_MODEL","value":"FALLBACK","instrumentId":null,"replayed":true}')).toMatchObject({ replayed: true });
  });

  it('test_parse_note_when_replayed_is_not_a_boolean_then_refused', () => {
    expect(() => parseBotMessage('{"t":"note","name":"SIGNAL_MODEL","value":"FALLBACK","instrumentId":null,"replayed":"yes"}')).toThrow(InvalidInputError);
  });
});
