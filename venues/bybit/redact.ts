/**
 * bybit-api throws plain objects that carry its constructor options (API key and secret included, in
 * `requestOptions`), and axios errors carry the signed headers (the key, the signature) in `config`. Nothing of
 * such an object leaves this module: a failure becomes a short sentence built from the few fields that are safe,
 * and every text is scrubbed of every key and secret the adapter holds before it is logged, thrown or reported.
 */

const MAX_DETAIL = 300;

export class Redactor {
  readonly #secrets = new Set<string>();

  /** Remembers a key or secret to scrub from every text from now on. */
  add(...secrets: string[]): void {
    // Very short strings would scrub ordinary words; credentials are never that short.
    for (const secret of secrets) if (secret.length >= 6) this.#secrets.add(secret);
  }

  scrub(text: string): string {
    let clean = text;
    for (const secret of this.#secrets) if (clean.includes(secret)) clean = clean.split(secret).join('[redacted]');
    return clean;
  }
}

/** What went wrong on the wire, in the terms that decide what happens next. */
export type TransportKind =
  /** The request never left (connection refused, no route, DNS): it cannot have been carried out. */
  | 'NOT_SENT'
  /** Sent, and no answer came in time: it may or may not have been carried out. */
  | 'TIMEOUT'
  /** Sent, and the connection broke before the answer: it may or may not have been carried out. */
  | 'RESET'
  /** An HTTP error status: 5xx may have been carried out; 403, 429 and 401 were not. */
  | 'HTTP';

export interface TransportFailure {
  kind: TransportKind;
  /** The HTTP status for kind HTTP. */
  status: number | null;
  /** A scrubbed sentence, safe to log and to put in an error. */
  detail: string;
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL', 'ERR_BAD_OPTION', 'ERR_BAD_OPTION_VALUE']);
const TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

function short(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

/** Reads only safe fields of whatever bybit-api or axios threw, and classifies it. */
export function classifyFailure(thrown: unknown, redactor: Redactor): TransportFailure {
  if (typeof thrown === 'string') {
    // bybit-api throws a bare message when a request could not even be built: nothing was sent.
    return { kind: 'NOT_SENT', status: null, detail: redactor.scrub(short(thrown)) };
  }
  const status = field(thrown, 'code');
  if (typeof status === 'number' && field(thrown, 'requestOptions') !== undefined) {
    // bybit-api's object for a non-2xx reply: {code: status, message: statusText, body, headers, requestOptions}.
    const message = field(thrown, 'message');
    const body = field(thrown, 'body');
    const bodyText = typeof body === 'string' ? body : body === undefined || body === null ? '' : JSON.stringify(body);
    const detail = `HTTP ${status}${typeof message === 'string' && message !== '' ? ` ${message}` : ''}${bodyText === '' ? '' : `: ${bodyText}`}`;
    return { kind: 'HTTP', status, detail: redactor.scrub(short(detail)) };
  }
  const code = field(thrown, 'code');
  const message = field(thrown, 'message');
  const text = `${typeof code === 'string' ? `${code}: ` : ''}${typeof message === 'string' ? message : 'request failed'}`;
  const detail = redactor.scrub(short(text));
  if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return { kind: 'NOT_SENT', status: null, detail };
  if ((typeof code === 'string' && TIMEOUT_CODES.has(code)) || (typeof message === 'string' && /timeout/i.test(message))) return { kind: 'TIMEOUT', status: null, detail };
  // A reset, a hang-up, or anything else once the request may have left: the outcome is unknown.
  return { kind: 'RESET', status: null, detail };
}

/** A safe one-line description of any error, for logs. */
export function describe(error: unknown, redactor: Redactor): string {
  if (error instanceof Error) return redactor.scrub(short(`${error.name}: ${error.message}`));
  return classifyFailure(error, redactor).detail;
}
