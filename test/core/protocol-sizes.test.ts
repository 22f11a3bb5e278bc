import { describe, expect, it } from 'vitest';
import { dec } from '../../core/decimal.ts';
import { InvalidInputError } from '../../core/errors.ts';
import { parseBotId, parseInstrumentId, parseIntentId } from '../../core/ids.ts';
import type { BotCommand, SizeRequest } from '../../core/intent.ts';
import { commandFromWire, encode, parseBotMessage } from '../../core/protocol.ts';

const BOT = parseBotId('alpha');

function submit(size: SizeRequest): BotCommand {
  return {
    type: 'SUBMIT_ORDER',
    intent: { intentId: parseIntentId('i-1'), botId: BOT, instrumentId: parseInstrumentId('BTCUSDT.BYBIT'), side: 'BUY', size, orderType: 'MARKET', reduceOnly: false, bracket: { stopLoss: dec('49000') }, reason: 'test' },
  };
}

/** What the supervisor makes of a command after it crossed the channel as text. */
function acrossTheWire(command: BotCommand): BotCommand {
  const message = parseBotMessage(encode({ t: 'command', seq: 1, command }).trim());
  if (message.t !== 'command') throw new Error(`expected a command, got ${message.t}`);
  return commandFromWire(message.command, BOT);
}

describe('size requests on the bot channel', () => {
  it('test_size_when_it_carries_a_drawdown_scale_then_the_scale_arrives_as_the_same_decimal', () => {
    for (const size of [{ kind: 'RISK', riskFraction: dec('0.004'), scale: dec('0.625') }, { kind: 'QUANTITY', quantity: dec('12.5'), scale: dec('0.25') }] as const) {
      const received = acrossTheWire(submit(size));
      expect(received.type === 'SUBMIT_ORDER' ? received.intent.size : null).toEqual(size);
    }
  });

  it('test_size_when_it_has_no_scale_then_none_appears', () => {
    const received = acrossTheWire(submit({ kind: 'RISK', riskFraction: dec('0.004') }));
    expect(received.type === 'SUBMIT_ORDER' ? received.intent.size : null).toEqual({ kind: 'RISK', riskFraction: dec('0.004') });
  });

  it('test_size_when_the_scale_is_a_float_then_refused', () => {
    const line = encode({ t: 'command', seq: 1, command: submit({ kind: 'RISK', riskFraction: dec('0.004') }) }).trim().replace('"riskFraction":"0.004"', '"riskFraction":"0.004","scale":0.5');
    expect(() => parseBotMessage(line)).toThrow(InvalidInputError);
  });
});
