import { Decimal } from '../../../core/decimal.ts';

/**
 * Alpaca's wire conventions as the stand-in speaks them: errors are HTTP statuses with a body `{code, message}`
 * (Alpaca's eight-digit codes), amounts are decimal strings, times are RFC 3339 in UTC.
 */

export const ERROR_CODES = {
  UNAUTHORIZED: 40110000,
  FORBIDDEN: 40310000,
  NOT_FOUND: 40410000,
  INVALID: 40010001,
  UNPROCESSABLE: 42210000,
  NOT_ALLOWED: 40510000,
} as const;

/** A refusal the stand-in answers with, as Alpaca does: an HTTP status and `{code, message}`. */
export class AlpacaError extends Error {
  readonly status: number;
  readonly code: number;
  /** Fields Alpaca adds to some refusals' bodies (the share reservation's `available`, `held_for_orders`, ...). */
  readonly extra: Record<string, unknown>;

  constructor(status: number, code: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

export const unauthorized = (): AlpacaError => new AlpacaError(401, ERROR_CODES.UNAUTHORIZED, 'request is not authorized');
export const notFound = (what = 'order not found'): AlpacaError => new AlpacaError(404, ERROR_CODES.NOT_FOUND, what);
export const invalid = (message: string): AlpacaError => new AlpacaError(422, ERROR_CODES.INVALID, message);
export const forbidden = (message: string, extra: Record<string, unknown> = {}): AlpacaError => new AlpacaError(403, ERROR_CODES.FORBIDDEN, message, extra);
export const unprocessable = (message: string): AlpacaError => new AlpacaError(422, ERROR_CODES.UNPROCESSABLE, message);

export type Body = Record<string, unknown>;

/** A decimal field sent as a string; a JSON number is refused, because the project never sends money as a float. */
export function decimalField(body: Body, name: string, required: true): Decimal;
export function decimalField(body: Body, name: string, required: false): Decimal | null;
export function decimalField(body: Body, name: string, required: boolean): Decimal | null {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw invalid(`${name} is required`);
    return null;
  }
  if (typeof value !== 'string') throw invalid(`${name} must be a decimal string (the stand-in refuses JSON numbers for amounts), got ${JSON.stringify(value)}`);
  try {
    return Decimal.parse(value, name);
  } catch {
    throw invalid(`invalid ${name}: ${JSON.stringify(value)}`);
  }
}

export function stringField(body: Body, name: string): string | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw invalid(`${name} must be a string`);
  return value;
}

export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function amount(value: Decimal | null): string | null {
  return value === null ? null : value.toString();
}

/** An RFC 3339 time or a date (YYYY-MM-DD) in a query, as ms; null when absent. */
export function timeParam(query: URLSearchParams, name: string): number | null {
  const value = query.get(name);
  if (value === null || value === '') return null;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(`${name} must be an RFC 3339 time or a date, got ${JSON.stringify(value)}`);
  return ms;
}

export function integerParam(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const value = query.get(name);
  if (value === null || value === '') return fallback;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number < min || number > max) throw invalid(`${name} must be a whole number from ${min} to ${max}`);
  return number;
}
