import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from './accounts.ts';
import { BybitError } from './wire.ts';

/**
 * Bybit V5 request authentication, checked as Bybit checks it:
 * - headers X-BAPI-API-KEY, X-BAPI-TIMESTAMP (ms), X-BAPI-SIGN, optional X-BAPI-RECV-WINDOW (default 5000) and
 *   X-BAPI-SIGN-TYPE (2, HMAC; ccxt omits it);
 * - sign = hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow + payload), where the payload is the query string
 *   exactly as received for GET (bybit-api encodes it, ccxt does not, and either must verify) and the raw body for POST;
 * - serverTime − recvWindow ≤ timestamp < serverTime + 1000, else 10002.
 */

export const DEFAULT_RECV_WINDOW_MS = 5_000;
/** Bybit does not publish a ceiling; a minute keeps a replayed request from living long. */
export const MAX_RECV_WINDOW_MS = 60_000;
/** How far ahead of the server's clock a request may be stamped. */
export const FUTURE_TOLERANCE_MS = 1_000;

export interface SignedRequest {
  method: string;
  /** Header names in lower case, as node:http gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Everything after the first "?" of the request line, untouched; "" when there is none. */
  rawQuery: string;
  rawBody: string;
}

function header(request: SignedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/** Compares hex signatures without leaking where they differ. */
export function signaturesMatch(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface RestAuthentication {
  apiKey: string;
  /** The signature's parts, so the caller can check the key's IP binding before the time and the signature. */
  timestamp: number;
  recvWindow: number;
  signature: string;
}

/** Reads the authentication headers; missing or malformed ones are HTTP 401, as at Bybit. */
export function readAuthentication(request: SignedRequest): RestAuthentication {
  const apiKey = header(request, 'x-bapi-api-key');
  const timestampText = header(request, 'x-bapi-timestamp');
  const signature = header(request, 'x-bapi-sign');
  if (apiKey === undefined || apiKey === '' || timestampText === undefined || signature === undefined || signature === '') {
    throw new BybitError('INVALID_API_KEY', 'missing X-BAPI-API-KEY, X-BAPI-TIMESTAMP or X-BAPI-SIGN', 401);
  }
  const signType = header(request, 'x-bapi-sign-type');
  if (signType !== undefined && signType !== '2') throw new BybitError('PARAMETER_ERROR', 'X-BAPI-SIGN-TYPE must be 2 (HMAC-SHA256); RSA keys are not served', 401);
  if (!/^\d{1,16}$/.test(timestampText)) throw new BybitError('TIMESTAMP_OUT_OF_WINDOW', 'X-BAPI-TIMESTAMP must be milliseconds since the epoch', 401);
  const recvWindowText = header(request, 'x-bapi-recv-window');
  let recvWindow = DEFAULT_RECV_WINDOW_MS;
  if (recvWindowText !== undefined && recvWindowText !== '') {
    recvWindow = /^\d{1,9}$/.test(recvWindowText) ? Number(recvWindowText) : Number.NaN;
    if (!(recvWindow > 0 && recvWindow <= MAX_RECV_WINDOW_MS)) throw new BybitError('PARAMETER_ERROR', `X-BAPI-RECV-WINDOW must be 1 to ${MAX_RECV_WINDOW_MS} ms`);
  }
  return { apiKey, timestamp: Number(timestampText), recvWindow, signature };
}

export function checkTimestamp(timestamp: number, recvWindow: number, serverTime: number): void {
  if (serverTime - recvWindow <= timestamp && timestamp < serverTime + FUTURE_TOLERANCE_MS) return;
  throw new BybitError('TIMESTAMP_OUT_OF_WINDOW', `req_timestamp[${timestamp}],server_timestamp[${serverTime}],recv_window[${recvWindow}]`);
}

export function checkRestSignature(request: SignedRequest, authentication: RestAuthentication, key: ApiKey): void {
  const payload = request.method === 'GET' ? request.rawQuery : request.rawBody;
  const expected = hmacHex(key.secret, `${authentication.timestamp}${key.apiKey}${authentication.recvWindow}${payload}`);
  if (!signaturesMatch(expected, authentication.signature)) throw new BybitError('INVALID_SIGNATURE');
}

/**
 * WebSocket auth: args [apiKey, expires, hex HMAC(secret, "GET/realtime" + expires)]; bybit-api sends `expires` as a
 * number and ccxt as a string, and both sign its decimal text. An expiry already past is refused.
 */
export function checkWebSocketAuth(args: unknown, findKey: (apiKey: string) => ApiKey | undefined, serverTime: number): ApiKey {
  if (!Array.isArray(args) || args.length !== 3) throw new BybitError('PARAMETER_ERROR', 'auth args must be [apiKey, expires, signature]');
  const [apiKey, expires, signature] = args as unknown[];
  if (typeof apiKey !== 'string' || typeof signature !== 'string') throw new BybitError('PARAMETER_ERROR', 'auth args must be [apiKey, expires, signature]');
  const expiresText = typeof expires === 'number' && Number.isSafeInteger(expires) ? String(expires) : typeof expires === 'string' && /^\d{1,16}$/.test(expires) ? expires : null;
  if (expiresText === null) throw new BybitError('PARAMETER_ERROR', 'auth expires must be milliseconds since the epoch');
  const key = findKey(apiKey);
  if (key === undefined) throw new BybitError('INVALID_API_KEY');
  if (Number(expiresText) <= serverTime) throw new BybitError('TIMESTAMP_OUT_OF_WINDOW', `expires[${expiresText}] is not after server_timestamp[${serverTime}]`);
  if (!signaturesMatch(hmacHex(key.secret, `GET/realtime${expiresText}`), signature)) throw new BybitError('INVALID_SIGNATURE');
  return key;
}
