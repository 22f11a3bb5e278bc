import { InvalidInputError } from './errors.ts';

/** Digits after the point that every Decimal carries; enough for the cheapest coins' prices times any lot. */
export const DECIMAL_PLACES = 18;
const SCALE = 10n ** BigInt(DECIMAL_PLACES);
const SCALE_NUMBER = 10 ** DECIMAL_PLACES;
const PLAIN = /^(-?)(\d+)(?:\.(\d+))?$/;
const ZERO_CHAR = '0'.charCodeAt(0);

export type Rounding = 'down' | 'up' | 'floor' | 'ceil' | 'half-even';

function divRound(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  if (denominator < 0n) {
    numerator = -numerator;
    denominator = -denominator;
  }
  const quotient = numerator / denominator; // truncates toward zero
  const remainder = numerator % denominator;
  if (remainder === 0n) return quotient;
  const negative = numerator < 0n;
  switch (rounding) {
    case 'down':
      return quotient;
    case 'up':
      return negative ? quotient - 1n : quotient + 1n;
    case 'floor':
      return negative ? quotient - 1n : quotient;
    case 'ceil':
      return negative ? quotient : quotient + 1n;
    case 'half-even': {
      const twice = (remainder < 0n ? -remainder : remainder) * 2n;
      if (twice < denominator) return quotient;
      if (twice > denominator || quotient % 2n !== 0n) return negative ? quotient - 1n : quotient + 1n;
      return quotient;
    }
  }
}

/**
 * Fixed-point decimal: an integer count of 10^-18 units. Money and quantities live here, never in a
 * JS number, so that 0.1 + 0.2 is 0.3 and a 0.00000123 coin keeps every digit.
 */
export class Decimal {
  static readonly ZERO = new Decimal(0n);
  static readonly ONE = new Decimal(SCALE);

  /** The value times 10^18. */
  readonly units: bigint;

  private constructor(units: bigint) {
    this.units = units;
  }

  static fromUnits(units: bigint): Decimal {
    return new Decimal(units);
  }

  /** Parses a plain decimal string such as "-12.5". Exponents, spaces and more than 18 places are refused. */
  static parse(text: string, what = 'decimal'): Decimal {
    if (typeof text !== 'string') throw new InvalidInputError(`${what} must be a decimal string, got ${typeof text}`);
    const match = PLAIN.exec(text);
    if (match === null) throw new InvalidInputError(`${what} must be a plain decimal string like "12.5", got ${JSON.stringify(text)}`);
    const [, sign, whole = '0', fraction = ''] = match;
    if (fraction.length > DECIMAL_PLACES) {
      throw new InvalidInputError(`${what} ${JSON.stringify(text)} has more than ${DECIMAL_PLACES} decimal places`);
    }
    const units = BigInt(whole) * SCALE + BigInt(fraction.padEnd(DECIMAL_PLACES, '0'));
    return new Decimal(sign === '-' ? -units : units);
  }

