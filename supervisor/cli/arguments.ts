import { InvalidInputError } from '../../core/errors.ts';
import { parseBotId } from '../../core/ids.ts';
import type { BotId } from '../../core/ids.ts';
import { isThresholdPercent, MAX_LIST_LIMIT, MAX_REASON_LENGTH } from '../control/api-schema.ts';
import { UsageError } from './exit-codes.ts';

/** Checks command-line values before anything is sent, with the same limits the control API applies. */

/** A date, or a date and time (UTC unless a zone is given): 2024-01-31, 2024-01-31T12:00Z, 2024-01-31T09:30-05:00. */
export const DATE_OR_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

export function dateOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value.trim() : '';
  // A bare date or a time without a zone is UTC, so a run means the same thing on every machine.
  const withZone = /T/.test(text) && !/(Z|[+-]\d{2}:\d{2})$/.test(text) ? `${text}Z` : text;
  const ms = DATE_OR_TIME.test(text) ? Date.parse(withZone) : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`${name} must be a date like 2024-01-31 or 2024-01-31T12:00Z (UTC unless a zone is given); got ${JSON.stringify(value)}`);
  return ms;
}

export function botArgument(value: unknown, what: string): BotId {
  try {
    return parseBotId(value);
  } catch (error) {
    if (error instanceof InvalidInputError) throw new UsageError(`${what}: ${error.message}; "supervisor bots" lists the bot ids`);
    throw error;
  }
}

export function optionalBot(options: Readonly<Record<string, unknown>>): BotId | undefined {
  const value = options['bot'];
  return value === undefined ? undefined : botArgument(value, '--bot');
}

export function flag(options: Readonly<Record<string, unknown>>, name: string): boolean {
  return options[name] === true;
}

/** "7.5" or "7.5%": greater than 0 and at most 100; sent as the plain decimal string. */
export function percentArgument(value: unknown, what: string): string {
  const text = typeof value === 'string' ? value.trim().replace(/%$/, '') : '';
  if (!isThresholdPercent(text)) {
    throw new UsageError(`${what} must be a percent greater than 0 and at most 100 with up to 6 decimals, e.g. 7.5; got ${JSON.stringify(value)}`);
  }
  return text;
}

export function optionalLimit(options: Readonly<Record<string, unknown>>): number | undefined {
  const value = options['limit'];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,5}$/.test(value) || Number(value) > MAX_LIST_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIST_LIMIT}; got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

export function reasonArgument(value: unknown): string {
  const text = typeof value === 'string' ? value.trim() : '';
  if (text === '') throw new UsageError('--reason must say why, e.g. --reason "exchange maintenance"');
  if (text.length > MAX_REASON_LENGTH) throw new UsageError(`--reason must be at most ${MAX_REASON_LENGTH} characters; got ${text.length}`);
  return text;
}
