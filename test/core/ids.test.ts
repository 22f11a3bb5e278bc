import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../core/errors.ts';
import {
  CLIENT_ORDER_ID_MAX_LENGTH,
  formatLedgerEpoch,
  isFlotillaClientOrderId,
  makeClientOrderId,
  parseBotId,
  parseClientOrderId,
  parseInstrumentId,
  instrumentSymbol,
  instrumentVenue,
} from '../../core/ids.ts';

describe('client order ids', () => {
  it('fits Bybit orderLinkId rules at the longest bot id, epoch and sequence', () => {
    const bot = parseBotId('trend-followingx');
    const id = makeClientOrderId(bot, formatLedgerEpoch(Date.UTC(2089, 0, 1)), 'TAKE_PROFIT', 36 ** 9 - 1);
    expect(id.length).toBeLessThanOrEqual(CLIENT_ORDER_ID_MAX_LENGTH);
    expect(id).toMatch(/^[A-Za-z0-9_-]{1,36}$/);
  });

  it('recovers bot, role and sequence from the id', () => {
    const bot = parseBotId('aggressive');
    const id = makeClientOrderId(bot, formatLedgerEpoch(1_700_000_000_000), 'STOP', 1234);
    expect(parseClientOrderId(id)).toMatchObject({ bot: 'aggressive', role: 'STOP', sequence: 1234 });
  });

  it('refuses ids that are too long, contain other characters, or were not made by Flotilla', () => {
    expect(() => parseClientOrderId('x'.repeat(37))).toThrow(InvalidInputError);
    expect(() => parseClientOrderId('aggressive_0abcdefg_E1!')).toThrow(/not a Flotilla id/);
    expect(() => parseClientOrderId('manual-order-from-the-app')).toThrow(InvalidInputError);
    expect(isFlotillaClientOrderId('manual-order-from-the-app')).toBe(false);
  });

  it('gives different ids to the same bot and sequence in two ledger epochs', () => {
    const bot = parseBotId('adaptive');
    const first = makeClientOrderId(bot, formatLedgerEpoch(1_700_000_000_000), 'ENTRY', 1);
    const second = makeClientOrderId(bot, formatLedgerEpoch(1_700_000_000_001), 'ENTRY', 1);
    expect(first).not.toBe(second);
  });
});

describe('identifiers', () => {
  it('refuses a bot id that would not fit a client order id', () => {
    expect(() => parseBotId('a-bot-name-that-is-far-too-long')).toThrow(/1-16 characters/);
    expect(() => parseBotId('Aggressive')).toThrow(InvalidInputError);
  });

  it('splits an instrument id into symbol and venue', () => {
    const id = parseInstrumentId('BTCUSDT.BYBIT');
    expect(instrumentSymbol(id)).toBe('BTCUSDT');
    expect(instrumentVenue(id)).toBe('BYBIT');
    expect(() => parseInstrumentId('btcusdt')).toThrow(/SYMBOL.VENUE/);
  });
});
