import { Decimal } from '../../../core/decimal.ts';

/**
 * Bybit V5's reply envelope and the closed table of retCodes the stand-in answers with. Messages follow Bybit's
 * (docs/v5/error and what ccxt's bybit exception map quotes); a stand-in detail is appended after a colon where it
 * helps, and never carries a key, a secret or a signature.
 */
export const RET_CODES = {
  OK: { code: 0, message: 'OK' },
  PARAMETER_ERROR: { code: 10001, message: 'Request parameter error' },
  TIMESTAMP_OUT_OF_WINDOW: { code: 10002, message: 'invalid request, please check your server timestamp or recv_window param' },
  INVALID_API_KEY: { code: 10003, message: 'API key is invalid.' },
  INVALID_SIGNATURE: { code: 10004, message: 'Error sign, please check your signature generation algorithm.' },
  PERMISSION_DENIED: { code: 10005, message: 'Permission denied, please check your API key permissions.' },
  TOO_MANY_VISITS: { code: 10006, message: 'Too many visits. Exceeded the API Rate Limit.' },
  IP_NOT_ALLOWED: { code: 10010, message: "Unmatched IP, please check your API key's bound IP addresses." },
  INTERNAL_ERROR: { code: 10016, message: 'Internal System Error.' },
  ROUTE_NOT_FOUND: { code: 10017, message: 'Route not found' },
  UNIFIED_ONLY: { code: 10028, message: 'The API can only be accessed by unified account users.' },
  ORDER_NOT_FOUND: { code: 110001, message: 'Order does not exist' },
  INSUFFICIENT_AVAILABLE_BALANCE: { code: 110007, message: 'Insufficient available balance' },
  REDUCE_ONLY_NOT_SATISFIED: { code: 110017, message: 'Reduce-only rule not satisfied' },
  TOO_MANY_ACTIVE_ORDERS: { code: 110020, message: 'Cannot have more than 500 active orders.' },
  DUPLICATE_ORDER_LINK_ID: { code: 110072, message: 'OrderLinkedID is duplicate' },
  TRIGGER_NOT_RISING: { code: 110092, message: 'expect Rising, but trigger_price <= current' },
  TRIGGER_NOT_FALLING: { code: 110093, message: 'expect Falling, but trigger_price >= current' },
  NOTIONAL_BELOW_MINIMUM: { code: 110094, message: 'Order does not meet minimum order value' },
  INVALID_MEMBER_ID: { code: 131202, message: 'Invalid memberId' },
  TRANSFER_PARAMETER_ERROR: { code: 131203, message: 'Request parameter error' },
  TRANSFER_FORBIDDEN: { code: 131208, message: 'Forbid transfer' },
  SAME_ACCOUNT_TYPE: { code: 131211, message: "fromAccountType can't be the same as toAccountType" },
  TRANSFER_INSUFFICIENT_BALANCE: { code: 131212, message: 'Insufficient balance' },
  TRANSFER_ID_EXISTS: { code: 131214, message: 'TransferId exist' },
  TRANSFER_AMOUNT_ERROR: { code: 131215, message: 'Amount error' },
} as const;

export type RetCodeName = keyof typeof RET_CODES;

/** A request Bybit would answer with a non-zero retCode (HTTP 200), or with an HTTP error status when `httpStatus` is set. */
export class BybitError extends Error {
  override name = 'BybitError';
  readonly retCode: number;
  readonly retMsg: string;
  readonly httpStatus: number;

  constructor(name: RetCodeName, detail?: string, httpStatus = 200) {
    const entry = RET_CODES[name];
    const retMsg = detail === undefined ? entry.message : `${entry.message}: ${detail}`;
    super(retMsg);
    this.retCode = entry.code;
    this.retMsg = retMsg;
    this.httpStatus = httpStatus;
  }
}

export function parameterError(detail: string): BybitError {
  return new BybitError('PARAMETER_ERROR', detail);
}

export interface Envelope {
  retCode: number;
  retMsg: string;
  result: unknown;
  retExtInfo: unknown;
  time: number;
}

export function okEnvelope(result: unknown, time: number, retExtInfo: unknown = {}): Envelope {
  return { retCode: 0, retMsg: 'OK', result, retExtInfo, time };
}

export function errorEnvelope(error: BybitError, time: number): Envelope {
  return { retCode: error.retCode, retMsg: error.retMsg, result: {}, retExtInfo: {}, time };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading request parameters. GET parameters arrive as strings; POST bodies as JSON values. Amounts must be
// strings on both: a number is a float on the wire, which the project never sends, so the stand-in refuses it.

export type Params = Readonly<Record<string, unknown>>;

export function optionalString(params: Params, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw parameterError(`${name} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

export function requiredString(params: Params, name: string): string {
  const value = optionalString(params, name);
  if (value === undefined) throw parameterError(`${name} is required`);
  return value;
}

export function optionalEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const value = optionalString(params, name);
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw parameterError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

export function requiredEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T {
  const value = optionalEnum(params, name, allowed);
  if (value === undefined) throw parameterError(`${name} is required (one of ${allowed.join(', ')})`);
  return value;
}

const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/** A non-negative amount sent as a decimal string ("0.01"); a JSON number is refused. */
export function optionalDecimal(params: Params, name: string): Decimal | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw parameterError(`${name} must be a decimal string such as "0.01", got ${JSON.stringify(value)}`);
  if (!PLAIN_DECIMAL.test(value) || value.length > 40) throw parameterError(`${name} must be a plain decimal such as "0.01", got ${JSON.stringify(value)}`);
  return Decimal.parse(value, name);
}

export function requiredDecimal(params: Params, name: string): Decimal {
  const value = optionalDecimal(params, name);
  if (value === undefined) throw parameterError(`${name} is required`);
  return value;
}

/** An integer sent as a number (POST) or as digits (GET). */
export function optionalInteger(params: Params, name: string, min: number, max: number): number | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) throw parameterError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return number;
}

export function optionalBoolean(params: Params, name: string): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw parameterError(`${name} must be true or false, got ${JSON.stringify(value)}`);
}

/** Bybit writes an absent price as "" and a zero trigger as "0"; amounts are plain decimal strings. */
export function amount(value: Decimal | null | undefined): string {
  return value === null || value === undefined ? '' : value.toString();
}

/** Cursors look like Bybit's ("page_token%3D39380%26") and survive a client that does or does not encode them again. */
export function makeCursor(sequence: number): string {
  return `page_token%3D${sequence}%26`;
}

export function readCursor(params: Params): number | undefined {
  const value = optionalString(params, 'cursor');
  if (value === undefined) return undefined;
  const match = /^page_token(?:%3D|=)(\d{1,15})(?:%26|&)?$/.exec(value);
  if (match === null) throw parameterError(`cursor ${JSON.stringify(value)} is not one this server gave out`);
  return Number(match[1]);
}
