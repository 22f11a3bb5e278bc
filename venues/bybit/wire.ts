import { Decimal } from '../../core/decimal.ts';
import { VenueReplyError } from '../../core/errors.ts';

/**
 * Reading Bybit's JSON: every field is checked as it is read, and a field that is missing or malformed is a
 * VenueReplyError naming the route and the field (a reply that does not have the promised shape is not trusted).
 * Amounts arrive as strings and become Decimals; a float never carries money.
 */

export type Row = Readonly<Record<string, unknown>>;

export class RowReader {
  readonly #row: Row;
  readonly #where: string;

  constructor(row: unknown, where: string) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw new VenueReplyError(`${where}: expected an object`);
    this.#row = row as Row;
    this.#where = where;
  }

  get raw(): Row {
    return this.#row;
  }

  string(name: string): string {
    const value = this.#row[name];
    if (typeof value !== 'string') throw new VenueReplyError(`${this.#where}: ${name} must be a string, got ${JSON.stringify(value)}`);
    return value;
  }

  optionalString(name: string): string {
    const value = this.#row[name];
    return typeof value === 'string' ? value : '';
  }

  decimal(name: string): Decimal {
    const text = this.string(name);
    return Decimal.parse(text === '' ? '0' : text, `${this.#where} ${name}`);
  }

  /** "", "0" and absent mean none, as Bybit writes an absent price. */
  priceOrNull(name: string): Decimal | null {
    const value = this.#row[name];
    if (value === undefined || value === null || value === '') return null;
    const price = this.decimal(name);
    return price.isZero() ? null : price;
  }

  /** Milliseconds, sent as a string of digits (or a number on some WebSocket topics). */
  time(name: string): number {
    const value = this.#row[name];
    const ms = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(ms)) throw new VenueReplyError(`${this.#where}: ${name} must be a time in ms, got ${JSON.stringify(value)}`);
    return ms;
  }

  boolean(name: string): boolean {
    const value = this.#row[name];
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new VenueReplyError(`${this.#where}: ${name} must be true or false, got ${JSON.stringify(value)}`);
  }

  /** A sequence number when present (executions, positions), else null. */
  sequence(name: string): number | null {
    const value = this.#row[name];
    const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
    return Number.isSafeInteger(number) ? number : null;
  }
}

/** The list and the next cursor of a paged result. */
export function pageOf(result: unknown, where: string): { list: unknown[]; next: string } {
  const reader = new RowReader(result, where);
  const list = reader.raw['list'];
  if (!Array.isArray(list)) throw new VenueReplyError(`${where}: result.list must be a list`);
  return { list, next: reader.optionalString('nextPageCursor') };
}
