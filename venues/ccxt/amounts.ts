import { Decimal, DECIMAL_PLACES } from '../../core/decimal.ts';
import { VenueReplyError } from '../../core/errors.ts';

/**
 * Amounts between ccxt and Flotilla. Every client is built with `number: String` (client.ts), so ccxt hands its
 * parsed amounts, prices and fees back as the exchange's own decimal strings; they are parsed here, exactly. Going
 * out, Decimals are passed to ccxt as their strings (its TypeScript types say number; its amountToPrecision and
 * priceToPrecision take strings and keep them strings).
 *
 * Where ccxt still forces numbers: an exchange that sends JSON numbers (not Bybit) has them made floats by
 * JSON.parse before ccxt sees them, and ccxt's parseNumber turns an exponent form ("1e-8") into a float and back.
 * Such a value reaches this module as a string (or, from an unexpected path, a number): a number is written out
 * with JavaScript's shortest round-trip digits, which are the digits the exchange sent whenever it sent 15
 * significant digits or fewer (every exchange's amounts and prices do), and an exponent form is expanded exactly.
 */

const EXPONENT = /^(-?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)$/;

/** A plain decimal string from an exponent form, digit for digit. */
function expand(text: string): string | null {
  const match = EXPONENT.exec(text);
  if (match === null) return null;
  const [, sign = '', whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText);
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 60) return null;
  const digits = `${whole}${fraction}`.replace(/^0+(?=\d)/, '');
  const point = whole.replace(/^0+(?=\d)/, '').length + exponent;
  const padded = point <= 0 ? `0.${'0'.repeat(-point)}${digits}` : point >= digits.length ? `${digits}${'0'.repeat(point - digits.length)}` : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${sign}${padded}`;
}

/** A Decimal from what ccxt gives for an amount; VenueReplyError naming `what` when it is not one. */
export function decimalOf(value: unknown, what: string): Decimal {
  let text: string | null = null;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  if (text === null || text === '') throw new VenueReplyError(`${what} must be a decimal amount, got ${JSON.stringify(value)}`);
  const plain = expand(text) ?? text;
  const [whole, fraction = ''] = plain.split('.');
  // More places than a Decimal keeps are dust below 10^-18: cut, as no tick or lot reaches that far.
  const trimmed = fraction.length > DECIMAL_PLACES ? `${whole}.${fraction.slice(0, DECIMAL_PLACES)}` : plain;
  try {
    return Decimal.parse(trimmed.startsWith('+') ? trimmed.slice(1) : trimmed, what);
  } catch (error) {
    throw new VenueReplyError((error as Error).message);
  }
}

/** As decimalOf, with undefined, null, "" (and, where the exchange writes "none" so, "0") as null. */
export function decimalOrNull(value: unknown, what: string, zeroIsNone = false): Decimal | null {
  if (value === undefined || value === null || value === '') return null;
  const decimal = decimalOf(value, what);
  return zeroIsNone && decimal.isZero() ? null : decimal;
}

/** A Decimal as ccxt takes it: typed as a number in ccxt's signatures, a string at run time, so no float is made. */
export function wire(value: Decimal): number {
  return value.toString() as unknown as number;
}
