import ccxt from 'ccxt';
import { describe, expect, it } from 'vitest';
import { dec } from '../../../core/decimal.ts';
import { VenueReplyError } from '../../../core/errors.ts';
import { Redactor } from '../../../venues/bybit/redact.ts';
import { decimalOf, decimalOrNull, wire } from '../../../venues/ccxt/amounts.ts';
import { describeError, outcomeOf } from '../../../venues/ccxt/outcomes.ts';
import { PROFILES } from '../../../venues/ccxt/profiles.ts';

/** What a ccxt error means for what happens next (the exchange's own code first), and amounts read exactly. */

const bybit = PROFILES['bybit']!.codes;
const body = (retCode: number, retMsg: string): string => `bybit ${JSON.stringify({ retCode, retMsg, result: {}, retExtInfo: {}, time: 1 })}`;

describe("ccxt errors sorted by the exchange's own code, then by class", () => {
  it('reads a duplicate orderLinkId (110072) from the body though ccxt says InvalidOrder', () => {
    const error = new ccxt.InvalidOrder(body(110072, 'OrderLinkedID is duplicate'));
    expect(outcomeOf(error, { codeOf: () => null, classify: () => null }).kind).toBe('REFUSED');
    expect(outcomeOf(error, bybit)).toMatchObject({ kind: 'DUPLICATE', code: '110072' });
  });

  it("takes Bybit's server timeout (10000) and duplicate request (10014) as unknown outcomes, not refusals", () => {
    expect(outcomeOf(new ccxt.ExchangeError(body(10000, 'Server Timeout')), bybit).kind).toBe('UNKNOWN_OUTCOME');
    expect(outcomeOf(new ccxt.BadRequest(body(10014, 'Request is duplicate')), bybit).kind).toBe('UNKNOWN_OUTCOME');
    expect(outcomeOf(new ccxt.InvalidOrder(body(110017, 'reduce-only')), bybit)).toMatchObject({ kind: 'REFUSED', reason: 'REDUCE_ONLY_WOULD_INCREASE' });
    expect(outcomeOf(new ccxt.InsufficientFunds(body(110007, 'ab not enough')), bybit)).toMatchObject({ kind: 'REFUSED', reason: 'INSUFFICIENT_BALANCE' });
  });

  it('falls back to the ccxt class where there is no code', () => {
    expect(outcomeOf(new ccxt.RequestTimeout('bybit POST http://x/v5/order/create request timed out (1000 ms)'), bybit).kind).toBe('UNKNOWN_OUTCOME');
    expect(outcomeOf(new ccxt.ExchangeNotAvailable('bybit POST http://x 503 Service Unavailable '), bybit).kind).toBe('UNKNOWN_OUTCOME');
    expect(outcomeOf(new ccxt.NetworkError('bybit POST http://x fetch failed: other side closed'), bybit).kind).toBe('UNKNOWN_OUTCOME');
    expect(outcomeOf(new ccxt.NetworkError('bybit POST http://x fetch failed: connect ECONNREFUSED 127.0.0.1:1'), bybit).kind).toBe('NOT_SENT');
    expect(outcomeOf(new ccxt.RateLimitExceeded('bybit POST http://x 403 Forbidden '), bybit).kind).toBe('RATE_LIMITED');
    expect(outcomeOf(new ccxt.InvalidNonce('bybit'), bybit).kind).toBe('CLOCK');
    expect(outcomeOf(new ccxt.OrderNotFound('bybit'), bybit).kind).toBe('NOT_FOUND');
    expect(outcomeOf(new TypeError('a bug inside ccxt'), bybit).kind).toBe('UNKNOWN_OUTCOME');
  });

  it('describes an error with every key and secret it holds scrubbed', () => {
    const redactor = new Redactor();
    redactor.add('KEY-abcdef', 'SECRET-abcdef');
    expect(describeError(new ccxt.AuthenticationError('bybit GET http://x?api_key=KEY-abcdef&sig=SECRET-abcdef'), redactor)).toBe('AuthenticationError: bybit GET http://x?api_key=[redacted]&sig=[redacted]');
  });
});

describe('amounts from ccxt', () => {
  it('parses decimal strings exactly, exponent forms digit for digit, and numbers by their shortest digits', () => {
    expect(decimalOf('60000.1', 'price').toString()).toBe('60000.1');
    expect(decimalOf('1e-8', 'amount').toString()).toBe('0.00000001');
    expect(decimalOf('1.25E+3', 'amount').toString()).toBe('1250');
    expect(decimalOf(0.1, 'fee').add(decimalOf(0.2, 'fee')).toString()).toBe('0.3');
    expect(decimalOrNull('', 'x')).toBeNull();
    expect(decimalOrNull('0', 'x', true)).toBeNull();
    expect(() => decimalOf('abc', 'BTC price')).toThrow(VenueReplyError);
    expect(() => decimalOf(Number.NaN, 'BTC price')).toThrow(/BTC price must be a decimal amount/);
  });

  it('hands ccxt a Decimal as its string', () => {
    expect(wire(dec('0.001')) as unknown).toBe('0.001');
  });
});
