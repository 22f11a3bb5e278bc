import { Alpaca, ApiError } from '@alpacahq/alpaca-trade-api';
import { TemporaryVenueError } from '../../core/errors.ts';
import type { AlpacaEndpoints, AlpacaTimeouts } from './config.ts';

/**
 * One SDK client per account (Alpaca has no sub-accounts: each bot's account has its own key pair, held here and
 * nowhere else), and what a failure means for the order path. The SDK's own retries are off: it never retries a
 * POST anyway, and the adapter decides for every verb by asking Alpaca by client order ID.
 */

export interface AlpacaCredentials {
  readonly key: string;
  readonly secret: string;
}

/** What a failed request means: refused (nothing done), not sent (connection refused), or ambiguous (maybe done). */
export type Failure =
  | { kind: 'REFUSED'; status: number; code: number | null; message: string }
  | { kind: 'NOT_SENT'; message: string }
  | { kind: 'AMBIGUOUS'; message: string };

/** Keeps every key and secret the adapter holds, and scrubs them out of any text that leaves it. */
export class Redactor {
  readonly #secrets = new Set<string>();

  add(credentials: AlpacaCredentials): void {
    for (const value of [credentials.key, credentials.secret]) if (value.length >= 4) this.#secrets.add(value);
  }

  scrub(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }
}

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Sorts a thrown value; the message is built from a few safe fields only and scrubbed. */
export function classify(error: unknown, redactor: Redactor): Failure {
  if (error instanceof ApiError) {
    const code = typeof error.code === 'number' ? error.code : null;
    const message = redactor.scrub(`Alpaca HTTP ${error.status}${code === null ? '' : ` (${code})`}: ${error.message}`);
    // A 5xx may come after the request was carried out; 408 and 429 were not carried out, but are retried by asking.
    if (error.status >= 500 || error.status === 408) return { kind: 'AMBIGUOUS', message };
    return { kind: 'REFUSED', status: error.status, code, message };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const text = error instanceof Error ? error.message : String(error);
  const code = causeCode(error);
  const message = redactor.scrub(`${name}${code === undefined ? '' : ` ${code}`}: ${text}`);
  // Connection refused: the request never left this machine.
  if (code === 'ECONNREFUSED') return { kind: 'NOT_SENT', message };
  return { kind: 'AMBIGUOUS', message };
}

/** A failure as an error safe to throw: no key, no secret, nothing of the SDK's objects. */
export function failureError(failure: Failure, what: string): TemporaryVenueError {
  return new TemporaryVenueError(`${what}: ${failure.message}`);
}

export function createClient(endpoints: AlpacaEndpoints, credentials: AlpacaCredentials, timeouts: AlpacaTimeouts): Alpaca {
  const standin = endpoints.standin;
  return new Alpaca({
    keyId: credentials.key,
    secret: credentials.secret,
    paper: endpoints.paper,
    retry: false,
    // Alpaca allows 200 requests a minute per account, which the SDK's limiter keeps to; a stand-in has no such limit.
    ...(standin === null ? {} : { rateLimit: false as const }),
    timeoutMs: timeouts.requestMs,
    userAgent: 'flotilla',
    ...(standin === null ? {} : { middleware: [{ pre: async (context: { url: string; init: RequestInit }) => ({ url: context.url.replace(/^https:\/\/(paper-api|api|data)\.alpaca\.markets/, standin), init: context.init }) }] }),
  });
}
