import ccxt from 'ccxt';
import type { RejectionReason } from '../../core/order.ts';
import type { Redactor } from '../bybit/redact.ts';

/**
 * What a failed ccxt call means for what happens next. ccxt sorts errors into classes, but some classes are
 * broader than the decision needs (Bybit's duplicate orderLinkId, 110072, arrives as InvalidOrder, and its
 * "server timeout", 10000, as a plain ExchangeError): the exchange's own code, read by the exchange's profile
 * (profiles.ts), decides first; the ccxt class decides when there is no code or the profile does not know it.
 */

export type Outcome =
  /** Refused for good: report the refusal with this reason. */
  | { kind: 'REFUSED'; reason: RejectionReason; hint: string }
  /** The key, its permissions or its IP binding: a human must act; report the refusal. */
  | { kind: 'ACCESS'; hint: string }
  /** Not carried out, the exchange is busy or limits us: wait, then send again. */
  | { kind: 'RATE_LIMITED' }
  /** The timestamp was outside the receive window: measure the clock again and send once more. */
  | { kind: 'CLOCK' }
  /** The request never left (refused connection, unknown host): it cannot have been carried out. */
  | { kind: 'NOT_SENT' }
  /** The exchange may or may not have carried it out: ask by client order ID, never send it again blindly. */
  | { kind: 'UNKNOWN_OUTCOME' }
  /** The named order does not exist, or has already ended. */
  | { kind: 'NOT_FOUND' }
  /** The client order ID is taken: the order exists; ask for it. */
  | { kind: 'DUPLICATE' };

/** What an exchange profile knows about its own error codes. */
export interface CodeReader {
  /** The exchange's own code in a ccxt error (its message carries the body), or null when it carries none. */
  codeOf(error: Error): string | null;
  /** What the code means; null for a code the profile does not sort (the ccxt class decides). */
  classify(code: string): Outcome | null;
}

const NOT_SENT = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ConnectionRefused|DNSError/;

/** Sorts a ccxt error (or anything a ccxt call threw). */
export function outcomeOf(error: unknown, codes: CodeReader): Outcome & { code: string | null } {
  if (!(error instanceof Error)) return { kind: 'UNKNOWN_OUTCOME', code: null };
  const code = codes.codeOf(error);
  const known = code === null ? null : codes.classify(code);
  if (known !== null) return { ...known, code };
  return { ...byClass(error), code };
}

function byClass(error: Error): Outcome {
  // Most specific first: ccxt's classes nest (RateLimitExceeded is a NetworkError, OrderNotFound an InvalidOrder).
  if (error instanceof ccxt.RateLimitExceeded || error instanceof ccxt.DDoSProtection) return { kind: 'RATE_LIMITED' };
  if (error instanceof ccxt.InvalidNonce) return { kind: 'CLOCK' };
  if (error instanceof ccxt.RequestTimeout || error instanceof ccxt.ExchangeNotAvailable) return { kind: 'UNKNOWN_OUTCOME' };
  if (error instanceof ccxt.NetworkError) return NOT_SENT.test(error.message) ? { kind: 'NOT_SENT' } : { kind: 'UNKNOWN_OUTCOME' };
  if (error instanceof ccxt.OrderNotFound) return { kind: 'NOT_FOUND' };
  if (error instanceof ccxt.DuplicateOrderId) return { kind: 'DUPLICATE' };
  if (error instanceof ccxt.InsufficientFunds) return { kind: 'REFUSED', reason: 'INSUFFICIENT_BALANCE', hint: 'insufficient funds' };
  if (error instanceof ccxt.AuthenticationError) return { kind: 'ACCESS', hint: 'the exchange refused the key or its permissions' };
  if (error instanceof ccxt.BadSymbol) return { kind: 'REFUSED', reason: 'UNKNOWN_INSTRUMENT', hint: 'the exchange does not list the symbol' };
  if (error instanceof ccxt.InvalidOrder || error instanceof ccxt.BadRequest || error instanceof ccxt.ArgumentsRequired) return { kind: 'REFUSED', reason: 'INVALID_ORDER', hint: 'the exchange refused the order' };
  if (error instanceof ccxt.ExchangeError) return { kind: 'REFUSED', reason: 'VENUE_ERROR', hint: 'refused by the exchange' };
  // Anything else (a bad response, a bug inside ccxt) after the call began: the request may have gone out.
  return { kind: 'UNKNOWN_OUTCOME' };
}

const MAX_DETAIL = 300;

/**
 * A ccxt error as a short sentence safe to log, throw and report. ccxt's messages hold the exchange id, the
 * method, the URL and the reply body, never the request headers (where the key and signature go) unless `verbose`
 * is on, which this adapter never sets; every text is scrubbed of every key and secret all the same, since an
 * exchange that signs in the query string would put them in the URL.
 */
export function describeError(error: unknown, redactor: Redactor): string {
  const text = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
  const clean = redactor.scrub(text);
  return clean.length > MAX_DETAIL ? `${clean.slice(0, MAX_DETAIL)}…` : clean;
}