  static fromInteger(value: number | bigint): Decimal {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new InvalidInputError(`${value} is not a safe integer`);
    }
    return new Decimal(BigInt(value) * SCALE);
  }

  /**
   * Converts a float from indicator arithmetic into a Decimal, rounded to `places`.
   * Only for values a strategy computed; anything that came from a venue or the ledger is parsed from its string.
   */
  static fromNumber(value: number, places = DECIMAL_PLACES, what = 'number'): Decimal {
    if (!Number.isFinite(value)) throw new InvalidInputError(`${what} must be finite, got ${value}`);
    // toPrecision(17) round-trips every double; the string is then parsed exactly.
    const text = value.toPrecision(17);
    const [mantissa = '0', exponentText] = text.split('e');
    const exponent = exponentText === undefined ? 0 : Number(exponentText);
    const negative = mantissa.startsWith('-');
    const [whole = '0', fraction = ''] = (negative ? mantissa.slice(1) : mantissa).split('.');
    const digits = BigInt(whole + fraction);
    const pointShift = exponent - fraction.length + DECIMAL_PLACES;
    const units = pointShift >= 0 ? digits * 10n ** BigInt(pointShift) : divRound(digits, 10n ** BigInt(-pointShift), 'half-even');
    return new Decimal(negative ? -units : units).round(places);
  }

  static min(a: Decimal, b: Decimal): Decimal {
    return a.units <= b.units ? a : b;
  }

  static max(a: Decimal, b: Decimal): Decimal {
    return a.units >= b.units ? a : b;
  }

  static sum(values: Iterable<Decimal>): Decimal {
    let units = 0n;
    for (const value of values) units += value.units;
    return new Decimal(units);
  }

  add(other: Decimal): Decimal {
    return new Decimal(this.units + other.units);
  }

  sub(other: Decimal): Decimal {
    return new Decimal(this.units - other.units);
  }

  mul(other: Decimal, rounding: Rounding = 'half-even'): Decimal {
    return new Decimal(divRound(this.units * other.units, SCALE, rounding));
  }

  div(other: Decimal, rounding: Rounding = 'half-even'): Decimal {
    if (other.units === 0n) throw new RangeError('division by zero');
    return new Decimal(divRound(this.units * SCALE, other.units, rounding));
  }

  /** Multiplies by a / b in one rounding step, so a proportional share is exact when b divides evenly. */
  mulDiv(numerator: Decimal, denominator: Decimal, rounding: Rounding = 'half-even'): Decimal {
    return new Decimal(divRound(this.units * numerator.units, denominator.units, rounding));
  }

  neg(): Decimal {
    return new Decimal(-this.units);
  }

  abs(): Decimal {
    return this.units < 0n ? new Decimal(-this.units) : this;
  }

  sign(): -1 | 0 | 1 {
    return this.units > 0n ? 1 : this.units < 0n ? -1 : 0;
  }

  cmp(other: Decimal): -1 | 0 | 1 {
    return this.units > other.units ? 1 : this.units < other.units ? -1 : 0;
  }

  eq(other: Decimal): boolean {
    return this.units === other.units;
  }

  lt(other: Decimal): boolean {
    return this.units < other.units;
  }

  lte(other: Decimal): boolean {
    return this.units <= other.units;
  }

  gt(other: Decimal): boolean {
    return this.units > other.units;
  }

  gte(other: Decimal): boolean {
    return this.units >= other.units;
  }

  isZero(): boolean {
    return this.units === 0n;
  }

  isPositive(): boolean {
    return this.units > 0n;
  }

  isNegative(): boolean {
    return this.units < 0n;
  }

  /** Rounds to a multiple of `step` (a tick size or lot step). */
  quantize(step: Decimal, rounding: Rounding): Decimal {
    if (step.units <= 0n) throw new RangeError(`step must be positive, got ${step.toString()}`);
    return new Decimal(divRound(this.units, step.units, rounding) * step.units);
  }

  isMultipleOf(step: Decimal): boolean {
    return step.units > 0n && this.units % step.units === 0n;
  }

  /** Rounds to `places` digits after the point. */
  round(places: number, rounding: Rounding = 'half-even'): Decimal {
    if (places >= DECIMAL_PLACES) return this;
    const step = 10n ** BigInt(DECIMAL_PLACES - places);
    return new Decimal(divRound(this.units, step, rounding) * step);
  }

  /** Canonical text: no exponent, no trailing zeros. This is the form stored and sent on the wire. */
  toString(): string {
    // One BigInt-to-text conversion, then the point placed in the text: the ledger writes every amount this way.
    const negative = this.units < 0n;
    const digits = (negative ? -this.units : this.units).toString();
    const wholeLength = digits.length - DECIMAL_PLACES;
    const whole = wholeLength > 0 ? digits.slice(0, wholeLength) : '0';
    const fraction = wholeLength > 0 ? digits.slice(wholeLength) : digits.padStart(DECIMAL_PLACES, '0');
    let end = fraction.length;
    while (end > 0 && fraction.charCodeAt(end - 1) === ZERO_CHAR) end--;
    return `${negative ? '-' : ''}${whole}${end > 0 ? `.${fraction.slice(0, end)}` : ''}`;
  }

  /** Text with exactly `places` digits after the point, rounded half-even. */
  toFixed(places: number): string {
    const rounded = this.round(places);
    const text = rounded.toString();
    if (places === 0) return text.split('.')[0] ?? text;
    const [whole, fraction = ''] = text.split('.');
    return `${whole}.${fraction.padEnd(places, '0')}`;
  }

  /**
   * A float for indicators, charts and metrics only; never for anything that is stored or sent. Converting the
   * integer directly (not through text) is several times faster and within one part in 10^16 of the value.
   */
  toNumber(): number {
    return Number(this.units) / SCALE_NUMBER;
  }

  toJSON(): string {
    return this.toString();
  }
}

export function dec(text: string): Decimal {
  return Decimal.parse(text);
}
